package store

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"soapgate/gateway"
)

// querier is what both *sql.Tx and *sql.DB offer.
type querier interface {
	Exec(query string, args ...any) (sql.Result, error)
	Query(query string, args ...any) (*sql.Rows, error)
	QueryRow(query string, args ...any) *sql.Row
}

// txn implements gateway.Tx, each of its parts, over one SQLite transaction. A read transaction carries the
// order cache; a write transaction records the ordernumbers it touches to invalidate them.
type txn struct {
	q         querier
	pg        bool    // PostgreSQL: RETURNING id, ON CONFLICT for a taken billnumber
	write     bool    // a PostgreSQL write transaction: reads lock (postgres.go)
	lazy      *lazyTx // a read transaction's querier: it knows the cache epoch of its snapshot
	cache     *orderCache
	touched   map[cacheKey]struct{}
	touchedOp map[int64]struct{} // orders whose operations the transaction wrote
	outboxed  bool               // the transaction queued a notification: wake the deliverer after commit
}

// What the store implements, part by part, so that a missing method names its interface.
var (
	_ gateway.Store       = (*DB)(nil)
	_ gateway.Tx          = (*txn)(nil)
	_ gateway.OrderTx     = (*txn)(nil)
	_ gateway.SettingsTx  = (*txn)(nil)
	_ gateway.OutboxTx    = (*txn)(nil)
	_ gateway.RecurringTx = (*txn)(nil)
	_ gateway.PageTx      = (*txn)(nil)
	_ gateway.ReceiptTx   = (*txn)(nil)
)

func (t *txn) touch(o *gateway.Order) {
	if t.touched != nil {
		t.touched[cacheKey{o.MerchantID, o.OrderNumber}] = struct{}{}
	}
}

const orderColumns = `id, billnumber, merchant_id, ordernumber, amount, currency, comment,
	firstname, lastname, middlename, email, mobilephone, ipaddress, state, two_stage, testmode,
	captured, refunded, card_bin, card_last4, card_brand, card_exp_month, card_exp_year,
	card_holder, card_ref, created, updated, last_seq,
	address, homephone, workphone, fax, country, state_region, city, zip`

type scanner interface{ Scan(dest ...any) error }

func scanOrder(s scanner) (*gateway.Order, error) {
	var o gateway.Order
	var created, updated int64
	c, k := &o.Customer, &o.Card
	err := s.Scan(&o.ID, &o.BillNumber, &o.MerchantID, &o.OrderNumber, &o.Amount, &o.Currency, &o.Comment,
		&c.FirstName, &c.LastName, &c.MiddleName, &c.Email, &c.MobilePhone, &c.IPAddress, &o.State,
		&o.TwoStage, &o.TestMode, &o.Captured, &o.Refunded, &k.Bin, &k.Last4, &k.Brand, &k.ExpMonth,
		&k.ExpYear, &k.Holder, &k.Ref, &created, &updated, &o.LastSeq,
		&c.Address, &c.HomePhone, &c.WorkPhone, &c.Fax, &c.Country, &c.State, &c.City, &c.Zip)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, gateway.ErrNoRows
	}
	if err != nil {
		return nil, err
	}
	o.Created, o.Updated = fromMillis(created), fromMillis(updated)
	return &o, nil
}

func (t *txn) queryOrders(query string, args ...any) ([]*gateway.Order, error) {
	return queryAll(t.q, scanOrder, query, args...)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (t *txn) OrderByBill(merchantID, bill string) (*gateway.Order, error) {
	return scanOrder(t.q.QueryRow(qOrderByBill, bill, merchantID))
}

func (t *txn) OrdersByNumber(merchantID, orderNumber string, w gateway.Window) ([]*gateway.Order, error) {
	if t.cache == nil {
		return t.queryOrders(qOrdersByNumberIn, merchantID, orderNumber, millis(w.From), millis(w.To))
	}
	k := cacheKey{merchantID, orderNumber}
	all, ok := t.cache.get(k)
	if !ok {
		var err error
		all, err = t.queryOrders(qOrdersByNumber, merchantID, orderNumber)
		if err != nil {
			return nil, err
		}
		t.cache.put(k, all, t.lazy.epoch)
	}
	out := all[:0:0]
	for _, o := range all {
		if w.Contains(o.Created) {
			out = append(out, o)
		}
	}
	return out, nil
}

// maxListed bounds an orderresult list without ordernumber or billnumber.
const maxListed = 10000

func (t *txn) Orders(merchantID string, w gateway.Window) ([]*gateway.Order, error) {
	return t.queryOrders(qOrdersIn, merchantID, millis(w.From), millis(w.To), maxListed)
}

func (t *txn) OrderHoldingMoney(merchantID, orderNumber string) (*gateway.Order, error) {
	// Every new payment under an ordernumber asks this first: with several processes, the
	// lock makes the second wait for the first's commit and then see its order.
	if err := t.lockKey("ordernumber", merchantID, orderNumber); err != nil {
		return nil, err
	}
	return scanOrder(t.q.QueryRow(qOrderHoldingMoney, merchantID, orderNumber))
}

func (t *txn) OrdersInState(state gateway.State) ([]*gateway.Order, error) {
	return t.queryOrders(qOrdersInState, state)
}

func (t *txn) OrderByID(id int64) (*gateway.Order, error) {
	return scanOrder(t.q.QueryRow(`SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
}

func (t *txn) InsertOrder(o *gateway.Order) error {
	c, k := o.Customer, o.Card
	// On PostgreSQL a failed statement aborts the transaction, so a taken billnumber must not
	// be an error there: ON CONFLICT DO NOTHING returns no id instead, and the caller draws again.
	conflict := ""
	if t.pg {
		conflict = ` ON CONFLICT (billnumber) DO NOTHING`
	}
	id, err := t.insertID(`INSERT INTO orders (billnumber, merchant_id, ordernumber, amount, currency, comment,
		firstname, lastname, middlename, email, mobilephone, ipaddress, state, two_stage, testmode,
		captured, refunded, card_bin, card_last4, card_brand, card_exp_month, card_exp_year,
		card_holder, card_ref, created, updated, last_seq,
		address, homephone, workphone, fax, country, state_region, city, zip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`+conflict,
		o.BillNumber, o.MerchantID, o.OrderNumber, o.Amount, o.Currency, o.Comment,
		c.FirstName, c.LastName, c.MiddleName, c.Email, c.MobilePhone, c.IPAddress, o.State, o.TwoStage, o.TestMode,
		o.Captured, o.Refunded, k.Bin, k.Last4, k.Brand, k.ExpMonth, k.ExpYear, k.Holder, k.Ref,
		millis(o.Created), millis(o.Updated), o.LastSeq,
		c.Address, c.HomePhone, c.WorkPhone, c.Fax, c.Country, c.State, c.City, c.Zip)
	t.touch(o)
	if isUnique(err, "orders.billnumber") || (t.pg && errors.Is(err, sql.ErrNoRows)) {
		return gateway.ErrBillTaken
	}
	if err != nil {
		return err
	}
	o.ID = id
	return nil
}

// insertID runs an INSERT into a table with an id column and returns the new row's id:
// LastInsertId on SQLite, RETURNING id on PostgreSQL (whose driver has no LastInsertId).
func (t *txn) insertID(query string, args ...any) (int64, error) {
	if t.pg {
		var id int64
		err := t.q.QueryRow(query+` RETURNING id`, args...).Scan(&id)
		return id, err
	}
	res, err := t.q.Exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (t *txn) UpdateOrder(o *gateway.Order) error {
	t.touch(o)
	k := o.Card
	_, err := t.q.Exec(`UPDATE orders SET state = ?, captured = ?, refunded = ?, card_bin = ?, card_last4 = ?,
		card_brand = ?, card_exp_month = ?, card_exp_year = ?, card_holder = ?, card_ref = ?, updated = ?, last_seq = ?
		WHERE id = ?`, o.State, o.Captured, o.Refunded, k.Bin, k.Last4, k.Brand, k.ExpMonth, k.ExpYear, k.Holder,
		k.Ref, millis(o.Updated), o.LastSeq, o.ID)
	return err
}

const opColumns = `id, order_id, seq, type, state, amount, currency, responsecode, message, customermessage,
	recommendation, approvalcode, coalesce(external_refund_id, ''), ipaddress, created`

func scanOperation(s scanner) (*gateway.Operation, error) {
	var op gateway.Operation
	var created int64
	err := s.Scan(&op.ID, &op.OrderID, &op.Seq, &op.Type, &op.State, &op.Amount, &op.Currency,
		&op.ResponseCode, &op.Message, &op.CustomerMessage, &op.Recommendation, &op.ApprovalCode,
		&op.ExternalRefundID, &op.IPAddress, &created)
	op.Created = fromMillis(created)
	return &op, err
}

func (t *txn) Operations(orderID int64) ([]*gateway.Operation, error) {
	if t.cache != nil {
		if ops, ok := t.cache.getOps(orderID); ok {
			return ops, nil
		}
	}
	ops, err := queryAll(t.q, scanOperation, qOperations, orderID)
	if err == nil && t.cache != nil {
		t.cache.putOps(orderID, ops, t.lazy.epoch)
	}
	return ops, err
}

func (t *txn) touchOp(orderID int64) {
	if t.touchedOp != nil {
		t.touchedOp[orderID] = struct{}{}
	}
}

func (t *txn) InsertOperation(op *gateway.Operation) error {
	var ext any
	if op.ExternalRefundID != "" {
		ext = op.ExternalRefundID
	}
	id, err := t.insertID(`INSERT INTO operations (order_id, seq, type, state, amount, currency, responsecode,
		message, customermessage, recommendation, approvalcode, external_refund_id, ipaddress, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		op.OrderID, op.Seq, op.Type, op.State, op.Amount, op.Currency, op.ResponseCode, op.Message,
		op.CustomerMessage, op.Recommendation, op.ApprovalCode, ext, op.IPAddress, millis(op.Created))
	t.touchOp(op.OrderID)
	if err != nil {
		return err
	}
	op.ID = id
	return err
}

func (t *txn) UpdateOperation(op *gateway.Operation) error {
	t.touchOp(op.OrderID)
	_, err := t.q.Exec(`UPDATE operations SET state = ?, responsecode = ?, message = ?, customermessage = ?,
		recommendation = ?, approvalcode = ? WHERE id = ?`, op.State, op.ResponseCode, op.Message,
		op.CustomerMessage, op.Recommendation, op.ApprovalCode, op.ID)
	return err
}

func (t *txn) OperationsInState(state gateway.OpState) ([]*gateway.Operation, error) {
	return queryAll(t.q, scanOperation, qOperationsInState, state)
}

func isUnique(err error, column string) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique && strings.Contains(se.Error(), column)
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
