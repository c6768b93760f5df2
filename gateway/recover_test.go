package gateway_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// downAcquirer fails customer payments while down, and settles while settleDown is false.
type downAcquirer struct {
	processor.Test
	mu               sync.Mutex
	down, settleDown bool
}

func (p *downAcquirer) Authorize(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		return gateway.AuthResult{}, errors.New("acquirer unreachable")
	}
	return p.Test.Authorize(ctx, r)
}

func (p *downAcquirer) Settle(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	p.mu.Lock()
	down := p.settleDown
	p.mu.Unlock()
	if down {
		return gateway.AuthResult{}, errors.New("acquirer unreachable")
	}
	return p.Test.Settle(ctx, r)
}

// TestGateway_PaymentLeftInProcess fails the acquirer during a payment: the client gets an
// internal error, the order stays In Process (orderstate shows it, and it holds its
// ordernumber), and Recover settles it with the acquirer's answer and its notification. A
// Recover that cannot reach the acquirer reports it and leaves the order for the next one.
func TestGateway_PaymentLeftInProcess(t *testing.T) {
	ctx := context.Background()
	p := &downAcquirer{down: true}
	e := newEnv(t, p)
	_, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "lip", Amount: "10.00", Card: visa})
	if codes(err) != "2/1" {
		t.Fatalf("pay with the acquirer down: %v, want 2/1", err)
	}
	window := gateway.Window{To: e.clock.Now().Add(time.Hour)}
	st, err := e.g.OrderState(ctx, e.m, "lip", window)
	if err != nil || len(st) != 1 || st[0].State != gateway.StateInProcess {
		t.Fatalf("orderstate after the failure: %v %+v", err, st)
	}
	bill := st[0].BillNumber
	if _, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "lip", Amount: "10.00", Card: visa}); codes(err) != "10/204" {
		t.Fatalf("a retry while In Process: %v, want 10/204", err)
	}
	if ns, _ := e.g.OrderNotifications(ctx, e.m, bill); len(ns) != 0 {
		t.Fatalf("%d notifications before the outcome is known", len(ns))
	}
	p.down, p.settleDown = false, true
	if n, err := e.g.Recover(ctx); err == nil || n != 0 {
		t.Fatalf("recover with the acquirer down: %d %v, want an error", n, err)
	}
	if d := e.detail(t, bill); d.Order.State != gateway.StateInProcess {
		t.Fatalf("a failed recover changed the order to %s", d.Order.State)
	}
	p.settleDown = false
	if n, err := e.g.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	d := e.detail(t, bill)
	if d.Order.State != gateway.StateApproved || d.Ops[0].State != gateway.OpSuccess || d.Ops[0].ResponseCode != "AS000" || d.Order.Captured != 1000 {
		t.Fatalf("settled as %s, op %s %s", d.Order.State, d.Ops[0].State, d.Ops[0].ResponseCode)
	}
	if ns, _ := e.g.OrderNotifications(ctx, e.m, bill); len(ns) != 1 || ns[0].Event != gateway.EventPayment {
		t.Fatalf("notifications after settling: %+v", ns)
	}

	// An interrupted payment of a merchant no longer configured is reported, not dropped.
	p.down = true
	if _, err := e.g.Pay(ctx, e.g.Merchants.Get("2"), gateway.PayRequest{OrderNumber: "lip-2", Amount: "1.00", Card: visa}); codes(err) != "2/1" {
		t.Fatalf("pay: %v", err)
	}
	p.down = false
	all := e.g.Merchants
	e.g.Merchants = gateway.NewMerchants([]*gateway.Merchant{e.m})
	if _, err := e.g.Recover(ctx); err == nil || !strings.Contains(err.Error(), "no longer configured") {
		t.Fatalf("recover of an unknown merchant's payment: %v", err)
	}
	e.g.Merchants = all
	if n, err := e.g.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("recover once the merchant is back: %d %v", n, err)
	}
}

// TestGateway_CardNotBoundForRecurring pays with card 4000000000000226: the payment is
// approved with recurringstate Error, the card is still saved for the customer, and rp and
// SetScheduledOperation on it are refused with 10/210 writing nothing.
func TestGateway_CardNotBoundForRecurring(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	card := visa
	card.Number = processor.NoRecurringCard
	r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "nb", Amount: "10.00", Card: card, CustomerNumber: "c1",
		Recurring: gateway.RecurringRequest{Indicator: "1"}})
	if err != nil || r.Order.State != gateway.StateApproved || r.RecurringState != "Error" || r.Token == "" {
		t.Fatalf("payment: %v %+v", err, r)
	}
	if n := e.notificationOf(t, r.Order.BillNumber); n.Payload.RecurringState != "Error" {
		t.Fatalf("the notification's recurringstate: %q", n.Payload.RecurringState)
	}
	bill := r.Order.BillNumber
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "nb-1", Amount: "1.00"}); codes(err) != "10/210" {
		t.Fatalf("rp: %v, want 10/210", err)
	}
	_, err = e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{BillNumber: bill, Amount: "1.00",
		StartDate: gateway.FormatDate(e.clock.Now().Add(time.Hour)), PeriodLength: "1", PeriodType: "Day"})
	if codes(err) != "10/210" {
		t.Fatalf("SetScheduledOperation: %v, want 10/210", err)
	}
	if l, err := e.g.Schedules(ctx, e.m, gateway.ScheduleQuery{}); err != nil || len(l) != 0 {
		t.Fatalf("schedules after the refusal: %v %d", err, len(l))
	}
	if _, err := e.g.OrderState(ctx, e.m, "nb-1", gateway.Window{To: e.clock.Now().Add(time.Hour)}); codes(err) != "10/201" {
		t.Fatalf("the refused rp left an order: %v", err)
	}
	// The customer may still pay with the saved card (customer-initiated).
	tp, err := e.g.TokenPay(ctx, e.m, gateway.TokenPayRequest{OrderNumber: "nb-tp", Amount: "1.00", Token: r.Token, CustomerNumber: "c1",
		Customer: gateway.Customer{LastName: "L", FirstName: "F", Email: "f@example.com"}})
	if err != nil || tp.Order.State != gateway.StateApproved || tp.Token != r.Token {
		t.Fatalf("tokenpay with the card: %v %+v", err, tp)
	}
}

// TestGateway_RecurringBounds charges exactly at the consent's limits: the min and max amounts
// themselves are allowed, and recurringmaxdate is the last day charges may happen on, to its
// last millisecond (GMT); from the next midnight rp is 10/210.
func TestGateway_RecurringBounds(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	now := e.clock.Now()
	lastDay := now.AddDate(0, 0, 3)
	init := e.initial(t, "rb", visa, gateway.RecurringRequest{Indicator: "1", MinAmount: "5.00", MaxAmount: "50.00",
		MaxDate: lastDay.Format("02.01.2006")})
	bill := init.Order.BillNumber
	rp := func(num, amount string) error {
		t.Helper()
		r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: num, Amount: amount})
		if err == nil && r.Order.State != gateway.StateApproved {
			t.Fatalf("rp %s: %s", num, r.Order.State)
		}
		return err
	}
	for _, tc := range []struct{ amount, want string }{
		{"5.00", "ok"}, {"50.00", "ok"}, {"4.99", "10/210"}, {"50.01", "10/210"},
	} {
		if got := codes(rp("rb-"+tc.amount, tc.amount)); got != tc.want {
			t.Errorf("amount %s: %s, want %s", tc.amount, got, tc.want)
		}
	}
	end := time.Date(lastDay.Year(), lastDay.Month(), lastDay.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	if _, err := e.clock.Set(ctx, end.Add(-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := rp("rb-last", "10.00"); err != nil {
		t.Fatalf("on the max date's last millisecond: %v", err)
	}
	if _, err := e.clock.Set(ctx, end); err != nil {
		t.Fatal(err)
	}
	if err := rp("rb-past", "10.00"); codes(err) != "10/210" || !strings.Contains(err.Error(), lastDay.Format("02.01.2006")) {
		t.Fatalf("the day after the max date: %v, want 10/210 naming the date", err)
	}
}

// lostAnswer is an acquirer that decides but whose answer is lost on the way back (the
// gateway crashed, or the connection broke, after the processor decided): it remembers what
// it decided for each billnumber.
type lostAnswer struct {
	processor.Test
	mu      sync.Mutex
	decided map[string]gateway.AuthResult
}

func (p *lostAnswer) Authorize(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	res, err := p.Test.Authorize(ctx, r)
	if err != nil {
		return res, err
	}
	p.mu.Lock()
	if p.decided == nil {
		p.decided = map[string]gateway.AuthResult{}
	}
	p.decided[r.BillNumber] = res
	p.mu.Unlock()
	return gateway.AuthResult{}, errors.New("connection reset after the request was sent")
}

// TestGateway_RecoverRecordsWhatTheAcquirerDecided settles payments whose answer was lost: the
// outcome recorded is the one the acquirer decided when it was asked. A payment-page order is
// made long before its card is submitted; the card here expires at the end of the month the
// page was made in and is submitted in the next month, so the acquirer declined it (54).
func TestGateway_RecoverRecordsWhatTheAcquirerDecided(t *testing.T) {
	ctx := context.Background()
	p := &lostAnswer{}
	e := newEnv(t, p)
	pages := &gateway.Pages{Gateway: e.g}
	now := e.clock.Now()
	monthEnd := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := e.clock.Set(ctx, monthEnd.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	card := visa
	card.ExpMonth, card.ExpYear = strconv.Itoa(int(now.Month())), strconv.Itoa(now.Year())
	pg, order := e.page(t, pages, gateway.PageRequest{OrderNumber: "lost-page"})
	if _, err := e.clock.Set(ctx, monthEnd.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pages.Submit(ctx, pg.ID, pg.FormToken, card); codes(err) != "2/1" {
		t.Fatalf("submit with the answer lost: %v", err)
	}
	silent, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "lost-silent", Amount: "10.51", Card: visa})
	if codes(err) != "2/1" || silent != nil {
		t.Fatalf("silentpay with the answer lost: %v", err)
	}
	if n, err := e.g.Recover(ctx); err != nil || n != 2 {
		t.Fatalf("recover: %d %v", n, err)
	}
	decided := func(bill string) gateway.State {
		if p.decided[bill].Approved {
			return gateway.StateApproved
		}
		return gateway.StateDeclined
	}
	d := e.detail(t, order.BillNumber)
	if want := decided(order.BillNumber); d.Order.State != want || want != gateway.StateDeclined {
		t.Fatalf("the page payment was recorded %s (%s), the acquirer decided %s (%s)", d.Order.State, d.Ops[0].ResponseCode,
			want, p.decided[order.BillNumber].ISOCode)
	}
	st, _ := e.g.OrderState(ctx, e.m, "lost-silent", gateway.Window{To: e.clock.Now().Add(time.Hour)})
	if len(st) != 1 || st[0].State != decided(st[0].BillNumber) {
		t.Fatalf("silentpay recorded %v, the acquirer decided %v", st, p.decided)
	}
}
