package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Attacks on how parameters are read (issue 10, items 5 and 7): card data in a URL, query
// parameters slipped into a POST, and a parameter given twice with different values, in every
// transport. Each was accepted before; each is refused now and nothing is written.

func (ts *testServer) get(t *testing.T, pathAndQuery string) response {
	t.Helper()
	res, err := http.Get(ts.URL + pathAndQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// orderExists asks orderstate whether the ordernumber has any payment (0/0 rather than 10/201).
func (ts *testServer) orderExists(t *testing.T, orderNumber string) bool {
	t.Helper()
	_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", orderNumber))
	return doc.FindElement("//order") != nil
}

func TestAttack_CardDataInURL(t *testing.T) {
	ts := startServer(t)
	q := url.Values{}
	for k, v := range card("ordernumber", "url-card-1") {
		q.Set(k, v)
	}
	res := ts.get(t, "/pay/silentpay.cfm?"+q.Encode())
	if !strings.Contains(res.Body, `firstcode="5" secondcode="110"`) || !strings.Contains(res.Body, `count="0"`) {
		t.Fatalf("GET with card data: want 5/110, got %d %s", res.Status, res.Body)
	}
	if ts.orderExists(t, "url-card-1") {
		t.Fatal("a payment whose card came in a URL was written")
	}
	// The card in the query of a POST whose body has the rest is refused too.
	body := url.Values{}
	for k, v := range card("ordernumber", "url-card-2") {
		if k != "cardnumber" && k != "cvc2" {
			body.Set(k, v)
		}
	}
	res = ts.post(t, "/pay/silentpay.cfm?CardNumber=4111111111111111&CVC2=123", "application/x-www-form-urlencoded", body.Encode())
	if !strings.Contains(res.Body, `secondcode="110"`) {
		t.Fatalf("POST with the card in its URL: want 5/110, got %s", res.Body)
	}
	if ts.orderExists(t, "url-card-2") {
		t.Fatal("a payment whose card came in a URL was written")
	}
	// GET stays for the read services.
	ts.form(t, "/pay/silentpay.cfm", card("ordernumber", "url-card-3"))
	q = url.Values{"Merchant_ID": {"700001"}, "Login": {"demo_login"}, "Password": {"demo_password1"}, "OrderNumber": {"url-card-3"}}
	if res := ts.get(t, "/orderstate/orderstate.cfm?"+q.Encode()); !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
		t.Fatalf("orderstate over GET: %s", res.Body)
	}
}

func TestAttack_PostReadsItsBodyOnly(t *testing.T) {
	ts := startServer(t)
	body := url.Values{}
	for k, v := range card("ordernumber", "body-only-1") {
		if k != "orderamount" {
			body.Set(k, v)
		}
	}
	// The amount only in the URL of a POST does not count: the payment has no amount (5/108).
	res := ts.post(t, "/pay/silentpay.cfm?OrderAmount=1.00", "application/x-www-form-urlencoded", body.Encode())
	if !strings.Contains(res.Body, `firstcode="5" secondcode="108"`) {
		t.Fatalf("an amount in a POST's URL was read: %s", res.Body)
	}
	if ts.orderExists(t, "body-only-1") {
		t.Fatal("written")
	}
}

func TestAttack_AmbiguousParameters(t *testing.T) {
	ts := startServer(t)
	base := url.Values{}
	for k, v := range card() {
		if k != "orderamount" && k != "merchant_id" {
			base.Set(k, v)
		}
	}
	cases := []struct {
		name, contentType, body, param string
	}{
		{"form, two cases", "application/x-www-form-urlencoded",
			base.Encode() + "&Merchant_ID=700001&ordernumber=amb-1&orderamount=1.00&OrderAmount=2.00&Format=5", "orderamount"},
		{"form, same name twice", "application/x-www-form-urlencoded",
			base.Encode() + "&ordernumber=amb-2&orderamount=1.00&merchant_id=700001&merchant_id=700002&Format=5", "merchant_id"},
		{"JSON, two cases", "application/json",
			`{"merchant_id":"700001","login":"demo_login","password":"demo_password1","ordernumber":"amb-3","OrderAmount":"1.00","orderamount":"2.00","cardnumber":"4111111111111111","expiremonth":"12","expireyear":"2030","cvc2":"123","cardholder":"I I","lastname":"I","firstname":"I","email":"i@example.com"}`, "orderamount"},
		{"JSON, same key twice", "application/json",
			`{"merchant_id":"700001","login":"demo_login","password":"demo_password1","ordernumber":"amb-4","orderamount":"1.00","orderamount":"2.00","cardnumber":"4111111111111111","expiremonth":"12","expireyear":"2030","cvc2":"123","cardholder":"I I","lastname":"I","firstname":"I","email":"i@example.com"}`, "orderamount"},
		{"SOAP, element twice", "text/xml",
			strings.Replace(envelope("silentpay", card("ordernumber", "amb-5")), "<orderamount>100.00</orderamount>",
				"<orderamount>1.00</orderamount><OrderAmount>2.00</OrderAmount>", 1), "orderamount"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ts.post(t, "/pay/silentpay.cfm", c.contentType, c.body)
			if !strings.Contains(res.Body, "110") || !strings.Contains(res.Body, c.param) {
				t.Fatalf("want 5/110 naming %s, got %d %s", c.param, res.Status, res.Body)
			}
			if ts.orderExists(t, "amb-"+string(rune('1'+i))) {
				t.Fatal("an ambiguous payment was written")
			}
		})
	}
	// The same value twice is not ambiguous.
	res := ts.post(t, "/pay/silentpay.cfm", "application/x-www-form-urlencoded",
		base.Encode()+"&merchant_id=700001&Merchant_ID=700001&ordernumber=amb-6&orderamount=1.00")
	if !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
		t.Fatalf("a parameter repeated with the same value: %s", res.Body)
	}
}

// TestAttack_UnsignedSchedule: with request_signature required, a stolen login and password
// used to be enough to start repeated charges through SetScheduledOperation, while rp refused
// the same unsigned call. The scheduler now follows the merchant's policy, X being
// Merchant_ID;BillNumber;Amount;Currency.
func TestAttack_UnsignedSchedule(t *testing.T) {
	ts := startRecurring(t)
	key := "../../fixtures/keys/merchant-700002.key.pem"
	p := card("ordernumber", "sig-sch-1", "recurringindicator", "1", "recurringminamount", "10.00",
		"recurringmaxamount", "500.00", "recurringperiod", "30", "recurringmaxdate", "31.12.2099")
	p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
	p["signature"] = webSign(t, key, "700002;sig-sch-1;100.00;RUB")
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p)
	if res.Status != 200 {
		t.Fatalf("initial payment: %s", res.Body)
	}
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	start := clockNow(t, ts).Add(time.Hour).Format("02.01.2006 15:04:05")
	plan := other("billnumber", bill, "amount", "25.00", "currency", "RUB", "description", "Gym",
		"startdate", start, "periodlength", "1", "periodtype", "Day", "state", "Active")
	res, doc = ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", plan)
	if res.Status == 200 || faultCodes(t, doc) != "5/150" {
		t.Fatalf("unsigned SetScheduledOperation: want 5/150, got %d %s", res.Status, res.Body)
	}
	plan["signature"] = webSign(t, key, "700002;"+bill+";25.01;RUB") // signed over another amount
	if res, doc = ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", plan); faultCodes(t, doc) != "5/150" {
		t.Fatalf("badly signed SetScheduledOperation: %s", res.Body)
	}
	res, doc = ts.soap(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", other("billnumber", bill))
	if res.Status != 200 || len(doc.FindElements("//scheduledoperation")) != 0 {
		t.Fatalf("a refused schedule was written: %s", res.Body)
	}
	plan["signature"] = webSign(t, key, "700002;"+bill+";25.00;RUB")
	if res, _ = ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", plan); res.Status != 200 {
		t.Fatalf("signed SetScheduledOperation: %s", res.Body)
	}
	// Reading schedules moves no money: no signature needed.
	if res, _ = ts.soap(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", other("billnumber", bill)); res.Status != 200 {
		t.Fatalf("GetScheduledOperation: %s", res.Body)
	}
}

// TestAttack_PagePayerAddress: the payment page took the payer's address from a ClientIP
// parameter the browser sends, so anyone could make the record name another address. It is
// now the connection's.
func TestAttack_PagePayerAddress(t *testing.T) {
	ts := startServer(t)
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "ip-1", "ClientIP", "6.6.6.6")
	w.pay(page, "4111111111111111")
	res, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "ip-1"))
	if res.Status != 200 {
		t.Fatalf("orderresult: %s", res.Body)
	}
	if got := text(t, doc, "//operation/ipaddress"); got != "127.0.0.1" {
		t.Fatalf("payer address = %q, want the connection's 127.0.0.1", got)
	}
}

// TestAttack_RetryPeriodOverflow: retryperiodhours=2562048 overflowed the 16-day check, so a
// plan got four retries at the same instant. Integers are range-checked before arithmetic.
func TestAttack_RetryPeriodOverflow(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "ovf-1")
	start := clockNow(t, ts).Add(time.Hour).Format("02.01.2006 15:04:05")
	for _, hours := range []string{"2562048", "9223372036854775807", "385"} {
		_, codes := setSchedule(t, ts, "billnumber", bill, "amount", "25.00", "currency", "RUB", "description", "x",
			"startdate", start, "periodlength", "1", "periodtype", "Day", "retrycount", "3", "retryperiodhours", hours, "state", "Active")
		if codes != "5/110" {
			t.Fatalf("retryperiodhours=%s: %s, want 5/110", hours, codes)
		}
	}
	if list := getSchedules(t, ts, "billnumber", bill); len(list) != 0 {
		t.Fatalf("a refused plan was written: %d", len(list))
	}
}

// TestAttack_ConsentAfterVoid: recurring consent taken with a two-stage payment survived the
// void of that payment, and rp then charged the card. A voided initial payment ends its series.
func TestAttack_ConsentAfterVoid(t *testing.T) {
	ts := startRecurring(t)
	bill, doc := seriesPay(t, ts, "void-1", "delay", "1")
	if got := text(t, doc, "//order/orderstate"); got != "Delayed" {
		t.Fatalf("initial payment %s", got)
	}
	if res, _ := ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill)); res.Status != 200 {
		t.Fatalf("void: %s", res.Body)
	}
	if _, codes := rp(t, ts, bill, "void-1-rp", "20.00"); codes != "10/210" {
		t.Fatalf("rp on a voided initial payment: %s, want 10/210", codes)
	}
}
