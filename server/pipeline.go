package server

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"

	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/wire"
)

// The one request pipeline: every service of the table goes through it.
//
//	read body → decode (SOAP 1.1/1.2, form, JSON) → pick the operation → authenticate →
//	policy (Signature, Checkvalue) → call the port → encode in the call's format
//
// and every answer, success or error, leaves through write.

// exchange is what the pipeline knows of one call, handed to the port methods through the
// context (the generated port interfaces take only a context and the request).
type exchange struct {
	r        *http.Request
	params   map[string]string // lowercase names, as the client sent them
	merchant *gateway.Merchant
	packet   string // packetdate of the answer
	// customers are the payers of the orders answered, in order, for JSON's "customer".
	customers []wire.Customer
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	if x == nil {
		// A port method was called outside the pipeline, which alone authenticates.
		panic("server: port method called without an authenticated exchange")
	}
	return x
}

// serve runs one call and writes its answer; it returns what the request log needs.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, svc *service) (status int, op, merchant string) {
	body, err := readBody(w, r, s.MaxBody)
	if err != nil {
		w.Header().Set("Connection", "close")
		if err == errTooLarge {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return http.StatusRequestEntityTooLarge, "", ""
		}
		http.Error(w, "could not read request", http.StatusRequestTimeout)
		return http.StatusRequestTimeout, "", ""
	}
	c, err := decode(r, body, s.MaxDepth)
	if svc.jsonOnly {
		c.soap, c.format = false, formatJSON
	}
	o := svc.pick(c)
	if err != nil {
		return s.write(w, c, svc.orDefault(o), nil, err), "", ""
	}
	if o == nil {
		name := c.operation
		if !c.soap {
			name = c.get("method")
		}
		return s.write(w, c, svc.ops[0], nil, gateway.Errorf(1, 1, "unknown operation %q at %s", name, r.URL.Path)), name, ""
	}
	m, err := s.authenticate(w, c)
	if err != nil {
		return s.write(w, c, o, nil, err), o.name, c.get("merchant_id")
	}
	if o.sign != nil {
		if err := wire.Guard(m, o.sign, c.get); err != nil {
			return s.write(w, c, o, nil, err), o.name, m.ID
		}
	}
	c.dsig = m.Notify.XMLDSig && o.resp.root.id
	x := &exchange{r: r, params: c.params, merchant: m, packet: gateway.FormatDate(s.Gateway.Clock.Now())}
	resp, err := o.call(context.WithValue(r.Context(), exchangeKey{}, x), c.params)
	if err != nil {
		return s.write(w, c, o, nil, err), o.name, m.ID
	}
	return s.write(w, c, o, &answer{op: o, v: resp, customers: x.customers}, nil), o.name, m.ID
}

// authenticate checks the merchant's credentials, unless the client has failed too often
// lately: then it is refused before any password check, with HTTP 429 and Retry-After
// (docs/protocol.md#47-errors).
func (s *Server) authenticate(w http.ResponseWriter, c *call) (m *gateway.Merchant, err error) {
	id, login, password, addr := c.get("merchant_id"), c.get("login"), c.get("password"), wire.ClientIP(c.r)
	wait, err := s.Limiter.Attempt(login, addr, login != "" && password != "", func() (err error) {
		m, err = s.Gateway.Merchants.Authenticate(id, login, password)
		return err
	}, isAuthFailure)
	switch {
	case wait > 0:
		w.Header().Set("Retry-After", retryAfter(wait))
		c.status = http.StatusTooManyRequests
		obs.Logger(c.r.Context(), s.Logger).Warn("authentication throttled", obs.KeyMerchant, obs.Merchant(id), "ip", addr)
		return nil, gateway.ErrAuth
	case isAuthFailure(err):
		obs.Logger(c.r.Context(), s.Logger).Warn("authentication failed", obs.KeyMerchant, obs.Merchant(id), "ip", addr)
	}
	return m, err
}

func isAuthFailure(err error) bool { return err == gateway.ErrAuth }

// retryAfter is a Retry-After value: whole seconds, rounded up.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

// write answers in the call's transport and format; it is the one place answers and errors
// reach the wire.
func (s *Server) write(w http.ResponseWriter, c *call, o *operation, a *answer, err error) int {
	b := answerBufs.Get().(*bytes.Buffer)
	defer putAnswerBuf(b)
	b.Reset()
	status := http.StatusOK
	var e *gateway.Error
	cs := codes{}
	var v reflect.Value
	if err != nil {
		e = gateway.AsError(err)
		if e == gateway.ErrInternal {
			s.Logger.Error("internal error", obs.KeyRequestID, obs.ID(c.r.Context()), "path", c.r.URL.Path, "err", err)
		}
		cs.first, cs.second = e.First, e.Second
	} else if o.custom == nil {
		v = a.v
		a.records = o.resp.recordsOf(v)
		cs.count = len(a.records)
	}
	obs.From(c.r.Context()).SetCodes(cs.first, cs.second)
	switch {
	case c.soap && e != nil:
		w.Header().Set("Content-Type", soapContentType(c.v12))
		status = encodeFault(b, c.v12, e)
	case o.custom != nil && e != nil:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		status = wire.JSONFault(b, e)
	case o.custom != nil:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		o.custom(b, a.v)
	case c.soap && c.dsig && s.DSig != nil:
		if err := encodeSignedSOAP(b, c.v12, o.resp, v, cs, s.DSig); err != nil {
			return s.write(w, c, o, nil, err)
		}
		w.Header().Set("Content-Type", soapContentType(c.v12))
	case c.soap || c.format == formatSOAP:
		w.Header().Set("Content-Type", soapContentType(c.v12))
		encodeSOAP(b, c.v12, o.resp, v, cs)
	case c.format == formatJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if e != nil {
			status = wire.JSONFault(b, e)
		} else {
			encodeJSON(b, a)
		}
	case c.format == formatCSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		encodeCSV(b, o.resp, a.recordsOrNil(), cs)
	default:
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		encodeXML(b, o, v, cs)
	}
	if c.status != 0 {
		status = c.status
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
	return status
}

// answerBufs keeps the buffers answers are encoded into: an answer grew a fresh buffer
// five times on its way to a kilobyte. net/http copies what write hands it, so the buffer
// goes back when write returns.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledAnswer: a buffer that held a larger answer (an orderresult window, a CSV) is
// left to the collector rather than kept for every later small one.
const maxPooledAnswer = 64 << 10

func putAnswerBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledAnswer {
		answerBufs.Put(b)
	}
}

func (a *answer) recordsOrNil() []reflect.Value {
	if a == nil {
		return nil
	}
	return a.records
}

// serviceHandler serves one path of a service: its WSDL on GET ?wsdl, calls on POST (and GET
// for the read services old integrations call that way).
func (s *Server) serviceHandler(svc *service, path string) http.HandlerFunc {
	wsdlGet := s.wsdlHandler(svc)
	allow := "GET, POST"
	if svc.jsonOnly {
		allow = "POST"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && svc.wsdl != "" && isWSDLQuery(r) {
			wsdlGet(w, r)
			return
		}
		if r.Method != http.MethodPost && (r.Method != http.MethodGet || svc.jsonOnly) {
			w.Header().Set("Allow", allow)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		_, op, merchant := s.serve(w, r, svc)
		req := obs.From(r.Context()) // the access log writes the line (accesslog.go)
		req.SetService(svc.serviceName(op))
		req.SetMerchant(merchant)
	}
}
