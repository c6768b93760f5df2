package main

import (
	"net/http"

	"soapgate/gateway"
	"soapgate/notify"
)

// wireNotify sets up result notifications to merchants (docs/protocol.md#8-notifications): the deliverer
// runs in the background, woken by commits that queue notifications, and as a due job so
// that a test clock's move runs the retries that became due. Another due job prunes
// delivered and rejected notifications past gateway.notify_retention.
func (a *App) wireNotify() error {
	if err := notify.CheckWSDL(); err != nil {
		return err
	}
	cfg := a.Config.Gateway
	d := &notify.Deliverer{
		Store: a.DB, Merchants: a.Gateway.Merchants, Clock: a.Gateway.Clock,
		Message:     notify.Message{Wire: a.Server.Wire, DSig: a.Server.DSig},
		Client:      &http.Client{Timeout: cfg.NotifyTimeout, Transport: notify.NewTransport()},
		Retries:     cfg.NotifyRetries,
		Concurrency: cfg.NotifyConcurrency,
		Kick:        a.DB.Outbox(),
		Logger:      a.Logger,
		Counted:     a.Metrics.NotificationAttempt,
	}
	a.Gateway.Jobs.Add(d)
	a.Gateway.Jobs.Add(&gateway.NotifyPruner{Store: a.DB, Retention: cfg.NotifyRetention})
	a.background = append(a.background, d.Run)
	return nil
}
