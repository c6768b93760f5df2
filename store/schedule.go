package store

import (
	"time"

	"soapgate/gateway"
)

// Scheduled operations.

const scheduleColumns = `id, merchant_id, series_order_id, billnumber, amount, currency, description, start,
	period_length, period_type, end_at, retry_count, retry_period_ms, state, next_k, next_n, retry, next_run,
	in_flight, attempts, last_code, created, updated`

func scanSchedule(s scanner) (*gateway.Schedule, error) {
	var r gateway.Schedule
	var start, end, retryMS, nextRun, created, updated int64
	err := s.Scan(&r.ID, &r.MerchantID, &r.SeriesOrderID, &r.BillNumber, &r.Amount, &r.Currency, &r.Description,
		&start, &r.Plan.Length, &r.Plan.Unit, &end, &r.RetryCount, &retryMS, &r.State, &r.NextK, &r.NextN,
		&r.Retry, &nextRun, &r.InFlight, &r.Attempts, &r.LastCode, &created, &updated)
	if err != nil {
		return nil, noRows(err)
	}
	r.Plan.Start, r.Plan.End = fromMillis(start), timeOrZero(end)
	r.RetryPeriod = time.Duration(retryMS) * time.Millisecond
	r.NextRun, r.Created, r.Updated = fromMillis(nextRun), fromMillis(created), fromMillis(updated)
	return &r, nil
}

func (t *txn) querySchedules(query string, args ...any) ([]*gateway.Schedule, error) {
	rows, err := t.q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*gateway.Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t *txn) InsertSchedule(s *gateway.Schedule) error {
	id, err := t.insertID(`INSERT INTO schedules (merchant_id, series_order_id, billnumber, amount, currency,
		description, start, period_length, period_type, end_at, retry_count, retry_period_ms, state, next_k, next_n,
		retry, next_run, in_flight, attempts, last_code, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.MerchantID, s.SeriesOrderID, s.BillNumber, s.Amount, s.Currency, s.Description, millis(s.Plan.Start),
		s.Plan.Length, s.Plan.Unit, msOrZero(s.Plan.End), s.RetryCount, s.RetryPeriod.Milliseconds(), s.State,
		s.NextK, s.NextN, s.Retry, millis(s.NextRun), s.InFlight, s.Attempts, s.LastCode, millis(s.Created), millis(s.Updated))
	s.ID = id
	return err
}

func (t *txn) UpdateSchedule(s *gateway.Schedule) error {
	_, err := t.q.Exec(`UPDATE schedules SET amount = ?, currency = ?, description = ?, start = ?, period_length = ?,
		period_type = ?, end_at = ?, retry_count = ?, retry_period_ms = ?, state = ?, next_k = ?, next_n = ?, retry = ?,
		next_run = ?, in_flight = ?, attempts = ?, last_code = ?, updated = ? WHERE id = ?`,
		s.Amount, s.Currency, s.Description, millis(s.Plan.Start), s.Plan.Length, s.Plan.Unit, msOrZero(s.Plan.End),
		s.RetryCount, s.RetryPeriod.Milliseconds(), s.State, s.NextK, s.NextN, s.Retry, millis(s.NextRun), s.InFlight,
		s.Attempts, s.LastCode, millis(s.Updated), s.ID)
	return err
}

func (t *txn) Schedule(merchantID string, id int64) (*gateway.Schedule, error) {
	return scanSchedule(t.q.QueryRow(`SELECT `+scheduleColumns+` FROM schedules WHERE id = ? AND merchant_id = ?`, id, merchantID))
}

func (t *txn) Schedules(merchantID string, seriesOrderID int64, skip, take int) ([]*gateway.Schedule, error) {
	if seriesOrderID != 0 {
		return t.querySchedules(`SELECT `+scheduleColumns+` FROM schedules WHERE merchant_id = ? AND series_order_id = ?
			ORDER BY id LIMIT ? OFFSET ?`, merchantID, seriesOrderID, take, skip)
	}
	return t.querySchedules(`SELECT `+scheduleColumns+` FROM schedules WHERE merchant_id = ?
		ORDER BY id LIMIT ? OFFSET ?`, merchantID, take, skip)
}

func (t *txn) SchedulesOfSeries(seriesOrderID int64) ([]*gateway.Schedule, error) {
	return t.querySchedules(`SELECT `+scheduleColumns+` FROM schedules WHERE series_order_id = ? ORDER BY id`, seriesOrderID)
}

func (t *txn) NextDueSchedule(now time.Time) (*gateway.Schedule, error) {
	return scanSchedule(t.q.QueryRow(qNextDueSchedule, millis(now)))
}

func (t *txn) SchedulesInFlight() ([]*gateway.Schedule, error) {
	return t.querySchedules(qSchedulesInFlight)
}
