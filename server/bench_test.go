package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discard is a reusable ResponseWriter: the handler benchmarks count the server's
// allocations, not a recorder's.
type discard struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(p []byte) (int, error) { return d.body.Write(p) }

// benchHandler calls the server's handler directly with a SOAP 1.1 body: time and
// allocations per request of the pipeline (decode, authenticate, read, encode), without
// the network. want must appear in every answer.
func benchHandler(b *testing.B, path, element string, p params, want string) {
	ts := newTestServer(b)
	ts.pay(b, "700001", "bench-1")
	h := ts.Config.Handler
	body := []byte(envelope(false, element, p))
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	w := &discard{h: http.Header{}}
	run := func() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body)) // as a client's request carries it
		clear(w.h)
		w.body.Reset()
		h.ServeHTTP(w, req)
	}
	run()
	if w.status != http.StatusOK || !strings.Contains(w.body.String(), want) {
		b.Fatalf("%d %s", w.status, w.body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}

func BenchmarkHandler_OrderState(b *testing.B) {
	benchHandler(b, "/orderstate/orderstate.cfm", "orderstate", creds("700001", "ordernumber", "bench-1"), "<orderstate>Approved</orderstate>")
}

func BenchmarkHandler_OrderResult(b *testing.B) {
	benchHandler(b, "/orderresult/orderresult.cfm", "orderresult", creds("700001", "ordernumber", "bench-1"), "<orderstate>Approved</orderstate>")
}
