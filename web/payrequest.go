package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/wire"
)

// payRequest is POST /pay/payrequest.cfm: the payment link (Assist's PHP SDK createPayment).
// The shop's server sends the payment-page parameters with Login and Password, as a form or
// JSON, and gets JSON {"URL", "orderstate", "expirationtime"}; errors are the protocol's JSON
// fault with 401 for 10/100, 500 for 2/x and 400 otherwise.
func (h *Handler) payRequest(w http.ResponseWriter, r *http.Request) {
	secure(w)
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeFault(w, gateway.Errorf(1, 1, "use POST"))
		return
	}
	p, err := params(w, r)
	if err != nil {
		h.refused(r, "payment link", p["merchant_id"], err)
		writeFault(w, err)
		return
	}
	m, err := h.authenticateCall(w, r, p["merchant_id"], p["login"], p["password"])
	if err != nil {
		h.refused(r, "payment link", p["merchant_id"], err)
		writeFault(w, err)
		return
	}
	page, err := h.create(r, m, p, "")
	if err != nil {
		if gateway.AsError(err).First == 2 {
			h.log(r).Error("web: payrequest", "err", err)
		}
		h.refused(r, "payment link", p["merchant_id"], err)
		writeFault(w, err)
		return
	}
	obs.From(r.Context()).SetCodes(0, 0)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]string{
		"URL":            wire.BaseURL(h.PublicURL, r) + "/pay/order/" + page.ID,
		"orderstate":     string(gateway.StateInProcess),
		"expirationtime": page.Expires.UTC().Format("02.01.2006 15:04:05"),
	})
}

// authenticateCall checks a service call's credentials under the same failure limits as the
// web services (auth.Limiter): a throttled client is refused before any password check,
// with HTTP 429 and Retry-After.
func (h *Handler) authenticateCall(w http.ResponseWriter, r *http.Request, id, login, password string) (m *gateway.Merchant, err error) {
	addr := wire.ClientIP(r)
	wait, err := h.Auth.Attempt(login, addr, login != "" && password != "", func() (err error) {
		m, err = h.Pages.Gateway.Merchants.Authenticate(id, login, password)
		return err
	}, func(err error) bool { return err == gateway.ErrAuth })
	switch {
	case wait > 0:
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.log(r).Warn("payrequest: authentication throttled", obs.KeyMerchant, obs.Merchant(id), "ip", addr)
		return nil, errThrottled
	case err == gateway.ErrAuth:
		h.log(r).Warn("payrequest: authentication failed", obs.KeyMerchant, obs.Merchant(id), "ip", addr)
	}
	return m, err
}

// errThrottled is 10/100 answered with HTTP 429.
var errThrottled = &gateway.Error{First: gateway.ErrAuth.First, Second: gateway.ErrAuth.Second, Message: gateway.ErrAuth.Message}

// writeFault answers an error as the web services' JSON does.
func writeFault(w http.ResponseWriter, err error) {
	var b bytes.Buffer
	status := wire.JSONFault(&b, gateway.AsError(err))
	if err == errThrottled {
		status = http.StatusTooManyRequests
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
