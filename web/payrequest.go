package web

import (
	"bytes"
	"encoding/json"
	"net/http"

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
	if _, err := h.Pages.Gateway.Merchants.Authenticate(p["merchant_id"], p["login"], p["password"]); err != nil {
		h.refused(r, "payment link", p["merchant_id"], err)
		writeFault(w, err)
		return
	}
	page, err := h.create(r, p)
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

// writeFault answers an error as the web services' JSON does.
func writeFault(w http.ResponseWriter, err error) {
	var b bytes.Buffer
	status := wire.JSONFault(&b, gateway.AsError(err))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
