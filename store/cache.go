package store

import (
	"sync"

	"soapgate/gateway"
)

// DefaultCacheOrders bounds how many ordernumbers the read cache remembers.
const DefaultCacheOrders = 50000

// orderCache remembers, per merchant and ordernumber, every payment attempt, and per order
// its operations, so that the reads behind orderstate and orderresult — the calls ERPs poll
// most — skip SQLite. The writer invalidates the ordernumbers and orders a commit touched; a
// fill read from a snapshot older than the last commit is dropped (epoch).
type orderCache struct {
	mu    sync.Mutex
	epoch uint64
	m     map[cacheKey][]*gateway.Order
	ops   map[int64][]*gateway.Operation // by order id
	max   int
}

type cacheKey struct{ merchant, orderNumber string }

func newOrderCache(max int) *orderCache {
	return &orderCache{m: make(map[cacheKey][]*gateway.Order), ops: make(map[int64][]*gateway.Operation), max: max}
}

// current is the epoch to read before a read transaction takes its snapshot: a fill from
// that snapshot is stored only if no commit came after it.
func (c *orderCache) current() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// get returns copies of the cached orders.
func (c *orderCache) get(k cacheKey) ([]*gateway.Order, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	orders, ok := c.m[k]
	if !ok {
		return nil, false
	}
	out := make([]*gateway.Order, len(orders))
	for i, o := range orders {
		cp := *o
		out[i] = &cp
	}
	return out, true
}

// getOps returns copies of an order's cached operations.
func (c *orderCache) getOps(orderID int64) ([]*gateway.Operation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops, ok := c.ops[orderID]
	if !ok {
		return nil, false
	}
	out := make([]*gateway.Operation, len(ops))
	for i, op := range ops {
		cp := *op
		out[i] = &cp
	}
	return out, true
}

// putOps stores an order's operations read from a snapshot taken at epoch.
func (c *orderCache) putOps(orderID int64, ops []*gateway.Operation, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.ops) >= c.max {
		for id := range c.ops {
			delete(c.ops, id)
			if len(c.ops) < c.max*9/10 {
				break
			}
		}
	}
	stored := make([]*gateway.Operation, len(ops))
	for i, op := range ops {
		cp := *op
		stored[i] = &cp
	}
	c.ops[orderID] = stored
}

// put stores what a reader read from a snapshot taken at epoch, unless a commit came since.
func (c *orderCache) put(k cacheKey, orders []*gateway.Order, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.m) >= c.max {
		for key := range c.m { // evict an arbitrary tenth
			delete(c.m, key)
			if len(c.m) < c.max*9/10 {
				break
			}
		}
	}
	stored := make([]*gateway.Order, len(orders))
	for i, o := range orders {
		cp := *o
		stored[i] = &cp
	}
	c.m[k] = stored
}

// invalidate is called by the writer after a commit with the ordernumbers and the orders
// whose operations it touched.
func (c *orderCache) invalidate(keys map[cacheKey]struct{}, opOrders map[int64]struct{}) {
	if len(keys) == 0 && len(opOrders) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k := range keys {
		delete(c.m, k)
	}
	for id := range opOrders {
		delete(c.ops, id)
	}
}
