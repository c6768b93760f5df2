package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/wire"
)

// orderCFM is /pay/order.cfm (GET or POST): check the request like silentpay, create the
// order and send the browser to its own page, so that reload and back never post twice.
func (h *Handler) orderCFM(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p, err := params(w, r)
	lang := normLang(p["language"])
	if err != nil {
		h.refused(r, "payment page", p["merchant_id"], err)
		h.errorPage(w, r, lang, err)
		return
	}
	m, err := h.merchantByID(p["merchant_id"])
	if err != nil {
		h.refused(r, "payment page", p["merchant_id"], err)
		h.errorPage(w, r, lang, err)
		return
	}
	page, err := h.create(r, m, p, h.payerSecret(w, r))
	if err != nil {
		h.refused(r, "payment page", p["merchant_id"], err)
		h.errorPage(w, r, lang, err)
		return
	}
	http.Redirect(w, r, "/pay/order/"+page.ID, http.StatusSeeOther)
}

// payerCookie holds a browser's secret: the pages it creates remember its hash, and the
// same ordernumber leads back to an unpaid page only for that browser (or a signed request).
const payerCookie = "sg_payer"

// payerSecret returns the browser's secret, giving it one first if it has none. The cookie
// goes with the top-level POST of a shop's form only when SameSite=None, which browsers
// accept only with Secure: over plain HTTP it is Lax, and a repeated cross-site POST from the
// shop gets 10/204 instead of the page (the customer then starts again at the shop).
func (h *Handler) payerSecret(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(payerCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	secret := token(24)
	c := &http.Cookie{Name: payerCookie, Value: secret, Path: "/pay/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if h.SecureCookies || isTLS(r) {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	return secret
}

// create is step 1–2 of the payment page, shared with the payment link: creator is the
// browser's secret (order.cfm) or "" for the merchant's authenticated payrequest.
func (h *Handler) create(r *http.Request, m *gateway.Merchant, p map[string]string, creator string) (*gateway.Page, error) {
	get := func(k string) string { return p[k] }
	if err := wire.Guard(m, wire.PaymentSigned, get); err != nil {
		return nil, err
	}
	req := pageRequest(p, wire.ClientIP(r))
	req.Signed, req.Authenticated, req.Creator = wire.SignatureVerified(m, get), creator == "", creator
	page, order, err := h.Pages.Create(r.Context(), m, req)
	if err != nil {
		return nil, err
	}
	obs.From(r.Context()).SetMerchant(m.ID)
	h.log(r).Info("payment page: order created", obs.KeyMerchant, m.ID, "billnumber", order.BillNumber)
	return page, nil
}

// payData is what the payment, 3-D Secure and result pages show.
type payData struct {
	Page     *gateway.Page
	Order    *gateway.Order
	Payment  *gateway.Operation // the payment operation (.1)
	Merchant string
	Action   string // the form's target
	Token    string
	Error    string         // a card error to show above the form, in the page's language
	Err      *gateway.Error // the error behind it (set by the submit, put into words for the page)
	Holder   string         // echoed back after a card error (never the number or CVC)
	Month    string
	Year     string
	Customer string // the payment's customer message
	// One Click: the customer's saved cards, whether a new card may be saved, and what the
	// payer chose when the form is shown again after an error.
	Saved       []savedCard
	CanRemember bool
	Remember    bool
	Chosen      string
}

// savedCard is a saved card as the payment page offers it: masked, never the number.
type savedCard struct {
	Token, Brand, Masked, Last4, Expiry string
	Expired                             bool // shown, but cannot be chosen
	Checked                             bool
}

// showPage is GET /pay/order/<id>: the card form, the issuer page, a processing page, or —
// once the order is settled — the result (a redirect to the shop when it gave return URLs).
func (h *Handler) showPage(w http.ResponseWriter, r *http.Request) {
	h.showPageWith(w, r, http.StatusOK, nil)
}

func (h *Handler) showPageWith(w http.ResponseWriter, r *http.Request, status int, fill *payData) {
	page, detail, m, err := h.Pages.Load(r.Context(), r.PathValue("id"))
	if errors.Is(err, gateway.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.errorPage(w, r, langRU, err)
		return
	}
	lang := page.Language
	d := &payData{Page: page, Order: detail.Order, Merchant: m.Name, Action: "/pay/order/" + page.ID}
	if len(detail.Ops) > 0 {
		d.Payment = detail.Ops[0]
	}
	if fill != nil {
		d.Holder, d.Month, d.Year = fill.Holder, fill.Month, fill.Year
		d.Remember, d.Chosen = fill.Remember, fill.Chosen
		if fill.Err != nil {
			d.Error = cardError(page.Language, fill.Err)
		}
	}
	if d.Merchant == "" {
		d.Merchant = m.ID
	}
	v := &view{Lang: lang, Data: d, Secure: isTLS(r)}
	live := h.Pages.Gateway.Clock.Now().Before(page.Expires)
	if detail.Order.State == gateway.StateInProcess {
		switch {
		case page.Stage == gateway.PageCard && live:
			v.Title, d.Token = text(lang, "pay.title"), page.FormToken
			if err := h.offerSaved(r, m, d, fill == nil); err != nil {
				h.errorPage(w, r, lang, err)
				return
			}
			h.render(w, status, "pay", v)
			return
		case page.Stage == gateway.PageIssuer && live:
			v.Title, d.Token, d.Action = text(lang, "3ds.title"), page.FormToken, d.Action+"/3ds"
			h.render(w, status, "issuer", v)
			return
		case page.Stage == gateway.PagePaying:
			v.Title, v.Refresh = text(lang, "res.title"), 2
			h.render(w, status, "result", v)
			return
		}
		// Expired, not yet swept: show it as it will be.
		expired := *detail.Order
		expired.State = gateway.StateTimeout
		d.Order = &expired
	}
	h.finish(w, r, d, v)
}

// offerSaved fills the customer's saved cards (One Click) into the card form. The first card
// that can be used is chosen unless the payer chose otherwise (fresh: the form's first showing).
func (h *Handler) offerSaved(r *http.Request, m *gateway.Merchant, d *payData, fresh bool) error {
	pc, err := h.Pages.SavedCards(r.Context(), m, d.Order)
	if err != nil {
		return err
	}
	d.CanRemember = pc.CanRemember
	now := h.Pages.Gateway.Clock.Now()
	for _, c := range pc.Cards {
		sc := savedCard{Token: c.Token, Brand: c.Card.Brand, Masked: c.Card.Masked(), Last4: c.Card.Last4,
			Expiry: c.Card.Expiry(), Expired: c.Card.ExpiredAt(now)}
		if !sc.Expired && ((fresh && d.Chosen == "") || d.Chosen == c.Token) {
			sc.Checked, d.Chosen = true, c.Token
		}
		d.Saved = append(d.Saved, sc)
	}
	return nil
}

// formTokens splits the form's token values: the page's one-time form token (the hidden
// input, first in document order) and the saved card chosen (#saved-cards radios, an
// upper-case UUID; empty for "a new card").
func formTokens(values []string) (form, saved string) {
	for _, v := range values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case isUUID(v):
			saved = v
		case form == "":
			form = v
		}
	}
	return form, saved
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20 // lower-case letters
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if s[i] != '-' {
				return false
			}
		case (c < '0' || c > '9') && (c < 'a' || c > 'f'):
			return false
		}
	}
	return true
}

// finish sends the customer back to the shop (URL_RETURN_OK or URL_RETURN_NO, URL_RETURN for
// a missing one) with ordernumber and billnumber added, or shows the result page.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, d *payData, v *view) {
	paid := d.Payment != nil && d.Payment.State == gateway.OpSuccess && d.Order.State != gateway.StateTimeout
	if target := d.Page.ReturnFor(paid); target != "" {
		http.Redirect(w, r, withOrder(target, d.Order), http.StatusSeeOther)
		return
	}
	if d.Payment != nil {
		if t, ok := customerTexts[d.Payment.ResponseCode]; ok && d.Order.State != gateway.StateTimeout {
			d.Customer = pick(t, v.Lang)
		}
	}
	v.Title = text(v.Lang, "res.title")
	h.render(w, http.StatusOK, "result", v)
}

// withOrder adds ordernumber and billnumber to a return URL, keeping its own query as sent.
func withOrder(target string, o *gateway.Order) string {
	u, err := url.Parse(target)
	if err != nil {
		return target // checked when the order was created
	}
	add := "ordernumber=" + url.QueryEscape(o.OrderNumber) + "&billnumber=" + o.BillNumber
	if u.RawQuery == "" {
		u.RawQuery = add
	} else {
		u.RawQuery += "&" + add
	}
	return u.String()
}

// submitCard is POST /pay/order/<id>: exactly one submit per page gets through; any other
// (double click, back button, second tab) is sent to the page as it stands.
func (h *Handler) submitCard(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		http.Redirect(w, r, "/pay/order/"+id, http.StatusSeeOther)
		return
	}
	f := r.PostForm
	card := gateway.CardData{Number: f.Get("CardNumber"), ExpMonth: strings.TrimSpace(f.Get("ExpireMonth")),
		ExpYear: strings.TrimSpace(f.Get("ExpireYear")), CVC: strings.TrimSpace(f.Get("CVC2")), Holder: strings.TrimSpace(f.Get("Cardholder"))}
	formToken, saved := formTokens(f["token"])
	// A card number typed in wins over a saved card left chosen: without a script the saved
	// card stays selected while the payer types a new one.
	if strings.TrimSpace(card.Number) != "" {
		saved = ""
	}
	remember := f.Get("remember") != ""
	reply, challenged, err := h.Pages.Pay(r.Context(), id, gateway.PageSubmit{FormToken: formToken, Card: card, Remember: remember, SavedToken: saved})
	h.pageOutcome(r, "card", reply, challenged, err)
	switch e := gateway.AsError(err); {
	case err == nil || challenged || errors.Is(err, gateway.ErrPageUsed):
	case errors.Is(err, gateway.ErrNotFound):
		h.notFound(w, r)
		return
	case e.First == 5:
		// A card field the form could not take: show the form again, without the number or CVC.
		h.showPageWith(w, r, http.StatusBadRequest, &payData{Err: e, Holder: card.Holder, Month: card.ExpMonth,
			Year: card.ExpYear, Remember: remember, Chosen: saved})
		return
	default:
		// The order keeps its state (In Process with the card: Recover settles it); show the
		// page. pageOutcome logged the error.
	}
	h.afterPost(w, r, id)
}

// submitCode is POST /pay/order/<id>/3ds: the simulated issuer's answer.
func (h *Handler) submitCode(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		http.Redirect(w, r, "/pay/order/"+id, http.StatusSeeOther)
		return
	}
	reply, err := h.Pages.Verify(r.Context(), id, r.PostForm.Get("token"), r.PostForm.Get("code"))
	h.pageOutcome(r, "3-D Secure code", reply, false, err)
	if errors.Is(err, gateway.ErrNotFound) {
		h.notFound(w, r)
		return
	}
	h.afterPost(w, r, id)
}

// afterPost answers a submit with 303: straight to the shop when the order is settled and
// the shop gave a return URL, else to the page itself (Post/Redirect/Get).
func (h *Handler) afterPost(w http.ResponseWriter, r *http.Request, id string) {
	target := "/pay/order/" + id
	if page, detail, _, err := h.Pages.Load(r.Context(), id); err == nil && detail.Order.State != gateway.StateInProcess && len(detail.Ops) > 0 {
		paid := detail.Ops[0].State == gateway.OpSuccess && detail.Order.State != gateway.StateTimeout
		if u := page.ReturnFor(paid); u != "" {
			target = withOrder(u, detail.Order)
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
