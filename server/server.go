// Package server maps the wire (SOAP 1.1/1.2, form posts, JSON) to the gateway and back.
package server

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"soapgate/auth"
	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/signer"
	"soapgate/wire"
	"soapgate/wsdl"
)

// Defaults of the request limits (docs/protocol.md#2-services-and-transports).
const (
	DefaultMaxBody = 1 << 20
)

// Server serves the web services.
type Server struct {
	Gateway *gateway.Gateway
	Wire    wire.Mapping                    // domain → wire fields, checkvalue and signature
	DSig    *signer.XMLSigner               // XML-DSig of SOAP answers to merchants with xmldsig
	CertPEM []byte                          // served at /keys/gateway.crt
	Ping    func(ctx context.Context) error // /healthz, when Health is nil
	Health  *Health                         // /healthz and /readyz; nil: Ping alone
	Logger  *slog.Logger
	// PublicURL is the gateway's address as clients reach it; when set, the WSDLs'
	// soap:address uses it instead of the scheme and Host of the request (which a client or
	// a cache in front could choose).
	PublicURL string
	MaxBody   int64 // bytes; DefaultMaxBody
	MaxDepth  int   // XML nesting; DefaultMaxDepth

	// Limiter counts failed authentications; nil does not limit (unit tests).
	Limiter *auth.Limiter

	AdminToken string             // enables /admin/* (with a test clock)
	TestClock  *gateway.TestClock // nil on the real clock
}

// Register mounts every route of the web services on mux: each service's paths and WSDL,
// /keys/gateway.crt, /admin/clock and /healthz. It fails when a generated type is one the
// server cannot answer with (a WSDL the server does not follow).
func (s *Server) Register(mux *http.ServeMux) error {
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.MaxDepth == 0 {
		s.MaxDepth = DefaultMaxDepth
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	svcs, err := s.services()
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		for _, p := range svc.paths {
			mux.Handle(p, s.serviceHandler(svc, p))
		}
		if svc.wsdl != "" {
			mux.HandleFunc("GET "+strings.TrimSuffix(svc.paths[0], ".cfm")+".wsdl", s.wsdlHandler(svc))
		}
	}
	mux.HandleFunc("GET /keys/gateway.crt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.CertPEM)
	})
	mux.HandleFunc("/admin/clock", s.adminClock)
	mux.HandleFunc("/admin/", http.NotFound)
	if s.Health == nil {
		s.Health = &Health{Build: ReadBuildInfo(), Ping: s.Ping}
	}
	s.Health.Register(mux)
	return nil
}

// Handler is the web services alone, on a mux of their own behind Recoverer and the
// access log.
func (s *Server) Handler() (http.Handler, error) {
	mux := http.NewServeMux()
	if err := s.Register(mux); err != nil {
		return nil, err
	}
	return AccessLog(s.Logger, NewMetrics(), Recoverer(s.Logger, mux)), nil
}

// Recoverer turns a panic into a 500 and a log line instead of a dropped connection.
func Recoverer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("panic", obs.KeyRequestID, obs.ID(r.Context()), "path", r.URL.Path, "panic", fmt.Sprint(p))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) wsdlHandler(svc *service) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := fs.ReadFile(wsdl.FS, svc.wsdl)
		if err != nil {
			http.Error(w, "WSDL not found", http.StatusNotFound)
			return
		}
		data = bytes.ReplaceAll(data, []byte("http://127.0.0.1:8080"), []byte(wire.BaseURL(s.PublicURL, r)))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(data)
	}
}

func isWSDLQuery(r *http.Request) bool {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "wsdl") {
			return true
		}
	}
	return false
}
