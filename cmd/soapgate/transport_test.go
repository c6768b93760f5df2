package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestForm_FormatsAndCaseInsensitiveNames(t *testing.T) {
	ts := startServer(t)
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "f-1", "delay", "1"))
	p := map[string]string{"Merchant_ID": "700001", "Login": "demo_login", "PASSWORD": "demo_password1", "OrderNumber": "f-1",
		"Language": "RU", "CardPayment": "1"} // unused parameters are ignored
	for _, tc := range []struct {
		format, ctype string
		want          []string
	}{
		{"", "text/xml", []string{`<result firstcode="0" secondcode="0" count="1"><order><ordernumber>f-1</ordernumber>`, "<orderstate>Delayed</orderstate>"}},
		{"3", "text/xml", []string{`<result firstcode="0"`}},
		{"1", "text/csv", []string{"ordernumber;billnumber;orderamount;ordercurrency;orderstate;packetdate;signature;checkvalue\nf-1;", ";100.00;RUB;Delayed;"}},
		{"4", "text/xml", []string{`<ws:orderstateResponse xmlns:ws="http://www.paysecure.ru/ws/" firstcode="0" secondcode="0" count="1">`}},
		{"5", "application/json", []string{`{"orderstate":{"ordernumber":"f-1",`, `"orderstate":"Delayed"`, `"checkdata":{"packetdate":`, `"customer":{"firstname":"Ivan"`}},
	} {
		q := map[string]string{"Format": tc.format}
		for k, v := range p {
			q[k] = v
		}
		res := ts.form(t, "/orderstate/orderstate.cfm", q)
		if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("Format=%s: %d %s", tc.format, res.Status, res.Header.Get("Content-Type"))
		}
		for _, w := range tc.want {
			if !strings.Contains(res.Body, w) {
				t.Errorf("Format=%s: missing %q in\n%s", tc.format, w, res.Body)
			}
		}
	}

	// Errors of form posts: HTTP 200 with the codes in the wrapper (XML, CSV, SOAP) ...
	bad := map[string]string{"Merchant_ID": "700001", "Login": "demo_login", "Password": "nope", "OrderNumber": "f-1"}
	for format, want := range map[string]string{
		"3": `<result firstcode="10" secondcode="100" count="0"></result>`,
		"1": "10;100\n",
		"4": `firstcode="10" secondcode="100" count="0">`,
	} {
		bad["Format"] = format
		if res := ts.form(t, "/orderstate/orderstate.cfm", bad); res.Status != 200 || !strings.Contains(res.Body, want) {
			t.Errorf("error as Format=%s: %d %s", format, res.Status, res.Body)
		}
	}
	// ... and JSON faults with 401 for 10/100, 400 for the rest.
	bad["Format"] = "5"
	if res := ts.form(t, "/orderstate/orderstate.cfm", bad); res.Status != 401 || res.Body != `{"fault":{"faultcode":10,"faultstring":100,"detail":"authentication failed"}}` {
		t.Errorf("JSON auth error: %d %s", res.Status, res.Body)
	}
	bad["Format"] = "2"
	if res := ts.form(t, "/orderstate/orderstate.cfm", bad); res.Status != 200 || !strings.Contains(res.Body, `firstcode="5" secondcode="110"`) {
		t.Errorf("WDDX: %d %s", res.Status, res.Body)
	}
}

func TestJSON_BodyAndShapes(t *testing.T) {
	ts := startServer(t)
	p := card("ordernumber", "j-1", "delay", "1", "OrderAmount", "12,5")
	delete(p, "orderamount")
	res, out := ts.json(t, "/pay/silentpay.cfm", p)
	sp, ok := out["silentpay"].(map[string]any)
	if res.Status != 200 || !ok || sp["orderstate"] != "Delayed" || sp["amount"] != "12.50" || sp["rate"] != "1" || sp["testmode"] != "1" {
		t.Fatalf("silentpay JSON: %d %s", res.Status, res.Body)
	}
	bill := strings.TrimSuffix(sp["billnumber"].(string), ".1")
	_, out = ts.json(t, "/charge/charge.cfm", with("billnumber", bill))
	if c, _ := out["charge"].(map[string]any); c["orderstate"] != "Approved" {
		t.Fatalf("charge JSON: %v", out)
	}
	_, out = ts.json(t, "/cancel/wscancel.cfm", with("billnumber", bill, "amount", "2.50", "currency", "RUB"))
	wc, _ := out["wscancel"].(map[string]any)
	if o, _ := wc["order"].(map[string]any); o["orderstate"] != "PartialCanceled" || wc["checkdata"] != nil {
		t.Fatalf("wscancel JSON: %v", out)
	}
	_, out = ts.json(t, "/orderresult/orderresult.cfm", with("billnumber", bill))
	orders := out["orderresult"].(map[string]any)["orders"].([]any)
	ops := orders[0].(map[string]any)["operations"].([]any)
	if len(ops) != 3 || ops[2].(map[string]any)["operationtype"] != "300" {
		t.Fatalf("orderresult JSON: %v", out)
	}
	res, out = ts.json(t, "/charge/charge.cfm", with("billnumber", bill, "amount", "x", "currency", "RUB"))
	if f, _ := out["fault"].(map[string]any); res.Status != 400 || f["faultcode"] != 5.0 || f["faultstring"] != 108.0 {
		t.Fatalf("JSON fault: %d %s", res.Status, res.Body)
	}
}

func TestSOAP12(t *testing.T) {
	ts := startServer(t)
	body := strings.Replace(envelope("orderstate", with("ordernumber", "none")), "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope", 1)
	res := ts.post(t, "/orderstate/orderstate.cfm", "application/soap+xml; charset=utf-8", body)
	if res.Status != 400 || !strings.Contains(res.Body, "<soap:Value>soap:Sender</soap:Value>") || !strings.Contains(res.Body, `firstcode="10" secondcode="201"`) ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/soap+xml") {
		t.Fatalf("SOAP 1.2 fault: %d %s", res.Status, res.Body)
	}
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "s12"))
	body = strings.Replace(envelope("orderstate", with("ordernumber", "s12")), "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope", 1)
	res = ts.post(t, "/orderstate/orderstate.cfm", "application/soap+xml", body)
	if res.Status != 200 || !strings.Contains(res.Body, `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">`) || !strings.Contains(res.Body, "Approved") {
		t.Fatalf("SOAP 1.2: %d %s", res.Status, res.Body)
	}
}

func TestHostileInput(t *testing.T) {
	ts := startServer(t)
	env := func(inner string) string {
		return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + inner + `</soap:Body></soap:Envelope>`
	}
	orderstate := `<ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>x</ordernumber></ws:orderstate>`
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	for name, body := range map[string]string{
		"not well-formed":  env(`<ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>700001</ws:orderstate>`),
		"DTD":              `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY x "y">]>` + env(orderstate),
		"billion laughs":   `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` + env(strings.Replace(orderstate, ">x<", ">&lol2;<", 1)),
		"undefined entity": env(strings.Replace(orderstate, ">x<", ">&ext;<", 1)),
		"no envelope":      orderstate,
		"two bodies":       `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + orderstate + `</soap:Body><soap:Body/></soap:Envelope>`,
		"two children":     env(orderstate + orderstate),
		"empty body":       env(""),
		"unknown op":       env(`<ws:steal xmlns:ws="http://www.paysecure.ru/ws/"/>`),
		"too deep":         env(`<ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/">` + deep + `</ws:orderstate>`),
		"invalid UTF-8":    env(strings.Replace(orderstate, ">x<", ">\xff\xfe<", 1)),
		"latin1 charset":   `<?xml version="1.0" encoding="ISO-8859-1"?>` + env(orderstate),
		"processing instr": `<?evil x?>` + env(orderstate),
	} {
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", body)
		if res.Status != 500 || !strings.Contains(res.Body, `firstcode="1" secondcode="1"`) || !strings.Contains(res.Body, "<faultcode>soap:Client</faultcode>") {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	// A body over 1 MiB is refused with 413 and the connection closed.
	huge := env(strings.Replace(orderstate, ">x<", ">"+strings.Repeat("A", 2<<20)+"<", 1))
	res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", huge)
	if res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("huge body: %d", res.Status)
	}
	// Wrong types are parameter errors, not crashes.
	for body, want := range map[string]string{
		envelope("silentpay", card("ordernumber", "t-1", "orderamount", "ten")):      "5/108",
		envelope("silentpay", card("ordernumber", "t-1", "orderamount", "-1")):       "5/108",
		envelope("silentpay", card("ordernumber", "t-1", "ordercurrency", "XXX")):    "5/109",
		envelope("silentpay", card("ordernumber", "t-1", "cardnumber", "4111-1111")): "5/110",
		envelope("silentpay", card("ordernumber", "t-1", "expiremonth", "13")):       "5/110",
		envelope("silentpay", card("ordernumber", "t-1", "delay", "yes")):            "5/110",
		envelope("silentpay", card("ordernumber", strings.Repeat("n", 129))):         "5/107",
		envelope("orderresult", with("billnumber", "99999999999999999999999999")):    "5/143",
		envelope("charge", with("billnumber", "1234567890123456.x")):                 "5/143",
	} {
		res := ts.post(t, "/pay/silentpay.cfm", "text/xml", body)
		if strings.Contains(body, "orderresult") {
			res = ts.post(t, "/orderresult/orderresult.cfm", "text/xml", body)
		} else if strings.Contains(body, "ws:charge") {
			res = ts.post(t, "/charge/charge.cfm", "text/xml", body)
		}
		doc := parseXML(t, res.Body)
		if got := faultCodes(t, doc); got != want {
			t.Errorf("%s: got %s, want %s", body[150:220], got, want)
		}
	}
	// Malformed form and JSON bodies.
	if res := ts.post(t, "/orderstate/orderstate.cfm", "application/json", `{"merchant_id":`); res.Status != 400 || !strings.Contains(res.Body, `"faultcode":1,"faultstring":1`) {
		t.Errorf("bad JSON: %d %s", res.Status, res.Body)
	}
	if res := ts.post(t, "/orderstate/orderstate.cfm", "application/x-www-form-urlencoded", "a=%zz"); !strings.Contains(res.Body, `firstcode="1" secondcode="1"`) {
		t.Errorf("bad form: %d %s", res.Status, res.Body)
	}
	// Nothing was written by any of it, and the server still answers.
	res = ts.form(t, "/orderresult/orderresult.cfm", with("Format", "3"))
	if res.Status != 200 || !strings.Contains(res.Body, `count="0"`) {
		t.Fatalf("after hostile input: %d %s", res.Status, res.Body)
	}
}

func TestWSDLAndKeysAndHealth(t *testing.T) {
	ts := startServer(t)
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, p := range []string{"/orderstate/orderstate.cfm?wsdl", "/orderstate/orderstate.wsdl", "/cancel/wscancel.cfm?WSDL", "/pay/silentpay.wsdl", "/charge/charge.cfm?wsdl", "/orderresult/orderresult.wsdl"} {
		res, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		doc := etreeRead(t, res)
		addr := doc.FindElement("//service/port/address")
		if res.StatusCode != 200 || addr == nil || !strings.HasPrefix(addr.SelectAttrValue("location", ""), "http://"+host+"/") {
			t.Errorf("%s: %d address %v", p, res.StatusCode, addr)
		}
	}
	for _, p := range []string{"/healthz", "/keys/gateway.crt"} {
		res, err := http.Get(ts.URL + p)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, res, err)
		}
		res.Body.Close()
	}
}
