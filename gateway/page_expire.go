package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// sweepBatch bounds how many due pages one transaction expires.
const sweepBatch = 500

// RunDue makes every payment-page order that nobody paid within the TTL Timeout, so that it
// no longer blocks its ordernumber. Orders that already carry a card are left alone: their
// payment is under way (or settled by Recover after a crash).
func (p *Pages) RunDue(ctx context.Context, now time.Time) error {
	for {
		var n int
		err := p.Gateway.Store.Update(ctx, func(tx Tx) error {
			due, err := tx.DuePages(now, sweepBatch)
			if err != nil {
				return err
			}
			n = len(due)
			for _, pg := range due {
				order, err := tx.OrderByBill(pg.MerchantID, pg.BillNumber)
				if err != nil {
					return err
				}
				if err := expire(tx, order, pg, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < sweepBatch {
			return err
		}
	}
}

// expire makes an unpaid page's order Timeout; an order with a card on it is not touched.
func expire(tx pageOrderTx, order *Order, page *Page, now time.Time) error {
	page.Stage, page.FormToken, page.Card = PageExpired, "", Card{}
	if err := tx.UpdatePage(page); err != nil {
		return err
	}
	if order.State != StateInProcess || order.Card.Ref != "" {
		return nil
	}
	ops, err := tx.Operations(order.ID)
	if err != nil {
		return err
	}
	if len(ops) > 0 && ops[0].State == OpInProcess {
		op := ops[0]
		op.State, op.ResponseCode = OpFailed, "AS100"
		op.Message, op.CustomerMessage = "Timeout: the payment was not completed in time", "The time to pay has run out"
		op.Recommendation = "Return to the shop and place the order again"
		if err := tx.UpdateOperation(op); err != nil {
			return err
		}
	}
	order.State, order.Updated = StateTimeout, now
	return tx.UpdateOrder(order)
}

// ListOrders lists a merchant's orders for the order monitor, newest first.
func (p *Pages) ListOrders(ctx context.Context, m *Merchant, q OrderQuery) ([]*Order, error) {
	var out []*Order
	err := p.Gateway.Store.View(ctx, func(tx Tx) (err error) {
		out, err = tx.MonitorOrders(m.ID, q)
		return err
	})
	return out, err
}

// EachOrder calls fn with every order of the merchant matching q, newest first, reading
// batch orders at a time by key, each batch in a read transaction of its own: memory stays
// that of one batch and no transaction stays open while a slow client downloads (the CSV
// export). Orders created after the first batch are not included.
func (p *Pages) EachOrder(ctx context.Context, m *Merchant, q OrderQuery, batch int, fn func(*Order) error) error {
	q.After, q.Offset, q.Limit = nil, 0, batch
	for {
		orders, err := p.ListOrders(ctx, m, q)
		if err != nil {
			return err
		}
		for _, o := range orders {
			if err := fn(o); err != nil {
				return err
			}
		}
		if len(orders) < batch {
			return nil
		}
		q.Before = KeyOf(orders[len(orders)-1])
	}
}

// randomID returns n random bytes as unpadded base64url: unguessable ids and tokens.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
