package gateway

import (
	"context"
	"errors"
	"time"
)

// Unconfirmed two-stage payments do not hold the payer's money forever: Assist voids a
// Delayed payment nobody confirmed after some days. A Delayed or PartialDelayed order older
// than the gateway's DelayedTTL is voided (its unconfirmed rest released) by a due job, through
// the same three steps as a cancel, with the cancel notification.

// DefaultDelayedTTL is how long a two-stage payment waits for its confirm (gateway.delayed_ttl).
const DefaultDelayedTTL = 7 * 24 * time.Hour

// delayedBatch bounds how many expired orders one pass reads at a time.
const delayedBatch = 200

// DelayedTx finds two-stage payments whose time to be confirmed has run out.
type DelayedTx interface {
	// DelayedCreatedBefore lists up to limit Delayed or PartialDelayed orders created at or
	// before t, oldest first, skipping those with an id not above afterID.
	DelayedCreatedBefore(t time.Time, afterID int64, limit int) ([]*Order, error)
}

func (g *Gateway) delayedTTL() time.Duration {
	if g.DelayedTTL <= 0 {
		return DefaultDelayedTTL
	}
	return g.DelayedTTL
}

// DelayedExpires is when an unconfirmed two-stage order is voided; ok is false for an order
// in any other state.
func (g *Gateway) DelayedExpires(o *Order) (at time.Time, ok bool) {
	if o.State != StateDelayed && o.State != StatePartialDelayed {
		return time.Time{}, false
	}
	return o.Created.Add(g.delayedTTL()), true
}

// VoidExpiredDelayed voids every Delayed order, and releases the unconfirmed rest of every
// PartialDelayed one, whose DelayedTTL has run out at now. Each goes through Cancel: the void
// is committed In Process, the processor asked outside any transaction, and the outcome
// committed with its cancel notification, so a crash in between is settled by Recover. An
// order whose confirm or cancel is under way (10/202) is left for a later pass, and one that
// a confirm made Approved after the listing is left alone.
func (g *Gateway) VoidExpiredDelayed(ctx context.Context, now time.Time) error {
	before := now.Add(-g.delayedTTL())
	var errs []error
	var after int64
	for ctx.Err() == nil {
		var due []*Order
		if err := g.Store.View(ctx, func(tx Tx) (err error) {
			due, err = tx.DelayedCreatedBefore(before, after, delayedBatch)
			return err
		}); err != nil {
			return err
		}
		for _, o := range due {
			after = o.ID
			m := g.Merchants.Get(o.MerchantID)
			if m == nil {
				continue // a merchant no longer configured: nothing can be answered for it
			}
			// Only while it is still unconfirmed: a confirm may have landed since the listing.
			_, err := g.Cancel(ctx, m, CancelRequest{AmountRequest: AmountRequest{BillNumber: o.BillNumber}, Reason: "delayed_ttl", UnconfirmedOnly: true})
			if e := AsError(err); err != nil && e.First == 10 {
				continue // its state changed meanwhile, or an operation on it is under way
			} else if err != nil {
				errs = append(errs, err)
				continue
			}
			g.log().Info("voided an unconfirmed two-stage payment", "billnumber", o.BillNumber, "created", o.Created)
		}
		if len(due) < delayedBatch {
			break
		}
	}
	return errors.Join(errs...)
}
