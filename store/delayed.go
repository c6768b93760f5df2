package store

import (
	"time"

	"soapgate/gateway"
)

var _ gateway.DelayedTx = (*txn)(nil)

func (t *txn) DelayedCreatedBefore(before time.Time, afterID int64, limit int) ([]*gateway.Order, error) {
	// orders_delayed (migration 009) holds only the two states, so this reads no other order.
	return t.queryOrders(qDelayedCreatedBefore, millis(before), afterID, limit)
}

// qDelayedCreatedBefore is a due query (HotQueryPlans explains it).
const qDelayedCreatedBefore = `SELECT ` + orderColumns + ` FROM orders
	WHERE state IN ('Delayed', 'PartialDelayed') AND created <= ? AND id > ?
	ORDER BY id LIMIT ?`
