package gateway

import (
	"context"
	"errors"
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
	Attempts   int
	NextAt     time.Time // when the next attempt is due (pending only)
	Created    time.Time
	Payload    Payload
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

// OutboxTx writes and reads the notification outbox.
type OutboxTx interface {
	InsertNotification(n *Notification) error // sets n.ID
	// DueNotifications lists pending notifications due at now whose order has no earlier
	// pending one (a cancel is never sent before the payment it cancels).
	DueNotifications(now time.Time, limit int) ([]*Notification, error)
	NotificationByID(id int64) (*Notification, error) // ErrNoRows when absent
	UpdateNotification(n *Notification) error         // state, attempts, next_at
	InsertAttempt(notificationID int64, a DeliveryAttempt) error
	NotificationsOfOrder(orderID int64) ([]NotificationDetail, error)
	ListNotifications(state NotificationState, limit int) ([]*Notification, error) // all states when empty
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

// ReplayNotification queues a notification of the merchant's for delivery again, now.
func (g *Gateway) ReplayNotification(ctx context.Context, m *Merchant, id int64) error {
	return g.Store.Update(ctx, func(tx Tx) error {
		n, err := tx.NotificationByID(id)
		if errors.Is(err, ErrNoRows) || (err == nil && m != nil && n.MerchantID != m.ID) {
			return Errorf(10, 201, "notification %d not found", id)
		} else if err != nil {
			return err
		}
		n.State, n.Attempts, n.NextAt = NotifyPending, 0, g.Clock.Now()
		return tx.UpdateNotification(n)
	})
}
