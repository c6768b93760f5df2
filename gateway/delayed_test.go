package gateway_test

import (
	"context"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// TestGateway_DelayedExpires tells when an unconfirmed two-stage order is voided: its
// creation plus the TTL (the default 7 days, or the gateway's own), and never for an order
// in another state.
func TestGateway_DelayedExpires(t *testing.T) {
	e := newEnv(t, processor.Test{})
	delayed := e.pay(t, "de-1", "100.00", "1", visa)
	approved := e.pay(t, "de-2", "100.00", "0", visa)
	at, ok := e.g.DelayedExpires(delayed)
	if !ok || !at.Equal(delayed.Created.Add(7*24*time.Hour)) || gateway.DefaultDelayedTTL != 7*24*time.Hour {
		t.Fatalf("Delayed order expires %s %v, want its creation + 7 days", at, ok)
	}
	if _, ok := e.g.DelayedExpires(approved); ok {
		t.Fatal("an Approved order has a void time")
	}
	partial := *delayed
	partial.State = gateway.StatePartialDelayed
	e.g.DelayedTTL = time.Hour
	if at, ok := e.g.DelayedExpires(&partial); !ok || !at.Equal(delayed.Created.Add(time.Hour)) {
		t.Fatalf("PartialDelayed with a 1h TTL: %s %v", at, ok)
	}
	for _, s := range []gateway.State{gateway.StateInProcess, gateway.StateCanceled, gateway.StateDeclined, gateway.StateTimeout, gateway.StatePartialCanceled} {
		o := *delayed
		o.State = s
		if _, ok := e.g.DelayedExpires(&o); ok {
			t.Errorf("%s has a void time", s)
		}
	}
}

// TestGateway_VoidExpiredDelayed runs the void job just before and exactly at the TTL: before
// it nothing changes; at it a Delayed order is voided (Canceled), a PartialDelayed one has its
// rest released (Approved with what was confirmed), each as a cancel operation with its
// notification, while orders in other states are left alone. A confirm afterwards is 10/202.
func TestGateway_VoidExpiredDelayed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	created := e.clock.Now()
	delayed := e.pay(t, "v-1", "100.00", "1", visa)
	partial := e.pay(t, "v-2", "100.00", "1", visa)
	if r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: partial.BillNumber, Amount: "40.00", Currency: "RUB"}); err != nil || r.Order.State != gateway.StatePartialDelayed {
		t.Fatalf("partial confirm: %v %+v", err, r)
	}
	approved := e.pay(t, "v-3", "100.00", "0", visa)
	// An order made a second later is not due at the first ones' TTL.
	if _, err := e.clock.Set(ctx, created.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	younger := e.pay(t, "v-4", "100.00", "1", visa)

	state := func(bill string) gateway.State { return e.detail(t, bill).Order.State }
	if err := e.g.VoidExpiredDelayed(ctx, created.Add(gateway.DefaultDelayedTTL-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*gateway.Order{delayed, partial, younger} {
		want := 1
		if o == partial {
			want = 2 // the payment and the partial confirm
		}
		if d := e.detail(t, o.BillNumber); len(d.Ops) != want {
			t.Fatalf("%s got an operation before its TTL ran out: %d ops", o.OrderNumber, len(d.Ops))
		}
	}
	if state(delayed.BillNumber) != gateway.StateDelayed || state(partial.BillNumber) != gateway.StatePartialDelayed {
		t.Fatal("voided before the TTL ran out")
	}

	if _, err := e.clock.Set(ctx, created.Add(gateway.DefaultDelayedTTL)); err != nil {
		t.Fatal(err)
	}
	if err := e.g.VoidExpiredDelayed(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d := e.detail(t, delayed.BillNumber)
	if d.Order.State != gateway.StateCanceled || len(d.Ops) != 2 || d.Ops[1].Type != gateway.OpCancel ||
		d.Ops[1].State != gateway.OpSuccess || d.Ops[1].Amount != 10000 || d.Order.Captured != 0 {
		t.Fatalf("Delayed at its TTL: %s, ops %+v", d.Order.State, d.Ops)
	}
	d = e.detail(t, partial.BillNumber)
	if d.Order.State != gateway.StateApproved || d.Order.Captured != 4000 || len(d.Ops) != 3 ||
		d.Ops[2].Type != gateway.OpCancel || d.Ops[2].Amount != 6000 {
		t.Fatalf("PartialDelayed at its TTL: %s captured %v, ops %d", d.Order.State, d.Order.Captured, len(d.Ops))
	}
	if state(approved.BillNumber) != gateway.StateApproved || len(e.detail(t, approved.BillNumber).Ops) != 1 {
		t.Fatal("the one-stage order was touched")
	}
	if state(younger.BillNumber) != gateway.StateDelayed {
		t.Fatal("the order a second younger was voided at the others' TTL")
	}
	notes, err := e.g.OrderNotifications(ctx, e.m, delayed.BillNumber)
	if err != nil || len(notes) != 2 || notes[1].Event != gateway.EventCancel || notes[1].BillNumber != delayed.BillNumber+".2" {
		t.Fatalf("notifications of the voided order: %v %+v", err, notes)
	}
	if rep := notes[1].Payload.Reply(); rep.Order.State != gateway.StateCanceled || rep.Op.Type != gateway.OpCancel || rep.Op.Amount != 10000 || rep.Op.ResponseCode != "AS000" {
		t.Fatalf("the void's notification reports %s, op %v %s %s", rep.Order.State, rep.Op.Type, rep.Op.Amount, rep.Op.ResponseCode)
	}
	if _, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: delayed.BillNumber}); codes(err) != "10/202" {
		t.Fatalf("confirm after the void: %v, want 10/202", err)
	}
	// A second pass finds nothing more to do at the same time.
	if err := e.g.VoidExpiredDelayed(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.detail(t, delayed.BillNumber).Ops); n != 2 {
		t.Fatalf("second pass: %d operations on the voided order, want 2", n)
	}
	if _, err := e.clock.Set(ctx, created.Add(gateway.DefaultDelayedTTL+time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := e.g.VoidExpiredDelayed(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if state(younger.BillNumber) != gateway.StateCanceled {
		t.Fatal("the younger order was not voided at its own TTL")
	}
}

// TestGateway_VoidExpiredDelayedSkips leaves for a later pass what cannot be voided now: an
// order with a confirm under way (10/202 to the void), and an order whose merchant is no longer
// configured; a processor failure is returned, leaves the order Delayed, and the next pass
// voids it.
func TestGateway_VoidExpiredDelayedSkips(t *testing.T) {
	ctx := context.Background()
	p := &gate{}
	e := newEnv(t, p)
	e.g.DelayedTTL = time.Hour
	busy := e.pay(t, "s-1", "100.00", "1", visa)
	e.intent(t, busy.BillNumber, gateway.OpConfirm, 2500, "")
	down := e.pay(t, "s-2", "100.00", "1", visa)
	gone, err := e.g.Pay(ctx, e.g.Merchants.Get("2"), gateway.PayRequest{OrderNumber: "s-3", Amount: "100.00", TwoStage: "1", Card: visa})
	if err != nil {
		t.Fatal(err)
	}
	e.g.Merchants = gateway.NewMerchants([]*gateway.Merchant{e.m})
	at := e.clock.Now().Add(time.Hour)
	if _, err := e.clock.Set(ctx, at); err != nil {
		t.Fatal(err)
	}
	p.fail = true
	err = e.g.VoidExpiredDelayed(ctx, at)
	if err == nil || codes(err) != "2/1" {
		t.Fatalf("pass with the acquirer down: %v, want its internal error", err)
	}
	d := e.detail(t, busy.BillNumber)
	if d.Order.State != gateway.StateDelayed || len(d.Ops) != 2 {
		t.Fatalf("the order with a confirm under way: %s, %d ops", d.Order.State, len(d.Ops))
	}
	d = e.detail(t, down.BillNumber)
	if d.Order.State != gateway.StateDelayed || d.Ops[1].State != gateway.OpFailed {
		t.Fatalf("the failed void: %s, op %s", d.Order.State, d.Ops[1].State)
	}
	p.fail = false
	if err := e.g.VoidExpiredDelayed(ctx, at); err != nil {
		t.Fatal(err)
	}
	if d := e.detail(t, down.BillNumber); d.Order.State != gateway.StateCanceled {
		t.Fatalf("after the acquirer is back: %s, want Canceled", d.Order.State)
	}
	// The interrupted confirm is settled (the acquirer did it); then the rest is released.
	p.settle = true
	if n, err := e.g.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	if err := e.g.VoidExpiredDelayed(ctx, at); err != nil {
		t.Fatal(err)
	}
	if d := e.detail(t, busy.BillNumber); d.Order.State != gateway.StateApproved || d.Order.Captured != 2500 {
		t.Fatalf("once the confirm ended: %s captured %v, want Approved 25.00", d.Order.State, d.Order.Captured)
	}
	// The order of the merchant no longer configured stays as it was.
	var still *gateway.Order
	if err := e.db.View(ctx, func(tx gateway.Tx) (err error) {
		still, err = tx.OrderByBill("2", gone.Order.BillNumber)
		return err
	}); err != nil || still.State != gateway.StateDelayed {
		t.Fatalf("the other merchant's order: %v %+v", err, still)
	}
}

// TestGateway_VoidEndsSeries voids an initial recurring payment that was never confirmed:
// its consent ends with it, and rp on it is refused with 10/210.
func TestGateway_VoidEndsSeries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "rec-d", Amount: "100.00", TwoStage: "1", Card: visa,
		Recurring: gateway.RecurringRequest{Indicator: "1"}})
	if err != nil || r.Order.State != gateway.StateDelayed || r.RecurringState != "Activated" {
		t.Fatalf("initial two-stage payment: %v %+v", err, r)
	}
	at := e.clock.Now().Add(gateway.DefaultDelayedTTL)
	if _, err := e.clock.Set(ctx, at); err != nil {
		t.Fatal(err)
	}
	if err := e.g.VoidExpiredDelayed(ctx, at); err != nil {
		t.Fatal(err)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: r.Order.BillNumber, OrderNumber: "rec-d-1", Amount: "10.00"}); codes(err) != "10/210" {
		t.Fatalf("rp on the voided initial payment: %v, want 10/210", err)
	}
}

// voidGate holds voids at the acquirer until released, and tells when one arrives.
type voidGate struct {
	processor.Test
	arrived chan string // the billnumber of each void that reached the acquirer
	release chan struct{}
}

func (p *voidGate) Void(ctx context.Context, r gateway.OpRequest) error {
	p.arrived <- r.BillNumber
	<-p.release
	return p.Test.Void(ctx, r)
}

// TestGateway_VoidExpiredDelayedRacesAConfirm confirms an expired two-stage order while the
// void job is busy with another one: the job, reaching the confirmed order, must leave it
// alone (it voids only what is still unconfirmed), not refund what the merchant just charged.
func TestGateway_VoidExpiredDelayedRacesAConfirm(t *testing.T) {
	ctx := context.Background()
	p := &voidGate{arrived: make(chan string, 4), release: make(chan struct{})}
	e := newEnv(t, p)
	first := e.pay(t, "race-1", "100.00", "1", visa)
	confirmed := e.pay(t, "race-2", "100.00", "1", visa)
	partial := e.pay(t, "race-3", "100.00", "1", visa)
	if _, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: partial.BillNumber, Amount: "30.00", Currency: "RUB"}); err != nil {
		t.Fatal(err)
	}
	at := e.clock.Now().Add(gateway.DefaultDelayedTTL)
	if _, err := e.clock.Set(ctx, at); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.g.VoidExpiredDelayed(ctx, at) }()
	if bill := <-p.arrived; bill != first.BillNumber {
		t.Fatalf("the job voided %s first, want %s", bill, first.BillNumber)
	}
	// While the first void waits at the acquirer, the merchant confirms the other two.
	if r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: confirmed.BillNumber}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("confirm during the job: %v %+v", err, r)
	}
	if r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: partial.BillNumber}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("confirm of the rest during the job: %v %+v", err, r)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := e.detail(t, first.BillNumber).Order.State; s != gateway.StateCanceled {
		t.Fatalf("the first order: %s, want Canceled", s)
	}
	for _, o := range []*gateway.Order{confirmed, partial} {
		d := e.detail(t, o.BillNumber)
		if d.Order.State != gateway.StateApproved || d.Order.Captured != 10000 || d.Order.Refunded != 0 {
			t.Errorf("%s, confirmed during the job: %s captured %v refunded %v (%d ops), want Approved with nothing refunded",
				o.OrderNumber, d.Order.State, d.Order.Captured, d.Order.Refunded, len(d.Ops))
		}
	}
}
