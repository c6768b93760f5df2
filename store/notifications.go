package store

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"soapgate/gateway"
)

const notificationColumns = `id, merchant_id, order_id, billnumber, event, state, attempts, round_base, next_at, created,
	done_at, claim_owner, claimed_until, payload`

func scanNotification(s scanner) (*gateway.Notification, error) {
	var n gateway.Notification
	var next, created int64
	var done, until sql.NullInt64
	var owner sql.NullString
	var payload string
	if err := s.Scan(&n.ID, &n.MerchantID, &n.OrderID, &n.BillNumber, &n.Event, &n.State, &n.Attempts, &n.RoundBase,
		&next, &created, &done, &owner, &until, &payload); err != nil {
		return nil, err
	}
	n.NextAt, n.Created = fromMillis(next), fromMillis(created)
	if done.Valid {
		n.DoneAt = fromMillis(done.Int64)
	}
	if owner.Valid && until.Valid {
		n.Claim = gateway.Claim{Owner: owner.String, Until: fromMillis(until.Int64)}
	}
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

// claimable is the condition under which a notification may be claimed: pending, due at now
// (?1), not claimed or its lease run out at wall (?2), and no earlier pending notification of
// its order. DueNotifications and ClaimNotification share it, so that what is listed as due
// is exactly what can be claimed.
const claimable = `state = 'pending' AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
	AND NOT EXISTS (SELECT 1 FROM notifications p WHERE p.order_id = notifications.order_id
		AND p.id < notifications.id AND p.state = 'pending')`

func (t *txn) DueNotifications(merchantID string, now, wall time.Time, limit int) ([]*gateway.Notification, error) {
	return t.queryNotifications(qDueNotifications, merchantID, millis(now), millis(wall), limit)
}

func (t *txn) PendingMerchantAfter(after string) (string, error) {
	var id sql.NullString
	// min() over the partial index walks to the next merchant without reading its rows, so
	// listing the merchants with pending notifications costs one seek each.
	err := t.q.QueryRow(qPendingMerchantAfter, after).Scan(&id)
	if err != nil {
		return "", err
	}
	if !id.Valid {
		return "", gateway.ErrNoRows
	}
	return id.String, nil
}

func (t *txn) ClaimNotification(id int64, now, wall time.Time, c gateway.Claim) (bool, error) {
	res, err := t.q.Exec(qClaimNotification, c.Owner, millis(c.Until), id, millis(now), millis(wall))
	return affectedOne(res, err)
}

func (t *txn) FinishNotification(n *gateway.Notification, c gateway.Claim, a gateway.DeliveryAttempt) (bool, error) {
	if err := t.insertAttempt(n.ID, a); err != nil {
		return false, err
	}
	var done any
	if n.State == gateway.NotifyDelivered || n.State == gateway.NotifyRejected {
		done = millis(n.DoneAt)
	}
	res, err := t.q.Exec(`UPDATE notifications SET state = ?, attempts = ?, next_at = ?, done_at = ?,
		claim_owner = NULL, claimed_until = NULL
		WHERE id = ? AND claim_owner = ? AND claimed_until = ?`,
		n.State, n.Attempts, millis(n.NextAt), done, n.ID, c.Owner, millis(c.Until))
	if n.State == gateway.NotifyPending {
		t.outboxed = true
	}
	return affectedOne(res, err)
}

func (t *txn) ReleaseNotification(id int64, c gateway.Claim) error {
	_, err := t.q.Exec(`UPDATE notifications SET claim_owner = NULL, claimed_until = NULL
		WHERE id = ? AND claim_owner = ? AND claimed_until = ?`, id, c.Owner, millis(c.Until))
	t.outboxed = true
	return err
}

func (t *txn) ReplayNotification(id int64, now time.Time) error {
	// The claim columns stay: an attempt in flight still records its outcome.
	_, err := t.q.Exec(`UPDATE notifications SET state = 'pending', next_at = ?, round_base = attempts, done_at = NULL
		WHERE id = ?`, millis(now), id)
	t.outboxed = true
	return err
}

func affectedOne(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
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

func (t *txn) insertAttempt(id int64, a gateway.DeliveryAttempt) error {
	_, err := t.q.Exec(`INSERT INTO notification_attempts (notification_id, at, http_status, excerpt, error, outcome)
		VALUES (?, ?, ?, ?, ?, ?)`, id, millis(a.At), a.HTTPStatus, a.Excerpt, a.Error, a.Outcome)
	return err
}

func scanAttempt(s scanner) (gateway.DeliveryAttempt, error) {
	var a gateway.DeliveryAttempt
	var at int64
	err := s.Scan(&at, &a.HTTPStatus, &a.Excerpt, &a.Error, &a.Outcome)
	a.At = fromMillis(at)
	return a, err
}

func (t *txn) Attempts(id int64) ([]gateway.DeliveryAttempt, error) {
	return queryAll(t.q, scanAttempt, `SELECT at, http_status, excerpt, error, outcome FROM notification_attempts
		WHERE notification_id = ? ORDER BY id`, id)
}

func (t *txn) NotificationsOfOrder(orderID int64) ([]gateway.NotificationDetail, error) {
	ns, err := t.queryNotifications(qNotificationsOfOrder, orderID)
	if err != nil {
		return nil, err
	}
	out := make([]gateway.NotificationDetail, len(ns))
	for i, n := range ns {
		out[i].Notification = *n
		if out[i].AttemptLog, err = t.Attempts(n.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) ListNotifications(f gateway.NotificationFilter, limit int) ([]*gateway.Notification, error) {
	var where []string
	var args []any
	if f.MerchantID != "" {
		where, args = append(where, "merchant_id = ?"), append(args, f.MerchantID)
	}
	if f.OrderNumber != "" {
		where = append(where, "order_id IN (SELECT o.id FROM orders o WHERE o.merchant_id = notifications.merchant_id AND o.ordernumber = ?)")
		args = append(args, f.OrderNumber)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "created >= ?"), append(args, millis(f.Since))
	}
	q := `SELECT ` + notificationColumns + ` FROM notifications`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return t.queryNotifications(q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

func (t *txn) PruneNotifications(before time.Time, limit int) (int, error) {
	// The same subquery twice rather than a temporary table: it reads the partial index
	// notifications_done, and the writer runs both deletes in one savepoint.
	if _, err := t.q.Exec(qPruneAttempts, millis(before), limit); err != nil {
		return 0, err
	}
	res, err := t.q.Exec(qPruneNotifications, millis(before), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
