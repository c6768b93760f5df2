package main

import (
	"net/http"

	"soapgate/notify"
)

// wireNotify sets up result notifications to merchants (contract section 8): the deliverer
// runs in the background, woken by commits that queue notifications, and as a due job so
// that a test clock's move runs the retries that became due.
func (a *App) wireNotify() error {
	cfg := a.Config.Gateway
	d := &notify.Deliverer{
		Store: a.DB, Merchants: a.Gateway.Merchants, Clock: a.Gateway.Clock,
		Checks:      notify.Checks{Signer: a.Server.Signer, DSig: a.Server.DSig},
		Client:      &http.Client{Timeout: cfg.NotifyTimeout},
		Retries:     cfg.NotifyRetries,
		Concurrency: cfg.NotifyConcurrency,
		Kick:        a.DB.Outbox(),
		Logger:      a.Logger,
	}
	a.Gateway.Jobs.Add(d)
	a.background = append(a.background, d.Run)
	return nil
}
