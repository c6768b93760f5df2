package main

import (
	"net/http"

	"soapgate/notify"
)

// wireNotify sets up result notifications to merchants (docs/protocol.md#8-notifications): the deliverer
// runs in the background, woken by commits that queue notifications, and as a due job so
// that a test clock's move runs the retries that became due.
func (a *App) wireNotify() error {
	if err := notify.CheckWSDL(); err != nil {
		return err
	}
	cfg := a.Config.Gateway
	d := &notify.Deliverer{
		Store: a.DB, Merchants: a.Gateway.Merchants, Clock: a.Gateway.Clock,
		Message:     notify.Message{Wire: a.Server.Wire, DSig: a.Server.DSig},
		Client:      &http.Client{Timeout: cfg.NotifyTimeout},
		Retries:     cfg.NotifyRetries,
		Concurrency: cfg.NotifyConcurrency,
		Kick:        a.DB.Outbox(),
		Logger:      a.Logger,
		Leases:      a.Gateway.Leases,
	}
	a.Gateway.Jobs.Add(d)
	a.background = append(a.background, d.Run)
	return nil
}
