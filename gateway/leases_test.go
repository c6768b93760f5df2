package gateway_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// memLeases are leases in memory, as PostgreSQL's advisory locks behave for one process:
// a key is held until released. busy marks keys another (live) process holds; err fails
// every TryLease.
type memLeases struct {
	mu    sync.Mutex
	held  map[string]bool
	busy  map[string]bool
	err   error
	taken []string
}

func (l *memLeases) TryLease(_ context.Context, key string) (func(), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, false, l.err
	}
	if l.held == nil {
		l.held = map[string]bool{}
	}
	if l.held[key] || l.busy[key] {
		return nil, false, nil
	}
	l.held[key] = true
	l.taken = append(l.taken, key)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.held, key)
	}, true, nil
}

func (l *memLeases) isHeld(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[key]
}

// interrupted writes an In Process payment as a process that died after its first commit
// leaves it, with the test processor's approving card reference.
func (e *env) interrupted(t *testing.T, num string) *gateway.Order {
	t.Helper()
	now := e.clock.Now()
	o := &gateway.Order{BillNumber: "", MerchantID: e.m.ID, OrderNumber: num, Amount: 5000, Currency: "RUB",
		State: gateway.StateInProcess, TestMode: true, LastSeq: 1,
		Card: gateway.Card{Bin: "411111", Last4: "1111", ExpMonth: "12", ExpYear: "2030", Ref: "tp_ok_" + num}, Created: now, Updated: now}
	err := e.db.Update(context.Background(), func(tx gateway.Tx) error {
		o.BillNumber = "90000000000000" + num
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment,
			State: gateway.OpInProcess, Amount: 5000, Currency: "RUB", Created: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func orderKey(o *gateway.Order) string { return "order/" + itoa(o.ID) }

// TestGateway_RecoverDueWithLeases settles, with several processes sharing the database, only
// what its own process has left: a payment younger than SettleGrace, or one whose lease
// another live process holds, is left alone; past the grace with its lease free it is
// settled, and the lease is released afterwards.
func TestGateway_RecoverDueWithLeases(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	leases := &memLeases{busy: map[string]bool{}}
	e.g.Leases = leases
	young := e.interrupted(t, "11")
	held := e.interrupted(t, "12")
	leases.busy[orderKey(held)] = true

	if err := e.g.RecoverDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, young.BillNumber).Order.State; s != gateway.StateInProcess {
		t.Fatalf("a payment younger than the grace was settled: %s", s)
	}
	// A millisecond before the grace ends nothing is settled; once it is over (docs: "In Process
	// for more than 10 s") the free one is.
	if _, err := e.clock.Set(ctx, young.Updated.Add(gateway.SettleGrace-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := e.g.RecoverDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, young.BillNumber).Order.State; s != gateway.StateInProcess {
		t.Fatalf("settled a millisecond before the grace ended: %s", s)
	}
	if _, err := e.clock.Set(ctx, young.Updated.Add(gateway.SettleGrace+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := e.g.RecoverDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, young.BillNumber).Order.State; s != gateway.StateApproved {
		t.Fatalf("past the grace with a free lease: %s, want Approved", s)
	}
	if s := e.detail(t, held.BillNumber).Order.State; s != gateway.StateInProcess {
		t.Fatalf("a payment whose lease another process holds was settled: %s", s)
	}
	if leases.isHeld(orderKey(young)) {
		t.Fatal("the settled payment's lease was kept")
	}
	// Once that process is gone its payment is settled too.
	delete(leases.busy, orderKey(held))
	if err := e.g.RecoverDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, held.BillNumber).Order.State; s != gateway.StateApproved {
		t.Fatalf("after its holder died: %s, want Approved", s)
	}
	// Failing leases settle nothing (another process may be at work) and break nothing.
	third := e.interrupted(t, "13")
	if _, err := e.clock.Set(ctx, third.Updated.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	leases.err = errors.New("lease table unreachable")
	if err := e.g.RecoverDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, third.BillNumber).Order.State; s != gateway.StateInProcess {
		t.Fatalf("settled without its lease: %s", s)
	}
	// Recover at start-up has no grace: it settles at once what it can lease.
	leases.err = nil
	fourth := e.interrupted(t, "14")
	if n, err := e.g.Recover(ctx); err != nil || n != 2 {
		t.Fatalf("recover: %d %v, want 2", n, err)
	}
	if s := e.detail(t, fourth.BillNumber).Order.State; s != gateway.StateApproved {
		t.Fatalf("recover at start-up: %s", s)
	}
}

// racingProcessor stands in for the moment another process takes a payment for interrupted:
// while this process waits for the acquirer, the other settles the payment (Recover); the
// waiting payment must then answer the recorded outcome, not settle it a second time.
type racingProcessor struct {
	processor.Test
	during func()
}

func (p *racingProcessor) Authorize(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	if p.during != nil {
		p.during()
	}
	return p.Test.Authorize(ctx, r)
}

// TestGateway_SettledElsewhere pays while the order's lease is held elsewhere (so the payment
// proceeds without it) and another process settles it meanwhile: the payment answers the
// recorded outcome, with one operation and one notification.
func TestGateway_SettledElsewhere(t *testing.T) {
	ctx := context.Background()
	p := &racingProcessor{}
	e := newEnv(t, p)
	leases := &memLeases{busy: map[string]bool{}}
	e.g.Leases = leases
	other := &gateway.Gateway{Store: e.db, Processor: processor.Test{}, Clock: e.clock, Merchants: e.g.Merchants, Leases: &memLeases{}}
	settled := 0
	p.during = func() {
		n, err := other.Recover(ctx)
		if err != nil {
			t.Error(err)
		}
		settled += n
	}
	// The first order created gets id 1: its lease is held elsewhere when this process
	// would take it after the commit.
	leases.busy["order/1"] = true
	r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "race", Amount: "10.00", Card: visa})
	if err != nil {
		t.Fatal(err)
	}
	if r.Order.ID != 1 {
		t.Fatalf("the order got id %d, the test holds the lease of 1", r.Order.ID)
	}
	if settled != 1 || r.Order.State != gateway.StateApproved || r.Op.State != gateway.OpSuccess {
		t.Fatalf("settled elsewhere %d, answered %s %s", settled, r.Order.State, r.Op.State)
	}
	notes, err := e.g.OrderNotifications(ctx, e.m, r.Order.BillNumber)
	if err != nil || len(notes) != 1 {
		t.Fatalf("%d notifications (%v), want the other process's one", len(notes), err)
	}
	// With the lease taken normally the payment holds it while it runs, so the other
	// process finds nothing to settle; the lease is free afterwards.
	delete(leases.busy, "order/1")
	settled = 0
	p.during = func() {
		if !leases.isHeld("order/2") {
			t.Error("the payment does not hold its lease while the acquirer decides")
		}
	}
	r, err = e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "race-2", Amount: "10.00", Card: visa})
	if err != nil || r.Order.ID != 2 || r.Order.State != gateway.StateApproved {
		t.Fatalf("second payment: %v %+v", err, r)
	}
	if leases.isHeld("order/2") {
		t.Fatal("the lease outlived the payment")
	}
}

// settleOpFails is the gate processor whose record of a confirm or cancel cannot be read.
type settleOpFails struct{ gate }

func (p *settleOpFails) SettleOp(context.Context, gateway.OpRequest) (bool, error) {
	return false, errors.New("acquirer unreachable")
}

// TestGateway_RecoverOpsRefusals: an interrupted confirm is left In Process while the
// acquirer cannot say what it did (the error is reported), while its merchant is no longer
// configured (reported too), and, with several processes, while it is younger than the grace
// or another live process holds its order's lease. A void under way refuses a confirm (10/202).
func TestGateway_RecoverOpsRefusals(t *testing.T) {
	ctx := context.Background()
	p := &settleOpFails{}
	e := newEnv(t, p)
	o := e.pay(t, "ro", "100.00", "1", visa)
	e.intent(t, o.BillNumber, gateway.OpCancel, 10000, "")
	if _, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber}); codes(err) != "10/202" {
		t.Fatalf("confirm while the void is under way: %v, want 10/202", err)
	}
	if n, err := e.g.Recover(ctx); err == nil || n != 0 {
		t.Fatalf("recover without the acquirer's record: %d %v, want an error", n, err)
	}
	if st := e.opState(t, o.BillNumber, 2); st != gateway.OpInProcess {
		t.Fatalf("the void after a failed settle: %s", st)
	}
	all := e.g.Merchants
	e.g.Merchants = gateway.NewMerchants([]*gateway.Merchant{all.Get("2")})
	if _, err := e.g.Recover(ctx); err == nil || !strings.Contains(err.Error(), "no longer configured") {
		t.Fatalf("recover of an unknown merchant's void: %v", err)
	}
	e.g.Merchants = all

	// Several processes: a young operation, or one whose lease is held, is left to its process.
	e2 := newEnv(t, &gate{settle: true})
	leases := &memLeases{busy: map[string]bool{}}
	e2.g.Leases = leases
	o2 := e2.pay(t, "ro-2", "100.00", "1", visa)
	e2.intent(t, o2.BillNumber, gateway.OpConfirm, 1000, "")
	if err := e2.g.RecoverDue(ctx, e2.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if st := e2.opState(t, o2.BillNumber, 2); st != gateway.OpInProcess {
		t.Fatalf("a confirm younger than the grace: %s", st)
	}
	leases.busy[orderKey(o2)] = true
	if _, err := e2.clock.Set(ctx, e2.clock.Now().Add(gateway.SettleGrace+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := e2.g.RecoverDue(ctx, e2.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if st := e2.opState(t, o2.BillNumber, 2); st != gateway.OpInProcess {
		t.Fatalf("a confirm whose lease is held elsewhere: %s", st)
	}
	delete(leases.busy, orderKey(o2))
	if err := e2.g.RecoverDue(ctx, e2.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if d := e2.detail(t, o2.BillNumber); d.Ops[1].State != gateway.OpSuccess || d.Order.State != gateway.StatePartialDelayed || d.Order.Captured != 1000 {
		t.Fatalf("after its holder died: op %s, order %s captured %v", d.Ops[1].State, d.Order.State, d.Order.Captured)
	}
}
