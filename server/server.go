// Package server maps the wire (SOAP 1.1/1.2, form posts, JSON) to the gateway and back.
package server

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"soapgate/gateway"
	"soapgate/signer"
	"soapgate/wsdl"
)

// Defaults of the request limits (contract section 2).
const (
	DefaultMaxBody = 1 << 20
)

// Server serves the web services.
type Server struct {
	Gateway  *gateway.Gateway
	Signer   *signer.Signer
	DSig     *signer.XMLSigner               // XML-DSig of SOAP answers to merchants with xmldsig
	CertPEM  []byte                          // served at /keys/gateway.crt
	Ping     func(ctx context.Context) error // /healthz
	Logger   *slog.Logger
	MaxBody  int64 // bytes; DefaultMaxBody
	MaxDepth int   // XML nesting; DefaultMaxDepth

	AdminToken string             // enables /admin/* (with a test clock)
	TestClock  *gateway.TestClock // nil on the real clock

	checks checks
}

// Handler returns the routes: each service path, its WSDL, /keys/gateway.crt, /admin/clock
// and /healthz; extra handlers (the web pages) are mounted beside them.
func (s *Server) Handler(extra ...Route) http.Handler {
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.MaxDepth == 0 {
		s.MaxDepth = DefaultMaxDepth
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.checks = checks{signer: s.Signer}
	mux := http.NewServeMux()
	for _, svc := range services {
		for _, p := range svc.paths {
			mux.Handle(p, s.serviceHandler(svc, p))
		}
		mux.HandleFunc("GET "+strings.TrimSuffix(svc.paths[0], ".cfm")+".wsdl", s.wsdlHandler(svc))
	}
	mux.HandleFunc("GET /keys/gateway.crt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.CertPEM)
	})
	mux.HandleFunc("/admin/clock", s.adminClock)
	mux.HandleFunc("/admin/", http.NotFound)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.Ping != nil {
			if err := s.Ping(r.Context()); err != nil {
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	for _, rt := range extra {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	return s.recoverer(mux)
}

// Route is a handler mounted beside the web services.
type Route struct {
	Pattern string
	Handler http.Handler
}

// recoverer turns a panic into a 500 and a log line instead of a dropped connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
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
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		data = bytes.ReplaceAll(data, []byte("http://127.0.0.1:8080"), []byte(scheme+"://"+r.Host))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Write(data)
	}
}

func (s *Server) serviceHandler(svc *service, path string) http.HandlerFunc {
	wsdlGet := s.wsdlHandler(svc)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && isWSDLQuery(r) {
			wsdlGet(w, r)
			return
		}
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		start := time.Now()
		status, op, merchant := s.serve(w, r, svc)
		s.Logger.Info("request", "path", path, "op", op, "merchant_id", merchant, "status", status,
			"ms", time.Since(start).Milliseconds())
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

// serve runs one call and writes its answer; it returns the status, operation and merchant for the log.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, svc *service) (int, string, string) {
	body, err := readBody(w, r, s.MaxBody)
	if err == errTooLarge {
		w.Header().Set("Connection", "close")
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return http.StatusRequestEntityTooLarge, "", ""
	}
	if err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, "could not read request", http.StatusRequestTimeout)
		return http.StatusRequestTimeout, "", ""
	}
	c, err := decode(r, body, s.MaxDepth)
	if err != nil {
		return s.write(w, c, svc.shape, nil, err), "", ""
	}
	handler := svc.form
	if c.soap {
		if handler = svc.ops[c.operation]; handler == nil {
			return s.write(w, c, svc.shape, nil, gateway.Errorf(1, 1, "unknown operation %q at %s", c.operation, r.URL.Path)), c.operation, ""
		}
	}
	m, err := s.Gateway.Merchants.Authenticate(c.get("merchant_id"), c.get("login"), c.get("password"))
	if err != nil {
		return s.write(w, c, svc.shape, nil, err), c.operation, c.get("merchant_id")
	}
	recs, err := handler(s, r.Context(), c, m, formatDate(s.Gateway.Clock.Now()))
	if err == nil && c.soap && m.Notify.XMLDSig && s.DSig != nil {
		return s.writeSigned(w, c, svc.shape, recs), c.operation, m.ID
	}
	return s.write(w, c, svc.shape, recs, err), c.operation, m.ID
}

// writeSigned answers a SOAP call with an XML-DSig-signed payload.
func (s *Server) writeSigned(w http.ResponseWriter, c *call, sh *shape, recs []record) int {
	var b bytes.Buffer
	if err := encodeSignedSOAP(&b, c.v12, sh, recs, s.DSig); err != nil {
		return s.write(w, c, sh, nil, err)
	}
	w.Header().Set("Content-Type", soapContentType(c.v12))
	w.Write(b.Bytes())
	return http.StatusOK
}

// write answers in the call's transport and format; it is the one place errors reach the wire.
func (s *Server) write(w http.ResponseWriter, c *call, sh *shape, recs []record, err error) int {
	var b bytes.Buffer
	status := http.StatusOK
	var e *gateway.Error
	if err != nil {
		e = gateway.AsError(err)
		if e == gateway.ErrInternal {
			s.Logger.Error("internal error", "err", err)
		}
	}
	switch {
	case c.soap:
		w.Header().Set("Content-Type", soapContentType(c.v12))
		if e != nil {
			status = encodeFault(&b, c.v12, e)
		} else {
			encodeSOAP(&b, c.v12, sh, recs, 0, 0)
		}
	case c.format == formatJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if e != nil {
			status = encodeJSONFault(&b, e)
		} else {
			encodeJSON(&b, sh, recs)
		}
	default:
		first, second := 0, 0
		if e != nil {
			first, second, recs = e.First, e.Second, nil
		}
		switch c.format {
		case formatCSV:
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			encodeCSV(&b, sh, recs, first, second)
		case formatSOAP:
			w.Header().Set("Content-Type", soapContentType(false))
			encodeSOAP(&b, false, sh, recs, first, second)
		default:
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			encodeXML(&b, sh, recs, first, second)
		}
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
	return status
}

// clientIP is the peer's address (no proxy headers are trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
