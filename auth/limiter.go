// Package auth limits password guessing: failed authentications are counted per login and
// client address and per client address, for the services and the monitor alike
// (docs/protocol.md#47-errors, CONTRACT.md section 4).
package auth

import (
	"context"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Defaults of the contract: from the 11th failure of one login from one address, or the
// 21st from one address, that address is refused before any password check.
const (
	LoginFailures   = 10
	AddressFailures = 20
	Window          = 15 * time.Minute
	// FirstBlock is how long the first refusal lasts; each failure after a block doubles it,
	// up to Window.
	FirstBlock = time.Minute
	// MaxTracked bounds each table of counters; the least recently failed entry goes first.
	MaxTracked = 100_000
)

// Shared keeps the counters where several gateway processes see the same ones (the
// PostgreSQL store): failures counted by one process refuse the address at every other.
// A key's count restarts from one when its latest failure is window old or older.
type Shared interface {
	AuthFailures(ctx context.Context, keys ...string) (n []int, last []time.Time, err error)
	AddAuthFailure(ctx context.Context, now time.Time, window time.Duration, keys ...string) error
	ForgetAuthFailures(ctx context.Context, keys ...string) error
}

// SharedTimeout bounds each round trip to the shared counters.
const SharedTimeout = 5 * time.Second

// Limiter counts failures. The zero value is not usable; call NewLimiter.
type Limiter struct {
	now     func() time.Time
	shared  Shared     // nil: the tables in memory below (one process)
	clean   *clean     // with shared: keys seen without failures lately
	mu      sync.Mutex // orders a check-then-update on one entry; the caches lock themselves
	byLogin *lru.Cache[string, *count]
	byAddr  *lru.Cache[string, *count]
}

type count struct {
	n    int       // failures in the current window
	last time.Time // the latest failure; the window restarts Window after it
}

// NewLimiter returns a limiter that reads the time from now (time.Now when nil).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	byLogin, _ := lru.New[string, *count](MaxTracked)
	byAddr, _ := lru.New[string, *count](MaxTracked)
	return &Limiter{now: now, byLogin: byLogin, byAddr: byAddr}
}

// NewSharedLimiter returns a limiter whose counters live in shared, for several processes
// on one database. When shared cannot be read, Wait answers a second's wait: the address
// is refused rather than let through uncounted.
func NewSharedLimiter(now func() time.Time, shared Shared) *Limiter {
	l := NewLimiter(now)
	l.shared, l.clean = shared, newClean()
	return l
}

// Address keys are kept apart from login keys in a shared table by their prefix.
func addrKey(addr string) string { return "addr " + addr }

func loginKey(login, addr string) string { return strconv.Quote(login) + " " + addr }

// Wait is how long addr must wait before login may be tried again from it; 0 when it may
// be tried now. A refused attempt is not a failure: no password was checked.
func (l *Limiter) Wait(login, addr string) time.Duration {
	if l.shared != nil {
		wait, _ := l.sharedWait(login, addr)
		return wait
	}
	wait, _ := l.localWait(login, addr)
	return wait
}

// localWait is Wait on the tables in memory; known tells whether login has failures from
// addr counted (so that a success has something to forget).
func (l *Limiter) localWait(login, addr string) (wait time.Duration, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	lw, known := l.wait(l.byLogin, loginKey(login, addr), LoginFailures, now)
	aw, _ := l.wait(l.byAddr, addr, AddressFailures, now)
	return max(lw, aw), known
}

func (l *Limiter) wait(c *lru.Cache[string, *count], key string, free int, now time.Time) (wait time.Duration, counted bool) {
	e, ok := c.Peek(key)
	if !ok {
		return 0, false
	}
	since := now.Sub(e.last)
	if since >= Window {
		c.Remove(key)
		return 0, false
	}
	if e.n <= free {
		return 0, true
	}
	return max(block(e.n-free)-since, 0), true
}

// block is how long the k-th failure past the free ones shuts the door: 1 min, 2, 4 … 15.
func block(k int) time.Duration {
	return min(FirstBlock<<min(k-1, 10), Window)
}

// sharedWait is Wait on the shared counters; known tells whether login had failures from
// addr (so that a success has something to forget).
func (l *Limiter) sharedWait(login, addr string) (wait time.Duration, known bool) {
	lk, ak := loginKey(login, addr), addrKey(addr)
	now := l.now()
	clean, gen := l.clean.has(now, addr, login)
	if clean {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
	defer cancel()
	n, last, err := l.shared.AuthFailures(ctx, lk, ak)
	if err != nil {
		return time.Second, false
	}
	if n[0] == 0 && n[1] == 0 {
		l.clean.add(now, addr, login, gen)
	}
	for i, free := range []int{LoginFailures, AddressFailures} {
		if since := now.Sub(last[i]); n[i] > free && since < Window {
			wait = max(wait, block(n[i]-free)-since)
		}
	}
	return max(wait, 0), n[0] > 0
}

// Failed records a failed authentication of login from addr.
func (l *Limiter) Failed(login, addr string) {
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
		defer cancel()
		l.clean.failed(addr)
		l.shared.AddAuthFailure(ctx, l.now(), Window, loginKey(login, addr), addrKey(addr)) // a lost count is only a count
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	bump(l.byLogin, loginKey(login, addr), now)
	bump(l.byAddr, addr, now)
}

func bump(c *lru.Cache[string, *count], key string, now time.Time) {
	e, ok := c.Get(key)
	if !ok || now.Sub(e.last) >= Window {
		e = &count{}
	}
	e.n++
	e.last = now
	c.Add(key, e)
}

// Succeeded forgets login's failures from addr; the address's own count stays, so guesses
// at other logins interleaved with one's own sign-ins are still counted.
func (l *Limiter) Succeeded(login, addr string) {
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), SharedTimeout)
		defer cancel()
		l.shared.ForgetAuthFailures(ctx, loginKey(login, addr))
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byLogin.Remove(loginKey(login, addr))
}

// Len is the number of entries tracked per table (login+address, address) in memory.
func (l *Limiter) Len() (logins, addrs int) { return l.byLogin.Len(), l.byAddr.Len() }

// Attempt runs check, an authentication of login from addr, under the limits: when addr is
// throttled for login, check is not run and Attempt returns how long to wait. Otherwise
// check's error is returned, and counted as a failure when failed(err) says so; a nil error
// clears login's count from addr. A nil Limiter only runs check. Empty logins or passwords
// (counted: false) are the caller's own errors and never reach the tables.
func (l *Limiter) Attempt(login, addr string, counted bool, check func() error, failed func(error) bool) (time.Duration, error) {
	if l == nil || !counted {
		return 0, check()
	}
	// One read per authentication; a success writes only when there is a count to forget,
	// so the services' calls cost no write (in memory: no second lookup).
	var wait time.Duration
	var known bool
	if l.shared != nil {
		wait, known = l.sharedWait(login, addr)
	} else {
		wait, known = l.localWait(login, addr)
	}
	if wait > 0 {
		return wait, nil
	}
	err := check()
	switch {
	case err == nil && known:
		l.Succeeded(login, addr)
	case failed(err):
		l.Failed(login, addr)
	}
	return 0, err
}
