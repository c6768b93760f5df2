// Package obs carries what the request log needs to know of one HTTP request through its
// context: the request id, and what the handlers learn on the way (the service, the
// merchant, the answer's codes). The access log (server/accesslog.go) creates it; the web
// services and the pages fill it in. It is a leaf: it imports nothing of the module, so
// server/ and web/ can both use it without knowing each other.
package obs

import (
	"context"
	"log/slog"
	"sync"
)

// Log keys used by more than one package, so that an operator's queries match every line.
const (
	KeyRequestID = "request_id"
	KeyService   = "service"
	KeyMerchant  = "merchant_id"
	KeyOutcome   = "outcome"
)

// Request is what is known of one request so far. Handlers set fields through its methods,
// which are safe for the goroutines a handler may start.
type Request struct {
	ID   string
	Base *slog.Logger // the server's logger; Logger adds the request id

	mu       sync.Mutex
	logger   *slog.Logger
	service  string
	merchant string
	codes    [2]int
	hasCodes bool
}

type key struct{}

// With returns ctx carrying req.
func With(ctx context.Context, req *Request) context.Context {
	return context.WithValue(ctx, key{}, req)
}

// From returns the request ctx carries, or nil outside the access log (unit tests that
// call a handler directly).
func From(ctx context.Context) *Request {
	req, _ := ctx.Value(key{}).(*Request)
	return req
}

// Logger is the request's logger (it names the request id) when ctx carries a request,
// else fallback.
func Logger(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if req := From(ctx); req != nil && req.Base != nil {
		return req.Logger()
	}
	return fallback
}

// Logger is the base logger with the request id attached, made on first use: most
// requests log only their access line, which names the id itself.
func (r *Request) Logger() *slog.Logger {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logger == nil {
		r.logger = r.Base.With(KeyRequestID, r.ID)
	}
	return r.logger
}

// ID is the request id ctx carries, or "".
func ID(ctx context.Context) string {
	if req := From(ctx); req != nil {
		return req.ID
	}
	return ""
}

// SetService names the service that answered (the service table's name, not an XML element).
func (r *Request) SetService(name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.service = name
	r.mu.Unlock()
}

// SetMerchant records the merchant the request acted for (once known; authenticated or claimed).
func (r *Request) SetMerchant(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.merchant = id
	r.mu.Unlock()
}

// SetCodes records the answer's firstcode and secondcode (0, 0 on success).
func (r *Request) SetCodes(first, second int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.codes, r.hasCodes = [2]int{first, second}, true
	r.mu.Unlock()
}

// Snapshot returns what was recorded: the service, the merchant and the codes (ok false
// when the request was not answered with codes, as pages and WSDLs are not).
func (r *Request) Snapshot() (service, merchant string, first, second int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.service, r.merchant, r.codes[0], r.codes[1], r.hasCodes
}

// Merchant is a merchant id as a log line may show it. Ids are digits; anything else a
// client sent as merchant_id (a login or a password in the wrong field) is not repeated.
func Merchant(id string) string {
	if len(id) > 32 {
		return "(invalid)"
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return "(invalid)"
		}
	}
	return id
}
