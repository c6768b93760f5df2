package main

import (
	"soapgate/gateway"
	"soapgate/server"
	"soapgate/web"
)

// webRoutes returns the browser pages (contract section 10) mounted beside the web services:
// the payment page, the payment link, the order monitor and their static files. Unpaid
// payment-page orders become Timeout after gateway.payment_ttl through a due job.
func (a *App) webRoutes() ([]server.Route, error) {
	pages := &gateway.Pages{Gateway: a.Gateway, TTL: a.Config.Gateway.PaymentTTL}
	a.Gateway.Jobs.Add(pages)
	h, err := web.New(pages, a.Logger)
	if err != nil {
		return nil, err
	}
	var routes []server.Route
	for _, r := range h.Routes() {
		routes = append(routes, server.Route{Pattern: r.Pattern, Handler: r.Handler})
	}
	return routes, nil
}
