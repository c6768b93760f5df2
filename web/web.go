// Package web renders the browser screens of docs/protocol.md#10-browser-pages: the payment page a shop
// sends its customer to, the payment link endpoint, and the merchant's order monitor. Pages
// are html/template with embedded static files, work without JavaScript, and call the same
// gateway operations as the web services.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"soapgate/auth"
	"soapgate/gateway"
	"soapgate/wire"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// MaxForm bounds a browser form or payment-link body (bytes).
const MaxForm = 64 << 10

// CSP is sent with every page: nothing loads from another origin, no page is framed.
const CSP = "default-src 'self'; frame-ancestors 'none'"

// Handler serves the payment page, the payment link and the order monitor.
type Handler struct {
	Pages  *gateway.Pages
	Logger *slog.Logger
	// SecureCookies marks cookies Secure also when TLS ends before soapgate (a proxy);
	// they are Secure whenever the request itself came over TLS.
	SecureCookies bool
	// PublicURL is the gateway's address as customers reach it; when set, payment links use
	// it instead of the request's scheme and Host.
	PublicURL string
	// Auth counts failed sign-ins together with the web services' failed authentications
	// (one limiter for both); nil leaves only the monitor's own early slowdown.
	Auth *auth.Limiter

	tmpl     map[string]*template.Template
	sessions sessionStore
	limiter  *limiter
}

// Route is a pattern and its handler, for the server's mux.
type Route struct {
	Pattern string
	Handler http.Handler
}

// New parses the templates and returns a ready handler.
func New(pages *gateway.Pages, logger *slog.Logger) (*Handler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	h := &Handler{Pages: pages, Logger: logger, tmpl: map[string]*template.Template{},
		sessions: newSessions(), limiter: newLimiter()}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, err
		}
		h.tmpl[name] = t
	}
	return h, nil
}

// Register mounts the pages on mux, beside the web services.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
}

// Routes lists what the handler serves.
func (h *Handler) Routes() []Route {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/assets/", http.FileServerFS(static))
	r := []Route{
		{"/pay/order.cfm", h.pageHeaders(h.orderCFM)},
		{"GET /pay/order/{id}", h.pageHeaders(h.showPage)},
		{"POST /pay/order/{id}", h.pageHeaders(h.submitCard)},
		{"POST /pay/order/{id}/3ds", h.pageHeaders(h.submitCode)},
		{"/pay/order/", h.pageHeaders(h.notFound)},
		{"/pay/payrequest.cfm", http.HandlerFunc(h.payRequest)},
		{"GET /assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			secure(w)
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
		})},
	}
	return append(r, h.monitorRoutes()...)
}

// secure sets the headers every page carries.
func secure(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	// The payment page's URL is a capability: never leak it to the shop or anyone else.
	hd.Set("Referrer-Policy", "no-referrer")
}

// pageHeaders adds the security headers and no-store: these pages take or show card data.
func (h *Handler) pageHeaders(fn http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure(w)
		w.Header().Set("Cache-Control", "no-store")
		fn(w, r)
	})
}

// view is what every template gets: the language and the page's own data.
type view struct {
	Lang  string
	Title string
	Data  any
	CSRF  string
	User  string // the signed-in merchant's name (monitor)
	Flash *flash
	Query string // the monitor's current query, for the language switch
	// Refresh makes the page reload itself after this many seconds (meta refresh, no script).
	Refresh int
	// Secure: the browser's connection is HTTPS (ours or a trusted proxy's), so the page may
	// say the card travels over a secure connection.
	Secure bool
	// expiry tells when an unconfirmed two-stage order is voided (monitor pages).
	expiry func(*gateway.Order) (time.Time, bool)
}

// Expires is when a Delayed or PartialDelayed order is voided unless confirmed
// (gateway.delayed_ttl), as DD.MM.YYYY HH:MM:SS GMT; empty for any other order.
func (v *view) Expires(o *gateway.Order) string {
	if v.expiry == nil {
		return ""
	}
	at, ok := v.expiry(o)
	if !ok {
		return ""
	}
	return at.UTC().Format("02.01.2006 15:04:05")
}

// T returns a text in the view's language.
func (v *view) T(key string) string { return text(v.Lang, key) }

// Money formats an amount for the view's language.
func (v *view) Money(a gateway.Amount, currency string) string { return money(a, currency, v.Lang) }

// Number formats an amount without a currency sign (the currency has its own column).
func (v *view) Number(a gateway.Amount) string { return money(a, "", v.Lang) }

// State is a state's badge text.
func (v *view) State(s gateway.State) string { return stateLabel(v.Lang, s) }

// OpType names an operation type.
func (v *view) OpType(t gateway.OpType) string {
	if l, ok := opTypeLabels[t]; ok {
		return pick(l, v.Lang)
	}
	return t.String()
}

// Note names a notification event, state or attempt outcome.
func (v *view) Note(s any) string {
	key := fmt.Sprint(s)
	if l, ok := noteLabels[key]; ok {
		return pick(l, v.Lang)
	}
	return key
}

// HTMLLang is the lang attribute.
func (v *view) HTMLLang() string { return strings.ToLower(v.Lang) }

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("02.01.2006 15:04:05") },
	"badge": func(s gateway.State) string {
		return "badge-" + strings.ToLower(strings.ReplaceAll(string(s), " ", ""))
	},
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

// render writes a template with status; a template failure is logged and answered 500.
func (h *Handler) render(w http.ResponseWriter, status int, name string, v *view) {
	t := h.tmpl[name]
	var b bytes.Buffer
	if t == nil {
		h.Logger.Error("web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		h.Logger.Error("web: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// errorData is the error page's content.
type errorData struct {
	Code        string // firstcode/secondcode
	Explanation string
	Detail      string   // English: the gateway's message
	Param       errParam // Russian: the parameter the message names
}

// errorPage answers a refused payment request: HTTP 400 (500 for internal errors) with the
// code in #error beside a human explanation. Nothing was written.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, lang string, err error) {
	e := gateway.AsError(err)
	status := http.StatusBadRequest
	if e.First == 2 {
		status = http.StatusInternalServerError
		h.log(r).Error("web: internal error", "path", r.URL.Path, "err", err)
	}
	code := itoa(e.First) + "/" + itoa(e.Second)
	expl, detail, param := explainParam(lang, e)
	h.render(w, status, "error", &view{Lang: lang, Title: text(lang, "err.title"),
		Data: errorData{Code: code, Explanation: expl, Detail: detail, Param: param}})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	lang := normLang(r.URL.Query().Get("Language"))
	h.render(w, http.StatusNotFound, "notfound", &view{Lang: lang, Title: text(lang, "err.notfound")})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// params reads a request's parameters, names lowercased (matched case-insensitively): a
// POST's from its body only (a form or JSON), a GET's from the query. A name given twice with
// different values is refused (5/110), as the web services do.
func params(w http.ResponseWriter, r *http.Request) (wire.Params, error) {
	out := wire.Params{}
	if r.Method != http.MethodPost {
		return out, out.SetValues(r.URL.Query())
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(MaxForm); err != nil {
			return out, gateway.Errorf(1, 1, "the form could not be read")
		}
		return out, out.SetValues(url.Values(r.MultipartForm.Value))
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return out, gateway.Errorf(1, 1, "the request body could not be read")
		}
		return out, out.SetJSON(body, maxJSONDepth)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || !utf8.Valid(body) {
		return out, gateway.Errorf(1, 1, "the form could not be read")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return out, gateway.Errorf(1, 1, "the form could not be read")
	}
	return out, out.SetValues(form)
}

// maxJSONDepth bounds the nesting of a JSON body.
const maxJSONDepth = 16

// merchantByID finds the merchant a payment page names: 5/100 when the id is missing or
// malformed, 10/100 when no such merchant is configured.
func (h *Handler) merchantByID(id string) (*gateway.Merchant, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 16 || strings.Trim(id, "0123456789") != "" {
		return nil, gateway.Invalid(gateway.CodeMerchantID, "merchant_id is missing or malformed")
	}
	m := h.Pages.Gateway.Merchants.Get(id)
	if m == nil {
		return nil, gateway.ErrAuth
	}
	return m, nil
}

// pageRequest maps the payment page's parameters to the gateway's request. The payer's
// address is the connection's, never a ClientIP parameter the browser could choose.
func pageRequest(p map[string]string, ip string) gateway.PageRequest {
	return gateway.PageRequest{
		OrderNumber: p["ordernumber"], Amount: p["orderamount"], Currency: p["ordercurrency"],
		Comment: p["ordercomment"], TwoStage: p["delay"],
		Customer: gateway.Customer{FirstName: p["firstname"], LastName: p["lastname"], MiddleName: p["middlename"],
			Email: p["email"], MobilePhone: p["mobilephone"], IPAddress: ip,
			Buyer: gateway.Buyer{Address: p["address"], HomePhone: p["homephone"], WorkPhone: p["workphone"], Fax: p["fax"],
				Country: p["country"], State: p["state"], City: p["city"], Zip: p["zip"]}},
		CustomerNumber: p["customernumber"],
		Receipt: gateway.ReceiptRequest{ChequeItems: p["chequeitems"], Generate: p["generatereceipt"], Tax: p["tax"],
			Line: p["receiptline"], FPMode: p["fpmode"], TaxationSystem: p["taxationsystem"]},
		Recurring: gateway.RecurringRequest{Indicator: p["recurringindicator"], MinAmount: p["recurringminamount"],
			MaxAmount: p["recurringmaxamount"], Period: p["recurringperiod"], MaxDate: p["recurringmaxdate"]},
		Language: p["language"], ReturnURL: p["url_return"], ReturnOK: p["url_return_ok"], ReturnNo: p["url_return_no"],
	}
}

func isTLS(r *http.Request) bool { return wire.IsHTTPS(r) }
