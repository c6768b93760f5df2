package auth

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newTestLimiter() (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Unix(1e9, 0)}
	return NewLimiter(c.now), c
}

func TestLimiter_LoginBlockGrowsAndExpires(t *testing.T) {
	l, clock := newTestLimiter()
	for i := range LoginFailures {
		if w := l.Wait("shop", "10.0.0.1"); w != 0 {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Failed("shop", "10.0.0.1")
	}
	if w := l.Wait("shop", "10.0.0.1"); w != 0 {
		t.Fatalf("blocked after %d failures: the contract allows the 11th", LoginFailures)
	}
	l.Failed("shop", "10.0.0.1")
	if w := l.Wait("shop", "10.0.0.1"); w != FirstBlock {
		t.Fatalf("first block %v, want %v", w, FirstBlock)
	}
	if w := l.Wait("shop", "10.0.0.2"); w != 0 {
		t.Fatalf("another address blocked for %v", w)
	}
	clock.add(FirstBlock)
	if w := l.Wait("shop", "10.0.0.1"); w != 0 {
		t.Fatalf("still blocked after the first block: %v", w)
	}
	l.Failed("shop", "10.0.0.1")
	if w := l.Wait("shop", "10.0.0.1"); w != 2*FirstBlock {
		t.Fatalf("second block %v, want it doubled", w)
	}
	for range 20 {
		l.Failed("shop", "10.0.0.1")
	}
	if w := l.Wait("shop", "10.0.0.1"); w != Window {
		t.Fatalf("block %v, want the cap %v", w, Window)
	}
	clock.add(Window)
	if w := l.Wait("shop", "10.0.0.1"); w != 0 {
		t.Fatalf("a window after the last failure: %v", w)
	}
}

func TestLimiter_SuccessClearsOnlyThatLogin(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range AddressFailures + 1 {
		l.Failed(fmt.Sprint("guess", i%3), "10.0.0.1")
		l.Succeeded("mine", "10.0.0.1")
	}
	if w := l.Wait("mine", "10.0.0.1"); w == 0 {
		t.Fatal("the address's failures were forgotten by its own sign-ins")
	}
	if w := l.Wait("mine", "10.0.0.9"); w != 0 {
		t.Fatalf("another address blocked for %v", w)
	}
}

func TestLimiter_Bounded(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range MaxTracked + 50 {
		l.Failed("x", fmt.Sprint("addr", i))
	}
	logins, addrs := l.Len()
	if logins != MaxTracked || addrs != MaxTracked {
		t.Fatalf("tracked %d logins, %d addresses; cap %d", logins, addrs, MaxTracked)
	}
}

// A successful Attempt forgets the login's failures from that address (Attempt looks the
// login up once and clears it only when it had failures), and leaves the address's own.
func TestLimiter_AttemptSuccessForgetsTheLoginsFailures(t *testing.T) {
	l, _ := newTestLimiter()
	bad := fmt.Errorf("bad password")
	failed := func(err error) bool { return err == bad }
	wrong := func() error { return bad }
	right := func() error { return nil }
	for range LoginFailures {
		l.Attempt("shop", "10.0.0.1", true, wrong, failed)
	}
	if wait, err := l.Attempt("shop", "10.0.0.1", true, right, failed); wait != 0 || err != nil {
		t.Fatalf("sign-in after %d failures: wait %v err %v", LoginFailures, wait, err)
	}
	for range LoginFailures {
		if wait, _ := l.Attempt("shop", "10.0.0.1", true, wrong, failed); wait != 0 {
			t.Fatal("the failures before the sign-in still count against the login")
		}
	}
	if logins, addrs := l.Len(); logins != 1 || addrs != 1 {
		t.Fatalf("tracked %d logins, %d addresses; want 1 and 1", logins, addrs)
	}
	l.Attempt("shop", "10.0.0.1", true, wrong, failed) // the 11th since the sign-in
	if wait, _ := l.Attempt("shop", "10.0.0.1", true, right, failed); wait == 0 {
		t.Fatal("after 11 failures since the sign-in the login is not refused")
	}
}

func TestLimiter_AttemptSkipsThePasswordCheckWhenThrottled(t *testing.T) {
	l, _ := newTestLimiter()
	bad := fmt.Errorf("bad password")
	checks := 0
	check := func() error { checks++; return bad }
	failed := func(err error) bool { return err == bad }
	for range LoginFailures + 1 {
		if wait, err := l.Attempt("shop", "10.0.0.1", true, check, failed); wait != 0 || err != bad {
			t.Fatalf("attempt: %v %v", wait, err)
		}
	}
	if wait, err := l.Attempt("shop", "10.0.0.1", true, check, failed); wait == 0 || err != nil || checks != LoginFailures+1 {
		t.Fatalf("throttled attempt: wait %v err %v, %d checks", wait, err, checks)
	}
	var none *Limiter
	if wait, err := none.Attempt("shop", "10.0.0.1", true, check, failed); wait != 0 || err != bad {
		t.Fatal("a nil limiter must only run the check")
	}
}
