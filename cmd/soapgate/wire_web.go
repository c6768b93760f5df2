package main

import (
	"net/http"
	"strings"

	"soapgate/gateway"
	"soapgate/web"
)

// wireWeb mounts the browser pages (docs/protocol.md#10-browser-pages) beside
// the web services: the payment page, the payment link, the order monitor and their static
// files. Unpaid payment-page orders become Timeout after gateway.payment_ttl through a due job.
func (a *App) wireWeb(mux *http.ServeMux) error {
	pages := &gateway.Pages{Gateway: a.Gateway, TTL: a.Config.Gateway.PaymentTTL}
	a.Gateway.Jobs.Add(pages)
	h, err := web.New(pages, a.Logger)
	if err != nil {
		return err
	}
	h.PublicURL = a.Config.PublicURL
	h.Auth = a.Server.Limiter // one count of failures for the services and the monitor
	if sh := a.DB.Shared(); sh != nil {
		h.Share(sh, sh) // several processes: any of them serves any monitor request
	}
	// Behind TLS (ours, or a proxy's named by public_url) the monitor's cookie is Secure.
	h.SecureCookies = a.Config.TLS.CertFile != "" || strings.HasPrefix(a.Config.PublicURL, "https://")
	h.Register(mux)
	return nil
}
