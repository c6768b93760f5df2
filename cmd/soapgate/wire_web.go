package main

import "soapgate/server"

// webRoutes returns the browser pages (contract section 10) mounted beside the web services.
func (a *App) webRoutes() ([]server.Route, error) {
	return nil, nil
}
