package gateway_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// TestGateway_PayRefusals refuses each bad silentpay parameter with its code (the detail
// naming the field where the code is 5/110) and writes nothing for it.
func TestGateway_PayRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	past := e.clock.Now().AddDate(0, 0, -1).Format("02.01.2006")
	for _, tc := range []struct {
		name   string
		change func(r *gateway.PayRequest)
		want   string
		names  string // what the message must name
	}{
		{"no ordernumber", func(r *gateway.PayRequest) { r.OrderNumber = " " }, "5/107", "ordernumber"},
		{"ordernumber of 129 characters", func(r *gateway.PayRequest) { r.OrderNumber = strings.Repeat("я", 129) }, "5/107", "ordernumber"},
		{"no amount", func(r *gateway.PayRequest) { r.Amount = "" }, "5/108", "orderamount"},
		{"zero amount", func(r *gateway.PayRequest) { r.Amount = "0.00" }, "5/108", "orderamount"},
		{"three decimals", func(r *gateway.PayRequest) { r.Amount = "1.005" }, "5/108", "orderamount"},
		{"unknown currency", func(r *gateway.PayRequest) { r.Currency = "XYZ" }, "5/109", "ordercurrency"},
		{"delay 2", func(r *gateway.PayRequest) { r.TwoStage = "2" }, "5/110", "delay"},
		{"card number of 12 digits", func(r *gateway.PayRequest) { r.Card.Number = "411111111111" }, "5/110", "cardnumber"},
		{"card number of 20 digits", func(r *gateway.PayRequest) { r.Card.Number = "41111111111111111111" }, "5/110", "cardnumber"},
		{"card number with spaces", func(r *gateway.PayRequest) { r.Card.Number = "4111 1111 1111 1111" }, "5/110", "cardnumber"},
		{"month 0", func(r *gateway.PayRequest) { r.Card.ExpMonth = "0" }, "5/110", "expiremonth"},
		{"month 13", func(r *gateway.PayRequest) { r.Card.ExpMonth = "13" }, "5/110", "expiremonth"},
		{"month of three digits", func(r *gateway.PayRequest) { r.Card.ExpMonth = "012" }, "5/110", "expiremonth"},
		{"year of three digits", func(r *gateway.PayRequest) { r.Card.ExpYear = "203" }, "5/110", "expireyear"},
		{"year of letters", func(r *gateway.PayRequest) { r.Card.ExpYear = "20x0" }, "5/110", "expireyear"},
		{"cvc of two digits", func(r *gateway.PayRequest) { r.Card.CVC = "12" }, "5/110", "cvc2"},
		{"cvc of five digits", func(r *gateway.PayRequest) { r.Card.CVC = "12345" }, "5/110", "cvc2"},
		{"customernumber of 33 characters", func(r *gateway.PayRequest) { r.CustomerNumber = strings.Repeat("c", 33) }, "5/110", "customernumber"},
		{"customernumber with a control character", func(r *gateway.PayRequest) { r.CustomerNumber = "c\x001" }, "5/110", "customernumber"},
		{"recurringindicator 2", func(r *gateway.PayRequest) { r.Recurring.Indicator = "2" }, "5/110", "recurringindicator"},
		{"bad recurringminamount", func(r *gateway.PayRequest) { r.Recurring = gateway.RecurringRequest{Indicator: "1", MinAmount: "x"} }, "5/108", "recurringminamount"},
		{"bad recurringmaxamount", func(r *gateway.PayRequest) { r.Recurring = gateway.RecurringRequest{Indicator: "1", MaxAmount: "-1"} }, "5/108", "recurringmaxamount"},
		{"min above max", func(r *gateway.PayRequest) {
			r.Recurring = gateway.RecurringRequest{Indicator: "1", MinAmount: "10.01", MaxAmount: "10.00"}
		}, "5/108", "recurringminamount"},
		{"period 0", func(r *gateway.PayRequest) { r.Recurring = gateway.RecurringRequest{Indicator: "1", Period: "0"} }, "5/110", "recurringperiod"},
		{"period 3661", func(r *gateway.PayRequest) { r.Recurring = gateway.RecurringRequest{Indicator: "1", Period: "3661"} }, "5/110", "recurringperiod"},
		{"max date not a date", func(r *gateway.PayRequest) {
			r.Recurring = gateway.RecurringRequest{Indicator: "1", MaxDate: "2030-01-01"}
		}, "5/110", "recurringmaxdate"},
		{"max date yesterday", func(r *gateway.PayRequest) { r.Recurring = gateway.RecurringRequest{Indicator: "1", MaxDate: past} }, "5/110", "recurringmaxdate"},
		{"address of 257 characters", func(r *gateway.PayRequest) { r.Customer.Address = strings.Repeat("a", 257) }, "5/110", "address"},
		{"zip of 17 characters", func(r *gateway.PayRequest) { r.Customer.Zip = strings.Repeat("1", 17) }, "5/110", "zip"},
		{"mobilephone of 33 characters", func(r *gateway.PayRequest) { r.Customer.MobilePhone = strings.Repeat("1", 33) }, "5/110", "mobilephone"},
		{"city with a line break", func(r *gateway.PayRequest) { r.Customer.City = "Moscow\nRussia" }, "5/110", "city"},
		{"address with an escape", func(r *gateway.PayRequest) { r.Customer.Address = "Main st\x1b[2J" }, "5/110", "address"},
		{"receipt without a tax", func(r *gateway.PayRequest) { r.Receipt = gateway.ReceiptRequest{Line: "Book"} }, "5/110", "tax"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := gateway.PayRequest{OrderNumber: "refused", Amount: "10.00", Card: visa}
			tc.change(&req)
			_, err := e.g.Pay(ctx, e.m, req)
			if codes(err) != tc.want || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("%v, want %s naming %s", err, tc.want, tc.names)
			}
		})
	}
	if _, err := e.g.OrderState(ctx, e.m, "refused", gateway.Window{To: e.clock.Now().Add(time.Hour)}); codes(err) != "10/201" {
		t.Fatalf("a refused payment left an order: %v", err)
	}
	// What the limits allow is taken.
	ok := gateway.PayRequest{OrderNumber: strings.Repeat("я", 128), Amount: "10,5", Currency: "rub", TwoStage: "0", Card: visa,
		CustomerNumber: strings.Repeat("c", 32), Customer: gateway.Customer{MobilePhone: strings.Repeat("1", 32),
			Buyer: gateway.Buyer{Address: strings.Repeat("a", 250) + "\r\n\tb", Zip: strings.Repeat("1", 16), City: "Москва"}},
		Recurring: gateway.RecurringRequest{Indicator: "1", MinAmount: "10.00", MaxAmount: "10.00", Period: "3660",
			MaxDate: e.clock.Now().Format("02.01.2006")}}
	ok.Card.ExpMonth, ok.Card.ExpYear, ok.Card.CVC = "1", "30", ""
	r, err := e.g.Pay(ctx, e.m, ok)
	if err != nil || r.Order.State != gateway.StateApproved || r.Order.Amount != 1050 || r.Order.Currency != "RUB" || r.RecurringState != "Activated" {
		t.Fatalf("a payment at the limits: %v %+v", err, r)
	}
	if r.Order.Card.ExpMonth != "01" || r.Order.Card.ExpYear != "2030" || r.Order.Customer.Address != ok.Customer.Address {
		t.Fatalf("kept card %s/%s, address %q", r.Order.Card.ExpMonth, r.Order.Card.ExpYear, r.Order.Customer.Address)
	}
}

// TestGateway_Capabilities refuses a payment parameter that asks for a capability the
// merchant has switched off with 5/110 naming it, before anything is written.
func TestGateway_Capabilities(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	for _, tc := range []struct {
		name  string
		off   gateway.Capabilities
		req   gateway.PayRequest
		names string
	}{
		{"two-stage", gateway.Capabilities{TwoStage: true}, gateway.PayRequest{TwoStage: "1"}, "delay"},
		{"card on file", gateway.Capabilities{CardOnFile: true}, gateway.PayRequest{CustomerNumber: "c1"}, "customernumber"},
		{"recurring", gateway.Capabilities{Recurring: true}, gateway.PayRequest{Recurring: gateway.RecurringRequest{Indicator: "1"}}, "recurringindicator"},
	} {
		e.m.Disabled = tc.off
		req := tc.req
		req.OrderNumber, req.Amount, req.Card = "cap-"+tc.name, "1.00", visa
		_, err := e.g.Pay(ctx, e.m, req)
		if codes(err) != "5/110" || !strings.Contains(err.Error(), tc.names) || !strings.Contains(err.Error(), "not enabled") {
			t.Errorf("%s off: %v, want 5/110 naming %s", tc.name, err, tc.names)
		}
		// Without the parameter the same merchant pays.
		e.m.Disabled = tc.off
		if r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "cap-plain-" + tc.name, Amount: "1.00", Card: visa}); err != nil || r.Order.State != gateway.StateApproved {
			t.Errorf("%s off, a plain payment: %v", tc.name, err)
		}
	}
	e.m.Disabled = gateway.Capabilities{TwoStageForSavedCards: true}
	if r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "cap-2s", Amount: "1.00", TwoStage: "1", Card: visa}); err != nil || r.Order.State != gateway.StateDelayed {
		t.Fatalf("two-stage with a new card when only saved cards are off: %v", err)
	}
	e.m.Disabled = gateway.Capabilities{Recurring: true}
	if _, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{}); codes(err) != "10/211" {
		t.Fatalf("SetScheduledOperation with recurring off: %v, want 10/211", err)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: "1234567890123456", OrderNumber: "x", Amount: "1"}); codes(err) != "10/210" {
		t.Fatalf("rp with recurring off: %v, want 10/210", err)
	}
	e.m.Disabled = gateway.Capabilities{CardOnFile: true}
	if _, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c1"}); codes(err) != "5/110" {
		t.Fatalf("token.cfm with card on file off: %v", err)
	}
	if _, err := e.g.TokenPay(ctx, e.m, gateway.TokenPayRequest{OrderNumber: "tp", Amount: "1", Token: "x", CustomerNumber: "c1"}); codes(err) != "5/110" {
		t.Fatalf("tokenpay with card on file off: %v", err)
	}
	e.m.Disabled = gateway.Capabilities{}
}

// TestGateway_AmountPair checks charge's and cancel's amount and currency, both or neither: a
// lone amount is 5/109, a lone currency 5/108, another currency than the order's 5/109, a
// malformed billnumber 5/143 and another merchant's 10/201.
func TestGateway_AmountPair(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	o := e.pay(t, "ap", "100.00", "1", visa)
	for _, tc := range []struct {
		name string
		req  gateway.AmountRequest
		want string
	}{
		{"lone amount", gateway.AmountRequest{BillNumber: o.BillNumber, Amount: "1.00"}, "5/109"},
		{"lone currency", gateway.AmountRequest{BillNumber: o.BillNumber, Currency: "RUB"}, "5/108"},
		{"bad amount", gateway.AmountRequest{BillNumber: o.BillNumber, Amount: "1.001", Currency: "RUB"}, "5/108"},
		{"other currency", gateway.AmountRequest{BillNumber: o.BillNumber, Amount: "1.00", Currency: "USD"}, "5/109"},
		{"no billnumber", gateway.AmountRequest{}, "5/143"},
		{"short billnumber", gateway.AmountRequest{BillNumber: "123456789012345"}, "5/143"},
		{"extended without a number", gateway.AmountRequest{BillNumber: o.BillNumber + "."}, "5/143"},
		{"extended with letters", gateway.AmountRequest{BillNumber: o.BillNumber + ".a"}, "5/143"},
		{"unknown billnumber", gateway.AmountRequest{BillNumber: "1000000000000000"}, "10/201"},
	} {
		if _, err := e.g.Confirm(ctx, e.m, tc.req); codes(err) != tc.want {
			t.Errorf("confirm, %s: %v, want %s", tc.name, err, tc.want)
		}
		if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: tc.req}); codes(err) != tc.want {
			t.Errorf("cancel, %s: %v, want %s", tc.name, err, tc.want)
		}
	}
	other := e.g.Merchants.Get("2")
	if _, err := e.g.Confirm(ctx, other, gateway.AmountRequest{BillNumber: o.BillNumber}); codes(err) != "10/201" {
		t.Fatalf("another merchant's confirm: %v", err)
	}
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: o.BillNumber}, ExternalRefundID: strings.Repeat("x", 129)}); codes(err) != "5/110" {
		t.Fatalf("externalrefundid of 129 characters: %v", err)
	}
	// The extended billnumber and a lower-case currency are taken.
	if r, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: o.BillNumber + ".1", Amount: "100", Currency: "rub"}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("confirm by the extended billnumber: %v", err)
	}
	if d := e.detail(t, o.BillNumber); len(d.Ops) != 2 {
		t.Fatalf("the refused requests wrote operations: %d", len(d.Ops))
	}
	declined := visa
	declined.Number = "4000000000009995"
	bad := e.pay(t, "ap-d", "100.00", "0", declined)
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: bad.BillNumber}}); codes(err) != "10/202" {
		t.Fatalf("cancel of a declined payment: %v, want 10/202", err)
	}
}

// TestGateway_PageOrderAndDuplicates: an unpaid page order does not hold its ordernumber
// against the merchant's authenticated calls (it is closed as Timeout and the call proceeds),
// while a page whose card is waiting for 3-D Secure does.
func TestGateway_PageOrderAndDuplicates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	pg, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "dup-1"})
	r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "dup-1", Amount: "10.00", Card: visa})
	if err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("silentpay over an unpaid page: %v %+v", err, r)
	}
	p, d, _, err := pages.Load(ctx, pg.ID)
	if err != nil || p.Stage != gateway.PageExpired || d.Order.State != gateway.StateTimeout || d.Ops[0].State != gateway.OpFailed {
		t.Fatalf("the closed page: %v %s %s", err, p.Stage, d.Order.State)
	}
	if _, _, err := pages.Submit(ctx, pg.ID, pg.FormToken, visa); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("a card on the closed page: %v", err)
	}
	if orders, err := e.g.OrderState(ctx, e.m, "dup-1", gateway.Window{To: e.clock.Now().Add(time.Hour)}); err != nil || len(orders) != 2 ||
		orders[0].State != gateway.StateTimeout || orders[1].State != gateway.StateApproved {
		t.Fatalf("orderstate lists %v %v", err, orders)
	}

	// A page whose card waits for the issuer's code holds the ordernumber.
	pg, _ = e.page(t, pages, gateway.PageRequest{OrderNumber: "dup-2"})
	challenge := visa
	challenge.Number = processor.ChallengeCard
	if _, challenged, err := pages.Submit(ctx, pg.ID, pg.FormToken, challenge); err != nil || !challenged {
		t.Fatalf("submit for 3-D Secure: %v %v", challenged, err)
	}
	if _, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "dup-2", Amount: "10.00", Card: visa}); codes(err) != "10/204" {
		t.Fatalf("silentpay over a page waiting for 3-D Secure: %v, want 10/204", err)
	}
	// A page order with its card authorised holds it as any payment does.
	pg, _ = e.page(t, pages, gateway.PageRequest{OrderNumber: "dup-3", TwoStage: "1"})
	if r, _, err := pages.Submit(ctx, pg.ID, pg.FormToken, visa); err != nil || r.Order.State != gateway.StateDelayed {
		t.Fatalf("page payment: %v", err)
	}
	if _, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "dup-3", Amount: "10.00", Card: visa}); codes(err) != "10/204" {
		t.Fatalf("silentpay over a Delayed page payment: %v, want 10/204", err)
	}
	// rp's new ordernumber follows the same rule.
	init := e.initial(t, "dup-init", visa, gateway.RecurringRequest{Indicator: "1"})
	e.page(t, pages, gateway.PageRequest{OrderNumber: "dup-4"})
	if r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: init.Order.BillNumber, OrderNumber: "dup-4", Amount: "1.00"}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("rp over an unpaid page: %v", err)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: init.Order.BillNumber, OrderNumber: "dup-4", Amount: "1.00"}); codes(err) != "10/204" {
		t.Fatalf("rp under an Approved ordernumber: %v, want 10/204", err)
	}
}

// TestGateway_OrderResult selects orders by billnumber (regardless of the window), by
// ordernumber and by window, and refuses what is not the merchant's.
func TestGateway_OrderResult(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	declined := visa
	declined.Number = "4000000000000002"
	a := e.pay(t, "or-a", "10.00", "0", declined)
	e.pay(t, "or-a", "10.00", "0", visa) // a second attempt after the decline
	if _, err := e.clock.Set(ctx, e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := e.pay(t, "or-b", "20.00", "1", visa)
	if _, err := e.g.Pay(ctx, e.g.Merchants.Get("2"), gateway.PayRequest{OrderNumber: "or-a", Amount: "1", Card: visa}); err != nil {
		t.Fatal(err)
	}
	all := gateway.Window{From: a.Created, To: e.clock.Now().Add(time.Minute)}
	early := gateway.Window{From: a.Created, To: b.Created}
	count := func(q gateway.ResultQuery) int {
		t.Helper()
		d, err := e.g.OrderResult(ctx, e.m, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return len(d)
	}
	for _, tc := range []struct {
		name string
		q    gateway.ResultQuery
		want int
	}{
		{"everything", gateway.ResultQuery{Window: all}, 3},
		{"the earlier hour", gateway.ResultQuery{Window: early}, 2},
		{"an ordernumber", gateway.ResultQuery{OrderNumber: "or-a", Window: all}, 2},
		{"a billnumber outside the window", gateway.ResultQuery{BillNumber: b.BillNumber, Window: early}, 1},
		{"a billnumber with its ordernumber", gateway.ResultQuery{BillNumber: a.BillNumber + ".1", OrderNumber: "or-a"}, 1},
		{"nothing in the window", gateway.ResultQuery{Window: gateway.Window{From: a.Created.Add(-time.Hour), To: a.Created}}, 0},
	} {
		if got := count(tc.q); got != tc.want {
			t.Errorf("%s: %d orders, want %d", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		q    gateway.ResultQuery
		want string
	}{
		{"a billnumber with another ordernumber", gateway.ResultQuery{BillNumber: a.BillNumber, OrderNumber: "or-b"}, "10/201"},
		{"an ordernumber outside the window", gateway.ResultQuery{OrderNumber: "or-b", Window: early}, "10/201"},
		{"an unknown billnumber", gateway.ResultQuery{BillNumber: "1000000000000000"}, "10/201"},
		{"a malformed billnumber", gateway.ResultQuery{BillNumber: "12x"}, "5/143"},
		{"an ordernumber of 129 characters", gateway.ResultQuery{OrderNumber: strings.Repeat("o", 129)}, "5/107"},
	} {
		if _, err := e.g.OrderResult(ctx, e.m, tc.q); codes(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	d, _ := e.g.OrderResult(ctx, e.m, gateway.ResultQuery{BillNumber: b.BillNumber})
	if d[0].Order.BillNumber != b.BillNumber || len(d[0].Ops) != 1 || d[0].Ops[0].Type != gateway.OpPayment {
		t.Fatalf("the order by billnumber: %+v", d[0])
	}
	// Another merchant's orders never show.
	if _, err := e.g.OrderResult(ctx, e.g.Merchants.Get("2"), gateway.ResultQuery{BillNumber: a.BillNumber}); codes(err) != "10/201" {
		t.Fatalf("another merchant's billnumber: %v", err)
	}
	// orderstate lists the attempts oldest first; an empty ordernumber is 5/107.
	st, err := e.g.OrderState(ctx, e.m, " or-a ", all)
	if err != nil || len(st) != 2 || st[0].State != gateway.StateDeclined || st[1].State != gateway.StateApproved {
		t.Fatalf("orderstate: %v %+v", err, st)
	}
	if _, err := e.g.OrderState(ctx, e.m, "", all); codes(err) != "5/107" {
		t.Fatalf("orderstate without an ordernumber: %v", err)
	}
}

// TestPages_EachOrder reads every matching order in batches, newest first, each once, and
// stops at the callback's error.
func TestPages_EachOrder(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	var want []string
	for i := range 5 {
		o := e.pay(t, "eo-"+itoa(int64(i)), "1.00", "0", visa)
		want = append([]string{o.BillNumber}, want...)
	}
	e.pay(t, "eo-declined", "1.00", "0", gateway.CardData{Number: "4000000000000002", ExpMonth: "12", ExpYear: "2030"})
	for _, batch := range []int{1, 2, 5, 10} {
		var got []string
		err := pages.EachOrder(ctx, e.m, gateway.OrderQuery{State: gateway.StateApproved, Limit: 1, Offset: 3}, batch, func(o *gateway.Order) error {
			got = append(got, o.BillNumber)
			return nil
		})
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("batch %d: %v\n got  %v\n want %v", batch, err, got, want)
		}
	}
	stop := errors.New("client went away")
	n := 0
	err := pages.EachOrder(ctx, e.m, gateway.OrderQuery{}, 2, func(*gateway.Order) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("the callback's error: %v after %d orders", err, n)
	}
	if k := gateway.KeyOf(&gateway.Order{ID: 7, Created: time.Unix(1, 0)}); k.ID != 7 || !k.Created.Equal(time.Unix(1, 0)) {
		t.Fatalf("KeyOf: %+v", k)
	}
}
