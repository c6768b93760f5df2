package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/signer"
	"soapgate/store"
	"soapgate/web"
)

// fakeClock is a settable clock: the tests move it to expire pages.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testEnv is the web handler on a real gateway, with a SQLite file in t.TempDir(), served
// by an httptest server.
type testEnv struct {
	t      *testing.T
	srv    *httptest.Server
	h      *web.Handler
	g      *gateway.Gateway
	pages  *gateway.Pages
	clock  *fakeClock
	demo   *gateway.Merchant // request_signature optional, checkvalue secret
	signed *gateway.Merchant // request_signature required (the fixture key pair)
	key    *signer.Signer    // signs as the signed merchant does
	tls    bool
	logs   *syncBuffer // everything the handler and gateway logged
}

// dropTime leaves the time out of log lines: its digits could contain anything.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	demoID   = "700001"
	signedID = "700002"
	ttl      = time.Hour
)

// envOption changes the environment before the server starts.
type envOption func(*testEnv)

// withTLS serves over TLS (cookies must be Secure).
func withTLS() envOption { return func(e *testEnv) { e.tls = true } }

func newEnv(t *testing.T, opts ...envOption) *testEnv {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "web.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pub, err := signer.LoadPublicKey("../fixtures/keys/merchant-700002.pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	priv, err := signer.LoadPrivateKey("../fixtures/keys/merchant-700002.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, logs: &syncBuffer{}, clock: &fakeClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, key: signer.New(priv)}
	e.demo = &gateway.Merchant{ID: demoID, Name: "Demo Shop", Login: "demo_login", Password: "demo_password1",
		Secret: "demo-secret", RequestSignature: "optional", ResponseSecurity: "md5", Currency: "RUB", TestMode: true}
	e.signed = &gateway.Merchant{ID: signedID, Name: "Other Shop", Login: "other_login", Password: "other_password2",
		Secret: "other-secret", PublicKey: pub, RequestSignature: "required", ResponseSecurity: "md5", Currency: "RUB",
		TestMode: true, ReturnHosts: []string{"shop.example"}}
	e.g = &gateway.Gateway{Store: db, Processor: processor.Test{}, Clock: e.clock,
		Merchants: gateway.NewMerchants([]*gateway.Merchant{e.demo, e.signed}),
		Logger:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime})), Jobs: &gateway.Jobs{}}
	e.pages = &gateway.Pages{Gateway: e.g, TTL: ttl}
	for _, o := range opts {
		o(e)
	}
	e.h, err = web.New(e.pages, e.g.Logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, r := range e.h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	if e.tls {
		e.srv = httptest.NewTLSServer(mux)
	} else {
		e.srv = httptest.NewServer(mux)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// browser is a client that keeps cookies and does not follow redirects.
type browser struct {
	t   *testing.T
	env *testEnv
	c   *http.Client
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: the server's client is shared
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{t: e.t, env: e, c: &c}
}

// page is an answer, its body read.
type page struct {
	Status int
	Header http.Header
	Body   string
}

func (p page) Location() string { return p.Header.Get("Location") }

func (b *browser) do(method, path, contentType string, body io.Reader) page {
	b.t.Helper()
	target := path
	if !strings.HasPrefix(path, "http") {
		target = b.env.srv.URL + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header, string(data)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, "", nil) }

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

// open posts a payment-page request for the demo merchant (100.00 RUB plus kv) and returns
// the page path it is sent to.
func (b *browser) open(kv ...string) string {
	b.t.Helper()
	v := url.Values{"Merchant_ID": {demoID}, "OrderAmount": {"100.00"}, "OrderCurrency": {"RUB"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	res := b.post("/pay/order.cfm", v)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location(), "/pay/order/") {
		b.t.Fatalf("order.cfm: %d %q\n%s", res.Status, res.Location(), res.Body)
	}
	return res.Location()
}

// pay submits the page's card form with number (other fields valid unless kv says otherwise).
func (b *browser) pay(path, number string, kv ...string) page {
	b.t.Helper()
	form := b.get(path)
	v := url.Values{"token": {inputValue(b.t, form.Body, "token")}, "CardNumber": {number}, "ExpireMonth": {"12"},
		"ExpireYear": {"2030"}, "CVC2": {"123"}, "Cardholder": {"IVAN IVANOV"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return b.post(path, v)
}

// signIn signs in to the monitor through its form.
func (b *browser) signIn(login, password string) page {
	b.t.Helper()
	home := b.get("/monitor/")
	return b.post("/monitor/signin", url.Values{"csrf": {inputValue(b.t, home.Body, "csrf")}, "login": {login}, "password": {password}})
}

// cookie returns the Set-Cookie header of the named cookie, or "".
func (p page) cookie(name string) string {
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

// tag returns the opening tag of the element with the id, or "".
func tag(body, id string) string {
	return regexp.MustCompile(`<[a-z]+[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
}

// hasID reports whether an element with the id is on the page.
func hasID(body, id string) bool { return tag(body, id) != "" }

// textOf returns the text directly inside the element with the id up to its first child tag,
// trimmed.
func textOf(t testing.TB, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`\sid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #%s in\n%s", id, body)
	}
	return strings.TrimSpace(m[1])
}

// stateOf returns the data-state of the element with the id: the protocol's state name,
// whatever the page's language shows.
func stateOf(t testing.TB, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`<[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*\sdata-state="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no #%s with data-state in\n%s", id, body)
	}
	return m[1]
}

// innerText returns the element's content with tags removed and spaces collapsed (the
// element must not contain another element of its own kind).
func innerText(t testing.TB, body, id string) string {
	t.Helper()
	open := regexp.MustCompile(`<([a-z0-9]+)[^>]*\sid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindStringSubmatchIndex(body)
	if open == nil {
		t.Fatalf("no #%s in\n%s", id, body)
	}
	rest := body[open[1]:]
	end := strings.Index(rest, "</"+body[open[2]:open[3]]+">")
	if end < 0 {
		t.Fatalf("#%s is not closed", id)
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(rest[:end], " ")), " ")
}

// inputValue returns the value of the first input with the name.
func inputValue(t testing.TB, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no input %s with a value in\n%s", name, body)
	}
	return m[1]
}

// input returns the opening tag of the first input with the name, or "".
func input(body, name string) string {
	return regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*>`).FindString(body)
}

// echoes reports whether s occurs in body as a value of its own, not inside a longer run of
// digits, letters, '-' or '_' (a billnumber, token or page id may contain any short digit string).
func echoes(body, s string) bool {
	return regexp.MustCompile(`(^|[^0-9A-Za-z_-])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z_-])`).MatchString(body)
}

// rows returns the billnumbers of the order list's rows, in order.
func rows(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-billnumber="(\d+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

const (
	csp = "default-src 'self'; frame-ancestors 'none'"
)

// checkHeaders checks the headers every page carries, and no-store on card and monitor pages.
func checkHeaders(t testing.TB, p page, noStore bool) {
	t.Helper()
	for k, want := range map[string]string{"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := p.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if got := p.Header.Get("Cache-Control"); noStore && got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

// order reads an order of the merchant by ordernumber, with its operations, through the gateway.
func (e *testEnv) order(t testing.TB, m *gateway.Merchant, orderNumber string) *gateway.OrderDetail {
	t.Helper()
	ctx := context.Background()
	orders, err := e.pages.ListOrders(ctx, m, gateway.OrderQuery{OrderNumber: orderNumber})
	if err != nil || len(orders) == 0 {
		t.Fatalf("order %s: %d orders, %v", orderNumber, len(orders), err)
	}
	ds, err := e.g.OrderResult(ctx, m, gateway.ResultQuery{BillNumber: orders[0].BillNumber}) // newest first
	if err != nil || len(ds) != 1 {
		t.Fatalf("order %s: %d orders, %v", orderNumber, len(ds), err)
	}
	return &ds[0]
}

// silentpay pays an order as the web service would.
func (e *testEnv) silentpay(m *gateway.Merchant, orderNumber string, kv ...string) *gateway.Reply {
	e.t.Helper()
	req := gateway.PayRequest{OrderNumber: orderNumber, Amount: "100.00", Currency: "RUB",
		Card: gateway.CardData{Number: "4111111111111111", ExpMonth: "12", ExpYear: "2030", CVC: "123", Holder: "IVAN IVANOV"}}
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "delay":
			req.TwoStage = kv[i+1]
		case "comment":
			req.Comment = kv[i+1]
		case "card":
			req.Card.Number = kv[i+1]
		case "amount":
			req.Amount = kv[i+1]
		default:
			e.t.Fatalf("silentpay: unknown %s", kv[i])
		}
	}
	r, err := e.g.Pay(context.Background(), m, req)
	if err != nil {
		e.t.Fatalf("pay %s: %v", orderNumber, err)
	}
	return r
}
