package store

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"soapgate/gateway"
)

// The queries whose cost must not grow with the data: the reads merchants poll, the monitor,
// the due queries the background loops run every tick, and what start-up reads. Each is
// written once here and used by its method; HotQueryPlans explains them all.
const (
	qOrderByBill      = `SELECT ` + orderColumns + ` FROM orders WHERE billnumber = ? AND merchant_id = ?`
	qOrdersByNumber   = `SELECT ` + orderColumns + ` FROM orders WHERE merchant_id = ? AND ordernumber = ? ORDER BY created, id`
	qOrdersByNumberIn = `SELECT ` + orderColumns + ` FROM orders
		WHERE merchant_id = ? AND ordernumber = ? AND created >= ? AND created < ? ORDER BY created, id`
	qOrdersIn = `SELECT ` + orderColumns + ` FROM orders
		WHERE merchant_id = ? AND created >= ? AND created < ? ORDER BY created, id LIMIT ?`
	// Every payment asks this. Left to itself SQLite reads it through orders_by_state
	// (merchant, state), every approved order of the merchant, so a payment cost grew with
	// the merchant's history; the unary + keeps state out of the index choice.
	qOrderHoldingMoney = `SELECT ` + orderColumns + ` FROM orders WHERE merchant_id = ? AND ordernumber = ?
		AND +state IN ('In Process', 'Delayed', 'Approved', 'PartialDelayed', 'PartialCanceled') LIMIT 1`
	qOrdersInState     = `SELECT ` + orderColumns + ` FROM orders WHERE state = ? ORDER BY id`
	qOperations        = `SELECT ` + opColumns + ` FROM operations WHERE order_id = ? ORDER BY seq`
	qOperationsInState = `SELECT ` + opColumns + ` FROM operations WHERE state = ? ORDER BY order_id, seq`
	// A merchant's due queue (notifications_due: merchant, next_at, id), and the claim of one
	// of its rows under the same condition.
	qDueNotifications = `SELECT ` + notificationColumns + ` FROM notifications
		WHERE merchant_id = ? AND ` + claimable + ` ORDER BY next_at, id LIMIT ?`
	qClaimNotification    = `UPDATE notifications SET claim_owner = ?, claimed_until = ? WHERE id = ? AND ` + claimable
	qPendingMerchantAfter = `SELECT min(merchant_id) FROM notifications WHERE state = 'pending' AND merchant_id > ?`
	// /metrics at each scrape: the state is written out, not bound, so that SQLite may read
	// the pending rows through the partial index notifications_due (a bound ? cannot match
	// its WHERE state = 'pending', and the count read every notification ever kept).
	qOutboxBacklog        = `SELECT count(*), min(created) FROM notifications WHERE state = 'pending'`
	qPruneOld             = `SELECT id FROM notifications WHERE state IN ('delivered', 'rejected') AND done_at < ? ORDER BY done_at LIMIT ?`
	qPruneAttempts        = `DELETE FROM notification_attempts WHERE notification_id IN (` + qPruneOld + `)`
	qPruneNotifications   = `DELETE FROM notifications WHERE id IN (` + qPruneOld + `)`
	qNotificationsOfOrder = `SELECT ` + notificationColumns + ` FROM notifications WHERE order_id = ? ORDER BY id`
	qNextDueSchedule      = `SELECT ` + scheduleColumns + ` FROM schedules
		WHERE state = 'Active' AND in_flight = 0 AND next_run <= ? ORDER BY next_run, id LIMIT 1`
	qSchedulesInFlight = `SELECT ` + scheduleColumns + ` FROM schedules WHERE in_flight <> 0 ORDER BY id`
	qDuePages          = `SELECT ` + pageColumns + pageFrom + ` WHERE p.stage IN ('card', '3ds') AND p.expires <= ?
		ORDER BY p.expires LIMIT ?`
)

// Plan is SQLite's EXPLAIN QUERY PLAN of one hot query.
type Plan struct {
	Name    string
	Detail  []string // one line per plan step
	Indexed bool     // every table is searched through an index (the one the query needs, where that is named), or scanned through a partial one, and no temporary B-tree sorts
}

// HotQueryPlans explains every hot query on this database (with its indexes and statistics).
func (db *DB) HotQueryPlans() ([]Plan, error) {
	partial, err := db.partialIndexes()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	key := &gateway.OrderKey{Created: now, ID: 1}
	monitor := func(q gateway.OrderQuery) (string, []any) { q.Limit = 51; return monitorQuery("700001", q) }
	type hq struct {
		name  string
		query string
		args  []any
		want  string // the index the query must search, when an index of a wider range would also do
	}
	list := []hq{
		{"order by billnumber", qOrderByBill, []any{"1000000000000001", "700001"}, ""},
		{"orders by ordernumber", qOrdersByNumber, []any{"700001", "o-1"}, "orders_by_number"},
		{"orders by ordernumber in a window", qOrdersByNumberIn, []any{"700001", "o-1", 0, 1}, "orders_by_number"},
		{"payment: order holding money", qOrderHoldingMoney, []any{"700001", "o-1"}, "orders_by_number"},
		{"orders in a window", qOrdersIn, []any{"700001", 0, 1, maxListed}, ""},
		{"operations of an order", qOperations, []any{1}, ""},
		{"notifications of an order", qNotificationsOfOrder, []any{1}, ""},
		{"due notifications of a merchant", qDueNotifications, []any{"700001", 0, 0, 64}, "notifications_due"},
		{"claim a notification", qClaimNotification, []any{"p", 0, 1, 0, 0}, ""},
		{"merchants with pending notifications", qPendingMerchantAfter, []any{""}, "notifications_due"},
		{"metrics: outbox backlog", qOutboxBacklog, nil, ""}, // a scan of the partial index: the pending rows only
		{"retention: old attempts", qPruneAttempts, []any{0, 500}, ""},
		{"retention: old notifications", qPruneNotifications, []any{0, 500}, "notifications_done"},
		{"next due schedule", qNextDueSchedule, []any{0}, ""},
		{"due pages", qDuePages, []any{0, 64}, ""},
		{"delayed orders past their time", qDelayedCreatedBefore, []any{0, 0, 64}, "orders_delayed"},
		{"start-up: orders In Process", qOrdersInState, []any{string(gateway.StateInProcess)}, ""},
		{"start-up: operations In Process", qOperationsInState, []any{string(gateway.OpInProcess)}, ""},
		{"start-up: schedules in flight", qSchedulesInFlight, nil, ""},
	}
	for _, m := range []struct {
		name string
		q    gateway.OrderQuery
		want string
	}{
		{"monitor: first page", gateway.OrderQuery{}, ""},
		{"monitor: next page", gateway.OrderQuery{Before: key}, ""},
		{"monitor: prev page", gateway.OrderQuery{After: key}, ""},
		{"monitor: state, next page", gateway.OrderQuery{State: gateway.StateApproved, Before: key}, "orders_by_state"},
		{"monitor: day, next page", gateway.OrderQuery{From: now.Add(-24 * time.Hour), To: now, Before: key}, ""},
		{"monitor: ordernumber", gateway.OrderQuery{OrderNumber: "o-1"}, "orders_by_number"},
		{"monitor: ordernumber and state", gateway.OrderQuery{OrderNumber: "o-1", State: gateway.StateApproved}, "orders_by_number"},
	} {
		q, args := monitor(m.q)
		list = append(list, hq{m.name, q, args, m.want})
	}
	out := make([]Plan, 0, len(list))
	for _, h := range list {
		detail, err := db.Explain(h.query, h.args...)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", h.name, err)
		}
		p := Plan{Name: h.name, Detail: detail, Indexed: true}
		for _, d := range detail {
			if !stepIndexed(d, partial) {
				p.Indexed = false
			}
		}
		if h.want != "" && !strings.Contains(strings.Join(detail, " "), "INDEX "+h.want+" ") {
			p.Indexed = false
		}
		out = append(out, p)
	}
	return out, nil
}

var scanUsing = regexp.MustCompile(`^SCAN \S+(?: AS \S+)? USING (?:COVERING )?INDEX (\S+)`)

// stepIndexed judges one plan line: a SEARCH is indexed; a SCAN only through a partial index
// (its rows are the few that qualify: pending notifications, due schedules); a temporary
// B-tree means sorting what was read.
func stepIndexed(detail string, partial map[string]bool) bool {
	switch {
	case strings.Contains(detail, "TEMP B-TREE"):
		return false
	case strings.HasPrefix(detail, "SCAN "):
		m := scanUsing.FindStringSubmatch(detail)
		return m != nil && partial[m[1]]
	}
	return true
}

func (db *DB) partialIndexes() (map[string]bool, error) {
	rows, err := db.r.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// Explain is EXPLAIN QUERY PLAN of any query, one line per step.
func (db *DB) Explain(query string, args ...any) ([]string, error) {
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}
