package server

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"soapgate/obs"
	"soapgate/wire"
)

// RequestIDHeader carries the request id in and out: an incoming one is kept when sane, so
// a merchant's or a proxy's id ties their logs to ours; the answer always echoes it.
const RequestIDHeader = "X-Request-Id"

// maxRequestID bounds an incoming id; longer or odd ones are replaced, never logged.
const maxRequestID = 128

// saneRequestID accepts ids made of letters, digits and . _ : - (UUIDs, ULIDs, hex, the
// usual proxy formats): nothing that could break a log line or smuggle a value into it.
func saneRequestID(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// probes are the routes monitoring calls all the time; their successful answers are logged
// at DEBUG.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// AccessLog gives each request an id, writes one log line per request and counts it in m.
// The line names the request id, method, path (never the query, which may hold what a
// client should not have sent there), service, merchant, client address, the answer's
// firstcode and secondcode, HTTP status and duration. A failed login (10/100) is logged at
// WARN; successful probes (/healthz, /readyz, /metrics) at DEBUG. A payment page's id ({id}
// in its route) is not logged. Handlers reach the request's record with obs.From(r.Context()).
func AccessLog(logger *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !saneRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(RequestIDHeader, id)
		req := &obs.Request{ID: id, Base: logger}
		r = r.WithContext(obs.With(r.Context(), req))
		sw := &statusWriter{ResponseWriter: w}
		m.begin()
		defer m.end()
		next.ServeHTTP(sw, r)

		d := time.Since(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		service, merchant, first, second, hasCodes := req.Snapshot()
		if service == "" {
			// Pages, WSDLs and the rest: the mux's route pattern, a bounded set.
			service = r.Pattern
			if service == "" {
				service = "unmatched"
			}
		}
		code := ""
		if hasCodes {
			code = strconv.Itoa(first) + "/" + strconv.Itoa(second)
		}
		m.request(service, code, status, d)

		level := slog.LevelInfo
		switch {
		case first == 10 && second == 100:
			level = slog.LevelWarn // a failed login
		case status < 300 && probes[r.Pattern]:
			level = slog.LevelDebug // probes and scrapes every few seconds would drown the rest
		}
		h := logger.Handler()
		if !h.Enabled(r.Context(), level) {
			return
		}
		path := r.URL.Path
		if len(path) > maxLoggedPath {
			path = path[:maxLoggedPath] + "…"
		}
		if capability := r.PathValue("id"); capability != "" {
			// A payment page's id is a capability (whoever has it can pay the order): the
			// log names the route instead; the page's own lines name the billnumber.
			path = strings.Replace(path, capability, "{id}", 1)
		}
		attrs := []slog.Attr{
			slog.String(obs.KeyRequestID, id),
			slog.String("method", r.Method),
			slog.String("path", path),
			slog.String(obs.KeyService, service),
			slog.String(obs.KeyMerchant, obs.Merchant(merchant)),
			slog.String("client", wire.ClientIP(r)),
		}
		if hasCodes {
			attrs = append(attrs, slog.Int("firstcode", first), slog.Int("secondcode", second))
		}
		attrs = append(attrs, slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000))
		// The record is handed to the handler directly, as slog's documentation shows for
		// wrappers: Logger.LogAttrs would walk the stack for a caller no access line names
		// (about 1 % of an orderstate's server CPU).
		rec := slog.NewRecord(start.Add(d), level, obs.MsgRequest, 0)
		rec.AddAttrs(attrs...)
		h.Handle(r.Context(), rec)
	})
}

// statusWriter remembers the status written; Unwrap lets http.ResponseController reach
// the connection's own writer (flush, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// maxLoggedPath bounds the path a line repeats: a client chooses it.
const maxLoggedPath = 256

// serviceName is the service table's name of the operation a call named, for the log and
// the metrics: the path's first operation when the call failed before naming one, and
// "unknown" for a name the table does not have (a client's text never becomes a label).
func (svc *service) serviceName(op string) string {
	if op == "" {
		return svc.ops[0].name
	}
	for _, o := range svc.ops {
		if o.name == op {
			return op
		}
	}
	return "unknown"
}
