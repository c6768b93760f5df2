package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// table is the shared counters' semantics (store.Shared on PostgreSQL) in memory: what two
// limiters of two processes would share.
type table struct {
	mu    sync.Mutex
	n     map[string]int
	last  map[string]time.Time
	reads int
	down  bool
}

func newTable() *table { return &table{n: map[string]int{}, last: map[string]time.Time{}} }

func (s *table) AuthFailures(_ context.Context, keys ...string) ([]int, []time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, nil, errors.New("database down")
	}
	s.reads++
	n, last := make([]int, len(keys)), make([]time.Time, len(keys))
	for i, k := range keys {
		n[i], last[i] = s.n[k], s.last[k]
	}
	return n, last, nil
}

func (s *table) AddAuthFailure(_ context.Context, now time.Time, window time.Duration, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if now.Sub(s.last[k]) >= window {
			s.n[k] = 0
		}
		s.n[k]++
		s.last[k] = now
	}
	return nil
}

func (s *table) ForgetAuthFailures(_ context.Context, keys ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.n, k)
		delete(s.last, k)
	}
	return nil
}

// TestSharedLimiter_FailuresAtEitherProcessCount: two limiters on one table refuse an
// address whose failures were spread over both; a clean key is read once per CleanFor; a
// failure seen elsewhere reaches a process within CleanFor, and one it makes itself at once.
func TestSharedLimiter_FailuresAtEitherProcessCount(t *testing.T) {
	tab := newTable()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	a, b := NewSharedLimiter(clock.now, tab), NewSharedLimiter(clock.now, tab)
	ok := func() error { return nil }
	bad := errors.New("bad password")
	wrong := func() error { return bad }
	failed := func(err error) bool { return err == bad }

	// A merchant's system signing in correctly costs one read per CleanFor.
	for range 5 {
		if wait, err := a.Attempt("shop", "10.0.0.1", true, ok, failed); wait != 0 || err != nil {
			t.Fatalf("clean attempt: %v %v", wait, err)
		}
	}
	if tab.reads != 1 {
		t.Fatalf("%d reads for 5 clean attempts within %v, want 1", tab.reads, CleanFor)
	}
	// Guesses spread over both processes add up; each refuses from the 11th on.
	for i := range LoginFailures + 1 {
		if wait, _ := []*Limiter{a, b}[i%2].Attempt("shop", "10.0.0.2", true, wrong, failed); wait != 0 {
			t.Fatalf("failure %d refused early", i+1)
		}
	}
	for _, l := range []*Limiter{a, b} {
		if wait, _ := l.Attempt("shop", "10.0.0.2", true, ok, failed); wait == 0 {
			t.Fatal("the right password got through after 11 failures at two processes")
		}
	}
	// A found 10.0.0.1 clean; eleven failures at B are unseen at A for at most CleanFor, and
	// A's own failure drops what it trusted at once.
	for range LoginFailures + 1 {
		b.Attempt("shop", "10.0.0.1", true, wrong, failed)
	}
	clock.add(CleanFor)
	if wait := a.Wait("shop", "10.0.0.1"); wait == 0 {
		t.Fatalf("A still trusts 10.0.0.1 clean %v after B refused it", CleanFor)
	}
	c := NewSharedLimiter(clock.now, tab)
	c.Attempt("other", "10.0.0.3", true, ok, failed) // 10.0.0.3 trusted clean at C
	for i := range AddressFailures {
		b.Attempt(fmt.Sprint("guess", i), "10.0.0.3", true, wrong, failed)
	}
	c.Attempt("y", "10.0.0.3", true, wrong, failed) // C's own failure: the one guess it lets through
	if wait, _ := c.Attempt("other", "10.0.0.3", true, ok, failed); wait == 0 {
		t.Fatal("C let a second attempt through after its own failure")
	}
	// A shared table that cannot be read refuses rather than lets through uncounted.
	tab.down = true
	if wait, _ := NewSharedLimiter(clock.now, tab).Attempt("shop", "10.0.0.9", true, ok, failed); wait == 0 {
		t.Fatal("an unreadable table let an attempt through")
	}
}
