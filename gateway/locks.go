package gateway

import (
	"context"
	"sync"
)

// orderLocks serialises the confirms and cancels of one order within this process, so that
// a repeat (the same confirm, the same externalrefundid) waits for the outcome of the request
// it repeats instead of being refused for the amount that request reserved. The store's
// reservations, not this lock, are what keeps the amounts right. The zero value is ready.
type orderLocks struct {
	mu sync.Mutex
	m  map[string]*orderLock
}

type orderLock struct {
	ch   chan struct{} // holds a token while the order is locked
	refs int           // holders and waiters
}

// lock waits until key is free or ctx ends, and returns the function that frees it.
func (l *orderLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*orderLock)
	}
	e := l.m[key]
	if e == nil {
		e = &orderLock{ch: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; l.release(key, e) }, nil
	case <-ctx.Done():
		l.release(key, e)
		return nil, ctx.Err()
	}
}

func (l *orderLocks) release(key string, e *orderLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, key)
	}
}
