package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/config"
)

// via sends a SOAP orderstate through p with proxy headers set.
func (p *peer) orderstateVia(forwardedFor, password string) (int, string) {
	p.t.Helper()
	body := envelope("orderstate", with("login", "demo_login", "password", password, "ordernumber", "none"))
	req, _ := http.NewRequest("POST", p.ts.URL+"/orderstate/orderstate.cfm", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("X-Forwarded-For", forwardedFor)
	res := p.do(req)
	return res.Status, faultCodes(p.t, parseXML(p.t, res.Body))
}

func (p *peer) getVia(path, forwardedFor, proto string) response {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.ts.URL+path, nil)
	req.Header.Set("X-Forwarded-For", forwardedFor)
	req.Header.Set("X-Forwarded-Proto", proto)
	return p.do(req)
}

// TestAttack_ForwardedHeadersFromAnyone: without trusted_proxies, X-Forwarded-For and
// X-Forwarded-Proto are ignored: rotating X-Forwarded-For does not escape the failure
// limits, and "https" does not make the WSDL or the page claim TLS.
func TestAttack_ForwardedHeadersFromAnyone(t *testing.T) {
	ts := startServer(t)
	attacker := newPeer(t, ts, "127.0.0.1")
	for i := range 12 {
		attacker.orderstateVia("198.51.100."+string(rune('1'+i%9)), "guess")
	}
	if status, codes := attacker.orderstateVia("198.51.100.200", "demo_password1"); status != http.StatusTooManyRequests || codes != "10/100" {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: HTTP %d %s", status, codes)
	}
	wsdl := attacker.getVia("/orderstate/orderstate.cfm?wsdl", "198.51.100.1", "https")
	if !strings.Contains(wsdl.Body, `location="http://`) {
		t.Fatalf("an untrusted X-Forwarded-Proto changed the WSDL address:\n%s", wsdl.Body)
	}
}

// TestTrustedProxy: behind a proxy named in trusted_proxies, the client's address is the one
// the proxy forwards (failure limits count each client behind it on its own, the order keeps
// the payer's address), and X-Forwarded-Proto: https makes absolute URLs https and the page
// say the card travels over a secure connection. A peer outside the list is not believed.
func TestTrustedProxy(t *testing.T) {
	ts := startServerWith(t, filepath.Join(t.TempDir(), "soapgate.db"), func(c *config.Config) {
		c.TrustedProxies = []string{"127.0.0.2/32"}
	})
	proxy := newPeer(t, ts, "127.0.0.2")
	for range 11 {
		proxy.orderstateVia("203.0.113.66", "guess")
	}
	if status, codes := proxy.orderstateVia("203.0.113.66", "demo_password1"); status != http.StatusTooManyRequests || codes != "10/100" {
		t.Fatalf("the guessing client behind the proxy: HTTP %d %s", status, codes)
	}
	// Another customer behind the same proxy; a forged hop left of the real client is ignored.
	if status, codes := proxy.orderstateVia("203.0.113.66, 203.0.113.7", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("another client behind the proxy: HTTP %d %s", status, codes)
	}

	wsdl := proxy.getVia("/orderstate/orderstate.cfm?wsdl", "203.0.113.7", "https")
	if !strings.Contains(wsdl.Body, `location="https://`) {
		t.Fatalf("X-Forwarded-Proto from a trusted proxy was not believed:\n%s", wsdl.Body)
	}
	// The payment page: the payer's address is the forwarded one; the secure notice shows.
	w := &webClient{t: t, base: ts.URL, c: proxy.c}
	page := w.order("OrderNumber", "px-1")
	if res := proxy.getVia(page, "203.0.113.7", "https"); !strings.Contains(res.Body, `class="secure"`) {
		t.Fatalf("no secure-connection notice over a trusted https proxy:\n%s", res.Body)
	}
	if res := proxy.getVia(page, "203.0.113.7", "http"); strings.Contains(res.Body, `class="secure"`) {
		t.Fatal("the secure-connection notice over plain HTTP")
	}
	w.pay(page, "4111111111111111")
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "px-1"))
	if ip := text(t, doc, "//operation/ipaddress"); ip != "127.0.0.2" {
		t.Fatalf("payer address %q: the order was created by the proxy itself, without X-Forwarded-For", ip)
	}
	forwarded := &webClient{t: t, base: ts.URL, c: &http.Client{Jar: proxy.c.Jar, CheckRedirect: proxy.c.CheckRedirect,
		Transport: forwardingTransport{proxy.c.Transport, "203.0.113.7"}}}
	forwarded.pay(forwarded.order("OrderNumber", "px-3"), "4111111111111111")
	_, doc = ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "px-3"))
	if ip := text(t, doc, "//operation/ipaddress"); ip != "203.0.113.7" {
		t.Fatalf("payer address behind a trusted proxy: %q", ip)
	}
	direct := newPeer(t, ts, "127.0.0.1")
	if res := direct.getVia("/orderstate/orderstate.cfm?wsdl", "203.0.113.7", "https"); !strings.Contains(res.Body, `location="http://`) {
		t.Fatal("a peer outside trusted_proxies was believed")
	}
}

// forwardingTransport adds X-Forwarded-For as a reverse proxy does.
type forwardingTransport struct {
	next   http.RoundTripper
	client string
}

func (f forwardingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.client)
	return f.next.RoundTrip(r)
}
