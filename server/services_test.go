package server_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/generated/orderresult"
	"soapgate/generated/orderstate"
	"soapgate/generated/silentpay"
	"soapgate/processor"
)

// replyX is the X of an operation answer: merchant_id+ordernumber+amount+currency+orderstate.
func replyX(id string, f map[string]string) string {
	return id + f["ordernumber"] + f["amount"] + f["currency"] + f["orderstate"]
}

// orderX is the X of orderstate and orderresult: merchant_id+ordernumber+orderamount+ordercurrency+orderstate.
func orderX(id string, f map[string]string) string {
	return id + f["ordernumber"] + f["orderamount"] + f["ordercurrency"] + f["orderstate"]
}

// checkOrder checks that an order element lists exactly the generated type's fields, in order.
func checkOrder(t testing.TB, el *etree.Element, typ reflect.Type) {
	t.Helper()
	got := childNames(el)
	want := wireFields(typ)
	if len(got) > len(want) {
		// Lists (orderresult's operations) follow the text fields.
		got = got[:len(want)]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s fields\n got %v\nwant %v", typ, got, want)
	}
}

func TestServer_Silentpay(t *testing.T) {
	ts := newTestServer(t)

	t.Run("SOAP 1.1 approve", func(t *testing.T) {
		res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "SP-1"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := res.Header.Get("Content-Type"), "text/xml; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		if got, want := find(t, doc, "//Envelope").NamespaceURI(), "http://schemas.xmlsoap.org/soap/envelope/"; got != want {
			t.Errorf("envelope ns = %q, want %q", got, want)
		}
		resp := find(t, doc, "//silentpayResponse")
		if got, want := codesOf(resp), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		order := find(t, doc, "//silentpayResponse/order")
		checkOrder(t, order, reflect.TypeFor[silentpay.Order]())
		f := childMap(order)
		for k, want := range map[string]string{"ordernumber": "SP-1", "responsecode": "AS000", "orderstate": "Approved",
			"amount": "100.00", "currency": "RUB", "orderamount": "100.00", "ordercurrency": "RUB", "rate": "1",
			"operationtype": "100", "testmode": "1", "meannumber": "411111******1111", "meantypename": "VISA",
			"issuebank": processor.TestIssuer, "bankcountry": processor.TestIssuerCountry,
			"processingname": processor.TestProcessingName, "protocoltypename": "NET", "cardholder": "IVAN IVANOV",
			"cardexpirationdate": "12/30", "middlename": "Petrovich", "token": "", "recurringstate": ""} {
			if got := f[k]; got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if !strings.HasSuffix(f["billnumber"], ".1") || len(f["billnumber"]) != 18 {
			t.Errorf("billnumber = %q, want 16 digits and .1", f["billnumber"])
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
	})

	t.Run("SOAP 1.1 decline", func(t *testing.T) {
		res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "SP-D", "cardnumber", "4000000000000002"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := codesOf(find(t, doc, "//silentpayResponse")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s (a decline is not an error)", got, want)
		}
		f := childMap(find(t, doc, "//silentpayResponse/order"))
		if got, want := f["orderstate"], "Declined"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
		if !strings.HasPrefix(f["responsecode"], "AS1") {
			t.Errorf("responsecode = %q, want AS1xx", f["responsecode"])
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
	})

	t.Run("SOAP 1.2", func(t *testing.T) {
		res, doc := ts.soap12(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "SP-12"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := res.Header.Get("Content-Type"), "application/soap+xml; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		if got, want := find(t, doc, "//Envelope").NamespaceURI(), "http://www.w3.org/2003/05/soap-envelope"; got != want {
			t.Errorf("envelope ns = %q, want %q", got, want)
		}
		if got, want := text(t, doc, "//silentpayResponse/order/orderstate"), "Approved"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
	})

	t.Run("form CSV", func(t *testing.T) {
		res := ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "SP-CSV", "format", "1"))
		if got, want := res.Header.Get("Content-Type"), "text/csv; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		rows := csvRows(t, res.Body)
		if got, want := len(rows), 2; got != want {
			t.Fatalf("rows = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := rows[0], wireFields(reflect.TypeFor[silentpay.Order]()); !reflect.DeepEqual(got, want) {
			t.Errorf("header\n got %v\nwant %v", got, want)
		}
		f := csvRecord(rows[0], rows[1])
		if got, want := f["orderstate"], "Approved"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
	})

	t.Run("form XML", func(t *testing.T) {
		res := ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "SP-XML", "format", "3"))
		doc := parseXML(t, res.Body)
		if got, want := codesOf(find(t, doc, "/result")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		checkOrder(t, find(t, doc, "/result/order"), reflect.TypeFor[silentpay.Order]())
	})

	t.Run("form default is XML", func(t *testing.T) {
		res := ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "SP-DEF"))
		doc := parseXML(t, res.Body)
		if got, want := text(t, doc, "/result/order/ordernumber"), "SP-DEF"; got != want {
			t.Errorf("ordernumber = %q, want %q", got, want)
		}
	})

	t.Run("form SOAP", func(t *testing.T) {
		res := ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "SP-SOAP", "format", "4"))
		doc := parseXML(t, res.Body)
		if got, want := codesOf(find(t, doc, "//silentpayResponse")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})

	t.Run("form JSON", func(t *testing.T) {
		res := ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "SP-JSON", "format", "5"))
		if got, want := res.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		o := obj(t, decodeJSON(t, res.Body), "silentpay")
		checkJSONOrder(t, o, reflect.TypeFor[silentpay.Order]())
		if got, want := o["orderstate"], "Approved"; got != want {
			t.Errorf("orderstate = %v, want %v", got, want)
		}
		if got, want := obj(t, o, "customer")["ipaddress"], "127.0.0.1"; got != want {
			t.Errorf("customer.ipaddress = %v, want %v", got, want)
		}
	})

	t.Run("JSON body", func(t *testing.T) {
		res, v := ts.json(t, "/pay/silentpay.cfm", cardPay("700001", "SP-JB", "clientip", "10.1.2.3"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		o := obj(t, v, "silentpay")
		if got, want := obj(t, o, "customer")["ipaddress"], "10.1.2.3"; got != want {
			t.Errorf("customer.ipaddress = %v, want %v (the payer's clientip)", got, want)
		}
	})

	t.Run("required signature", func(t *testing.T) {
		p := cardPay("700002", "SP-SIG")
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p)
		if got, want := faultCodes(t, doc), "5/150"; got != want {
			t.Errorf("unsigned: codes = %s, want %s", got, want)
		}
		p["signature"] = ts.signRequest(t, "700002;SP-SIG;100.00;RUB")
		res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p)
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("signed: status = %d, want %d: %s", got, want, res.Body)
		}
		f := childMap(find(t, doc, "//silentpayResponse/order"))
		ts.verifySeal(t, "700002", replyX("700002", f), f["checkvalue"], f["signature"])
	})

	t.Run("md5 only", func(t *testing.T) {
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700003", "SP-MD5"))
		f := childMap(find(t, doc, "//silentpayResponse/order"))
		ts.verifySeal(t, "700003", replyX("700003", f), f["checkvalue"], f["signature"])
	})
}

func TestServer_Orderstate(t *testing.T) {
	ts := newTestServer(t)
	ts.pay(t, "700001", "OS-1", "cardnumber", "4000000000000002") // declined first attempt
	bill := ts.pay(t, "700001", "OS-1")
	req := creds("700001", "ordernumber", "OS-1")

	check := func(t *testing.T, orders []*etree.Element) {
		t.Helper()
		if got, want := len(orders), 2; got != want {
			t.Fatalf("orders = %d, want %d (every attempt)", got, want)
		}
		for _, o := range orders {
			checkOrder(t, o, reflect.TypeFor[orderstate.Order]())
			f := childMap(o)
			ts.verifySeal(t, "700001", orderX("700001", f), f["checkvalue"], f["signature"])
		}
		if got, want := childMap(orders[1])["billnumber"], bill; got != want {
			t.Errorf("last billnumber = %q, want %q", got, want)
		}
		if got, want := childMap(orders[0])["orderstate"], "Declined"; got != want {
			t.Errorf("first orderstate = %q, want %q", got, want)
		}
	}
	for name, post := range map[string]func() (response, *etree.Document){
		"SOAP 1.1": func() (response, *etree.Document) { return ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", req) },
		"SOAP 1.2": func() (response, *etree.Document) {
			return ts.soap12(t, "/orderstate/orderstate.cfm", "orderstate", req)
		},
	} {
		t.Run(name, func(t *testing.T) {
			res, doc := post()
			if got, want := res.Status, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
			}
			if got, want := codesOf(find(t, doc, "//orderstateResponse")), "0/0/2"; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
			check(t, find(t, doc, "//orderstateResponse").SelectElements("order"))
		})
	}
	t.Run("form XML", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/orderstate/orderstate.cfm", req.with("format", "3")).Body)
		if got, want := codesOf(find(t, doc, "/result")), "0/0/2"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if find(t, doc, "/result").SelectElement("orders") != nil {
			t.Errorf("orderstate's XML format has no orders wrapper")
		}
		check(t, find(t, doc, "/result").SelectElements("order"))
	})
	t.Run("form SOAP", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/orderstate/orderstate.cfm", req.with("format", "4")).Body)
		check(t, find(t, doc, "//orderstateResponse").SelectElements("order"))
	})
	t.Run("form CSV", func(t *testing.T) {
		rows := csvRows(t, ts.form(t, "/orderstate/orderstate.cfm", req.with("format", "1")).Body)
		if got, want := len(rows), 3; got != want {
			t.Fatalf("rows = %d, want %d", got, want)
		}
		if got, want := rows[0], wireFields(reflect.TypeFor[orderstate.Order]()); !reflect.DeepEqual(got, want) {
			t.Errorf("header\n got %v\nwant %v", got, want)
		}
		if got, want := csvRecord(rows[0], rows[2])["billnumber"], bill; got != want {
			t.Errorf("last billnumber = %q, want %q", got, want)
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		res, v := ts.json(t, "/orderstate/orderstate.cfm", req)
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
		o := obj(t, v, "orderstate")
		checkJSONOrder(t, o, reflect.TypeFor[orderstate.Order]())
		if got, want := o["billnumber"], bill; got != want {
			t.Errorf("billnumber = %v, want %v (the last attempt)", got, want)
		}
		cd := obj(t, o, "checkdata")
		for _, k := range []string{"packetdate", "signature", "checkvalue"} {
			if got, want := cd[k], o[k]; got != want {
				t.Errorf("checkdata.%s = %v, want %v", k, got, want)
			}
		}
		cust := obj(t, o, "customer")
		for k, want := range map[string]string{"firstname": "Ivan", "lastname": "Ivanov", "middlename": "Petrovich",
			"email": "ivan@example.com", "ipaddress": "127.0.0.1"} {
			if got := cust[k]; got != want {
				t.Errorf("customer.%s = %v, want %v", k, got, want)
			}
		}
	})
	t.Run("GET", func(t *testing.T) {
		q := "?merchant_id=700001&login=demo_login&password=demo_password1&ordernumber=OS-1&format=1"
		res := ts.do(t, http.MethodGet, "/orderstate/orderstate.cfm"+q, "", "")
		if got, want := len(csvRows(t, res.Body)), 3; got != want {
			t.Errorf("rows = %d, want %d: %s", got, want, res.Body)
		}
	})
	t.Run("unknown ordernumber", func(t *testing.T) {
		_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", creds("700001", "ordernumber", "nope"))
		if got, want := faultCodes(t, doc), "10/201"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("another merchant's order", func(t *testing.T) {
		_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", creds("700003", "ordernumber", "OS-1"))
		if got, want := faultCodes(t, doc), "10/201"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("bad date window", func(t *testing.T) {
		_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", req.with("startyear", "x"))
		if got, want := faultCodes(t, doc), "5/110"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("a day its month lacks", func(t *testing.T) {
		_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate",
			req.with("startyear", "2026").with("startmonth", "4").with("startday", "31"))
		if got, want := faultCodes(t, doc), "5/110"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if !strings.Contains(doc.Root().FindElement("//faultstring").Text(), "startday") {
			t.Errorf("the fault does not name startday")
		}
	})
}

func TestServer_Orderresult(t *testing.T) {
	ts := newTestServer(t)
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "OR-1", "delay", "1"))
	if res.Status != 200 {
		t.Fatal(res.Body)
	}
	payment := childMap(find(t, doc, "//silentpayResponse/order"))
	bill := strings.TrimSuffix(payment["billnumber"], ".1")
	if _, doc := ts.soap(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", bill, "amount", "40.00", "currency", "RUB")); codesOf(find(t, doc, "//chargeResponse")) != "0/0/1" {
		t.Fatal("partial charge failed")
	}
	req := creds("700001", "ordernumber", "OR-1")

	t.Run("SOAP", func(t *testing.T) {
		res, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", req)
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if find(t, doc, "//orderresultResponse").SelectAttr("firstcode") != nil {
			t.Errorf("orderresultResponse carries the codes; its inner orderresult should")
		}
		if got, want := codesOf(find(t, doc, "//orderresultResponse/orderresult")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		order := find(t, doc, "//orderresultResponse/orderresult/order")
		checkOrder(t, order, reflect.TypeFor[orderresult.Order]())
		f := childMap(order)
		if got, want := f["orderstate"], "PartialDelayed"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
		ts.verifySeal(t, "700001", orderX("700001", f), f["checkvalue"], f["signature"])
		ops := order.SelectElements("operation")
		if got, want := len(ops), 2; got != want {
			t.Fatalf("operations = %d, want %d", got, want)
		}
		for i, want := range []struct{ bill, typ, amount string }{{bill + ".1", "100", "100.00"}, {bill + ".2", "200", "40.00"}} {
			checkOrder(t, ops[i], reflect.TypeFor[orderresult.Operation]())
			of := childMap(ops[i])
			if of["billnumber"] != want.bill || of["operationtype"] != want.typ || of["amount"] != want.amount || of["operationstate"] != "Success" {
				t.Errorf("operation %d = %v, want %+v", i, of, want)
			}
			// One wire mapping: the same issuer in orderresult and in the payment's answer.
			if got, want := of["issuebank"], payment["issuebank"]; got != want || got == "" {
				t.Errorf("operation %d issuebank = %q, silentpay said %q", i, got, want)
			}
			if got, want := of["bankcountry"], payment["bankcountry"]; got != want || got == "" {
				t.Errorf("operation %d bankcountry = %q, silentpay said %q", i, got, want)
			}
		}
	})
	t.Run("by billnumber", func(t *testing.T) {
		_, doc := ts.soap12(t, "/orderresult/orderresult.cfm", "orderresult", creds("700001", "billnumber", bill))
		if got, want := text(t, doc, "//orderresult/order/ordernumber"), "OR-1"; got != want {
			t.Errorf("ordernumber = %q, want %q", got, want)
		}
	})
	t.Run("form XML", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/orderresult/orderresult.cfm", req.with("format", "3")).Body)
		if got, want := codesOf(find(t, doc, "/result")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if got, want := len(find(t, doc, "/result/order").SelectElements("operation")), 2; got != want {
			t.Errorf("operations = %d, want %d", got, want)
		}
	})
	t.Run("form CSV", func(t *testing.T) {
		rows := csvRows(t, ts.form(t, "/orderresult/orderresult.cfm", req.with("format", "1")).Body)
		if got, want := rows[0], wireFields(reflect.TypeFor[orderresult.Order]()); !reflect.DeepEqual(got, want) {
			t.Errorf("header\n got %v\nwant %v", got, want)
		}
		if got, want := len(rows), 2; got != want {
			t.Errorf("rows = %d, want %d", got, want)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		for name, get := range map[string]func() any{
			"form": func() any {
				return decodeJSON(t, ts.form(t, "/orderresult/orderresult.cfm", req.with("format", "5")).Body)
			},
			"body": func() any { _, v := ts.json(t, "/orderresult/orderresult.cfm", req); return v },
		} {
			v := get()
			orders, ok := obj(t, v, "orderresult")["orders"].([]any)
			if !ok || len(orders) != 1 {
				t.Fatalf("%s: orders = %v", name, obj(t, v, "orderresult")["orders"])
			}
			o := orders[0].(map[string]any)
			checkJSONOrder(t, o, reflect.TypeFor[orderresult.Order]())
			ops, ok := o["operations"].([]any)
			if !ok || len(ops) != 2 {
				t.Fatalf("%s: operations = %v", name, o["operations"])
			}
			op := ops[0].(map[string]any)
			checkJSONKeys(t, op, reflect.TypeFor[orderresult.Operation]())
			if got, want := op["issuebank"], payment["issuebank"]; got != want {
				t.Errorf("%s: operations[0].issuebank = %v, want %v", name, got, want)
			}
			if _, ok := op["checkdata"]; ok {
				t.Errorf("%s: an operation has no checkdata", name)
			}
		}
	})
	t.Run("all orders of the window", func(t *testing.T) {
		ts.pay(t, "700001", "OR-2")
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", creds("700001"))
		if got, want := codesOf(find(t, doc, "//orderresult")), "0/0/2"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}
