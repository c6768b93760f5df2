package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hooklift/gowsdl/soap"

	"soapgate/generated/charge"
	"soapgate/generated/orderresult"
	"soapgate/generated/orderstate"
	"soapgate/generated/silentpay"
	"soapgate/generated/wscancel"
	"soapgate/signer"
)

// TestGeneratedClient_TwoStageFlow drives the whole two-stage life of an order with the
// gowsdl clients generated from the WSDLs, over HTTP against the real server.
func TestGeneratedClient_TwoStageFlow(t *testing.T) {
	ts := startServer(t)
	pay := silentpay.NewSilentPayPortType(soap.NewClient(ts.URL + "/pay/silentpay.cfm"))
	state := orderstate.NewOrderStatePortType(soap.NewClient(ts.URL + "/orderstate/orderstate.cfm"))
	conf := charge.NewChargePortType(soap.NewClient(ts.URL + "/charge/charge.cfm"))
	canc := wscancel.NewWSCancelPortType(soap.NewClient(ts.URL + "/cancel/wscancel.cfm"))
	result := orderresult.NewOrderResultPortType(soap.NewClient(ts.URL + "/orderresult/orderresult.cfm"))

	pr, err := pay.Silentpay(&silentpay.Silentpay{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1",
		Ordernumber: "gen-1", Orderamount: "100.00", Ordercurrency: "RUB", Delay: "1", Cardnumber: "4111111111111111",
		Expiremonth: "12", Expireyear: "2030", Cvc2: "123", Cardholder: "IVAN IVANOV", Lastname: "Ivanov", Firstname: "Ivan",
		Email: "ivan@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Firstcode != "0" || len(pr.Order) != 1 {
		t.Fatalf("silentpay: codes %s/%s, %d orders", pr.Firstcode, pr.Secondcode, len(pr.Order))
	}
	o := pr.Order[0]
	if o.Orderstate != "Delayed" || o.Responsecode != "AS000" || !strings.HasSuffix(o.Billnumber, ".1") || o.Meannumber != "411111******1111" {
		t.Fatalf("silentpay order = %+v", o)
	}
	bill := strings.TrimSuffix(o.Billnumber, ".1")
	if want := signer.Checkvalue("demo-secret", "700001gen-1100.00RUBDelayed"); o.Checkvalue != want {
		t.Errorf("checkvalue = %s, want %s", o.Checkvalue, want)
	}

	sr, err := state.Orderstate(&orderstate.Orderstate{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1", Ordernumber: "gen-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Order) != 1 || sr.Order[0].Orderstate != "Delayed" || sr.Order[0].Billnumber != bill || sr.Count != "1" {
		t.Fatalf("orderstate = %+v", sr)
	}

	confirm := func(amount, currency string) *charge.Order {
		t.Helper()
		cr, err := conf.Charge(&charge.Charge{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1",
			Billnumber: bill, Amount: amount, Currency: currency})
		if err != nil {
			t.Fatal(err)
		}
		if cr.Firstcode != "0" || cr.Orders == nil || len(cr.Orders.Order) != 1 {
			t.Fatalf("charge: %+v", cr)
		}
		return cr.Orders.Order[0]
	}
	if c := confirm("40.00", "RUB"); c.Orderstate != "PartialDelayed" || c.Amount != "40.00" || c.Billnumber != bill+".2" || c.Operationtype != "200" {
		t.Fatalf("partial confirm = %+v", c)
	}
	full := confirm("", "")
	if full.Orderstate != "Approved" || full.Amount != "60.00" || full.Billnumber != bill+".3" {
		t.Fatalf("confirm rest = %+v", full)
	}
	if again := confirm("", ""); again.Billnumber != full.Billnumber || again.Responsecode != "AS000" {
		t.Fatalf("repeated confirm made %s, want the earlier %s", again.Billnumber, full.Billnumber)
	}

	cancel := func(amount, currency, ext string) *wscancel.Order {
		t.Helper()
		r, err := canc.Wscancel(&wscancel.WSCancelRequestParams{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1",
			Billnumber: full.Billnumber, Amount: amount, Currency: currency, Externalrefundid: ext})
		if err != nil {
			t.Fatal(err)
		}
		if r.Firstcode != "0" || len(r.Order) != 1 {
			t.Fatalf("cancel: %+v", r)
		}
		return r.Order[0]
	}
	if c := cancel("10.00", "RUB", ""); c.Orderstate != "PartialCanceled" || c.Operationtype != "300" || c.Amount != "10.00" {
		t.Fatalf("partial refund = %+v", c)
	}
	r1 := cancel("20.00", "RUB", "refund-A")
	r2 := cancel("20.00", "RUB", "refund-A")
	if r1.Billnumber != r2.Billnumber || r1.Billnumber != bill+".5" {
		t.Fatalf("same externalrefundid made %s and %s", r1.Billnumber, r2.Billnumber)
	}
	if c := cancel("", "", ""); c.Orderstate != "Canceled" || c.Amount != "70.00" {
		t.Fatalf("cancel rest = %+v (want the 70.00 left)", c)
	}

	rr, err := result.Orderresult(&orderresult.Orderresult{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1", Billnumber: bill})
	if err != nil {
		t.Fatal(err)
	}
	if rr.Orderresult == nil || len(rr.Orderresult.Order) != 1 {
		t.Fatalf("orderresult = %+v", rr)
	}
	var types []string
	for _, op := range rr.Orderresult.Order[0].Operation {
		types = append(types, op.Operationtype+":"+op.Amount)
	}
	if got, want := strings.Join(types, " "), "100:100.00 200:40.00 200:60.00 300:10.00 300:20.00 300:70.00"; got != want {
		t.Fatalf("operations = %s, want %s", got, want)
	}
}

// TestGeneratedClient_Fault checks that a request error reaches a generated client as a
// SOAP Fault (HTTP 500) carrying the codes.
func TestGeneratedClient_Fault(t *testing.T) {
	ts := startServer(t)
	state := orderstate.NewOrderStatePortType(soap.NewClient(ts.URL + "/orderstate/orderstate.cfm"))
	_, err := state.Orderstate(&orderstate.Orderstate{Merchant_id: "700001", Login: "demo_login", Password: "wrong", Ordernumber: "x"})
	var he *soap.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 || !strings.Contains(string(he.ResponseBody), `firstcode="10" secondcode="100"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSilentpay_OneStageAndDecline(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "one-1"))
	if got := text(t, doc, "//order/orderstate"); got != "Approved" {
		t.Fatalf("one-stage state = %s", got)
	}
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dec-1", "cardnumber", "4000000000000002"))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "Declined" || text(t, doc, "//order/responsecode") != "AS100" {
		t.Fatalf("decline: %d %s", res.Status, res.Body)
	}
	for cardNo, want := range map[string]string{"4000000000009995": "AS102", "4000000000000069": "AS104", "4111111111111112": "AS101"} {
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dec-"+cardNo, "cardnumber", cardNo))
		if got := text(t, doc, "//order/responsecode"); got != want {
			t.Errorf("card %s: responsecode %s, want %s", cardNo, got, want)
		}
	}
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "trig-1", "orderamount", "10.61"))
	if got := text(t, doc, "//order/responsecode"); got != "AS105" {
		t.Errorf("amount trigger 61: %s", got)
	}
	// A declined attempt does not block the ordernumber; orderstate lists both, oldest first.
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dec-1"))
	if text(t, doc, "//order/orderstate") != "Approved" {
		t.Fatal("second attempt after a decline was not approved")
	}
	_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "dec-1"))
	orders := doc.FindElements("//order/orderstate")
	if len(orders) != 2 || orders[0].Text() != "Declined" || orders[1].Text() != "Approved" {
		t.Fatalf("attempts = %d", len(orders))
	}
	// Now it holds money: a third attempt is 10/204.
	res, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dec-1"))
	if res.Status != 500 || faultCodes(t, doc) != "10/204" {
		t.Fatalf("duplicate: %d %s", res.Status, res.Body)
	}
}

func TestIsolation_AnotherMerchantsOrderIsNotFound(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "iso-1", "delay", "1"))
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	other := map[string]string{"merchant_id": "700002", "login": "other_login", "password": "other_password2"}
	for _, tc := range []struct{ path, op, key, val string }{
		{"/orderstate/orderstate.cfm", "orderstate", "ordernumber", "iso-1"},
		{"/orderresult/orderresult.cfm", "orderresult", "billnumber", bill},
		{"/charge/charge.cfm", "charge", "billnumber", bill},
		{"/cancel/wscancel.cfm", "WSCancelRequestParams", "billnumber", bill},
	} {
		p := map[string]string{tc.key: tc.val}
		for k, v := range other {
			p[k] = v
		}
		res, doc := ts.soap(t, tc.path, tc.op, p)
		if res.Status != 500 || faultCodes(t, doc) != "10/201" {
			t.Errorf("%s as 700002: %d %s", tc.op, res.Status, res.Body)
		}
	}
	// And the order is untouched.
	_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "iso-1"))
	if got := text(t, doc, "//order/orderstate"); got != "Delayed" {
		t.Fatalf("state after the other merchant's attempts = %s", got)
	}
}

func TestConcurrency_ConfirmOnceAndPayOnce(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cc-1", "delay", "1"))
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	const n = 12
	var wg sync.WaitGroup
	bills := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res := ts.post(t, "/charge/charge.cfm", "text/xml", envelope("charge", with("billnumber", bill)))
			bills[i] = res.Body[strings.Index(res.Body, "<billnumber>")+12 : strings.Index(res.Body, "</billnumber>")]
		}(i)
	}
	wg.Wait()
	for _, b := range bills {
		if b != bill+".2" {
			t.Fatalf("concurrent confirms answered %v", bills)
		}
	}
	_, doc = ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	if ops := doc.FindElements("//operation"); len(ops) != 2 {
		t.Fatalf("%d operations after %d concurrent confirms, want 2", len(ops), n)
	}

	ok, dup := 0, 0
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := ts.post(t, "/pay/silentpay.cfm", "text/xml", envelope("silentpay", card("ordernumber", "same-1")))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case res.Status == 200:
				ok++
			case strings.Contains(res.Body, `firstcode="10" secondcode="204"`):
				dup++
			default:
				t.Errorf("unexpected answer %d %s", res.Status, res.Body)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || dup != n-1 {
		t.Fatalf("%d payments and %d refusals for one ordernumber, want 1 and %d", ok, dup, n-1)
	}
}

func TestRules_ConfirmAndCancel(t *testing.T) {
	ts := startServer(t)
	pay := func(num string, kv ...string) string {
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card(append([]string{"ordernumber", num}, kv...)...))
		return strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	}
	call := func(path, op string, p map[string]string) string {
		res, doc := ts.soap(t, path, op, p)
		if res.Status == 200 {
			return text(t, doc, "//order/orderstate")
		}
		return faultCodes(t, doc)
	}
	one := pay("r-1")
	dec := pay("r-2", "cardnumber", "4000000000000002")
	two := pay("r-3", "delay", "1")
	for _, tc := range []struct {
		name, path, op string
		p              map[string]string
		want           string
	}{
		{"confirm one-stage", "/charge/charge.cfm", "charge", with("billnumber", one), "10/202"},
		{"confirm declined", "/charge/charge.cfm", "charge", with("billnumber", dec), "10/202"},
		{"cancel declined", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", dec), "10/202"},
		{"confirm too much", "/charge/charge.cfm", "charge", with("billnumber", two, "amount", "100.01", "currency", "RUB"), "10/203"},
		{"confirm amount without currency", "/charge/charge.cfm", "charge", with("billnumber", two, "amount", "1.00"), "5/109"},
		{"confirm other currency", "/charge/charge.cfm", "charge", with("billnumber", two, "amount", "1.00", "currency", "USD"), "5/109"},
		{"confirm bad amount", "/charge/charge.cfm", "charge", with("billnumber", two, "amount", "1.0.0", "currency", "RUB"), "5/108"},
		{"bad billnumber", "/charge/charge.cfm", "charge", with("billnumber", "12x"), "5/143"},
		{"unknown billnumber", "/charge/charge.cfm", "charge", with("billnumber", "1234567890123456"), "10/201"},
		{"refund too much", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", one, "amount", "100.01", "currency", "RUB"), "10/203"},
		{"void Delayed", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", two+".1"), "Canceled"},
		{"confirm voided", "/charge/charge.cfm", "charge", with("billnumber", two), "10/202"},
		{"refund all", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", one), "Canceled"},
		{"refund again", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", one), "Canceled"},
		{"refund more", "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", one, "amount", "1.00", "currency", "RUB"), "10/203"},
	} {
		if got := call(tc.path, tc.op, tc.p); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// The voided order can be paid again under its ordernumber.
	if got := call("/pay/silentpay.cfm", "silentpay", card("ordernumber", "r-3")); got != "Approved" {
		t.Errorf("pay after void: %s", got)
	}
}

func TestAuthentication(t *testing.T) {
	ts := startServer(t)
	for _, tc := range []struct {
		p    map[string]string
		want string
	}{
		{map[string]string{"login": "demo_login", "password": "demo_password1", "ordernumber": "x"}, "5/100"},
		{map[string]string{"merchant_id": "70x", "login": "demo_login", "password": "demo_password1", "ordernumber": "x"}, "5/100"},
		{map[string]string{"merchant_id": "700001", "password": "demo_password1", "ordernumber": "x"}, "5/101"},
		{map[string]string{"merchant_id": "700001", "login": "demo_login", "ordernumber": "x"}, "5/102"},
		{map[string]string{"merchant_id": "799999", "login": "demo_login", "password": "demo_password1", "ordernumber": "x"}, "10/100"},
		{map[string]string{"merchant_id": "700001", "login": "other_login", "password": "demo_password1", "ordernumber": "x"}, "10/100"},
		{map[string]string{"merchant_id": "700002", "login": "other_login", "password": "demo_password1", "ordernumber": "x"}, "10/100"},
		{with("ordernumber", "never-paid"), "10/201"},
		{with("ordernumber", ""), "5/107"},
	} {
		_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", tc.p)
		if got := faultCodes(t, doc); got != tc.want {
			t.Errorf("%v: %s, want %s", tc.p, got, tc.want)
		}
	}
}

func TestOrderState_DateWindow(t *testing.T) {
	ts := startServer(t)
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "win-1"))
	// A window in 2020 does not contain today's order.
	_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "win-1", "startyear", "2020", "endyear", "2020"))
	if got := faultCodes(t, doc); got != "10/201" {
		t.Fatalf("old window: %s", got)
	}
	_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "win-1", "startday", "x"))
	if got := faultCodes(t, doc); got != "5/110" {
		t.Fatalf("bad field: %s", got)
	}
	res, _ := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with())
	if !strings.Contains(res.Body, `count="1"`) {
		t.Fatalf("orderresult list: %s", res.Body)
	}
	_ = fmt.Sprint()
}
