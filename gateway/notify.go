package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NotificationState is where a notification stands.
type NotificationState string

const (
	NotifyPending   NotificationState = "pending"   // waiting for its first or next attempt
	NotifyDelivered NotificationState = "delivered" // acknowledged by the merchant
	NotifyRejected  NotificationState = "rejected"  // refused by the merchant: not retried, replayable
	NotifyFailed    NotificationState = "failed"    // no acknowledgement within the attempts allowed
)

// Notification is one result notification to a merchant, written in the same transaction as
// the state change it reports.
type Notification struct {
	ID         int64
	MerchantID string
	OrderID    int64
	BillNumber string // the operation's extended billnumber
	Event      Event
	State      NotificationState
	Attempts   int       // attempts made in all, replays included
	RoundBase  int       // Attempts when it was last replayed: retry intervals count from there
	NextAt     time.Time // when the next attempt is due (pending only)
	Created    time.Time
	DoneAt     time.Time // when it was delivered or rejected; zero otherwise
	Claim      Claim     // who is attempting it now; zero when nobody
	Payload    Payload
}

// Claim is a lease on a notification: only its owner attempts it, until the lease runs out
// (Until, wall clock). A process that dies mid-attempt leaves a claim that runs out, and the
// notification is due again.
type Claim struct {
	Owner string
	Until time.Time
}

// Payload is what a notification reports, frozen at the state change: the order and the
// operation as they stood then, and what the payment saved. The fields sent are made from it
// by package wire when the notification goes out.
type Payload struct {
	Order          Order
	Op             Operation
	Token          string // the saved card's token
	RecurringState string // "Activated" when the payment stored recurring consent
	CustomerNumber string // the customer the card was saved for
}

// Reply is the payload as the operation's outcome it froze.
func (p *Payload) Reply() *Reply {
	return &Reply{Order: &p.Order, Op: &p.Op, Token: p.Token, RecurringState: p.RecurringState, CustomerNumber: p.CustomerNumber}
}

// DeliveryAttempt is one try at delivering a notification.
type DeliveryAttempt struct {
	At         time.Time
	HTTPStatus int    // 0 when no HTTP answer came
	Excerpt    string // the start of the reply
	Error      string // connection error, timeout, refusal reason
	Outcome    string // delivered | rejected | retry | failed
}

// NotificationDetail is a notification with its attempts, as the order monitor shows it.
type NotificationDetail struct {
	Notification
	AttemptLog []DeliveryAttempt
}

// NotificationFilter selects notifications for an operator's list; zero fields match all.
type NotificationFilter struct {
	MerchantID  string
	OrderNumber string
	State       NotificationState
	Since       time.Time // created at or after
}

// OutboxTx writes and reads the notification outbox.
type OutboxTx interface {
	InsertNotification(n *Notification) error // sets n.ID
	// DueNotifications lists up to limit of one merchant's pending notifications that are due
	// at now, unclaimed or with a lease run out at wall, and whose order has no earlier
	// pending one (a cancel is never sent before the payment it cancels), oldest due first.
	DueNotifications(merchantID string, now, wall time.Time, limit int) ([]*Notification, error)
	// PendingMerchantAfter returns the least merchant id above after that has a pending
	// notification, or ErrNoRows.
	PendingMerchantAfter(after string) (string, error)
	// ClaimNotification takes the claim on a notification when it is still due at now and
	// unclaimed at wall (the same conditions as DueNotifications); false when it is not.
	ClaimNotification(id int64, now, wall time.Time, c Claim) (bool, error)
	// FinishNotification records an attempt and, when c still holds the claim, the
	// notification's new state, attempts and next due time, ending the claim in the same
	// write; false when the claim had been lost (the attempt is recorded all the same).
	FinishNotification(n *Notification, c Claim, a DeliveryAttempt) (bool, error)
	// ReleaseNotification gives back a claim that will not be attempted (when c still holds it).
	ReleaseNotification(id int64, c Claim) error
	// ReplayNotification makes a notification pending and due at now, keeping its attempts.
	ReplayNotification(id int64, now time.Time) error
	NotificationByID(id int64) (*Notification, error) // ErrNoRows when absent
	Attempts(notificationID int64) ([]DeliveryAttempt, error)
	NotificationsOfOrder(orderID int64) ([]NotificationDetail, error)
	ListNotifications(f NotificationFilter, limit int) ([]*Notification, error) // newest first
	// PruneNotifications deletes up to limit delivered or rejected notifications done
	// before t, with their attempts, and returns how many it deleted.
	PruneNotifications(before time.Time, limit int) (int, error)
}

// stateChanged writes the notification of a committed state change into the outbox, in the
// same transaction, when the merchant listens for the event.
func (g *Gateway) stateChanged(tx OutboxTx, m *Merchant, event Event, reply *Reply) error {
	if m.Notify.URL == "" || !m.Notify.Events[event] {
		return nil
	}
	now := g.Clock.Now()
	n := &Notification{
		MerchantID: m.ID, OrderID: reply.Order.ID, BillNumber: reply.Op.ExtBillNumber(reply.Order), Event: event,
		State: NotifyPending, NextAt: now, Created: now, Payload: payloadOf(reply),
	}
	return tx.InsertNotification(n)
}

// payloadOf freezes what a notification reports.
func payloadOf(r *Reply) Payload {
	return Payload{Order: *r.Order, Op: *r.Op, Token: r.Token, RecurringState: r.RecurringState, CustomerNumber: r.CustomerNumber}
}

// OrderNotifications lists an order's notifications with every delivery attempt.
func (g *Gateway) OrderNotifications(ctx context.Context, m *Merchant, billNumber string) ([]NotificationDetail, error) {
	bill, err := SplitBillNumber(billNumber)
	if err != nil {
		return nil, err
	}
	var out []NotificationDetail
	err = g.Store.View(ctx, func(tx Tx) error {
		o, err := tx.OrderByBill(m.ID, bill)
		if errors.Is(err, ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		out, err = tx.NotificationsOfOrder(o.ID)
		return err
	})
	return out, err
}

// ReplayNotification queues a notification of the merchant's for delivery again, now. Its
// history stays: the attempt count goes on, and the retry intervals start again from it.
func (g *Gateway) ReplayNotification(ctx context.Context, m *Merchant, id int64) error {
	return g.Store.Update(ctx, func(tx Tx) error {
		n, err := tx.NotificationByID(id)
		if errors.Is(err, ErrNoRows) || (err == nil && m != nil && n.MerchantID != m.ID) {
			return Errorf(10, 201, "notification %d not found", id)
		} else if err != nil {
			return err
		}
		return tx.ReplayNotification(id, g.Clock.Now())
	})
}

// NotificationByID reads a notification with every attempt, for an operator.
func (g *Gateway) NotificationByID(ctx context.Context, id int64) (*NotificationDetail, error) {
	var out *NotificationDetail
	err := g.Store.View(ctx, func(tx Tx) error {
		n, err := tx.NotificationByID(id)
		if errors.Is(err, ErrNoRows) {
			return Errorf(10, 201, "notification %d not found", id)
		} else if err != nil {
			return err
		}
		out = &NotificationDetail{Notification: *n}
		out.AttemptLog, err = tx.Attempts(id)
		return err
	})
	return out, err
}

// NotifyPruner deletes delivered and rejected notifications, with their attempts, once they
// are older than Retention, in batches of BatchSize so that other writes are never held up
// for long: each batch is its own write command, and the writer commits others in between.
// Pending and failed notifications are kept.
type NotifyPruner struct {
	Store     Store
	Retention time.Duration
	BatchSize int // DefaultPruneBatch when 0
}

// DefaultPruneBatch is how many notifications one pruning write deletes at most.
const DefaultPruneBatch = 500

// RunDue prunes what is older than the retention at now.
func (p *NotifyPruner) RunDue(ctx context.Context, now time.Time) error {
	if p.Retention <= 0 {
		return nil
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	for ctx.Err() == nil {
		var n int
		err := p.Store.Update(ctx, func(tx Tx) (err error) {
			n, err = tx.PruneNotifications(now.Add(-p.Retention), batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("prune notifications: %w", err)
		}
		if n < batch {
			return nil
		}
	}
	return ctx.Err()
}
