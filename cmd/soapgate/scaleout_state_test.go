package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Two gateways on one PostgreSQL database behind no sticky sessions: a browser's requests,
// a guesser's attempts and the test clock's moves land on either, and each answers as if
// there were one gateway. (startTwoOnPostgres: scaleout_test.go.)

// TestScaleOut_MonitorSessionOnAnyProcess signs in at A, lists and confirms at B with the
// CSRF token A's page showed, sees the outcome at A, sends the same form to A and B (one
// confirm), and signs out at B: A no longer knows the session either.
func TestScaleOut_MonitorSessionOnAnyProcess(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	bill := pay(t, a, "ordernumber", "so-mon", "delay", "1")
	// One browser (cookies are per host, not per port) whose requests the balancer spreads.
	w := newWebClient(t, a)
	at := func(ts *testServer) *webClient { w.base = ts.URL; return w }

	if res := at(a).signIn("demo_login", "demo_password1"); res.Status != 303 {
		t.Fatalf("sign-in at A: %d %s", res.Status, res.Body)
	}
	list := at(b).get("/monitor/orders")
	if list.Status != 200 || !strings.Contains(list.Body, bill) {
		t.Fatalf("orders at B: %d, bill %s listed: %v", list.Status, bill, strings.Contains(list.Body, bill))
	}
	detail := at(a).get("/monitor/orders/" + bill)
	csrf, nonce := match(t, reCSRF, detail.Body), match(t, reNonce, detail.Body)
	if csrf != match(t, reCSRF, list.Body) {
		t.Fatal("A and B show different CSRF tokens for one session")
	}
	form := url.Values{"csrf": {csrf}, "nonce": {nonce}, "amount": {"40.00"}}
	action := "/monitor/orders/" + bill + "/confirm"
	if res := at(b).post(action, url.Values{"nonce": {nonce}, "amount": {"40.00"}}); res.Status != 403 {
		t.Fatalf("confirm at B without the CSRF token: %d", res.Status)
	}
	// The same form sent to B and then to A (a double click the balancer split) confirms once.
	for _, ts := range []*testServer{b, a} {
		if res := at(ts).post(action, form); res.Status != 303 {
			t.Fatalf("confirm: %d %s", res.Status, res.Body)
		}
	}
	// The outcome B kept is shown by A, once.
	after := at(a).get("/monitor/orders/" + bill)
	mustContain(t, "after confirm at B", after.Body, `id="flash"`, "PartialDelayed", bill+".2")
	if strings.Contains(after.Body, bill+".3") {
		t.Fatal("a form sent to two processes confirmed twice")
	}
	if again := at(b).get("/monitor/orders/" + bill); strings.Contains(again.Body, `id="flash"`) {
		t.Fatal("the flash was shown twice")
	}
	if sum, n := moved(t, b, bill); sum != 4000 || n != 1 {
		t.Fatalf("confirms: %d of %d total, want one of 40.00", n, sum)
	}
	// The database holds the session under a hash: the cookie's id is nowhere in it.
	old := sessionCookie(t, w, a)
	db := openRawDB(t, a)
	var rows, clear int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE id_hash = $1) FROM monitor_sessions`, old.Value).Scan(&rows, &clear); err != nil || rows != 1 || clear != 0 {
		t.Fatalf("sessions stored: %d, %d under the id itself (%v)", rows, clear, err)
	}
	// Signed out at B, signed out everywhere: the old cookie, put back, opens nothing at A.
	if res := at(b).post("/monitor/signout", url.Values{"csrf": {csrf}}); res.Status != 303 {
		t.Fatalf("sign-out at B: %d", res.Status)
	}
	for _, ts := range []*testServer{a, b} {
		w.c.Jar.SetCookies(mustURL(t, ts.URL+"/monitor/"), []*http.Cookie{old})
		if res := at(ts).get("/monitor/orders"); res.Status != 303 {
			t.Fatalf("%s after sign-out at B, with the old cookie: %d", ts.URL, res.Status)
		}
	}
	if err := db.QueryRow(`SELECT count(*) FROM monitor_sessions`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("sessions kept after sign-out: %d (%v)", rows, err)
	}
}

// sessionCookie is the monitor session cookie the browser holds for ts.
func sessionCookie(t *testing.T, w *webClient, ts *testServer) *http.Cookie {
	t.Helper()
	for _, c := range w.c.Jar.Cookies(mustURL(t, ts.URL+"/monitor/")) {
		if c.Name == "sg_monitor" {
			return &http.Cookie{Name: c.Name, Value: c.Value, Path: "/monitor/"}
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestScaleOut_FailedSignInsCountAcrossProcesses: eleven wrong passwords from one address,
// alternating between A and B, refuse that address at both (HTTP 429), the right password
// included; another address is unaffected.
func TestScaleOut_FailedSignInsCountAcrossProcesses(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	peers := []*peer{newPeer(t, a, "127.0.0.7"), newPeer(t, b, "127.0.0.7")}
	for i := 1; i <= 11; i++ {
		status, codes, _ := peers[i%2].orderstate("700001", "demo_login", "guess")
		if status == http.StatusTooManyRequests || codes != "10/100" {
			t.Fatalf("failure %d: HTTP %d %s", i, status, codes)
		}
	}
	for _, p := range peers {
		status, codes, h := p.orderstate("700001", "demo_login", "demo_password1")
		if status != http.StatusTooManyRequests || codes != "10/100" || h.Get("Retry-After") == "" {
			t.Fatalf("%s after 11 failures at A and B: HTTP %d %s", p.ts.URL, status, codes)
		}
		web := &webClient{t: t, base: p.ts.URL, c: p.c}
		if res := web.signIn("demo_login", "demo_password1"); res.Status != http.StatusTooManyRequests {
			t.Fatalf("%s monitor after the limit: %d", p.ts.URL, res.Status)
		}
	}
	if status, codes, _ := newPeer(t, b, "127.0.0.8").orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("other address: HTTP %d %s", status, codes)
	}
}

// TestScaleOut_MonitorSlowdownAcrossProcesses: the monitor's early slowdown (from the third
// failed sign-in of one login from one address) counts failures made at either process.
func TestScaleOut_MonitorSlowdownAcrossProcesses(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	pa, pb := newPeer(t, a, "127.0.0.9"), newPeer(t, b, "127.0.0.9")
	wa, wb := &webClient{t: t, base: a.URL, c: pa.c}, &webClient{t: t, base: b.URL, c: pb.c}
	for i, w := range []*webClient{wa, wb, wa} {
		if res := w.signIn("demo_login", "wrong"); res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, res.Status)
		}
	}
	if res := wb.signIn("demo_login", "demo_password1"); res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("B after 3 failures at A and B: %d", res.Status)
	}
}

// TestScaleOut_TestClockMoveSeenByTheOther: the test clock moved at A stands there at B at
// once: B's /admin/clock, the date of a payment made at B and its packetdate.
func TestScaleOut_TestClockMoveSeenByTheOther(t *testing.T) {
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	a, b := startTwoOnPostgres(t)
	_, before := b.admin(t, "GET", "", "tok")
	if code, out := a.admin(t, "POST", `{"set":"2031-03-04T05:06:07Z"}`, "tok"); code != 200 || out["now"] != "2031-03-04T05:06:07Z" {
		t.Fatalf("set at A: %d %v", code, out)
	}
	if _, out := b.admin(t, "GET", "", "tok"); out["now"] != "2031-03-04T05:06:07Z" {
		t.Fatalf("B's clock after A's move: %v (before: %v)", out, before)
	}
	_, doc := b.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "so-clock"))
	if got := text(t, doc, "//order/orderdate"); got != "04.03.2031 05:06:07" {
		t.Fatalf("orderdate at B = %s", got)
	}
	_, doc = b.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "so-clock"))
	if got := text(t, doc, "//packetdate"); got != "04.03.2031 05:06:07" {
		t.Fatalf("packetdate at B = %s", got)
	}
	// Advances at both add up, and each sees the sum.
	a.admin(t, "POST", `{"advance":"1h"}`, "tok")
	b.admin(t, "POST", `{"advance":"1h"}`, "tok")
	for _, ts := range []*testServer{a, b} {
		if _, out := ts.admin(t, "GET", "", "tok"); out["now"] != "2031-03-04T07:06:07Z" {
			t.Fatalf("%s after an hour at A and one at B: %v", ts.URL, out)
		}
	}
}
