package main

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// webClient is a browser-like HTTP client: it keeps cookies and does not follow redirects.
type webClient struct {
	t    testing.TB
	base string
	c    *http.Client
}

func newWebClient(t testing.TB, ts *testServer) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: ts.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (w *webClient) do(method, path string, form url.Values) response {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = w.base + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := w.c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

func (w *webClient) get(path string) response { w.t.Helper(); return w.do("GET", path, nil) }
func (w *webClient) post(path string, form url.Values) response {
	w.t.Helper()
	return w.do("POST", path, form)
}

// order opens /pay/order.cfm and returns the page path it redirects to.
func (w *webClient) order(kv ...string) string {
	w.t.Helper()
	v := url.Values{"Merchant_ID": {"700001"}, "OrderAmount": {"100.00"}, "OrderCurrency": {"RUB"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	res := w.post("/pay/order.cfm", v)
	loc := res.Header.Get("Location")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/order/") {
		w.t.Fatalf("order.cfm: %d %q\n%s", res.Status, loc, res.Body)
	}
	return loc
}

var (
	reToken = regexp.MustCompile(`name="token" value="([^"]+)"`)
	reCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	reNonce = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
)

func match(t testing.TB, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in\n%s", re, body)
	}
	return m[1]
}

// pay submits the card form of a page and returns the answer.
func (w *webClient) pay(page, number string, kv ...string) response {
	w.t.Helper()
	form := w.get(page)
	v := url.Values{"token": {match(w.t, reToken, form.Body)}, "CardNumber": {number}, "ExpireMonth": {"12"},
		"ExpireYear": {"2030"}, "CVC2": {"123"}, "Cardholder": {"IVAN IVANOV"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return w.post(page, v)
}

func mustContain(t testing.TB, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("%s: no %q in\n%s", what, p, body)
		}
	}
}

// echoes reports whether s occurs in body as a value of its own (an attribute value, a text
// node, a query value), not inside a longer run of digits, letters, '-' or '_' such as a
// billnumber, a form token or a page id, which may contain any short digit string by chance.
func echoes(body, s string) bool {
	return regexp.MustCompile(`(^|[^0-9A-Za-z_-])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z_-])`).MatchString(body)
}

// webSign signs X as the merchant does (PKCS#1 v1.5 over MD5(X)), BASE64.
func webSign(t testing.TB, keyPath, x string) string {
	t.Helper()
	data, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key = k.(*rsa.PrivateKey)
	} else if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(x))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestPaymentPage_ErrorsAndHeaders(t *testing.T) {
	ts := startServer(t)
	w := newWebClient(t, ts)
	for name, tc := range map[string]struct {
		query, code string
	}{
		"no merchant":      {"OrderNumber=e1&OrderAmount=1", "5/100"},
		"unknown merchant": {"Merchant_ID=799999&OrderNumber=e1&OrderAmount=1", "10/100"},
		"bad amount":       {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1.234", "5/108"},
		"no ordernumber":   {"Merchant_ID=700001&OrderAmount=1", "5/107"},
		"bad currency":     {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&OrderCurrency=XXX", "5/109"},
		"relative return":  {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&URL_RETURN_OK=/ok", "5/110"},
		"ftp return":       {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&URL_RETURN=ftp://shop.example/", "5/110"},
		"bad delay":        {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&Delay=2", "5/110"},
		"signature needed": {"Merchant_ID=700002&OrderNumber=e1&OrderAmount=1", "5/150"},
		"bad checkvalue":   {"Merchant_ID=700001&OrderNumber=e1&OrderAmount=1&CheckValue=00", "5/158"},
	} {
		t.Run(name, func(t *testing.T) {
			res := w.get("/pay/order.cfm?" + tc.query)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", res.Status, res.Body)
			}
			mustContain(t, name, res.Body, `id="error"`, tc.code)
			checkPageHeaders(t, res, true)
		})
	}
	// English on request; nothing was written for any of them.
	res := w.get("/pay/order.cfm?Merchant_ID=700001&OrderNumber=e1&OrderAmount=x&Language=EN")
	mustContain(t, "EN", res.Body, `lang="en"`, "The order amount is missing or not valid")
	if _, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "e1")); faultCodes(t, doc) != "10/201" {
		t.Fatal("a refused payment-page request wrote an order")
	}
	// A signed request of the signature-required merchant passes.
	sig := webSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;sig-page;10.00;RUB")
	res = w.post("/pay/order.cfm", url.Values{"Merchant_ID": {"700002"}, "OrderNumber": {"sig-page"},
		"OrderAmount": {"10.00"}, "OrderCurrency": {"RUB"}, "Signature": {sig}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("signed order: %d %s", res.Status, res.Body)
	}
	// An unknown page is 404 with the same headers; static files carry the CSP too.
	res = w.get("/pay/order/nope")
	if res.Status != 404 {
		t.Fatalf("unknown page: %d", res.Status)
	}
	checkPageHeaders(t, res, true)
	res = w.get("/assets/style.css")
	if res.Status != 200 || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("style.css: %d %v", res.Status, res.Header)
	}
}

func checkPageHeaders(t testing.TB, res response, noStore bool) {
	t.Helper()
	if got := res.Header.Get("Content-Security-Policy"); got != "default-src 'self'; frame-ancestors 'none'" {
		t.Fatalf("Content-Security-Policy = %q", got)
	}
	if noStore && res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", res.Header.Get("Cache-Control"))
	}
}

func TestPaymentPage_PayOnceAndReturn(t *testing.T) {
	ts := startServer(t)
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "web-1", "URL_RETURN_OK", "https://shop.example/ok?cart=7", "URL_RETURN_NO", "https://shop.example/no")
	form := w.get(page)
	checkPageHeaders(t, form, true)
	mustContain(t, "card form", form.Body, "Demo Shop", "web-1", "100,00", `name="CardNumber"`, `name="ExpireMonth"`,
		`name="ExpireYear"`, `name="CVC2"`, `name="Cardholder"`, `type="hidden" name="token"`, `id="pay"`, `<label for="CardNumber"`)
	// The same ordernumber again, before any card, leads back to the same page.
	if again := w.order("OrderNumber", "web-1"); again != page {
		t.Fatalf("same ordernumber: %s, want %s", again, page)
	}
	if res := w.post("/pay/order.cfm", url.Values{"Merchant_ID": {"700001"}, "OrderNumber": {"web-1"}, "OrderAmount": {"99.00"}}); !strings.Contains(res.Body, "10/204") {
		t.Fatalf("other amount: %d %s", res.Status, res.Body)
	}
	// A card error shows the form again without echoing the number or the CVC.
	// (The page also holds a random billnumber, token and page id, so a bare substring
	// check of a short CVC would fail now and then: echoes looks for a whole value.)
	bad := w.pay(page, "4111111111111111", "ExpireMonth", "13", "CVC2", "987")
	if bad.Status != 400 || echoes(bad.Body, "4111111111111111") || echoes(bad.Body, "987") {
		t.Fatalf("card error: %d\n%s", bad.Status, bad.Body)
	}
	if cvc := regexp.MustCompile(`<input[^>]*name="CVC2"[^>]*>`).FindString(bad.Body); cvc == "" || strings.Contains(cvc, "value=") {
		t.Fatalf("CVC2 input after a card error: %q", cvc)
	}
	if month := regexp.MustCompile(`<input[^>]*name="ExpireMonth"[^>]*>`).FindString(bad.Body); !strings.Contains(month, `value="13"`) || !strings.Contains(bad.Body, `id="card-error"`) {
		t.Fatalf("card error: the expiry month is kept and the error shown\n%s", bad.Body)
	}
	tok := match(t, reToken, w.get(page).Body)
	v := url.Values{"token": {tok}, "CardNumber": {"4111 1111 1111 1111"}, "ExpireMonth": {"12"}, "ExpireYear": {"2030"}, "CVC2": {"123"}}
	first := w.post(page, v)
	loc := first.Header.Get("Location")
	if first.Status != 303 || !strings.HasPrefix(loc, "https://shop.example/ok?cart=7&") {
		t.Fatalf("paid: %d %q", first.Status, loc)
	}
	u, _ := url.Parse(loc)
	if u.Query().Get("ordernumber") != "web-1" || len(u.Query().Get("billnumber")) != 16 {
		t.Fatalf("return URL %s", loc)
	}
	// Double submit and reload: the first result again, one payment.
	if second := w.post(page, v); second.Header.Get("Location") != loc {
		t.Fatalf("second submit: %d %q", second.Status, second.Header.Get("Location"))
	}
	if reload := w.get(page); reload.Header.Get("Location") != loc {
		t.Fatalf("reload: %d %q", reload.Status, reload.Header.Get("Location"))
	}
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "web-1"))
	if n := len(doc.FindElements("//order")); n != 1 {
		t.Fatalf("%d orders", n)
	}
	if n := len(doc.FindElements("//order/operation")); n != 1 {
		t.Fatalf("%d operations", n)
	}
	if got := text(t, doc, "//order/orderstate"); got != "Approved" {
		t.Fatalf("orderstate %s", got)
	}
	if got := text(t, doc, "//operation/meannumber"); got != "411111******1111" {
		t.Fatalf("meannumber %s", got)
	}

	// Declined without return URLs: the result page shows the state.
	page = w.order("OrderNumber", "web-2", "Language", "EN")
	res := w.pay(page, "4000000000000002")
	if res.Status != 303 || res.Header.Get("Location") != page {
		t.Fatalf("declined: %d %q", res.Status, res.Header.Get("Location"))
	}
	result := w.get(page)
	mustContain(t, "result", result.Body, `id="orderstate"`, ">Declined<", "The bank declined the payment")
	checkPageHeaders(t, result, true)

	// URL_RETURN stands in for URL_RETURN_NO.
	page = w.order("OrderNumber", "web-3", "URL_RETURN", "http://shop.example/back")
	if loc := w.pay(page, "4000000000009995").Header.Get("Location"); !strings.HasPrefix(loc, "http://shop.example/back?ordernumber=web-3&billnumber=") {
		t.Fatalf("URL_RETURN: %q", loc)
	}
}

func TestPaymentPage_ThreeDSecureAndTwoStage(t *testing.T) {
	ts := startServer(t)
	w := newWebClient(t, ts)
	for _, tc := range []struct{ num, code, state string }{{"3ds-ok", "1234", "Approved"}, {"3ds-bad", "0000", "Declined"}} {
		page := w.order("OrderNumber", tc.num)
		if res := w.pay(page, "4000000000003063"); res.Header.Get("Location") != page {
			t.Fatalf("3-D Secure card: %d %q", res.Status, res.Header.Get("Location"))
		}
		issuer := w.get(page)
		mustContain(t, "issuer page", issuer.Body, `name="code"`, `id="confirm"`, "•••• 3063<")
		res := w.post(page+"/3ds", url.Values{"token": {match(t, reToken, issuer.Body)}, "code": {tc.code}})
		if res.Header.Get("Location") != page {
			t.Fatalf("code: %d %q", res.Status, res.Header.Get("Location"))
		}
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", tc.num))
		if got := text(t, doc, "//order/orderstate"); got != tc.state {
			t.Fatalf("%s: %s, want %s", tc.num, got, tc.state)
		}
		if tc.state == "Declined" && text(t, doc, "//operation/responsecode") != "AS100" {
			t.Fatal("a wrong code declines with AS100")
		}
	}
	page := w.order("OrderNumber", "two-stage", "Delay", "1")
	w.pay(page, "5555555555554444")
	_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "two-stage"))
	if got := text(t, doc, "//order/orderstate"); got != "Delayed" {
		t.Fatalf("Delay=1: %s", got)
	}
}

func TestPaymentPage_Timeout(t *testing.T) {
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	ts := startServer(t)
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "ttl-1")
	if code, _ := ts.admin(t, "POST", `{"advance":"25h"}`, "tok"); code != 200 {
		t.Fatal("clock")
	}
	_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "ttl-1", "startday", "1", "startmonth", "1", "startyear", "2000"))
	if got := text(t, doc, "//order/orderstate"); got != "Timeout" {
		t.Fatalf("after the TTL: %s", got)
	}
	if res := w.get(page); !strings.Contains(res.Body, `data-state="Timeout"`) {
		t.Fatalf("timed-out page: %d\n%s", res.Status, res.Body)
	}
	w.post(page, url.Values{"token": {"stale"}, "CardNumber": {"4111111111111111"}, "ExpireMonth": {"12"}, "ExpireYear": {"2030"}})
	if _, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "ttl-1", "startday", "1", "startmonth", "1", "startyear", "2000")); text(t, doc, "//order/orderstate") != "Timeout" {
		t.Fatal("a timed-out page took a card")
	}
	// The ordernumber is free again: a new page and a silentpay both work.
	if again := w.order("OrderNumber", "ttl-1"); again == page {
		t.Fatal("a timed-out page came back")
	}
	// The payment link answers its expiry.
	res, out := ts.json(t, "/pay/payrequest.cfm", with("ordernumber", "link-1", "orderamount", "5"))
	if res.Status != 200 || out["orderstate"] != "In Process" || !strings.HasPrefix(out["URL"].(string), ts.URL+"/pay/order/") {
		t.Fatalf("payrequest: %d %v", res.Status, out)
	}
	_, now := ts.admin(t, "GET", "", "tok")
	if !strings.Contains(out["expirationtime"].(string), ":") || out["expirationtime"] == now["now"] {
		t.Fatalf("expirationtime %v", out["expirationtime"])
	}
}

func TestPayRequest_FormJSONAndFaults(t *testing.T) {
	ts := startServer(t)
	res := ts.form(t, "/pay/payrequest.cfm", with("ordernumber", "link-f", "orderamount", "7,50", "url_return_ok", "https://shop.example/ok"))
	var out map[string]string
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil || res.Status != 200 {
		t.Fatalf("form: %d %s", res.Status, res.Body)
	}
	if !regexp.MustCompile(`^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$`).MatchString(out["expirationtime"]) || out["orderstate"] != "In Process" {
		t.Fatalf("answer %v", out)
	}
	// The link is the payment page.
	w := newWebClient(t, ts)
	if page := w.get(out["URL"]); !strings.Contains(page.Body, "7,50") {
		t.Fatalf("link page: %d", page.Status)
	}
	// An unpaid link does not hold its ordernumber against the merchant (a new link replaces
	// it); a paid order does.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "link-paid"))
	for name, tc := range map[string]struct {
		params map[string]string
		status int
		code   [2]float64
	}{
		"wrong password": {with("password", "nope", "ordernumber", "x", "orderamount", "1"), 401, [2]float64{10, 100}},
		"bad amount":     {with("ordernumber", "x", "orderamount", "-1"), 400, [2]float64{5, 108}},
		"taken":          {with("ordernumber", "link-paid", "orderamount", "1"), 400, [2]float64{10, 204}},
		"no login":       {map[string]string{"merchant_id": "700001", "ordernumber": "x", "orderamount": "1"}, 400, [2]float64{5, 101}},
	} {
		res, out := ts.json(t, "/pay/payrequest.cfm", tc.params)
		f, _ := out["fault"].(map[string]any)
		if res.Status != tc.status || f == nil || f["faultcode"] != tc.code[0] || f["faultstring"] != tc.code[1] {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
}

func TestPaymentPage_RecurringConsentAndSavedCard(t *testing.T) {
	ts := startRecurring(t) // mounts the saved-card services too
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "rec-page", "RecurringIndicator", "1", "RecurringMinAmount", "1.00",
		"RecurringMaxAmount", "500.00", "CustomerNumber", "cust-77", "URL_RETURN", "https://shop.example/r")
	// The payer ticks #remember-card: without it the card would not be saved.
	if res := w.pay(page, "4111111111111111", "remember", "1"); !strings.Contains(res.Header.Get("Location"), "ordernumber=rec-page") {
		t.Fatalf("pay: %d %q", res.Status, res.Header.Get("Location"))
	}
	loc, _ := url.Parse(w.get(page).Header.Get("Location"))
	bill := loc.Query().Get("billnumber")
	// The consent taken on the page lets the merchant charge again without the card.
	_, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", with("billnumber", bill, "ordernumber", "rec-page-2", "amount", "50.00", "currency", "RUB"))
	if got := text(t, doc, "//order/orderstate"); got != "Approved" {
		s, _ := doc.WriteToString()
		t.Fatalf("rp after a page payment: %s\n%s", got, s)
	}
	// And the card was saved for the customer.
	res := ts.post(t, "/pay/oneclick/v1/token.cfm", "application/json",
		`{"merchant":{"merchant_id":"700001","login":"demo_login","password":"demo_password1"},"customernumber":"cust-77"}`)
	if res.Status != 200 || !strings.Contains(res.Body, `"post":"1111"`) {
		t.Fatalf("saved card: %d %s", res.Status, res.Body)
	}
}
