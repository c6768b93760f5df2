package wire

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestProxies_Handler(t *testing.T) {
	ps, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		peer, xff, proto string
		client           string
		https            bool
	}{
		{"203.0.113.9:5000", "1.1.1.1", "https", "203.0.113.9", false},            // untrusted peer: headers ignored
		{"10.1.2.3:5000", "1.1.1.1", "https", "1.1.1.1", true},                    // one trusted proxy
		{"10.1.2.3:5000", "6.6.6.6, 1.1.1.1, 10.9.9.9", "http", "1.1.1.1", false}, // chain: nearest untrusted
		{"192.0.2.1:5000", "", "", "192.0.2.1", false},                            // the proxy's own request
		{"10.1.2.3:5000", "garbage, 1.1.1.1", "https, http", "1.1.1.1", false},    // the nearest proto counts
		{"10.1.2.3:5000", "1.1.1.1, garbage", "", "10.1.2.3", false},              // garbage next to the proxy: stop there
		{"[::ffff:10.0.0.1]:5000", "2001:db8::1", "", "2001:db8::1", false},
	} {
		var got *http.Request
		h := ps.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r }))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if ip := ClientIP(got); ip != tc.client || IsHTTPS(got) != tc.https {
			t.Errorf("%+v: client %s https %v", tc, ip, IsHTTPS(got))
		}
	}
}
