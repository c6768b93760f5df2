package gateway_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/store"
)

// env is a gateway on a real SQLite file with the test processor and a test clock.
type env struct {
	g     *gateway.Gateway
	m     *gateway.Merchant
	db    *store.DB
	clock *gateway.TestClock
}

func newEnv(t *testing.T, p gateway.Processor) *env {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock, err := gateway.NewTestClock(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	m := &gateway.Merchant{ID: "1", Login: "l", Password: "p", Currency: "RUB", TestMode: true,
		Notify: gateway.NotifyConfig{URL: "http://merchant.example/n", Events: map[gateway.Event]bool{
			gateway.EventPayment: true, gateway.EventCharge: true, gateway.EventCancel: true, gateway.EventRecurring: true}}}
	other := &gateway.Merchant{ID: "2", Login: "l2", Password: "p2", Currency: "RUB", TestMode: true}
	g := &gateway.Gateway{Store: db, Processor: p, Clock: clock, Merchants: gateway.NewMerchants([]*gateway.Merchant{m, other}),
		Jobs: &gateway.Jobs{}}
	return &env{g: g, m: m, db: db, clock: clock}
}

func (e *env) pay(t *testing.T, num, amount, delay string, card gateway.CardData) *gateway.Order {
	t.Helper()
	r, err := e.g.Pay(context.Background(), e.m, gateway.PayRequest{OrderNumber: num, Amount: amount, TwoStage: delay, Card: card})
	if err != nil {
		t.Fatal(err)
	}
	return r.Order
}

// detail reads an order with its operations.
func (e *env) detail(t *testing.T, bill string) gateway.OrderDetail {
	t.Helper()
	d, err := e.g.OrderResult(context.Background(), e.m, gateway.ResultQuery{BillNumber: bill})
	if err != nil {
		t.Fatal(err)
	}
	return d[0]
}

func (e *env) opState(t *testing.T, bill string, seq int) gateway.OpState {
	t.Helper()
	for _, op := range e.detail(t, bill).Ops {
		if op.Seq == seq {
			return op.State
		}
	}
	return ""
}

// waitOp polls until the order's operation seq is in state.
func (e *env) waitOp(t *testing.T, bill string, seq int, state gateway.OpState) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); e.opState(t, bill, seq) != state; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("operation %s.%d never became %s", bill, seq, state)
		}
	}
}

var slow = gateway.CardData{Number: processor.SlowCard, ExpMonth: "12", ExpYear: "2030", CVC: "123", Holder: "S L"}

// gate is a processor whose captures, voids and refunds wait until released, and fail when
// fail is set; SettleOp answers settle.
type gate struct {
	processor.Test
	mu      sync.Mutex
	release chan struct{}
	fail    bool
	settle  bool
	calls   map[gateway.MoneyOp]int
}

func (p *gate) op(kind gateway.MoneyOp) error {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[gateway.MoneyOp]int{}
	}
	p.calls[kind]++
	rel, fail := p.release, p.fail
	p.mu.Unlock()
	if rel != nil {
		<-rel
	}
	if fail {
		return errors.New("acquirer unreachable")
	}
	return nil
}

func (p *gate) count(kind gateway.MoneyOp) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[kind]
}

func (p *gate) Capture(_ context.Context, r gateway.OpRequest) error { return p.op(r.Op) }
func (p *gate) Void(_ context.Context, r gateway.OpRequest) error    { return p.op(r.Op) }
func (p *gate) Refund(_ context.Context, r gateway.OpRequest) error  { return p.op(r.Op) }
func (p *gate) SettleOp(context.Context, gateway.OpRequest) (bool, error) {
	return p.settle, nil
}

// TestGateway_ConfirmOutsideTheWriter holds a confirm at the acquirer and checks that the
// store keeps serving writes meanwhile, that the confirm is In Process with its amount
// reserved, and that a repeat waits for it and answers the same operation.
func TestGateway_ConfirmOutsideTheWriter(t *testing.T) {
	ctx := context.Background()
	p := &gate{release: make(chan struct{})}
	e := newEnv(t, p)
	o := e.pay(t, "c-1", "100.00", "1", visa)

	first := make(chan *gateway.Reply, 1)
	go func() {
		r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber})
		if err != nil {
			t.Error(err)
		}
		first <- r
	}()
	e.waitOp(t, o.BillNumber, 2, gateway.OpInProcess)
	if d := e.detail(t, o.BillNumber); d.Order.State != gateway.StateDelayed || d.Order.Captured != 0 {
		t.Fatalf("while the acquirer works the order is %s with %v captured, want Delayed with 0", d.Order.State, d.Order.Captured)
	}
	// Another merchant's payment commits while the confirm waits at the acquirer.
	other := e.g.Merchants.Get("2")
	if r, err := e.g.Pay(ctx, other, gateway.PayRequest{OrderNumber: "x", Amount: "1", Card: visa}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("payment during the confirm: %v %v", r, err)
	}
	second := make(chan *gateway.Reply, 1)
	go func() {
		r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber})
		if err != nil {
			t.Error(err)
		}
		second <- r
	}()
	select {
	case <-first:
		t.Fatal("the confirm finished before the acquirer answered")
	default:
	}
	close(p.release)
	r1, r2 := <-first, <-second
	if r1 == nil || r2 == nil {
		t.FailNow()
	}
	if r1.Op.Seq != 2 || r2.Op.Seq != 2 || r1.Order.State != gateway.StateApproved || r2.Order.State != gateway.StateApproved {
		t.Fatalf("confirm and repeat answered .%d %s and .%d %s, want .2 Approved twice", r1.Op.Seq, r1.Order.State, r2.Op.Seq, r2.Order.State)
	}
	if n := p.count(gateway.MoneyCapture); n != 1 {
		t.Fatalf("%d captures, want 1", n)
	}
	if d := e.detail(t, o.BillNumber); len(d.Ops) != 2 || d.Ops[1].State != gateway.OpSuccess || d.Order.Captured != 10000 {
		t.Fatalf("after the confirm: %d ops, captured %v", len(d.Ops), d.Order.Captured)
	}
}

// TestGateway_SameRefundIDInFlight sends one externalrefundid twice while the first refund
// waits at the slow acquirer: one refund, both answers name it.
func TestGateway_SameRefundIDInFlight(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{SlowDelay: 200 * time.Millisecond})
	o := e.pay(t, "r-1", "100.00", "0", slow)
	req := gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: o.BillNumber, Amount: "10.00", Currency: "RUB"}, ExternalRefundID: "ext-1"}
	var wg sync.WaitGroup
	replies := make([]*gateway.Reply, 3)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.g.Cancel(ctx, e.m, req)
			if err != nil {
				t.Error(err)
			}
			replies[i] = r
		}()
	}
	wg.Wait()
	for _, r := range replies {
		if r == nil || r.Op.Seq != 2 || r.Op.State != gateway.OpSuccess {
			t.Fatalf("refund answered %+v, want .2 Success", r)
		}
	}
	if d := e.detail(t, o.BillNumber); len(d.Ops) != 2 || d.Order.Refunded != 1000 || d.Order.State != gateway.StatePartialCanceled {
		t.Fatalf("%d ops, refunded %v, %s; want one refund of 10.00", len(d.Ops), d.Order.Refunded, d.Order.State)
	}
}

// TestGateway_ProcessorErrorFailsTheOperation makes the acquirer fail a capture and a
// refund: the error is returned, the operation is Failed, nothing is reserved any more, and
// the same request (the same externalrefundid) succeeds once the acquirer is back.
func TestGateway_ProcessorErrorFailsTheOperation(t *testing.T) {
	ctx := context.Background()
	p := &gate{fail: true}
	e := newEnv(t, p)
	o := e.pay(t, "f-1", "100.00", "1", visa)
	if _, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber}); err == nil || codes(err) != "2/1" {
		t.Fatalf("confirm with the acquirer down: %v, want an internal error", err)
	}
	d := e.detail(t, o.BillNumber)
	if d.Order.State != gateway.StateDelayed || d.Ops[1].State != gateway.OpFailed || d.Ops[1].ResponseCode != "AS998" {
		t.Fatalf("after the failed capture: %s, op %s %s", d.Order.State, d.Ops[1].State, d.Ops[1].ResponseCode)
	}
	p.fail = false
	r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber})
	if err != nil || r.Order.State != gateway.StateApproved || r.Op.Seq != 3 || r.Order.Captured != 10000 {
		t.Fatalf("confirm after the failure: %v %+v", err, r)
	}

	p.fail = true
	refund := gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: o.BillNumber, Amount: "5.00", Currency: "RUB"}, ExternalRefundID: "again"}
	if _, err := e.g.Cancel(ctx, e.m, refund); err == nil {
		t.Fatal("refund with the acquirer down answered no error")
	}
	p.fail = false
	r, err = e.g.Cancel(ctx, e.m, refund)
	if err != nil || r.Op.Seq != 5 || r.Order.Refunded != 500 || r.Op.ExternalRefundID != "again" {
		t.Fatalf("the same externalrefundid after a failed refund: %v %+v", err, r)
	}
	if r2, err := e.g.Cancel(ctx, e.m, refund); err != nil || r2.Op.Seq != 5 {
		t.Fatalf("repeat of the successful refund: %v %+v", err, r2)
	}
}

// intent writes an In Process confirm or cancel as a crash after the first commit leaves it.
func (e *env) intent(t *testing.T, bill string, typ gateway.OpType, amount gateway.Amount, ext string) {
	t.Helper()
	err := e.db.Update(context.Background(), func(tx gateway.Tx) error {
		o, err := tx.OrderByBill(e.m.ID, bill)
		if err != nil {
			return err
		}
		o.LastSeq++
		if err := tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: o.LastSeq, Type: typ, State: gateway.OpInProcess,
			Amount: amount, Currency: o.Currency, ExternalRefundID: ext, ResponseCode: "AS300", Created: e.clock.Now()}); err != nil {
			return err
		}
		return tx.UpdateOrder(o)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGateway_Reservations checks that In Process operations hold their amounts: what they
// reserve cannot be confirmed or refunded again, and a void waits for nothing else.
func TestGateway_Reservations(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	two := e.pay(t, "res-1", "100.00", "1", visa)
	e.intent(t, two.BillNumber, gateway.OpConfirm, 6000, "")
	amt := func(bill, a string) gateway.AmountRequest {
		cur := ""
		if a != "" {
			cur = "RUB"
		}
		return gateway.AmountRequest{BillNumber: bill, Amount: a, Currency: cur}
	}
	if _, err := e.g.Confirm(ctx, e.m, amt(two.BillNumber, "40.01")); codes(err) != "10/203" {
		t.Fatalf("confirm beyond the reservation: %v", err)
	}
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: amt(two.BillNumber, "")}); codes(err) != "10/202" {
		t.Fatalf("void while a confirm is In Process: %v", err)
	}
	r, err := e.g.Confirm(ctx, e.m, amt(two.BillNumber, ""))
	if err != nil || r.Op.Amount != 4000 || r.Order.State != gateway.StatePartialDelayed {
		t.Fatalf("confirm of the rest: %v %+v", err, r)
	}
	if _, err := e.g.Confirm(ctx, e.m, amt(two.BillNumber, "")); codes(err) != "10/203" {
		t.Fatalf("confirm with everything reserved or captured: %v", err)
	}

	one := e.pay(t, "res-2", "100.00", "0", visa)
	e.intent(t, one.BillNumber, gateway.OpCancel, 7000, "held")
	if r, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: amt(one.BillNumber, ""), ExternalRefundID: "held"}); err != nil || r.Op.State != gateway.OpInProcess {
		t.Fatalf("the id of an In Process refund: %v %+v, want that operation", err, r)
	}
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: amt(one.BillNumber, "30.01")}); codes(err) != "10/203" {
		t.Fatalf("refund beyond the reservation: %v", err)
	}
	if r, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: amt(one.BillNumber, "")}); err != nil || r.Op.Amount != 3000 {
		t.Fatalf("refund of the rest: %v %+v", err, r)
	}

	// Recover settles both interrupted operations.
	n, err := e.g.Recover(ctx)
	if err != nil || n != 2 {
		t.Fatalf("recover: %d %v, want 2 settled", n, err)
	}
	if d := e.detail(t, two.BillNumber); d.Order.State != gateway.StateApproved || d.Order.Captured != 10000 {
		t.Fatalf("the interrupted confirm settled as %s, captured %v", d.Order.State, d.Order.Captured)
	}
	if d := e.detail(t, one.BillNumber); d.Order.State != gateway.StateCanceled || d.Order.Refunded != 10000 {
		t.Fatalf("the interrupted refund settled as %s, refunded %v", d.Order.State, d.Order.Refunded)
	}
}

// TestGateway_Recover settles every kind of interrupted operation, as the processor's record
// says: done or not.
func TestGateway_Recover(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		delay  string
		typ    gateway.OpType
		amount gateway.Amount
		done   bool
		state  gateway.State
		op     gateway.OpState
	}{
		{"confirm done", "1", gateway.OpConfirm, 2500, true, gateway.StatePartialDelayed, gateway.OpSuccess},
		{"confirm not done", "1", gateway.OpConfirm, 2500, false, gateway.StateDelayed, gateway.OpFailed},
		{"void done", "1", gateway.OpCancel, 10000, true, gateway.StateCanceled, gateway.OpSuccess},
		{"refund done", "0", gateway.OpCancel, 10000, true, gateway.StateCanceled, gateway.OpSuccess},
		{"part refund done", "0", gateway.OpCancel, 100, true, gateway.StatePartialCanceled, gateway.OpSuccess},
		{"refund not done", "0", gateway.OpCancel, 10000, false, gateway.StateApproved, gateway.OpFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, &gate{settle: tc.done})
			o := e.pay(t, "rec", "100.00", tc.delay, visa)
			e.intent(t, o.BillNumber, tc.typ, tc.amount, "")
			if n, err := e.g.Recover(ctx); err != nil || n != 1 {
				t.Fatalf("recover: %d %v", n, err)
			}
			d := e.detail(t, o.BillNumber)
			if d.Order.State != tc.state || d.Ops[1].State != tc.op {
				t.Fatalf("settled as %s with the operation %s, want %s and %s", d.Order.State, d.Ops[1].State, tc.state, tc.op)
			}
			notes, err := e.g.OrderNotifications(ctx, e.m, o.BillNumber)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 2, false: 1}[tc.done]; len(notes) != want {
				t.Fatalf("%d notifications, want %d (the payment, and the settled operation when done)", len(notes), want)
			}
			if n, err := e.g.Recover(ctx); err != nil || n != 0 {
				t.Fatalf("second recover: %d %v, want nothing left", n, err)
			}
		})
	}
}

// TestGateway_RecoverPayments settles payments a crash left In Process.
func TestGateway_RecoverPayments(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	now := e.clock.Now()
	for i, ref := range []string{"tp_ok_1", "tp_d51_2"} {
		o := &gateway.Order{BillNumber: "900000000000000" + string(rune('1'+i)), MerchantID: e.m.ID, OrderNumber: "int-" + ref,
			Amount: 5000, Currency: "RUB", State: gateway.StateInProcess, TestMode: true, LastSeq: 1,
			Card: gateway.Card{Bin: "411111", Last4: "1111", ExpMonth: "12", ExpYear: "2030", Ref: ref}, Created: now, Updated: now}
		err := e.db.Update(ctx, func(tx gateway.Tx) error {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment,
				State: gateway.OpInProcess, Amount: 5000, Currency: "RUB", Created: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.g.Recover(ctx); err != nil || n != 2 {
		t.Fatalf("recover: %d %v", n, err)
	}
	for bill, want := range map[string]gateway.State{"9000000000000001": gateway.StateApproved, "9000000000000002": gateway.StateDeclined} {
		if got := e.detail(t, bill).Order.State; got != want {
			t.Errorf("%s settled as %s, want %s", bill, got, want)
		}
	}
}
