package gateway

import (
	"context"
	"time"
)

// stateChanged is called after every committed state change the merchant may be notified of.
func (g *Gateway) stateChanged(tx Tx, m *Merchant, event Event, reply *Reply) error {
	return nil
}

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

// OrderNotifications lists an order's notifications with every delivery attempt.
func (g *Gateway) OrderNotifications(ctx context.Context, m *Merchant, billNumber string) ([]NotificationDetail, error) {
	return nil, nil
}

// ReplayNotification queues a notification of the merchant's for delivery again.
func (g *Gateway) ReplayNotification(ctx context.Context, m *Merchant, id int64) error {
	return ErrNotFound
}
