package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"soapgate/obs"
)

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"erp-7f3a-0001":                        true,
		"0b0c2f5e-3d1a-4c8e-9f1e-1d2b3c4d5e6f": true,
		"01HZY3KX:web.1_a":                     true,
		"":                                     false,
		"two words":                            false,
		"line\nbreak":                          false,
		`quote"`:                               false,
		"ünïcode":                              false,
		strings.Repeat("a", maxRequestID):      true,
		strings.Repeat("a", maxRequestID+1):    false,
	} {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}

// BenchmarkAccessLog measures what the access log and the request metrics add to one
// request, against the same handler bare and with the one log line the pipeline wrote
// before, in the same run (report the ratios).
func BenchmarkAccessLog(b *testing.B) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.From(r.Context()).SetService("orderstate")
		obs.From(r.Context()).SetCodes(0, 0)
		w.Write([]byte("ok"))
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// What the pipeline logged per request before the access log: one line, five fields.
	oneLine := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		handler.ServeHTTP(w, r)
		logger.Info("request", "path", r.URL.Path, "op", "orderstate", "merchant_id", "700001", "status", 200,
			"ms", time.Since(start).Milliseconds())
	})
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", handler}, {"oneline", oneLine}, {"accesslog", AccessLog(logger, NewMetrics(), handler)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest("POST", "/orderstate/orderstate.cfm", nil)
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
