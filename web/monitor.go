package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/wire"
)

// PageSize is how many orders one monitor page lists.
const PageSize = 50

func (h *Handler) monitorRoutes() []Route {
	m := func(fn http.HandlerFunc) http.Handler { return h.pageHeaders(fn) }
	return []Route{
		{"GET /monitor/{$}", m(h.monitorHome)},
		{"POST /monitor/signin", m(h.signIn)},
		{"POST /monitor/signout", m(h.authed(h.signOut))},
		{"GET /monitor/lang", m(h.switchLang)},
		{"GET /monitor/orders", m(h.authed(h.orderList))},
		{"GET /monitor/orders.csv", m(h.authed(h.orderCSV))},
		{"GET /monitor/orders/{bill}", m(h.authed(h.orderDetail))},
		{"POST /monitor/orders/{bill}/{action}", m(h.authed(h.orderAction))},
		{"/monitor/", m(h.monitorNotFound)},
	}
}

// monitorCtx is a signed-in request.
type monitorCtx struct {
	s    *session
	m    *gateway.Merchant
	lang string
}

func (h *Handler) lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		return normLang(c.Value)
	}
	return langRU
}

func (h *Handler) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return h.sessions.get(c.Value)
}

// authed lets signed-in merchants through. A POST must carry the session's CSRF token
// (403 otherwise); a GET without a session goes to the sign-in page.
func (h *Handler) authed(fn func(http.ResponseWriter, *http.Request, *monitorCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
			if s == nil || r.ParseForm() != nil || !sameToken(r.PostForm.Get("csrf"), s.csrf) {
				h.forbidden(w, r)
				return
			}
		}
		if s == nil {
			http.Redirect(w, r, "/monitor/", http.StatusSeeOther)
			return
		}
		m := h.Pages.Gateway.Merchants.Get(s.merchant)
		if m == nil {
			h.sessions.delete(s.id)
			http.Redirect(w, r, "/monitor/", http.StatusSeeOther)
			return
		}
		obs.From(r.Context()).SetMerchant(m.ID)
		fn(w, r, &monitorCtx{s: s, m: m, lang: h.lang(r)})
	}
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	h.render(w, http.StatusForbidden, "error", &view{Lang: lang, Title: "403",
		Data: errorData{Code: "403", Explanation: pick([2]string{"Форма устарела или отправлена не со страницы монитора. Обновите страницу и повторите.",
			"The form is stale or was not sent from the monitor. Reload the page and try again."}, lang)}})
}

func (h *Handler) monitorNotFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusNotFound, "notfound", &view{Lang: h.lang(r), Title: text(h.lang(r), "err.notfound")})
}

// signInData is the sign-in page's content.
type signInData struct {
	Login   string
	Problem string
}

// monitorHome is the sign-in page, or the order list for a signed-in merchant.
func (h *Handler) monitorHome(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, "/monitor/orders", http.StatusSeeOther)
		return
	}
	h.signInPage(w, r, http.StatusOK, signInData{})
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request, status int, d signInData) {
	csrf := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		csrf = c.Value
	} else {
		csrf = token(24)
		http.SetCookie(w, h.cookie(r, csrfCookie, csrf, 0))
	}
	lang := h.lang(r)
	h.render(w, status, "signin", &view{Lang: lang, Title: text(lang, "mon.title"), CSRF: csrf, Data: d})
}

// signIn checks login and password (the sign-in form's CSRF token first); failures from one
// address are slowed down.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	c, err := r.Cookie(csrfCookie)
	if err != nil || r.ParseForm() != nil || !sameToken(r.PostForm.Get("csrf"), c.Value) {
		h.forbidden(w, r)
		return
	}
	ip := wire.ClientIP(r)
	login, password := r.PostForm.Get("login"), r.PostForm.Get("password")
	lang := h.lang(r)
	wait := h.limiter.wait(login, ip)
	if h.Auth != nil {
		wait = max(wait, h.Auth.Wait(login, ip))
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.log(r).Warn("monitor: sign-in throttled", "client", ip)
		h.signInPage(w, r, http.StatusTooManyRequests, signInData{Login: login, Problem: text(lang, "mon.slow")})
		return
	}
	m := h.authenticate(login, password)
	if m == nil {
		h.limiter.fail(login, ip)
		if h.Auth != nil && login != "" && password != "" {
			h.Auth.Failed(login, ip)
		}
		h.log(r).Warn("monitor: failed sign-in", "client", ip, obs.KeyOutcome, "refused")
		h.signInPage(w, r, http.StatusUnauthorized, signInData{Login: login, Problem: text(lang, "mon.badlogin")})
		return
	}
	h.limiter.succeed(login, ip)
	if h.Auth != nil {
		h.Auth.Succeeded(login, ip)
	}
	s, err := h.sessions.create(m.ID)
	if err != nil {
		h.errorPage(w, r, lang, err)
		return
	}
	http.SetCookie(w, h.cookie(r, sessionCookie, s.id, 0))
	http.SetCookie(w, h.cookie(r, csrfCookie, "", -1))
	obs.From(r.Context()).SetMerchant(m.ID)
	h.log(r).Info("monitor: signed in", obs.KeyMerchant, m.ID, "client", ip)
	http.Redirect(w, r, "/monitor/orders", http.StatusSeeOther)
}

// authenticate finds the merchant by login and checks the password in constant time; an
// unknown login is compared against a dummy so that timing does not tell.
func (h *Handler) authenticate(login, password string) *gateway.Merchant {
	if login == "" || password == "" {
		return nil
	}
	ms := h.Pages.Gateway.Merchants
	for _, m := range ms.All() {
		if m.Login == login {
			if ok, err := ms.Authenticate(m.ID, login, password); err == nil {
				return ok
			}
		}
	}
	ms.Authenticate("0", login, password)
	return nil
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, c *monitorCtx) {
	h.sessions.delete(c.s.id)
	http.SetCookie(w, h.cookie(r, sessionCookie, "", -1))
	http.Redirect(w, r, "/monitor/", http.StatusSeeOther)
}

// switchLang sets the monitor's language and goes back to where the switch was pressed.
func (h *Handler) switchLang(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, h.cookie(r, langCookie, normLang(r.URL.Query().Get("to")), 365*24*3600))
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/monitor/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		next = "/monitor/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// listData is the order list's content.
type listData struct {
	Orders               []*gateway.Order
	From, To, State, Num string
	States               []gateway.State
	Page                 int
	Prev, Next, CSV      string
	before, after        *gateway.OrderKey // the page's key from next/prev links
	Problem              string
}

var allStates = []gateway.State{gateway.StateInProcess, gateway.StateDelayed, gateway.StateApproved,
	gateway.StatePartialDelayed, gateway.StateCanceled, gateway.StatePartialCanceled, gateway.StateDeclined, gateway.StateTimeout}

// filters reads from, to (YYYY-MM-DD or DD.MM.YYYY, GMT, both inclusive), state and
// ordernumber; a value that does not parse is ignored and reported.
func filters(q url.Values) (gateway.OrderQuery, *listData) {
	d := &listData{From: q.Get("from"), To: q.Get("to"), State: q.Get("state"), Num: strings.TrimSpace(q.Get("ordernumber")), States: allStates}
	var oq gateway.OrderQuery
	if t, ok := parseDay(d.From); ok {
		oq.From = t
	} else if d.From != "" {
		d.Problem, d.From = "from", ""
	}
	if t, ok := parseDay(d.To); ok {
		oq.To = t.Add(24 * time.Hour)
	} else if d.To != "" {
		d.Problem, d.To = "to", ""
	}
	for _, s := range allStates {
		if string(s) == d.State {
			oq.State = s
		}
	}
	if oq.State == "" {
		d.State = ""
	}
	oq.OrderNumber = d.Num
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	d.before, d.after = parseKey(q.Get("before")), parseKey(q.Get("after"))
	return oq, d
}

// formatKey writes an order's list position for next/prev links: created (unix ms) and id.
func formatKey(k *gateway.OrderKey) string {
	return strconv.FormatInt(k.Created.UnixMilli(), 10) + "." + strconv.FormatInt(k.ID, 10)
}

// parseKey reads formatKey's form; anything else is no key (the first page).
func parseKey(s string) *gateway.OrderKey {
	ms, id, ok := strings.Cut(s, ".")
	if !ok {
		return nil
	}
	m, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || m < 0 || n < 0 {
		return nil
	}
	return &gateway.OrderKey{Created: time.UnixMilli(m).UTC(), ID: n}
}

func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02.01.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// query writes the filters back as a query string, with a page number and the key of the
// page's neighbour (key "before" or "after").
func (d *listData) query(page int, key string, at *gateway.OrderKey) string {
	v := url.Values{}
	for k, val := range map[string]string{"from": d.From, "to": d.To, "state": d.State, "ordernumber": d.Num} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
		if at != nil {
			v.Set(key, formatKey(at))
		}
	}
	return v.Encode()
}

// orderList pages by key: next links carry the last row's key (before=), prev links the
// first row's (after=); page= only numbers the page. A page= without a key (an old link)
// still works by offset.
func (h *Handler) orderList(w http.ResponseWriter, r *http.Request, c *monitorCtx) {
	oq, d := filters(r.URL.Query())
	oq.Limit = PageSize + 1
	switch {
	case d.before != nil:
		oq.Before = d.before
	case d.after != nil:
		oq.After = d.after
	default:
		oq.Offset = (d.Page - 1) * PageSize
	}
	orders, err := h.Pages.ListOrders(r.Context(), c.m, oq)
	if err == nil && oq.After != nil && len(orders) <= PageSize {
		// Back at the newest orders: show the first page, full.
		d.Page, oq.After = 1, nil
		orders, err = h.Pages.ListOrders(r.Context(), c.m, oq)
	}
	if err != nil {
		h.errorPage(w, r, c.lang, err)
		return
	}
	more := len(orders) > PageSize // an older page follows
	if oq.After != nil {
		more = true // we came back from an older page
		if len(orders) > PageSize {
			orders = orders[1:] // newest first: the extra row is the newest
		}
	} else if more {
		orders = orders[:PageSize]
	}
	if more && len(orders) > 0 {
		d.Next = "/monitor/orders?" + d.query(d.Page+1, "before", gateway.KeyOf(orders[len(orders)-1]))
	}
	if d.Page > 1 && len(orders) > 0 {
		d.Prev = "/monitor/orders?" + d.query(d.Page-1, "after", gateway.KeyOf(orders[0]))
	} else if d.Page > 1 {
		d.Prev = "/monitor/orders?" + d.query(1, "", nil)
	}
	d.Orders, d.CSV = orders, "/monitor/orders.csv?"+d.query(1, "", nil)
	h.render(w, http.StatusOK, "orders", h.monitorView(c, text(c.lang, "mon.orders"), r, d))
}

func (h *Handler) monitorView(c *monitorCtx, title string, r *http.Request, data any) *view {
	name := c.m.Name
	if name == "" {
		name = c.m.ID
	}
	return &view{Lang: c.lang, Title: title, CSRF: c.s.csrf, User: name + " · " + c.m.ID, Data: data,
		Query: r.URL.RequestURI(), expiry: h.Pages.Gateway.DelayedExpires}
}

// CSVBatch is how many orders the CSV export reads at a time: its memory, whatever the
// export's size.
const CSVBatch = 500

// orderCSV exports the list's selection (every matching order, not just one page), streamed
// in batches by key. An error after the first batch can only cut the download short.
func (h *Handler) orderCSV(w http.ResponseWriter, r *http.Request, c *monitorCtx) {
	oq, _ := filters(r.URL.Query())
	started := false
	err := h.Pages.EachOrder(r.Context(), c.m, oq, CSVBatch, func(o *gateway.Order) error {
		if !started {
			started = true
			csvHeader(w)
		}
		writeCSVRow(w, []string{o.OrderNumber, o.BillNumber, o.Created.Format("02.01.2006 15:04:05"), o.Amount.String(),
			o.Currency, string(o.State), o.Card.Masked(), o.Card.Brand, o.Card.Holder, o.Customer.LastName,
			o.Customer.FirstName, o.Customer.Email, o.Comment})
		return nil
	})
	switch {
	case err != nil && !started:
		h.errorPage(w, r, c.lang, err)
	case err != nil:
		h.Logger.Error("monitor: CSV export cut short", "merchant_id", c.m.ID, "err", err)
	case !started:
		csvHeader(w)
	}
}

func csvHeader(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="orders.csv"`)
	writeCSVRow(w, []string{"ordernumber", "billnumber", "orderdate", "orderamount", "ordercurrency", "orderstate",
		"meannumber", "meantypename", "cardholder", "lastname", "firstname", "email", "ordercomment"})
}

// writeCSVRow writes one line of the export: every cell quoted as RFC 4180 says (a quote
// doubled), whatever it holds, so that no separator a spreadsheet guesses (';' or ',') splits
// it, and guarded against formulas; lines end in CRLF.
func writeCSVRow(w io.Writer, cells []string) {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(cell(c), `"`, `""`))
		b.WriteByte('"')
	}
	b.WriteString("\r\n")
	io.WriteString(w, b.String())
}

// cell keeps a spreadsheet from reading shop-supplied text as a formula: a cell starting with
// = + - @ or a tab or carriage return is prefixed with an apostrophe. Amounts are never
// negative, so no number is changed.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
