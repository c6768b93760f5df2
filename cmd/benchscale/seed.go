package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"soapgate/store"
)

// windowOrders is how many orders the measured day holds at every size: a day's window
// costs what its orders cost, whatever the table holds besides.
const windowOrders = 100

// seed creates the schema through store.Open (the real migrations) and fills it with n orders
// of merchant 700001 in one transaction of plain SQL: every order approved with its payment
// operation (every fourth two-stage, with its confirm too), one delivered notification with
// its delivery attempt, and every thousandth order a recurring series with an active
// schedule not yet due. The last windowOrders orders fall on day, a minute apart; the others
// before it, ten seconds apart.
func seed(path string, n int, day time.Time) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "OFF") // a benchmark fixture: nothing to lose
	q.Set("_foreign_keys", "on")
	sdb, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer sdb.Close()
	tx, err := sdb.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	d := day.UnixMilli()
	old := n - windowOrders
	future := day.Add(365 * 24 * time.Hour).UnixMilli()
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)
		INSERT INTO orders (id, billnumber, merchant_id, ordernumber, amount, currency, firstname, lastname,
			email, ipaddress, state, two_stage, testmode, captured, refunded, card_bin, card_last4, card_brand,
			card_exp_month, card_exp_year, card_holder, card_ref, created, updated, last_seq)
		SELECT i, printf('%%016d', 4000000000000000 + i), '700001', 'scale-' || i, 10000, 'RUB', 'Ivan', 'Petrov',
			'ivan@example.com', '127.0.0.1', 'Approved', i %% 4 = 0, 1, 10000, 0, '411111', '1111', 'VISA',
			'12', '2030', 'IVAN PETROV', 'ref-' || i,
			CASE WHEN i > %d THEN %d + (i - %d) * 60000 ELSE %d - (%d - i + 1) * 10000 END,
			CASE WHEN i > %d THEN %d + (i - %d) * 60000 ELSE %d - (%d - i + 1) * 10000 END,
			1 + (i %% 4 = 0)
		FROM c`, n, old, d, old, d, old, old, d, old, d, old),
		`INSERT INTO operations (order_id, seq, type, state, amount, currency, responsecode, message,
			customermessage, approvalcode, ipaddress, created)
		SELECT id, 1, 100, 'Success', amount, currency, 'AS000', 'Approved', 'Approved', '123456', ipaddress, created
		FROM orders`,
		`INSERT INTO operations (order_id, seq, type, state, amount, currency, responsecode, message,
			customermessage, approvalcode, ipaddress, created)
		SELECT id, 2, 200, 'Success', amount, currency, 'AS000', 'Approved', 'Approved', '123456', ipaddress, created + 1000
		FROM orders WHERE two_stage = 1`,
		`INSERT INTO notifications (merchant_id, order_id, billnumber, event, state, attempts, next_at, created, done_at, payload)
		SELECT merchant_id, id, billnumber || '.1', 'payment', 'delivered', 1, created, created, created + 200, '{}' FROM orders`,
		`INSERT INTO notification_attempts (notification_id, at, http_status, excerpt, error, outcome)
		SELECT id, created + 200, 200, 'OK', '', 'delivered' FROM notifications`,
		`INSERT INTO recurring_series (order_id, merchant_id, currency, min_amount, max_amount, period_days,
			max_date, state, created, updated)
		SELECT id, merchant_id, currency, 100, 100000, 30, 0, 'Activated', created, created FROM orders WHERE id % 1000 = 0`,
		fmt.Sprintf(`INSERT INTO schedules (merchant_id, series_order_id, billnumber, amount, currency, start,
			period_length, period_type, retry_count, retry_period_ms, state, next_k, next_n, next_run, created, updated)
		SELECT s.merchant_id, s.order_id, o.billnumber, 1000, 'RUB', s.created, 1, 'Month', 0, 0, 'Active', 1, 1,
			%d, s.created, s.created
		FROM recurring_series s JOIN orders o ON o.id = s.order_id`, future),
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = sdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
