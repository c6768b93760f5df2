package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// peer is a client whose connections come from its own loopback address (127.0.0.x), so
// one test can be several client addresses.
type peer struct {
	t  *testing.T
	ts *testServer
	c  *http.Client
}

func newPeer(t *testing.T, ts *testServer, ip string) *peer {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	jar, _ := cookiejar.New(nil)
	return &peer{t: t, ts: ts, c: &http.Client{Jar: jar,
		Transport:     &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *peer) do(req *http.Request) response {
	p.t.Helper()
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// orderstate asks an order's state over SOAP with the given credentials and returns the HTTP
// status and firstcode/secondcode.
func (p *peer) orderstate(merchant, login, password string) (int, string, http.Header) {
	p.t.Helper()
	body := envelope("orderstate", with("merchant_id", merchant, "login", login, "password", password, "ordernumber", "none"))
	req, _ := http.NewRequest("POST", p.ts.URL+"/orderstate/orderstate.cfm", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	res := p.do(req)
	return res.Status, faultCodes(p.t, parseXML(p.t, res.Body)), res.Header
}

func (p *peer) form(path string, v url.Values) response {
	req, _ := http.NewRequest("POST", p.ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(req)
}

// TestAttack_PasswordGuessingPerLogin guesses one merchant's password from one address: from
// the 11th failure on, that address is refused before the password is checked (even the
// right one), over SOAP, form and the monitor alike; another address is unaffected.
func TestAttack_PasswordGuessingPerLogin(t *testing.T) {
	ts := startServer(t)
	attacker := newPeer(t, ts, "127.0.0.1")
	for i := 1; i <= 11; i++ {
		status, codes, _ := attacker.orderstate("700001", "demo_login", "guess")
		if status == http.StatusTooManyRequests || codes != "10/100" {
			t.Fatalf("failure %d: HTTP %d %s", i, status, codes)
		}
	}
	status, codes, h := attacker.orderstate("700001", "demo_login", "demo_password1")
	if status != http.StatusTooManyRequests || codes != "10/100" || h.Get("Retry-After") == "" {
		t.Fatalf("right password after 11 failures: HTTP %d %s Retry-After=%q", status, codes, h.Get("Retry-After"))
	}
	// The form transport and the monitor count the same failures.
	res := attacker.form("/orderstate/orderstate.cfm", url.Values{"merchant_id": {"700001"}, "login": {"demo_login"},
		"password": {"demo_password1"}, "ordernumber": {"none"}, "format": {"3"}})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Body, "10") {
		t.Fatalf("form after the limit: %d %s", res.Status, res.Body)
	}
	web := &webClient{t: t, base: ts.URL, c: attacker.c}
	if res := web.signIn("demo_login", "demo_password1"); res.Status != http.StatusTooManyRequests {
		t.Fatalf("monitor after the services' limit: %d", res.Status)
	}
	// The merchant's own system, at another address, keeps working.
	if status, codes, _ := newPeer(t, ts, "127.0.0.2").orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("other address: HTTP %d %s", status, codes)
	}
	// Other logins from the attacker's address are below the address limit still.
	if status, codes, _ := attacker.orderstate("700002", "other_login", "other_password2"); status != 500 || codes != "10/201" {
		t.Fatalf("other login from the same address: HTTP %d %s", status, codes)
	}
}

// TestAttack_PasswordGuessingInterleaved is the monitor's old hole: guesses at other
// merchants interleaved with sign-ins to one's own account. A success clears only its own
// login's count; the address's count reaches 21 and the address is refused.
func TestAttack_PasswordGuessingInterleaved(t *testing.T) {
	ts := startServer(t)
	attacker := newPeer(t, ts, "127.0.0.3")
	logins := []string{"other_login", "admin", "shop", "root"} // none reaches its own 11
	for i := 1; i <= 21; i++ {
		if status, codes, _ := attacker.orderstate("700002", logins[i%len(logins)], "guess"); status != 500 || codes != "10/100" {
			t.Fatalf("guess %d: HTTP %d %s", i, status, codes)
		}
		if i <= 20 {
			if status, codes, _ := attacker.orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
				t.Fatalf("own sign-in after guess %d: HTTP %d %s", i, status, codes)
			}
		}
	}
	status, codes, h := attacker.orderstate("700001", "demo_login", "demo_password1")
	if status != http.StatusTooManyRequests || codes != "10/100" || h.Get("Retry-After") == "" {
		t.Fatalf("after 21 failures from one address: HTTP %d %s", status, codes)
	}
	if status, codes, _ := newPeer(t, ts, "127.0.0.4").orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("other address: HTTP %d %s", status, codes)
	}
}

// TestAttack_SignInClearsTheLoginsCount: a merchant who mistyped the password ten times
// and then signed in starts again from nothing: ten more failures from the same address are
// answered as wrong passwords, not refused (the address's own count, now 20, stays).
func TestAttack_SignInClearsTheLoginsCount(t *testing.T) {
	ts := startServer(t)
	p := newPeer(t, ts, "127.0.0.6")
	guess := func(round string) {
		for i := 1; i <= 10; i++ {
			if status, codes, _ := p.orderstate("700001", "demo_login", "typo"); status != 500 || codes != "10/100" {
				t.Fatalf("%s failure %d: HTTP %d %s", round, i, status, codes)
			}
		}
	}
	guess("first")
	if status, codes, _ := p.orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("sign-in after ten failures: HTTP %d %s", status, codes)
	}
	guess("second")
}

// TestAttack_UnknownMerchantAnswersAsWrongPassword: an unknown merchant, a wrong login and a
// wrong password are one answer, so the services do not tell which merchant ids exist.
func TestAttack_UnknownMerchantAnswersAsWrongPassword(t *testing.T) {
	ts := startServer(t)
	p := newPeer(t, ts, "127.0.0.5")
	for _, cred := range [][3]string{{"999999", "demo_login", "x"}, {"700001", "nobody", "x"}, {"700001", "demo_login", "x"}} {
		status, codes, _ := p.orderstate(cred[0], cred[1], cred[2])
		if status != 500 || codes != "10/100" {
			t.Fatalf("%v: HTTP %d %s", cred, status, codes)
		}
	}
}
