package notify_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/notify"
)

// TestDeliverer_TwoProcesses: two deliverers with their own owners share one database, as
// two gateway processes will, each running its background loop while a clock moves and
// both run the due work. The merchant fails every other request. Each notification must be
// acknowledged exactly once, and no request may come after its acknowledgement.
func TestDeliverer_TwoProcesses(t *testing.T) {
	var mu sync.Mutex
	acks := map[string]int{}
	late := map[string]int{}
	n := 0
	m := newMerchantServer(t)
	m.setReply(func(_ int, r request) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		bill := r.Fields["billnumber"]
		if acks[bill] > 0 {
			late[bill]++
		}
		if n++; n%2 == 0 {
			return 503, "busy"
		}
		acks[bill]++
		return 200, ack(0, 0, r)
	})
	f := newFixture(t, "post", m.URL)
	f.d.Kick = f.db.Outbox()
	// A second process: the same configuration, its own owner and state.
	a, b := f.d, &notify.Deliverer{Store: f.d.Store, Merchants: f.d.Merchants, Clock: f.d.Clock,
		Message: f.d.Message, Client: f.d.Client, Logger: f.d.Logger}
	a.Owner, b.Owner = "process-a", "process-b"
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range []*notify.Deliverer{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(ctx) }()
	}
	const total = 40
	for range total {
		f.payment()
	}
	for i := 0; i < 100; i++ { // up to 8 hours: each notification's eight attempts fit
		now := f.clock.Set(f.clock.Now().Add(5 * time.Minute))
		var run sync.WaitGroup
		for _, d := range []*notify.Deliverer{a, b} {
			run.Add(1)
			go func() {
				defer run.Done()
				if err := d.RunDue(ctx, now); err != nil {
					t.Error(err)
				}
			}()
		}
		run.Wait()
		mu.Lock()
		done := len(acks) == total
		mu.Unlock()
		if done {
			break
		}
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acks) != total {
		t.Fatalf("%d notifications acknowledged, want %d", len(acks), total)
	}
	for bill, c := range acks {
		if c != 1 {
			t.Errorf("%s acknowledged %d times", bill, c)
		}
	}
	for bill, c := range late {
		t.Errorf("%s sent %d times after its acknowledgement", bill, c)
	}
}

// TestDeliverer_ExpiredLease: a process that died mid-attempt leaves a claim; the
// notification is due again only when the lease has run out, then another process sends it.
func TestDeliverer_ExpiredLease(t *testing.T) {
	m := newMerchantServer(t)
	f := newFixture(t, "post", m.URL)
	wall := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.d.Wall, f.d.Lease = wall, 30*time.Second
	id := f.payment()
	// The dead process's claim, taken a second ago with the same lease.
	err := f.db.Update(context.Background(), func(tx gateway.Tx) error {
		ok, err := tx.ClaimNotification(id, f.clock.Now(), wall.Now(), gateway.Claim{Owner: "dead", Until: wall.Now().Add(29 * time.Second)})
		if !ok && err == nil {
			t.Fatal("the dead process's claim was refused")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.runDue()
	if got := len(m.requests()); got != 0 {
		t.Fatalf("%d requests while another process's lease holds", got)
	}
	wall.Set(wall.Now().Add(30 * time.Second))
	f.runDue()
	if got := len(m.requests()); got != 1 {
		t.Fatalf("%d requests after the lease ran out, want 1", got)
	}
	if n := f.notification(id); n.State != gateway.NotifyDelivered || n.Claim != (gateway.Claim{}) || n.Attempts != 1 {
		t.Fatalf("after the take-over: %+v", n.Notification)
	}
}

// TestDeliverer_ShutdownGivesBackClaims: claims taken ahead of a merchant's connections and
// not yet sent are released when the deliverer stops, so a restarted process sends them at
// once; the attempt in flight finishes and is recorded.
func TestDeliverer_ShutdownGivesBackClaims(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	m := newMerchantServer(t, func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			inner.ServeHTTP(w, r)
		})
	})
	f := newFixture(t, "post", m.URL)
	f.d.PerMerchant = 1 // one connection, one claim ahead
	first, second := f.payment(), f.payment()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.d.Run(ctx) }()
	<-arrived
	waitFor(t, func() bool { return f.notification(second).Claim.Owner != "" })
	cancel()
	waitFor(t, func() bool { return f.notification(second).Claim == (gateway.Claim{}) })
	close(release)
	<-done
	if n := f.notification(first); n.State != gateway.NotifyDelivered {
		t.Errorf("the attempt in flight at shutdown: %s", n.State)
	}
	if n := f.notification(second); n.Claim != (gateway.Claim{}) || n.State != gateway.NotifyPending || n.Attempts != 0 {
		t.Errorf("the claim taken ahead was not given back: %+v", n.Notification)
	}
}

// TestDeliverer_ProbesFailingMerchant: after ProbeAfter attempts in a row without an answer
// only the notification that failed last is retried, on its schedule, and the merchant's
// others wait with their attempts unspent; its first acknowledgement lets the queue drain.
// Both moments are logged for the operator.
func TestDeliverer_ProbesFailingMerchant(t *testing.T) {
	m := newMerchantServer(t)
	m.setReply(func(n int, r request) (int, string) {
		if n <= 3 {
			return 503, "down"
		}
		return 200, ack(0, 0, r)
	})
	f := newFixture(t, "post", m.URL)
	var logs syncBuffer
	f.d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	f.d.PerMerchant = 1
	var ids []int64
	for range 5 {
		ids = append(ids, f.payment())
	}
	f.runDue()
	attempts := func() (out []int) {
		for _, id := range ids {
			out = append(out, f.notification(id).Attempts)
		}
		return out
	}
	if got, want := fmt.Sprint(attempts()), "[1 1 1 0 0]"; got != want {
		t.Fatalf("attempts after three failures = %s, want %s: the rest wait", got, want)
	}
	if !strings.Contains(logs.String(), "probing") {
		t.Errorf("entering probe mode was not logged:\n%s", logs.String())
	}
	f.clock.Set(f.clock.Now().Add(30 * time.Second))
	f.runDue()
	if got, want := fmt.Sprint(attempts()), "[1 1 1 0 0]"; got != want {
		t.Fatalf("attempts before the probe is due = %s, want %s", got, want)
	}
	f.clock.Set(f.clock.Now().Add(30 * time.Second)) // the probe (the third) is due; the first two as well
	f.runDue()
	if got, want := fmt.Sprint(attempts()), "[2 2 2 1 1]"; got != want {
		t.Fatalf("attempts after the probe answered = %s, want %s", got, want)
	}
	for _, id := range ids {
		if n := f.notification(id); n.State != gateway.NotifyDelivered {
			t.Errorf("notification %d: %s", id, n.State)
		}
	}
	if !strings.Contains(logs.String(), "answers again") {
		t.Errorf("recovery was not logged:\n%s", logs.String())
	}
}
