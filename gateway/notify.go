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

// Field is one named value of a notification.
type Field struct{ Name, Value string }

// Payload is what a notification reports, frozen at the state change: the order's fields
// (contract section 8, without packetdate, checkvalue and signature, which are added when it
// is sent) and the operation's.
type Payload struct {
	Order     []Field
	Operation []Field
}

// Get returns a field of the order part.
func (p Payload) Get(name string) string {
	for _, f := range p.Order {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
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
		State: NotifyPending, NextAt: now, Created: now, Payload: payloadOf(m, reply),
	}
	return tx.InsertNotification(n)
}

// payloadOf freezes what a notification reports.
func payloadOf(m *Merchant, r *Reply) Payload {
	o, op, c, card := r.Order, r.Op, r.Order.Customer, r.Order.Card
	testmode := "0"
	if o.TestMode {
		testmode = "1"
	}
	return Payload{
		Order: []Field{
			{"merchant_id", m.ID}, {"ordernumber", o.OrderNumber}, {"billnumber", op.ExtBillNumber(o)},
			{"testmode", testmode}, {"ordercomment", o.Comment}, {"orderamount", o.Amount.String()},
			{"ordercurrency", o.Currency}, {"amount", op.Amount.String()}, {"currency", op.Currency},
			{"firstname", c.FirstName}, {"lastname", c.LastName}, {"middlename", c.MiddleName}, {"email", c.Email},
			{"orderdate", FormatDate(o.Created)}, {"orderstate", string(o.State)}, {"responsecode", op.ResponseCode},
			{"message", op.Message}, {"approvalcode", op.ApprovalCode}, {"meantypename", card.Brand},
			{"meannumber", card.Masked()}, {"cardholder", card.Holder}, {"operationtype", op.Type.String()},
			{"operationdate", FormatDate(op.Created)}, {"recurringstate", r.RecurringState}, {"token", r.Token},
			{"customernumber", r.CustomerNumber},
		},
		Operation: []Field{
			{"billnumber", op.ExtBillNumber(o)}, {"operationtype", op.Type.String()}, {"operationstate", string(op.State)},
			{"amount", op.Amount.String()}, {"currency", op.Currency}, {"rate", "1"}, {"meantypename", card.Brand},
			{"meansubtype", ""}, {"meannumber", card.Masked()}, {"cardholder", card.Holder},
			{"cardexpirationdate", card.Expiry()}, {"issuebank", ""}, {"bankcountry", ""}, {"ipaddress", op.IPAddress},
			{"responsecode", op.ResponseCode}, {"message", op.Message}, {"customermessage", op.CustomerMessage},
			{"recommendation", op.Recommendation}, {"approvalcode", op.ApprovalCode}, {"protocoltypename", "NET"},
			{"processingname", "soapgate test processor"}, {"operationdate", FormatDate(op.Created)},
		},
	}
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
