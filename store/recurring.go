package store

import (
	"database/sql"
	"errors"
	"time"

	"soapgate/gateway"
)

// Recurring series, the extras of a payment and the link of each recurring charge.

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return millis(t)
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return fromMillis(ms)
}

func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return gateway.ErrNoRows
	}
	return err
}

func (t *txn) InsertPayExtras(orderID int64, x *gateway.PayExtras) error {
	_, err := t.q.Exec(`INSERT INTO pay_extras (order_id, customer_number, recurring, min_amount, max_amount,
		period_days, max_date, used_token, save_card) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		orderID, x.CustomerNumber, x.Consent, x.MinAmount, x.MaxAmount, x.PeriodDays, msOrZero(x.MaxDate), x.UsedToken, x.SaveCard)
	return err
}

func (t *txn) UpdatePayExtras(orderID int64, x *gateway.PayExtras) error {
	_, err := t.q.Exec(`UPDATE pay_extras SET used_token = ?, save_card = ? WHERE order_id = ?`, x.UsedToken, x.SaveCard, orderID)
	return err
}

func (t *txn) PayExtras(orderID int64) (*gateway.PayExtras, error) {
	var x gateway.PayExtras
	var maxDate int64
	err := t.q.QueryRow(`SELECT customer_number, recurring, min_amount, max_amount, period_days, max_date, used_token,
		save_card FROM pay_extras WHERE order_id = ?`, orderID).Scan(&x.CustomerNumber, &x.Consent, &x.MinAmount, &x.MaxAmount,
		&x.PeriodDays, &maxDate, &x.UsedToken, &x.SaveCard)
	if err != nil {
		return nil, noRows(err)
	}
	x.MaxDate = timeOrZero(maxDate)
	return &x, nil
}

const seriesColumns = `order_id, merchant_id, currency, min_amount, max_amount, period_days, max_date, state,
	stop_reason, fails, first_fail, mit_attempts, created, updated`

func scanSeries(s scanner) (*gateway.Series, error) {
	var r gateway.Series
	var maxDate, firstFail, created, updated int64
	err := s.Scan(&r.OrderID, &r.MerchantID, &r.Currency, &r.MinAmount, &r.MaxAmount, &r.PeriodDays, &maxDate,
		&r.State, &r.StopReason, &r.Retry.Fails, &firstFail, &r.MITAttempts, &created, &updated)
	if err != nil {
		return nil, noRows(err)
	}
	r.MaxDate, r.Retry.FirstFail = timeOrZero(maxDate), timeOrZero(firstFail)
	r.Created, r.Updated = fromMillis(created), fromMillis(updated)
	return &r, nil
}

func (t *txn) InsertSeries(s *gateway.Series) error {
	_, err := t.q.Exec(`INSERT INTO recurring_series (`+seriesColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.OrderID, s.MerchantID, s.Currency, s.MinAmount, s.MaxAmount, s.PeriodDays, msOrZero(s.MaxDate), s.State,
		s.StopReason, s.Retry.Fails, msOrZero(s.Retry.FirstFail), s.MITAttempts, millis(s.Created), millis(s.Updated))
	return err
}

func (t *txn) UpdateSeries(s *gateway.Series) error {
	_, err := t.q.Exec(`UPDATE recurring_series SET state = ?, stop_reason = ?, fails = ?, first_fail = ?,
		mit_attempts = ?, updated = ? WHERE order_id = ?`, s.State, s.StopReason, s.Retry.Fails,
		msOrZero(s.Retry.FirstFail), s.MITAttempts, millis(s.Updated), s.OrderID)
	return err
}

func (t *txn) SeriesByOrder(orderID int64) (*gateway.Series, error) {
	return scanSeries(t.q.QueryRow(`SELECT `+seriesColumns+` FROM recurring_series WHERE order_id = ?`, orderID))
}

func (t *txn) SeriesWindowsEnded(now time.Time) ([]*gateway.Series, error) {
	// The window is 16 calendar days from first_fail; select generously by a day more and
	// let the domain decide precisely (AddDate over a DST-free UTC is 16×24 h anyway).
	rows, err := t.q.Query(`SELECT `+seriesColumns+` FROM recurring_series
		WHERE state = 'Activated' AND first_fail > 0 AND first_fail <= ? ORDER BY first_fail, order_id`,
		millis(now.AddDate(0, 0, -gateway.RetryWindowDays+1)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*gateway.Series
	for rows.Next() {
		s, err := scanSeries(rows)
		if err != nil {
			return nil, err
		}
		if s.Retry.WindowEnded(now) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

func (t *txn) InsertRecurringCharge(c *gateway.RecurringCharge) error {
	_, err := t.q.Exec(`INSERT INTO recurring_charges (order_id, series_order_id, schedule_id, occurrence, mit_attempt)
		VALUES (?, ?, ?, ?, ?)`, c.OrderID, c.SeriesOrderID, c.ScheduleID, c.Occurrence, c.MITAttempt)
	return err
}

func (t *txn) RecurringCharge(orderID int64) (*gateway.RecurringCharge, error) {
	var c gateway.RecurringCharge
	err := t.q.QueryRow(`SELECT order_id, series_order_id, schedule_id, occurrence, mit_attempt
		FROM recurring_charges WHERE order_id = ?`, orderID).Scan(&c.OrderID, &c.SeriesOrderID, &c.ScheduleID,
		&c.Occurrence, &c.MITAttempt)
	if err != nil {
		return nil, noRows(err)
	}
	return &c, nil
}

func (t *txn) RecurringOrder(orderID int64) (*gateway.Order, error) {
	return scanOrder(t.q.QueryRow(`SELECT `+orderColumns+` FROM orders WHERE id = ?`, orderID))
}
