package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/signer"
)

func TestOrderCFM_RefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for name, tc := range map[string]struct{ query, code string }{
		"no merchant":         {"OrderNumber=e1&OrderAmount=1", "5/100"},
		"malformed merchant":  {"Merchant_ID=70x&OrderNumber=e1&OrderAmount=1", "5/100"},
		"unknown merchant":    {"Merchant_ID=799999&OrderNumber=e1&OrderAmount=1", "10/100"},
		"bad amount":          {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1.234", "5/108"},
		"no ordernumber":      {"Merchant_ID=700001&OrderAmount=1", "5/107"},
		"bad currency":        {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&OrderCurrency=XXX", "5/109"},
		"relative return":     {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&URL_RETURN_OK=/ok", "5/110"},
		"script return":       {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&URL_RETURN_NO=javascript:alert(1)", "5/110"},
		"unlisted host":       {"Merchant_ID=700002&OrderNumber=e1&OrderAmount=1&URL_RETURN=https://evil.example/&Signature=" + url.QueryEscape(sign(t, e, "700002;e1;1")), "5/110"},
		"bad delay":           {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&Delay=2", "5/110"},
		"signature needed":    {"Merchant_ID=700002&OrderNumber=e1&OrderAmount=1", "5/150"},
		"signature wrong":     {"Merchant_ID=700002&OrderNumber=e1&OrderAmount=2&Signature=" + url.QueryEscape(sign(t, e, "700002;e1;1")), "5/150"},
		"bad checkvalue":      {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&CheckValue=00", "5/158"},
		"names any case, bad": {"merchant_id=700001&ORDERNUMBER=e1&orderAmount=-5", "5/108"},
	} {
		t.Run(name, func(t *testing.T) {
			res := b.get("/pay/order.cfm?" + tc.query)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", res.Status, res.Body)
			}
			if got := innerText(t, res.Body, "error"); !strings.Contains(got, tc.code) || len(got) <= len(tc.code)+12 {
				t.Fatalf("#error = %q, want %s beside an explanation", got, tc.code)
			}
			checkHeaders(t, res, true)
			if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	t.Run("nothing written", func(t *testing.T) {
		for _, m := range []*gateway.Merchant{e.demo, e.signed} {
			if orders, err := e.pages.ListOrders(context.Background(), m, gateway.OrderQuery{}); err != nil || len(orders) != 0 {
				t.Fatalf("%s: %d orders after refused requests (%v)", m.ID, len(orders), err)
			}
		}
	})
	t.Run("English", func(t *testing.T) {
		res := b.get("/pay/order.cfm?Merchant_ID=700001&OrderNumber=e1&OrderAmount=x&Language=en")
		if !strings.Contains(res.Body, `<html lang="en">`) || !strings.Contains(innerText(t, res.Body, "error"), "The order amount is missing or not valid") {
			t.Fatalf("English error page:\n%s", res.Body)
		}
	})
	t.Run("method", func(t *testing.T) {
		res := b.do("PUT", "/pay/order.cfm?Merchant_ID=700001", "", nil)
		if res.Status != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST" {
			t.Fatalf("PUT: %d Allow=%q", res.Status, res.Header.Get("Allow"))
		}
	})
	t.Run("unreadable form", func(t *testing.T) {
		res := b.do("POST", "/pay/order.cfm", "application/x-www-form-urlencoded", strings.NewReader("Merchant_ID=%zz"))
		if res.Status != http.StatusBadRequest || !strings.Contains(innerText(t, res.Body, "error"), "1/1") {
			t.Fatalf("bad form: %d\n%s", res.Status, res.Body)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		big := "Merchant_ID=700001&OrderNumber=big&OrderAmount=1&OrderComment=" + strings.Repeat("x", 70<<10)
		res := b.do("POST", "/pay/order.cfm", "application/x-www-form-urlencoded", strings.NewReader(big))
		if res.Status != http.StatusBadRequest {
			t.Fatalf("oversized form: %d", res.Status)
		}
	})
}

// sign signs X as the signature-required merchant does (PKCS#1 v1.5 over MD5, BASE64).
func sign(t testing.TB, e *testEnv, x string) string {
	t.Helper()
	s, err := e.key.Sign(x)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrderCFM_CreatesThePage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	path := b.open("OrderNumber", "web-1", "OrderComment", "Два слона & <b>", "Lastname", "Ivanov", "Email", "i@example.com")
	if len(strings.TrimPrefix(path, "/pay/order/")) < 32 {
		t.Fatalf("page URL %q is guessable", path)
	}
	form := b.get(path)
	if form.Status != 200 {
		t.Fatalf("page: %d", form.Status)
	}
	checkHeaders(t, form, true)
	for id, want := range map[string]string{"merchant": "Demo Shop", "ordernumber": "web-1", "ordercomment": "Два слона &amp; &lt;b&gt;"} {
		if got := textOf(t, form.Body, id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if got := textOf(t, form.Body, "amount"); got != "100,00\u00a0₽" {
		t.Errorf("#amount = %q", got)
	}
	for _, name := range []string{"CardNumber", "ExpireMonth", "ExpireYear", "CVC2", "Cardholder"} {
		if input(form.Body, name) == "" || !strings.Contains(form.Body, `<label for="`+name+`"`) {
			t.Errorf("no labelled input %s", name)
		}
	}
	if !strings.Contains(input(form.Body, "token"), `type="hidden"`) || inputValue(t, form.Body, "token") == "" {
		t.Error("no hidden form token")
	}
	if !hasID(form.Body, "pay") || !strings.Contains(form.Body, `<script src="/assets/pay.js" defer></script>`) {
		t.Error("no #pay button or the same-origin hint script")
	}
	if !strings.Contains(tag(form.Body, "CVC2"), `type="password"`) {
		t.Error("the CVC input is not masked")
	}
	bill := textOf(t, form.Body, "billnumber")
	d := e.order(t, e.demo, "web-1")
	if d.Order.State != gateway.StateInProcess || d.Order.BillNumber != bill || d.Order.Customer.LastName != "Ivanov" ||
		d.Order.Customer.IPAddress != "127.0.0.1" || d.Order.Customer.Email != "i@example.com" {
		t.Fatalf("order %+v", d.Order)
	}

	t.Run("same ordernumber, same browser", func(t *testing.T) {
		if again := b.open("OrderNumber", "web-1"); again != path {
			t.Fatalf("again: %s, want %s", again, path)
		}
	})
	t.Run("same ordernumber, other amount", func(t *testing.T) {
		res := b.post("/pay/order.cfm", url.Values{"Merchant_ID": {demoID}, "OrderNumber": {"web-1"}, "OrderAmount": {"99.00"}})
		if res.Status != 400 || !strings.Contains(innerText(t, res.Body, "error"), "10/204") {
			t.Fatalf("other amount: %d %s", res.Status, res.Body)
		}
	})
	t.Run("GET with query", func(t *testing.T) {
		res := b.get("/pay/order.cfm?Merchant_ID=700001&OrderNumber=web-get&OrderAmount=5&Language=EN")
		if res.Status != http.StatusSeeOther {
			t.Fatalf("GET: %d", res.Status)
		}
		p := b.get(res.Location())
		if !strings.Contains(p.Body, `<html lang="en">`) || textOf(t, p.Body, "amount") != "5.00\u00a0RUB" {
			t.Fatalf("English page:\n%s", p.Body)
		}
	})
	t.Run("multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{"Merchant_ID": demoID, "OrderNumber": "web-mp", "OrderAmount": "7.50"} {
			mw.WriteField(k, v)
		}
		mw.Close()
		res := b.do("POST", "/pay/order.cfm", mw.FormDataContentType(), &buf)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("multipart: %d %s", res.Status, res.Body)
		}
	})
	t.Run("checkvalue", func(t *testing.T) {
		cv := signer.Checkvalue("demo-secret", "700001;web-cv;10.00;RUB")
		res := b.post("/pay/order.cfm", url.Values{"Merchant_ID": {demoID}, "OrderNumber": {"web-cv"}, "OrderAmount": {"10.00"},
			"OrderCurrency": {"RUB"}, "CheckValue": {cv}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("checkvalue: %d %s", res.Status, res.Body)
		}
	})
	t.Run("signed request", func(t *testing.T) {
		res := b.post("/pay/order.cfm", url.Values{"Merchant_ID": {signedID}, "OrderNumber": {"sig-1"}, "OrderAmount": {"10.00"},
			"OrderCurrency": {"RUB"}, "Signature": {sign(t, e, "700002;sig-1;10.00;RUB")}, "URL_RETURN": {"https://shop.example/r"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("signed: %d %s", res.Status, res.Body)
		}
		if got := textOf(t, b.get(res.Location()).Body, "merchant"); got != "Other Shop" {
			t.Fatalf("#merchant = %q", got)
		}
	})
}

// docs/protocol.md#10-browser-pages, step 2: the same ordernumber leads back to the page only for the
// browser that created it or a signed request; anyone else gets 10/204.
func TestOrderCFM_SameOrderNumberFromAnotherBrowser(t *testing.T) {
	e := newEnv(t)
	path := e.browser().open("OrderNumber", "mine")
	res := e.browser().post("/pay/order.cfm", url.Values{"Merchant_ID": {demoID}, "OrderNumber": {"mine"}, "OrderAmount": {"100.00"}, "OrderCurrency": {"RUB"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(innerText(t, res.Body, "error"), "10/204") || strings.Contains(res.Body, path) {
		t.Fatalf("another browser: %d %q\n%s", res.Status, res.Location(), res.Body)
	}
}

func TestPayPage_SubmitCard(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	path := b.open("OrderNumber", "web-1", "URL_RETURN_OK", "https://shop.example/ok?cart=7", "URL_RETURN_NO", "https://shop.example/no")

	t.Run("card error", func(t *testing.T) {
		res := b.pay(path, "4111111111111111", "ExpireMonth", "13", "CVC2", "987", "Cardholder", "PETR PETROV")
		if res.Status != http.StatusBadRequest || !hasID(res.Body, "card-error") {
			t.Fatalf("card error: %d\n%s", res.Status, res.Body)
		}
		checkHeaders(t, res, true)
		if echoes(res.Body, "4111111111111111") || echoes(res.Body, "987") || strings.Contains(input(res.Body, "CVC2"), "value=") ||
			strings.Contains(input(res.Body, "CardNumber"), "value=") {
			t.Fatalf("the card number or CVC was echoed\n%s", res.Body)
		}
		if inputValue(t, res.Body, "ExpireMonth") != "13" || inputValue(t, res.Body, "Cardholder") != "PETR PETROV" {
			t.Fatal("month and holder are kept for the customer to correct")
		}
		if d := e.order(t, e.demo, "web-1"); d.Order.State != gateway.StateInProcess || d.Order.Card.Bin != "" || len(d.Ops) != 1 || d.Ops[0].State != gateway.OpInProcess {
			t.Fatalf("a card error changed the order: %s, card %+v, %d operations", d.Order.State, d.Order.Card, len(d.Ops))
		}
	})

	var loc string
	t.Run("approved goes back to the shop", func(t *testing.T) {
		res := b.pay(path, "4111 1111 1111 1111")
		loc = res.Location()
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://shop.example/ok?cart=7&") {
			t.Fatalf("paid: %d %q", res.Status, loc)
		}
		u, _ := url.Parse(loc)
		d := e.order(t, e.demo, "web-1")
		if u.Query().Get("ordernumber") != "web-1" || u.Query().Get("billnumber") != d.Order.BillNumber {
			t.Fatalf("return URL %s, billnumber %s", loc, d.Order.BillNumber)
		}
		if d.Order.State != gateway.StateApproved || len(d.Ops) != 1 || d.Order.Card.Masked() != "411111******1111" {
			t.Fatalf("order %s, %d operations, card %s", d.Order.State, len(d.Ops), d.Order.Card.Masked())
		}
	})
	t.Run("double submit and reload", func(t *testing.T) {
		again := b.post(path, url.Values{"token": {"stale"}, "CardNumber": {"4111111111111111"}, "ExpireMonth": {"12"}, "ExpireYear": {"2030"}, "CVC2": {"123"}})
		if again.Status != http.StatusSeeOther || again.Location() != loc {
			t.Fatalf("second submit: %d %q", again.Status, again.Location())
		}
		if reload := b.get(path); reload.Status != http.StatusSeeOther || reload.Location() != loc {
			t.Fatalf("reload: %d %q", reload.Status, reload.Location())
		}
		if d := e.order(t, e.demo, "web-1"); len(d.Ops) != 1 {
			t.Fatalf("%d operations after a double submit", len(d.Ops))
		}
	})
	t.Run("declined without return URLs shows the result", func(t *testing.T) {
		p := b.open("OrderNumber", "web-2", "Language", "EN")
		res := b.pay(p, "4000000000000002")
		if res.Status != http.StatusSeeOther || res.Location() != p {
			t.Fatalf("declined: %d %q", res.Status, res.Location())
		}
		result := b.get(p)
		checkHeaders(t, result, true)
		if got := stateOf(t, result.Body, "orderstate"); got != "Declined" {
			t.Fatalf("#orderstate = %q", got)
		}
		if got := textOf(t, result.Body, "message"); !strings.Contains(got, "declined") {
			t.Fatalf("#message = %q", got)
		}
	})
	t.Run("URL_RETURN stands in for URL_RETURN_NO", func(t *testing.T) {
		p := b.open("OrderNumber", "web-3", "URL_RETURN", "http://shop.example/back")
		if loc := b.pay(p, "4000000000009995").Location(); !strings.HasPrefix(loc, "http://shop.example/back?ordernumber=web-3&billnumber=") {
			t.Fatalf("URL_RETURN: %q", loc)
		}
	})
	t.Run("two-stage stays Delayed", func(t *testing.T) {
		p := b.open("OrderNumber", "web-4", "Delay", "1")
		b.pay(p, "5555555555554444")
		if d := e.order(t, e.demo, "web-4"); d.Order.State != gateway.StateDelayed {
			t.Fatalf("Delay=1: %s", d.Order.State)
		}
		if got := stateOf(t, b.get(p).Body, "orderstate"); got != "Delayed" {
			t.Fatalf("#orderstate = %q", got)
		}
	})
	t.Run("card data never logged", func(t *testing.T) {
		logs := e.logs.String()
		if !strings.Contains(logs, "billnumber=") {
			t.Fatalf("nothing was logged:\n%s", logs)
		}
		for _, secret := range []string{"4111111111111111", "4111 1111 1111 1111", "5555555555554444", "987", "CVC"} {
			if echoes(logs, secret) {
				t.Errorf("the log holds %q:\n%s", secret, logs)
			}
		}
	})
	t.Run("unreadable submit", func(t *testing.T) {
		p := b.open("OrderNumber", "web-5")
		res := b.do("POST", p, "application/x-www-form-urlencoded", strings.NewReader("token=%zz"))
		if res.Status != http.StatusSeeOther || res.Location() != p {
			t.Fatalf("bad form: %d %q", res.Status, res.Location())
		}
		if d := e.order(t, e.demo, "web-5"); d.Order.State != gateway.StateInProcess {
			t.Fatalf("state %s", d.Order.State)
		}
	})
}

func TestPayPage_ThreeDSecure(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, tc := range []struct {
		num, code string
		state     gateway.State
		response  string
	}{{"3ds-ok", "1234", gateway.StateApproved, "AS000"}, {"3ds-bad", "0000", gateway.StateDeclined, "AS100"}} {
		t.Run(tc.num, func(t *testing.T) {
			p := b.open("OrderNumber", tc.num)
			if res := b.pay(p, "4000000000003063"); res.Status != http.StatusSeeOther || res.Location() != p {
				t.Fatalf("3-D Secure card: %d %q", res.Status, res.Location())
			}
			issuer := b.get(p)
			checkHeaders(t, issuer, true)
			if input(issuer.Body, "code") == "" || !hasID(issuer.Body, "confirm") || !strings.Contains(issuer.Body, `action="`+p+`/3ds"`) {
				t.Fatalf("issuer page:\n%s", issuer.Body)
			}
			if !strings.Contains(issuer.Body, "•••• 3063<") || echoes(issuer.Body, "4000000000003063") {
				t.Fatal("the issuer page shows the card's last four digits only")
			}
			if d := e.order(t, e.demo, tc.num); d.Order.State != gateway.StateInProcess {
				t.Fatalf("before the code: %s", d.Order.State)
			}
			tok := inputValue(t, issuer.Body, "token")
			res := b.post(p+"/3ds", url.Values{"token": {tok}, "code": {tc.code}})
			if res.Status != http.StatusSeeOther || res.Location() != p {
				t.Fatalf("code: %d %q", res.Status, res.Location())
			}
			d := e.order(t, e.demo, tc.num)
			if d.Order.State != tc.state || d.Ops[0].ResponseCode != tc.response {
				t.Fatalf("%s: %s %s", tc.num, d.Order.State, d.Ops[0].ResponseCode)
			}
			if got := stateOf(t, b.get(p).Body, "orderstate"); got != string(tc.state) {
				t.Fatalf("#orderstate = %q", got)
			}
			// The code again (back button): the same result, nothing new.
			if res := b.post(p+"/3ds", url.Values{"token": {tok}, "code": {"1234"}}); res.Location() != p {
				t.Fatalf("second code: %d %q", res.Status, res.Location())
			}
			if again := e.order(t, e.demo, tc.num); again.Order.State != tc.state || len(again.Ops) != 1 {
				t.Fatalf("after a second code: %s, %d operations", again.Order.State, len(again.Ops))
			}
		})
	}
	t.Run("unreadable code form", func(t *testing.T) {
		p := b.open("OrderNumber", "3ds-form")
		b.pay(p, "4000000000003063")
		res := b.do("POST", p+"/3ds", "application/x-www-form-urlencoded", strings.NewReader("code=%zz"))
		if res.Status != http.StatusSeeOther || res.Location() != p {
			t.Fatalf("bad form: %d %q", res.Status, res.Location())
		}
	})
}

func TestPayPage_Expired(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.open("OrderNumber", "ttl-1")
	e.clock.Advance(ttl + time.Minute)
	// Not yet swept: shown as it will be.
	res := b.get(p)
	if res.Status != 200 || stateOf(t, res.Body, "orderstate") != "Timeout" || input(res.Body, "CardNumber") != "" {
		t.Fatalf("expired page: %d\n%s", res.Status, res.Body)
	}
	b.post(p, url.Values{"token": {"x"}, "CardNumber": {"4111111111111111"}, "ExpireMonth": {"12"}, "ExpireYear": {"2030"}, "CVC2": {"123"}})
	if err := e.pages.RunDue(context.Background(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if d := e.order(t, e.demo, "ttl-1"); d.Order.State != gateway.StateTimeout || len(d.Ops) > 0 && d.Ops[0].State == gateway.OpSuccess {
		t.Fatalf("after the TTL: %s", d.Order.State)
	}
	if got := stateOf(t, b.get(p).Body, "orderstate"); got != "Timeout" {
		t.Fatalf("#orderstate = %q", got)
	}
	// The ordernumber is free again.
	if again := b.open("OrderNumber", "ttl-1"); again == p {
		t.Fatal("a timed-out page came back")
	}
}

func TestPayPage_NotFound(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, r := range []struct{ method, path string }{
		{"GET", "/pay/order/nope"}, {"POST", "/pay/order/nope"}, {"POST", "/pay/order/nope/3ds"}, {"GET", "/pay/order/a/b"},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			var res page
			if r.method == "GET" {
				res = b.get(r.path)
			} else {
				res = b.post(r.path, url.Values{"token": {"x"}, "code": {"1234"}, "CardNumber": {"4111111111111111"},
					"ExpireMonth": {"12"}, "ExpireYear": {"2030"}, "CVC2": {"123"}})
			}
			if res.Status != http.StatusNotFound || !hasID(res.Body, "error") {
				t.Fatalf("%d\n%s", res.Status, res.Body)
			}
			checkHeaders(t, res, true)
		})
	}
}

func TestAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	for _, name := range []string{"style.css", "pay.js", "favicon.svg"} {
		res := b.get("/assets/" + name)
		if res.Status != 200 || res.Body == "" || res.Header.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("%s: %d %q", name, res.Status, res.Header.Get("Cache-Control"))
		}
		checkHeaders(t, res, false)
	}
	if res := b.get("/assets/nope.js"); res.Status != 404 {
		t.Errorf("missing asset: %d", res.Status)
	}
}
