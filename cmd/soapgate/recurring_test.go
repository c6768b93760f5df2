package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// seriesPay makes an initial payment with recurring consent (10.00 to 500.00 RUB) and returns
// its billnumber (without the operation suffix) and the answer.
func seriesPay(t *testing.T, ts *testServer, num string, kv ...string) (string, *etree.Document) {
	t.Helper()
	p := card(append([]string{"ordernumber", num, "recurringindicator", "1", "recurringminamount", "10.00",
		"recurringmaxamount", "500.00", "recurringperiod", "30", "recurringmaxdate", "31.12.2099"}, kv...)...)
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p)
	if res.Status != 200 {
		t.Fatalf("initial payment %s: %d %s", num, res.Status, res.Body)
	}
	return strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1"), doc
}

// rp charges the series again over SOAP; ok is false for a fault, whose codes are returned.
func rp(t *testing.T, ts *testServer, bill, num, amount string, kv ...string) (doc *etree.Document, codes string) {
	t.Helper()
	p := with(append([]string{"billnumber", bill, "ordernumber", num, "amount", amount, "currency", "RUB"}, kv...)...)
	res, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", p)
	if res.Status != 200 {
		return doc, faultCodes(t, doc)
	}
	return doc, "0/0"
}

func orderStates(t *testing.T, ts *testServer, num string) []string {
	t.Helper()
	res, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", num, "startyear", "2000", "endyear", "2200"))
	if res.Status != 200 {
		return []string{faultCodes(t, doc)}
	}
	var out []string
	for _, el := range doc.FindElements("//order/orderstate") {
		out = append(out, el.Text())
	}
	return out
}

func advance(t *testing.T, ts *testServer, d string) {
	t.Helper()
	if code, out := ts.admin(t, "POST", `{"advance":"`+d+`"}`, "tok"); code != 200 {
		t.Fatalf("advance %s: %d %v", d, code, out)
	}
}

var upperUUID = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)

func TestRecurring_ConsentAndRP(t *testing.T) {
	ts := startRecurring(t)
	bill, doc := seriesPay(t, ts, "rec-1", "customernumber", "cust-1")
	if got := text(t, doc, "//order/recurringstate"); got != "Activated" {
		t.Fatalf("recurringstate = %q, want Activated", got)
	}
	if tok := text(t, doc, "//order/token"); !upperUUID.MatchString(tok) {
		t.Fatalf("token = %q, want an upper-case UUID", tok)
	}
	// Without consent a payment stores none.
	_, plain := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rec-plain"))
	if got := text(t, plain, "//order/recurringstate"); got != "" {
		t.Fatalf("plain payment recurringstate = %q", got)
	}
	plainBill := strings.TrimSuffix(text(t, plain, "//order/billnumber"), ".1")

	doc, codes := rp(t, ts, bill, "rec-1-a", "99.90", "ordercomment", "March")
	if codes != "0/0" {
		t.Fatalf("rp: %s", codes)
	}
	for path, want := range map[string]string{
		"//rpResponse/orders/order/ordernumber": "rec-1-a", "//order/operationtype": "400", "//order/orderstate": "Approved",
		"//order/amount": "99.90", "//order/responsecode": "AS000", "//order/recurringstate": "Activated",
		"//order/meannumber": "411111******1111", "//order/ordercomment": "March",
	} {
		if got := text(t, doc, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if attr(t, doc, "//rpResponse", "firstcode") != "0" || !strings.HasSuffix(text(t, doc, "//order/billnumber"), ".1") {
		t.Errorf("rp answer codes or billnumber wrong")
	}
	if newBill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1"); newBill == bill {
		t.Errorf("rp reused the initial billnumber")
	}
	// JSON and the XML format answer like charge.
	_, out := ts.json(t, "/recurrent/rp.cfm", with("billnumber", bill+".1", "ordernumber", "rec-1-json", "amount", "10.00", "currency", "RUB"))
	if o, _ := out["rp"].(map[string]any); o == nil || o["orderstate"] != "Approved" || o["operationtype"] != "400" {
		t.Errorf("JSON rp = %v", out)
	}
	res := ts.form(t, "/recurrent/rp.cfm", with("billnumber", bill, "ordernumber", "rec-1-xml", "amount", "10.00"))
	if x := parseXML(t, res.Body); text(t, x, "/result/orders/order/orderstate") != "Approved" {
		t.Errorf("XML rp = %s", res.Body)
	}
	// The same ordernumber again is a duplicate.
	if _, codes := rp(t, ts, bill, "rec-1-a", "20.00"); codes != "10/204" {
		t.Errorf("repeated ordernumber: %s", codes)
	}

	for name, tc := range map[string]struct{ bill, amount, currency, want string }{
		"below min":      {bill, "9.99", "RUB", "10/210"},
		"above max":      {bill, "500.01", "RUB", "10/210"},
		"other currency": {bill, "20.00", "USD", "10/210"},
		"no consent":     {plainBill, "20.00", "RUB", "10/210"},
		"unknown order":  {"1234567890123456", "20.00", "RUB", "10/201"},
		"bad amount":     {bill, "abc", "RUB", "5/108"},
		"bad billnumber": {"12", "20.00", "RUB", "5/143"},
		"bad currency":   {bill, "20.00", "XXX", "5/109"},
	} {
		num := "rec-refused-" + strings.ReplaceAll(name, " ", "-")
		if _, codes := rp(t, ts, tc.bill, num, tc.amount, "currency", tc.currency); codes != tc.want {
			t.Errorf("%s: %s, want %s", name, codes, tc.want)
		}
		if got := orderStates(t, ts, num); got[0] != "10/201" {
			t.Errorf("%s: a refused rp left an order behind: %v", name, got)
		}
	}
	// Another merchant's series is not found.
	other := map[string]string{"merchant_id": "700002", "login": "other_login", "password": "other_password2",
		"billnumber": bill, "ordernumber": "rec-other", "amount": "20.00", "currency": "RUB"}
	if _, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", other); faultCodes(t, doc) != "5/150" && faultCodes(t, doc) != "10/201" {
		t.Errorf("another merchant's rp: %s", faultCodes(t, doc))
	}

	// Past recurringmaxdate.
	short, _ := seriesPay(t, ts, "rec-short", "recurringmaxdate", time.Now().UTC().AddDate(0, 0, 2).Format("02.01.2006"))
	if _, codes := rp(t, ts, short, "rec-short-1", "20.00"); codes != "0/0" {
		t.Fatalf("rp before max date: %s", codes)
	}
	advance(t, ts, "4d")
	if _, codes := rp(t, ts, short, "rec-short-2", "20.00"); codes != "10/210" {
		t.Errorf("rp past max date: %s", codes)
	}
}

func TestRecurring_ConsentValidation(t *testing.T) {
	ts := startRecurring(t)
	for name, tc := range map[string]struct {
		kv   []string
		want string
	}{
		"indicator":  {[]string{"recurringindicator", "2"}, "5/110"},
		"min amount": {[]string{"recurringindicator", "1", "recurringminamount", "ten"}, "5/108"},
		"max amount": {[]string{"recurringindicator", "1", "recurringmaxamount", "1.234"}, "5/108"},
		"min > max":  {[]string{"recurringindicator", "1", "recurringminamount", "50", "recurringmaxamount", "10"}, "5/108"},
		"period":     {[]string{"recurringindicator", "1", "recurringperiod", "monthly"}, "5/110"},
		"max date":   {[]string{"recurringindicator", "1", "recurringmaxdate", "2099-12-31"}, "5/110"},
		"past date":  {[]string{"recurringindicator", "1", "recurringmaxdate", "01.01.2001"}, "5/110"},
		"customer":   {[]string{"customernumber", strings.Repeat("c", 65)}, "5/110"},
	} {
		num := "val-" + strings.ReplaceAll(name, " ", "-")
		res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card(append([]string{"ordernumber", num}, tc.kv...)...))
		if res.Status == 200 || faultCodes(t, doc) != tc.want {
			t.Errorf("%s: %d %s, want %s", name, res.Status, res.Body, tc.want)
			continue
		}
		if !strings.Contains(text(t, doc, "//detail/error"), strings.Fields(name)[0][:3]) && name != "min > max" {
			t.Errorf("%s: the detail does not name the field: %s", name, text(t, doc, "//detail/error"))
		}
		if got := orderStates(t, ts, num); got[0] != "10/201" {
			t.Errorf("%s: a refused payment left an order: %v", name, got)
		}
	}
	// A declined payment stores no consent.
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "val-declined", "cardnumber", "4000000000000002",
		"recurringindicator", "1"))
	if text(t, doc, "//order/orderstate") != "Declined" || text(t, doc, "//order/recurringstate") != "" {
		t.Errorf("declined initial payment: %s / %q", text(t, doc, "//order/orderstate"), text(t, doc, "//order/recurringstate"))
	}
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	if _, codes := rp(t, ts, bill, "val-declined-rp", "20.00"); codes != "10/210" {
		t.Errorf("rp on a declined initial payment: %s", codes)
	}
}
