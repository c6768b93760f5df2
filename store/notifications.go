package store

import (
	"encoding/json"
	"time"

	"soapgate/gateway"
)

const notificationColumns = `id, merchant_id, order_id, billnumber, event, state, attempts, next_at, created, payload`

func scanNotification(s scanner) (*gateway.Notification, error) {
	var n gateway.Notification
	var next, created int64
	var payload string
	if err := s.Scan(&n.ID, &n.MerchantID, &n.OrderID, &n.BillNumber, &n.Event, &n.State, &n.Attempts, &next, &created, &payload); err != nil {
		return nil, err
	}
	n.NextAt, n.Created = fromMillis(next), fromMillis(created)
	var err error
	if n.Payload, err = decodePayload(payload); err != nil {
		return nil, err
	}
	return &n, nil
}

func (t *txn) queryNotifications(query string, args ...any) ([]*gateway.Notification, error) {
	return queryAll(t.q, scanNotification, query, args...)
}

func (t *txn) InsertNotification(n *gateway.Notification) error {
	payload, err := json.Marshal(n.Payload)
	if err != nil {
		return err
	}
	id, err := t.insertID(`INSERT INTO notifications (merchant_id, order_id, billnumber, event, state, attempts, next_at, created, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.MerchantID, n.OrderID, n.BillNumber, n.Event, n.State, n.Attempts,
		millis(n.NextAt), millis(n.Created), string(payload))
	if err != nil {
		return err
	}
	t.outboxed = true
	n.ID = id
	return nil
}

func (t *txn) DueNotifications(now time.Time, limit int) ([]*gateway.Notification, error) {
	return t.queryNotifications(`SELECT `+notificationColumns+` FROM notifications n
		WHERE state = 'pending' AND next_at <= ?
		AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.order_id = n.order_id AND p.id < n.id AND p.state = 'pending')
		ORDER BY next_at, id LIMIT ?`, millis(now), limit)
}

func (t *txn) NotificationByID(id int64) (*gateway.Notification, error) {
	ns, err := t.queryNotifications(`SELECT `+notificationColumns+` FROM notifications WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, gateway.ErrNoRows
	}
	return ns[0], nil
}

func (t *txn) UpdateNotification(n *gateway.Notification) error {
	_, err := t.q.Exec(`UPDATE notifications SET state = ?, attempts = ?, next_at = ? WHERE id = ?`,
		n.State, n.Attempts, millis(n.NextAt), n.ID)
	if n.State == gateway.NotifyPending {
		t.outboxed = true
	}
	return err
}

func (t *txn) InsertAttempt(id int64, a gateway.DeliveryAttempt) error {
	_, err := t.q.Exec(`INSERT INTO notification_attempts (notification_id, at, http_status, excerpt, error, outcome)
		VALUES (?, ?, ?, ?, ?, ?)`, id, millis(a.At), a.HTTPStatus, a.Excerpt, a.Error, a.Outcome)
	return err
}

func (t *txn) NotificationsOfOrder(orderID int64) ([]gateway.NotificationDetail, error) {
	ns, err := t.queryNotifications(`SELECT `+notificationColumns+` FROM notifications WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	out := make([]gateway.NotificationDetail, len(ns))
	for i, n := range ns {
		out[i].Notification = *n
		rows, err := t.q.Query(`SELECT at, http_status, excerpt, error, outcome FROM notification_attempts
			WHERE notification_id = ? ORDER BY id`, n.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a gateway.DeliveryAttempt
			var at int64
			if err := rows.Scan(&at, &a.HTTPStatus, &a.Excerpt, &a.Error, &a.Outcome); err != nil {
				rows.Close()
				return nil, err
			}
			a.At = fromMillis(at)
			out[i].AttemptLog = append(out[i].AttemptLog, a)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) ListNotifications(state gateway.NotificationState, limit int) ([]*gateway.Notification, error) {
	if state == "" {
		return t.queryNotifications(`SELECT `+notificationColumns+` FROM notifications ORDER BY id DESC LIMIT ?`, limit)
	}
	return t.queryNotifications(`SELECT `+notificationColumns+` FROM notifications WHERE state = ? ORDER BY id DESC LIMIT ?`, state, limit)
}
