package gateway

import (
	"context"
	"strconv"
	"time"
)

// Leases keep a money movement in flight, and the settlement of an interrupted one, to one
// process when several share a database (PostgreSQL). A lease is held until it is released
// or its holder dies, so what a killed process was doing becomes free for the others, which
// settle it with the processor. Nil on SQLite: one process, which settles what it finds at
// start.
type Leases interface {
	// TryLease takes the lease named key; ok is false when a holder (this process or
	// another) has it.
	TryLease(ctx context.Context, key string) (release func(), ok bool, err error)
}

// SettleGrace is how long an In Process payment or operation is left to the process that
// committed it before another may settle it: that process takes the order's lease just after
// its commit, so past the grace a free lease means that process is gone.
const SettleGrace = 10 * time.Second

func orderLease(orderID int64) string { return "order/" + strconv.FormatInt(orderID, 10) }

// hold takes the order's lease for a money movement this process makes, from just after its
// intent is committed until its outcome is; the returned function releases it.
func (g *Gateway) hold(ctx context.Context, orderID int64) func() {
	if g.Leases == nil {
		return func() {}
	}
	release, ok, err := g.Leases.TryLease(ctx, orderLease(orderID))
	if err != nil || !ok {
		g.log().Warn("order lease not taken", "order_id", orderID, "held", !ok && err == nil, "err", err)
		return func() {}
	}
	return release
}

// claimInterrupted takes the lease of an In Process item that recovery found, committed at
// since: false while its own process may still be working on it (younger than grace, or its
// lease held).
func (g *Gateway) claimInterrupted(ctx context.Context, orderID int64, since time.Time, grace time.Duration) (func(), bool) {
	if g.Leases == nil {
		return func() {}, true
	}
	if grace > 0 && g.Clock.Now().Sub(since) < grace {
		return nil, false
	}
	release, ok, err := g.Leases.TryLease(ctx, orderLease(orderID))
	if err != nil || !ok {
		return nil, false
	}
	return release, true
}

// RecoverDue is the due job that settles, on each run, what processes that died left In
// Process; it is registered when several processes share the database.
func (g *Gateway) RecoverDue(ctx context.Context, _ time.Time) error {
	n, err := g.recover(ctx, SettleGrace)
	if n > 0 {
		g.log().Info("settled interrupted payments", "count", n)
	}
	return err
}

// settledElsewhere returns the recorded answer of a payment another process settled while
// this one waited for the processor (it took the payment for interrupted: possible only in
// the moment between the intent's commit and this process taking the lease), or nil while
// the payment is still In Process. With one process nobody else settles it.
func (g *Gateway) settledElsewhere(tx OrderTx, order *Order) (*Reply, error) {
	if g.Leases == nil {
		return nil, nil
	}
	cur, err := tx.OrderByID(order.ID)
	if err != nil || cur.State == StateInProcess {
		return nil, err
	}
	ops, err := tx.Operations(cur.ID)
	if err != nil || len(ops) == 0 {
		return nil, err
	}
	return &Reply{Order: cur, Op: ops[0]}, nil
}
