package main

import (
	"context"
	"errors"
	"time"

	"soapgate/gateway"
)

// wireRecurring sets up recurring series, saved cards and scheduled operations
// (docs/protocol.md sections 5, 7 and 9): their due work goes to a.Gateway.Jobs.
// The scheduler and saved-card services are rows of the server's service table.
func (a *App) wireRecurring() error {
	g := a.Gateway
	// Retry windows end before due charges run, so a charge never goes to a series that the
	// card-network rules stopped at the same instant.
	g.Jobs.Add(gateway.JobFunc(func(ctx context.Context, now time.Time) error {
		return errors.Join(g.EndRetryWindows(ctx, now), g.RunSchedules(ctx, now))
	}))
	return nil
}
