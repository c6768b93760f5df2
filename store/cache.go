package store

import (
	"sync"

	"soapgate/gateway"
)

// DefaultCacheOrders bounds how many ordernumbers the read cache remembers.
const DefaultCacheOrders = 50000

// orderCache remembers, per merchant and ordernumber, every payment attempt, so that the
// reads behind orderstate — the call ERPs poll most — skip SQLite. The writer invalidates
// the ordernumbers a commit touched; a fill that raced with a commit is dropped (epoch).
type orderCache struct {
	mu    sync.Mutex
	epoch uint64
	m     map[cacheKey][]*gateway.Order
	max   int
}

type cacheKey struct{ merchant, orderNumber string }

func newOrderCache(max int) *orderCache {
	return &orderCache{m: make(map[cacheKey][]*gateway.Order), max: max}
}

// get returns copies of the cached orders, and the epoch to hand to put on a miss.
func (c *orderCache) get(k cacheKey) ([]*gateway.Order, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	orders, ok := c.m[k]
	if !ok {
		return nil, c.epoch, false
	}
	out := make([]*gateway.Order, len(orders))
	for i, o := range orders {
		cp := *o
		out[i] = &cp
	}
	return out, c.epoch, true
}

// put stores what a reader read, unless a commit invalidated anything since it began.
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

// invalidate is called by the writer after a commit with the keys it touched.
func (c *orderCache) invalidate(keys map[cacheKey]struct{}) {
	if len(keys) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k := range keys {
		delete(c.m, k)
	}
}
