package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"soapgate/gateway"
	"soapgate/wire"
)

// payRequest is POST /pay/payrequest.cfm: the payment link (Assist's PHP SDK createPayment).
// The shop's server sends the payment-page parameters with Login and Password, as a form or
// JSON, and gets JSON {"URL", "orderstate", "expirationtime"}; errors are the contract's JSON
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
		writeFault(w, err)
		return
	}
	if _, err := h.Pages.Gateway.Merchants.Authenticate(p["merchant_id"], p["login"], p["password"]); err != nil {
		writeFault(w, err)
		return
	}
	page, err := h.create(r, p)
	if err != nil {
		if gateway.AsError(err).First == 2 {
			h.Logger.Error("web: payrequest", "err", err)
		}
		writeFault(w, err)
		return
	}
	scheme := "http"
	if isTLS(r) {
		scheme = "https"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]string{
		"URL":            scheme + "://" + r.Host + "/pay/order/" + page.ID,
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

// decodeJSON flattens a JSON object's members into lowercase parameters (nested objects
// give their members, as the web services read {"merchant":{"merchant_id":…}}).
func decodeJSON(r *http.Request, dst map[string]string) error {
	body, err := io.ReadAll(r.Body)
	if err != nil || !utf8.Valid(body) {
		return gateway.Errorf(1, 1, "the request body could not be read")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return gateway.Errorf(1, 1, "the request is not a JSON object")
	}
	flatten(v, dst, 0)
	return nil
}

func flatten(v map[string]any, dst map[string]string, depth int) {
	if depth > 8 {
		return
	}
	for k, val := range v {
		key := strings.ToLower(k)
		switch t := val.(type) {
		case string:
			dst[key] = strings.TrimSpace(t)
		case json.Number:
			dst[key] = t.String()
		case bool:
			dst[key] = strconv.FormatBool(t)
		case map[string]any:
			flatten(t, dst, depth+1)
		case nil:
			dst[key] = ""
		}
	}
}
