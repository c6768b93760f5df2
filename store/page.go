package store

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"soapgate/gateway"
)

const pageColumns = `p.id, p.order_id, o.merchant_id, o.billnumber, p.language, p.url_return, p.url_return_ok,
	p.url_return_no, p.stage, p.form_token, p.card_bin, p.card_last4, p.card_brand, p.card_exp_month,
	p.card_exp_year, p.card_holder, p.card_ref, p.expires, p.created, p.creator`

const pageFrom = ` FROM pages p JOIN orders o ON o.id = p.order_id`

func scanPage(s scanner) (*gateway.Page, error) {
	var p gateway.Page
	var expires, created int64
	k := &p.Card
	err := s.Scan(&p.ID, &p.OrderID, &p.MerchantID, &p.BillNumber, &p.Language, &p.ReturnURL, &p.ReturnOK,
		&p.ReturnNo, &p.Stage, &p.FormToken, &k.Bin, &k.Last4, &k.Brand, &k.ExpMonth, &k.ExpYear, &k.Holder,
		&k.Ref, &expires, &created, &p.Creator)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.ErrNoRows
	}
	if err != nil {
		return nil, err
	}
	p.Expires, p.Created = fromMillis(expires), fromMillis(created)
	return &p, nil
}

func (t *txn) InsertPage(p *gateway.Page) error {
	k := p.Card
	_, err := t.q.Exec(`INSERT INTO pages (id, order_id, language, url_return, url_return_ok, url_return_no,
		stage, form_token, card_bin, card_last4, card_brand, card_exp_month, card_exp_year, card_holder,
		card_ref, expires, created, creator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.OrderID, p.Language, p.ReturnURL, p.ReturnOK, p.ReturnNo, p.Stage, p.FormToken,
		k.Bin, k.Last4, k.Brand, k.ExpMonth, k.ExpYear, k.Holder, k.Ref, millis(p.Expires), millis(p.Created), p.Creator)
	return err
}

func (t *txn) PageByID(id string) (*gateway.Page, error) {
	return scanPage(t.q.QueryRow(`SELECT `+pageColumns+pageFrom+` WHERE p.id = ?`, id))
}

func (t *txn) PageByOrder(orderID int64) (*gateway.Page, error) {
	return scanPage(t.q.QueryRow(`SELECT `+pageColumns+pageFrom+` WHERE p.order_id = ?`, orderID))
}

func (t *txn) UpdatePage(p *gateway.Page) error {
	k := p.Card
	_, err := t.q.Exec(`UPDATE pages SET stage = ?, form_token = ?, card_bin = ?, card_last4 = ?, card_brand = ?,
		card_exp_month = ?, card_exp_year = ?, card_holder = ?, card_ref = ? WHERE id = ?`,
		p.Stage, p.FormToken, k.Bin, k.Last4, k.Brand, k.ExpMonth, k.ExpYear, k.Holder, k.Ref, p.ID)
	return err
}

func (t *txn) DuePages(now time.Time, limit int) ([]*gateway.Page, error) {
	rows, err := t.q.Query(qDuePages, millis(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*gateway.Page
	for rows.Next() {
		p, err := scanPage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// maxMonitorRows bounds one monitor listing (a page, or one batch of a CSV export).
const maxMonitorRows = 10000

// MonitorOrders pages by key: (created, id) below Before or above After, through the
// indexes orders_by_created, orders_by_state and orders_by_number (each ends in created, and
// SQLite appends the rowid), so a page costs the same at any depth and any table size.
func (t *txn) MonitorOrders(merchantID string, q gateway.OrderQuery) ([]*gateway.Order, error) {
	query, args := monitorQuery(merchantID, q)
	out, err := t.queryOrders(query, args...)
	if q.After != nil {
		slices.Reverse(out)
	}
	return out, err
}

// monitorQuery is MonitorOrders' SQL (HotQueryPlans explains it too).
func monitorQuery(merchantID string, q gateway.OrderQuery) (string, []any) {
	var where strings.Builder
	args := []any{merchantID}
	where.WriteString(` WHERE merchant_id = ?`)
	if !q.From.IsZero() {
		where.WriteString(` AND created >= ?`)
		args = append(args, millis(q.From))
	}
	if !q.To.IsZero() {
		where.WriteString(` AND created < ?`)
		args = append(args, millis(q.To))
	}
	switch {
	case q.State != "" && q.OrderNumber != "":
		// An ordernumber has a few orders: read them by number (orders_by_number), not
		// every order of the merchant in that state (+ keeps state out of the index choice).
		where.WriteString(` AND +state = ?`)
		args = append(args, q.State)
	case q.State != "":
		where.WriteString(` AND state = ?`)
		args = append(args, q.State)
	}
	if q.OrderNumber != "" {
		where.WriteString(` AND ordernumber = ?`)
		args = append(args, q.OrderNumber)
	}
	order := ` ORDER BY created DESC, id DESC`
	switch {
	case q.Before != nil:
		where.WriteString(` AND (created, id) < (?, ?)`)
		args = append(args, millis(q.Before.Created), q.Before.ID)
	case q.After != nil:
		// The page just newer than After: read upwards, then turn it newest first.
		where.WriteString(` AND (created, id) > (?, ?)`)
		args = append(args, millis(q.After.Created), q.After.ID)
		order = ` ORDER BY created, id`
	}
	limit := q.Limit
	if limit <= 0 || limit > maxMonitorRows {
		limit = maxMonitorRows
	}
	args = append(args, limit)
	query := `SELECT ` + orderColumns + ` FROM orders` + where.String() + order + ` LIMIT ?`
	if q.Offset > 0 && q.Before == nil && q.After == nil {
		query += ` OFFSET ?`
		args = append(args, q.Offset)
	}
	return query, args
}
