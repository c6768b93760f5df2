package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"soapgate/config"
)

// logBuffer collects a server's JSON log lines, safely for the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines parses every line; a line that is not JSON fails the test (the json format
// promises one object per line).
func (l *logBuffer) lines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, s)
		}
		out = append(out, m)
	}
	return out
}

// find returns the log lines with every key = value given (values compared as text).
func (l *logBuffer) find(t testing.TB, kv ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
next:
	for _, m := range l.lines(t) {
		for i := 0; i+1 < len(kv); i += 2 {
			if fmt.Sprint(m[kv[i]]) != kv[i+1] {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// one returns the single log line matching kv, failing when there is none.
func (l *logBuffer) one(t testing.TB, kv ...string) map[string]any {
	t.Helper()
	found := l.find(t, kv...)
	if len(found) == 0 {
		t.Fatalf("no log line with %v in\n%s", kv, l.String())
	}
	return found[len(found)-1]
}

// startLogged starts the server like startServerWith, logging JSON at debug level into
// the returned buffer, as `serve` does with log.format json and log.level debug.
func startLogged(t *testing.T, configure func(*config.Config)) (*testServer, *logBuffer) {
	t.Helper()
	return startLoggedAt(t, filepath.Join(t.TempDir(), "soapgate.db"), configure)
}

// startLoggedAt is startLogged on the database file at dbPath.
func startLoggedAt(t *testing.T, dbPath string, configure func(*config.Config)) (*testServer, *logBuffer) {
	t.Helper()
	t.Setenv("SOAPGATE_DATABASE_PATH", dbPath)
	t.Setenv("SOAPGATE_LOG_FORMAT", "json")
	t.Setenv("SOAPGATE_LOG_LEVEL", "debug")
	cfg, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(cfg)
	}
	buf := &logBuffer{}
	logger := newLoggerTo(cfg, buf)
	app, err := Open(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{URL: "http://" + ln.Addr().String(), DBPath: dbPath, app: app, done: make(chan error, 1), cancel: cancel}
	go func() { ts.done <- app.Run(ctx, ln) }()
	t.Cleanup(ts.Stop)
	return ts, buf
}

// TestLogs_OneLinePerRequestAndNoSecrets drives payments (SOAP, form, the payment page
// with approve, decline, 3-D Secure and a refused request), failed logins, monitor actions
// and a refused notification, then reads the JSON log: one line per request with its
// fields, outcomes at the right levels, and no card number, CVC, password, secret word or
// private key anywhere in it.
func TestLogs_OneLinePerRequestAndNoSecrets(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) { return 400, "no such order here" }
	ts, logs := startLogged(t, func(c *config.Config) { c.Merchants[0].Notify.URL = rc.URL })
	const pan, cvc, pagePAN, pageCVC = "5555555555554444", "731", "2200000000000004", "946"

	// A SOAP payment with the caller's request id: kept and echoed.
	req, _ := http.NewRequest("POST", ts.URL+"/pay/silentpay.cfm", strings.NewReader(envelope("silentpay",
		card("ordernumber", "log-1", "cardnumber", pan, "cvc2", cvc, "delay", "1"))))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("X-Request-Id", "erp-7f3a-0001")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	doc := etreeRead(t, res)
	if got := res.Header.Get("X-Request-Id"); got != "erp-7f3a-0001" {
		t.Fatalf("X-Request-Id echoed %q", got)
	}
	bill := text(t, doc, "//order/billnumber")[:16]
	line := logs.one(t, "msg", "request", "request_id", "erp-7f3a-0001")
	for k, want := range map[string]string{"method": "POST", "path": "/pay/silentpay.cfm", "service": "silentpay",
		"merchant_id": "700001", "client": "127.0.0.1", "firstcode": "0", "secondcode": "0", "status": "200", "level": "INFO"} {
		if got := fmt.Sprint(line[k]); got != want {
			t.Errorf("request line %s = %q, want %q (%v)", k, got, want, line)
		}
	}
	if d, ok := line["duration_ms"].(float64); !ok || d <= 0 {
		t.Errorf("duration_ms = %v", line["duration_ms"])
	}

	// An id that could break a log line is replaced by a generated one, echoed too.
	bad := ts.postWithID(t, "/orderstate/orderstate.cfm", "bad id\"\\x", with("ordernumber", "log-1", "format", "1"))
	gen := bad.Header.Get("X-Request-Id")
	if gen == "" || strings.ContainsAny(gen, " \"\\") {
		t.Fatalf("generated request id %q", gen)
	}
	logs.one(t, "msg", "request", "request_id", gen, "service", "orderstate", "firstcode", "0")
	// The service table's name, not the XML element: wscancel for WSCancelRequestParams.
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", "9999999999999999"))
	logs.one(t, "msg", "request", "service", "wscancel", "firstcode", "10", "secondcode", "201")

	// Probes are logged at DEBUG (log.level debug shows them).
	getJSON(t, ts.URL+"/healthz")
	logs.one(t, "msg", "request", "path", "/healthz", "level", "DEBUG", "status", "200")

	// A failed login is a WARN line with 10/100, whatever the transport.
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "log-1", "password", "Wr0ngPassw0rd"))
	ts.post(t, "/pay/payrequest.cfm", "application/json", `{"merchant_id":"700001","login":"demo_login","password":"An0therWr0ng","ordernumber":"x","orderamount":"1.00"}`)
	for _, path := range []string{"/orderstate/orderstate.cfm", "/pay/payrequest.cfm"} {
		l := logs.one(t, "path", path, "firstcode", "10", "secondcode", "100")
		if l["level"] != "WARN" {
			t.Errorf("failed login at %s logged at %v", path, l["level"])
		}
	}

	// A secret sent in the wrong field is not repeated: merchant ids are digits.
	ts.form(t, "/orderstate/orderstate.cfm", with("merchant_id", "MisplacedS3cret", "ordernumber", "log-1"))
	logs.one(t, "msg", "request", "path", "/orderstate/orderstate.cfm", "merchant_id", "(invalid)", "firstcode", "5", "secondcode", "100")

	// The payment page: refused request, approved, declined, 3-D Secure with a right code.
	w := newWebClient(t, ts)
	w.post("/pay/order.cfm", url.Values{"Merchant_ID": {"700001"}, "OrderNumber": {"log-bad"}, "OrderAmount": {"1.2.3"}})
	logs.one(t, "msg", "payment page: refused", "firstcode", "5", "secondcode", "108", "merchant_id", "700001")
	logs.one(t, "msg", "request", "path", "/pay/order.cfm", "firstcode", "5", "secondcode", "108", "status", "400")
	page := w.order("OrderNumber", "log-page-ok")
	w.pay(page, pagePAN, "CVC2", pageCVC)
	logs.one(t, "msg", "request", "method", "POST", "path", "/pay/order/{id}", "merchant_id", "700001", "status", "303")
	logs.one(t, "msg", "payment page: card", "outcome", "approved", "orderstate", "Approved", "responsecode", "AS000")
	w.pay(w.order("OrderNumber", "log-page-no"), "4000000000000002", "CVC2", pageCVC)
	logs.one(t, "msg", "payment page: card", "outcome", "declined", "orderstate", "Declined", "responsecode", "AS100")
	page = w.order("OrderNumber", "log-page-3ds")
	w.pay(page, "4000000000003063", "CVC2", pageCVC)
	logs.one(t, "msg", "payment page: card", "outcome", "3-D Secure")
	issuer := w.get(page)
	w.post(page+"/3ds", url.Values{"token": {match(t, reToken, issuer.Body)}, "code": {"1234"}})
	logs.one(t, "msg", "payment page: 3-D Secure code", "outcome", "approved", "merchant_id", "700001")

	// The monitor: a failed sign-in (WARN), then a confirm and a refused refund.
	w.signIn("demo_login", "Wr0ngMonitorPass")
	if l := logs.one(t, "msg", "monitor: failed sign-in"); l["level"] != "WARN" || l["request_id"] == nil {
		t.Errorf("failed sign-in line %v", l)
	}
	w.signIn("demo_login", "demo_password1")
	detail := w.get("/monitor/orders/" + bill)
	csrf := match(t, reCSRF, detail.Body)
	w.post("/monitor/orders/"+bill+"/confirm", url.Values{"csrf": {csrf}, "nonce": {"c1"}})
	logs.one(t, "msg", "monitor: action", "action", "confirm", "outcome", "done", "orderstate", "Approved", "billnumber", bill)
	w.post("/monitor/orders/"+bill+"/cancel", url.Values{"csrf": {csrf}, "nonce": {"c2"}, "amount": {"5000"}})
	logs.one(t, "msg", "monitor: action", "action", "cancel", "outcome", "failed", "firstcode", "10", "secondcode", "203")
	logs.one(t, "msg", "request", "path", "/monitor/orders/"+bill+"/cancel", "merchant_id", "700001", "status", "303")

	// The merchant refuses the notifications with HTTP 400: WARN, with the reason.
	waitFor(t, "a rejected notification in the log", func() bool {
		return len(logs.find(t, "msg", "notification rejected", "level", "WARN", "reason", "HTTP 400 Bad Request")) > 0
	})

	// An internal error names the request id that the client got back.
	ts.app.DB.Close()
	res2 := ts.postWithID(t, "/orderstate/orderstate.cfm", "erp-7f3a-0002", with("ordernumber", "log-none", "format", "1"))
	if !strings.HasPrefix(res2.Body, "2;1") {
		t.Fatalf("closed database answered %q", res2.Body)
	}
	logs.one(t, "msg", "internal error", "level", "ERROR", "request_id", "erp-7f3a-0002")

	// No secret anywhere in the log.
	key, err := os.ReadFile("../../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	keyLine := strings.Split(string(key), "\n")[1] // a line of the key's base64
	all := logs.String()
	for _, secret := range []string{strings.TrimPrefix(page, "/pay/order/"), pan, pagePAN, "4000000000003063", "demo_password1", "Wr0ngPassw0rd", "An0therWr0ng",
		"Wr0ngMonitorPass", "MisplacedS3cret", "demo-secret", "PRIVATE KEY", keyLine, `"` + cvc + `"`, "=" + cvc, ">" + cvc + "<", `"` + pageCVC + `"`, "=" + pageCVC} {
		if strings.Contains(all, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}
	if n := len(logs.find(t, "msg", "request")); n < 15 {
		t.Fatalf("only %d request lines:\n%s", n, all)
	}
}

// postWithID posts a form with an X-Request-Id header.
func (ts *testServer) postWithID(t testing.TB, path, id string, params map[string]string) response {
	t.Helper()
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return response{res.StatusCode, res.Header, b.String()}
}

// TestLogs_ClientBehindTrustedProxy: behind a trusted proxy the line names the client the
// proxy reports; an untrusted peer's X-Forwarded-For is not believed.
func TestLogs_ClientBehindTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		trusted []string
		want    string
	}{{[]string{"127.0.0.0/8"}, "203.0.113.9"}, {nil, "127.0.0.1"}} {
		ts, logs := startLogged(t, func(c *config.Config) { c.TrustedProxies = tc.trusted })
		req, _ := http.NewRequest("GET", ts.URL+"/keys/gateway.crt", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		logs.one(t, "msg", "request", "path", "/keys/gateway.crt", "client", tc.want)
		ts.Stop()
	}
}
