package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// initial pays with recurring consent (and a saved card) and returns the initial order.
func (e *env) initial(t *testing.T, num string, card gateway.CardData, r gateway.RecurringRequest) *gateway.Reply {
	t.Helper()
	rep, err := e.g.Pay(context.Background(), e.m, gateway.PayRequest{OrderNumber: num, Amount: "100.00", Card: card,
		CustomerNumber: "cust-1", Recurring: r})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGateway_Recurrent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	maxDate := e.clock.Now().AddDate(0, 1, 0).Format("02.01.2006")
	init := e.initial(t, "init", visa, gateway.RecurringRequest{Indicator: "1", MinAmount: "1.00", MaxAmount: "500.00", Period: "30", MaxDate: maxDate})
	if init.RecurringState != "Activated" || init.Token == "" {
		t.Fatalf("initial payment: recurringstate %q token %q", init.RecurringState, init.Token)
	}
	plain := e.pay(t, "plain", "10.00", "0", visa)
	bill := init.Order.BillNumber
	for _, tc := range []struct {
		name string
		req  gateway.RecurringPayRequest
		want string
	}{
		{"charge", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-1", Amount: "50.00", Currency: "RUB"}, "Approved"},
		{"series currency", gateway.RecurringPayRequest{BillNumber: bill + ".1", OrderNumber: "rp-2", Amount: "50.00"}, "Approved"},
		{"declined by amount trigger", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-3", Amount: "50.05"}, "Declined"},
		{"below min", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-4", Amount: "0.50"}, "10/210"},
		{"above max", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-5", Amount: "500.01"}, "10/210"},
		{"other currency", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-6", Amount: "5.00", Currency: "USD"}, "10/210"},
		{"bad currency", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-7", Amount: "5.00", Currency: "XXX"}, "5/109"},
		{"no consent", gateway.RecurringPayRequest{BillNumber: plain.BillNumber, OrderNumber: "rp-8", Amount: "5.00"}, "10/210"},
		{"unknown bill", gateway.RecurringPayRequest{BillNumber: "1234567890123456", OrderNumber: "rp-9", Amount: "5.00"}, "10/201"},
		{"bad bill", gateway.RecurringPayRequest{BillNumber: "12", OrderNumber: "rp-10", Amount: "5.00"}, "5/143"},
		{"no ordernumber", gateway.RecurringPayRequest{BillNumber: bill, Amount: "5.00"}, "5/107"},
		{"bad amount", gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "rp-11", Amount: "x"}, "5/108"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.g.Recurrent(ctx, e.m, tc.req)
			got := codes(err)
			if err == nil {
				got = string(r.Order.State)
				if r.Op.Type != gateway.OpRecurring {
					t.Errorf("operationtype %v, want 400", r.Op.Type)
				}
			}
			if got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	// Past recurringmaxdate the series refuses charges.
	if _, err := e.clock.Set(ctx, e.clock.Now().AddDate(0, 2, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "late", Amount: "5.00"}); codes(err) != "10/210" {
		t.Fatalf("past the max date: %v", err)
	}
}

// TestGateway_RetryWindow declines merchant-initiated charges on card 4000000000000341
// (twice after each approval), then has a decline's 16-day window end without an approval:
// the series stops.
func TestGateway_RetryWindow(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	flaky := visa
	flaky.Number = "4000000000000341"
	init := e.initial(t, "w", flaky, gateway.RecurringRequest{Indicator: "1"})
	bill := init.Order.BillNumber
	for i, want := range []gateway.State{gateway.StateDeclined, gateway.StateDeclined, gateway.StateApproved} {
		r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-" + string(rune('a'+i)), Amount: "10.00"})
		if err != nil || r.Order.State != want {
			t.Fatalf("attempt %d: %v %v, want %s", i+1, err, r, want)
		}
	}
	// Another decline opens a window; when it ends without an approval the series stops.
	r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-d", Amount: "10.51"})
	if err != nil || r.Order.State != gateway.StateDeclined {
		t.Fatalf("declined charge: %v %v", err, r)
	}
	later := e.clock.Now().AddDate(0, 0, gateway.RetryWindowDays+1)
	if _, err := e.clock.Set(ctx, later); err != nil {
		t.Fatal(err)
	}
	if err := e.g.EndRetryWindows(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-e", Amount: "10.00"}); codes(err) != "10/210" {
		t.Fatalf("after the window ended: %v", err)
	}
}

func TestGateway_Schedules(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	init := e.initial(t, "s", visa, gateway.RecurringRequest{Indicator: "1", MaxAmount: "100.00"})
	bill := init.Order.BillNumber
	start := e.clock.Now().Add(time.Hour)
	base := gateway.ScheduleRequest{BillNumber: bill, Amount: "12.00", Description: "monthly",
		StartDate: gateway.FormatDate(start), PeriodLength: "1", PeriodType: "Day"}
	for _, tc := range []struct {
		name   string
		change func(r *gateway.ScheduleRequest)
		want   string
	}{
		{"no startdate", func(r *gateway.ScheduleRequest) { r.StartDate = "" }, "5/110"},
		{"bad startdate", func(r *gateway.ScheduleRequest) { r.StartDate = "31.02.2030" }, "5/110"},
		{"no periodlength", func(r *gateway.ScheduleRequest) { r.PeriodLength = "" }, "5/110"},
		{"bad periodlength", func(r *gateway.ScheduleRequest) { r.PeriodLength = "0" }, "5/110"},
		{"bad periodtype", func(r *gateway.ScheduleRequest) { r.PeriodType = "Year" }, "5/110"},
		{"bad amount", func(r *gateway.ScheduleRequest) { r.Amount = "x" }, "5/108"},
		{"bad currency", func(r *gateway.ScheduleRequest) { r.Currency = "XXX" }, "5/109"},
		{"other currency", func(r *gateway.ScheduleRequest) { r.Currency = "USD" }, "10/211"},
		{"above max", func(r *gateway.ScheduleRequest) { r.Amount = "100.01" }, "10/211"},
		{"end before start", func(r *gateway.ScheduleRequest) { r.EndDate = gateway.FormatDate(start.Add(-time.Hour)) }, "10/211"},
		{"too many retries", func(r *gateway.ScheduleRequest) { r.RetryCount = "9" }, "10/211"},
		{"bad retrycount", func(r *gateway.ScheduleRequest) { r.RetryCount = "-1" }, "5/110"},
		{"bad retry period", func(r *gateway.ScheduleRequest) { r.RetryPeriodHours = "0" }, "5/110"},
		{"retries past the window", func(r *gateway.ScheduleRequest) { r.RetryCount = "3"; r.RetryPeriodHours = "200" }, "10/211"},
		{"bad state", func(r *gateway.ScheduleRequest) { r.State = "Stopped" }, "5/110"},
		{"unknown bill", func(r *gateway.ScheduleRequest) { r.BillNumber = "1234567890123456" }, "10/201"},
		{"bad operation", func(r *gateway.ScheduleRequest) { r.Operation = "x" }, "5/110"},
		{"unknown operation", func(r *gateway.ScheduleRequest) { r.Operation = "999" }, "10/201"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := base
			tc.change(&req)
			if _, err := e.g.SetSchedule(ctx, e.m, req); codes(err) != tc.want {
				t.Fatalf("%v, want %s", err, tc.want)
			}
		})
	}
	plain := e.pay(t, "no-consent", "10.00", "0", visa)
	if _, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{BillNumber: plain.BillNumber, Amount: "1.00",
		StartDate: base.StartDate, PeriodLength: "1", PeriodType: "Week"}); codes(err) != "10/211" {
		t.Fatalf("schedule without consent: %v", err)
	}

	sc, err := e.g.SetSchedule(ctx, e.m, base)
	if err != nil || sc.State != gateway.ScheduleActive || sc.NextN != 1 {
		t.Fatalf("set: %v %+v", err, sc)
	}
	id := sc.ID
	// Three days later three occurrences are charged, in order, each once.
	now := e.clock.Now().Add(3*24*time.Hour + 2*time.Hour)
	if _, err := e.clock.Set(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := e.g.RunSchedules(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := e.g.RunSchedules(ctx, now); err != nil {
		t.Fatal(err)
	}
	list, err := e.g.Schedules(ctx, e.m, gateway.ScheduleQuery{Operation: itoa(id)})
	if err != nil || len(list) != 1 || list[0].Attempts != 4 || list[0].NextN != 5 {
		t.Fatalf("after three days: %v %+v", err, list)
	}
	for n := 1; n <= 4; n++ {
		st, err := e.g.OrderState(ctx, e.m, itoa(id)+"-"+itoa(int64(n)), gateway.Window{To: now.Add(time.Hour)})
		if err != nil || len(st) != 1 || st[0].State != gateway.StateApproved {
			t.Fatalf("occurrence %d: %v %v", n, err, st)
		}
	}
	// Edit: make it inactive, then list by billnumber and page through all.
	if sc, err = e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{Operation: itoa(id), State: "Inactive", Amount: "13.00"}); err != nil || sc.State != gateway.ScheduleInactive || sc.Amount != 1300 {
		t.Fatalf("edit: %v %+v", err, sc)
	}
	if _, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{Operation: itoa(id), BillNumber: plain.BillNumber}); codes(err) != "10/211" {
		t.Fatalf("changing the billnumber: %v", err)
	}
	for _, q := range []gateway.ScheduleQuery{{BillNumber: bill}, {}, {Take: "1"}, {Skip: "0", Take: "10"}} {
		if l, err := e.g.Schedules(ctx, e.m, q); err != nil || len(l) != 1 {
			t.Fatalf("list %+v: %v %d", q, err, len(l))
		}
	}
	for _, q := range []gateway.ScheduleQuery{{Skip: "x"}, {Take: "-1"}, {Operation: "y"}, {BillNumber: "1"}} {
		if _, err := e.g.Schedules(ctx, e.m, q); err == nil {
			t.Fatalf("list %+v: no error", q)
		}
	}
	if l, err := e.g.Schedules(ctx, e.m, gateway.ScheduleQuery{Operation: "12345"}); err == nil && len(l) != 0 {
		t.Fatalf("unknown operation listed %v", l)
	}
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestGateway_Tokens(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	init := e.initial(t, "tok", visa, gateway.RecurringRequest{})
	token := init.Token
	payer := gateway.Customer{LastName: "Ivanov", FirstName: "Ivan", Email: "ivan@example.com"}
	if len(token) != 36 || strings.ToUpper(token) != token {
		t.Fatalf("token %q is not an upper-case UUID", token)
	}
	// The same card saved again keeps its token.
	if again := e.initial(t, "tok-2", visa, gateway.RecurringRequest{}); again.Token != token {
		t.Fatalf("the same card got token %s, want %s", again.Token, token)
	}
	cards, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "cust-1"})
	if err != nil || len(cards) != 1 || cards[0].Token != token {
		t.Fatalf("tokens: %v %+v", err, cards)
	}
	if _, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{}); err == nil {
		t.Fatal("tokens without a customernumber: no error")
	}
	for _, tc := range []struct {
		name string
		req  gateway.TokenPayRequest
		want string
	}{
		{"token pay", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-1", Amount: "10.00", TokenType: "5",
			PaymentToken: `{"Token":"` + strings.ToLower(token) + `","CustomerNumber":"cust-1"}`}, "Approved"},
		{"customer as a number", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-2", Amount: "10.00", TokenType: "5", TwoStage: "1",
			Token: token, CustomerNumber: "cust-1"}, "Delayed"},
		{"duplicate ordernumber", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-1", Amount: "10.00", TokenType: "5", Token: token, CustomerNumber: "cust-1"}, "10/204"},
		{"other customer", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-3", Amount: "10.00", TokenType: "5", Token: token, CustomerNumber: "cust-2"}, "10/201"},
		{"tokentype", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-4", Amount: "10.00", TokenType: "3", Token: token, CustomerNumber: "cust-1"}, "5/110"},
		{"bad json", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-5", Amount: "10.00", TokenType: "5", PaymentToken: "{"}, "5/110"},
		{"no token", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-6", Amount: "10.00", TokenType: "5", PaymentToken: `{"CustomerNumber":1}`}, "5/110"},
		{"no customer", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-7", Amount: "10.00", TokenType: "5", Token: token}, "5/110"},
		{"bad amount", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-8", Amount: "", TokenType: "5", Token: token, CustomerNumber: "cust-1"}, "5/108"},
		{"bad currency", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-9", Amount: "1", Currency: "XXX", TokenType: "5"}, "5/109"},
		{"bad delay", gateway.TokenPayRequest{OrderNumber: "tp-10", Amount: "1", TwoStage: "2", TokenType: "5"}, "5/110"},
		{"no ordernumber", gateway.TokenPayRequest{Amount: "1", TokenType: "5"}, "5/107"},
		{"no lastname", gateway.TokenPayRequest{Customer: gateway.Customer{FirstName: "I", Email: "i@example.com"},
			OrderNumber: "tp-11", Amount: "1", Token: token, CustomerNumber: "cust-1"}, "5/110"},
		{"tokentype absent means 5", gateway.TokenPayRequest{Customer: payer, OrderNumber: "tp-12", Amount: "1.00",
			Token: token, CustomerNumber: "cust-1"}, "Approved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.g.TokenPay(ctx, e.m, tc.req)
			got := codes(err)
			if err == nil {
				got = string(r.Order.State)
			}
			if got != tc.want {
				t.Fatalf("%s, want %s", got, tc.want)
			}
		})
	}
	removed, err := e.g.RemoveToken(ctx, e.m, gateway.TokenQuery{CustomerNumber: "cust-1", Token: token})
	if err != nil || len(removed) != 0 {
		t.Fatalf("remove: %v, remaining %+v", err, removed)
	}
	if cards, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "cust-1"}); err != nil || len(cards) != 0 {
		t.Fatalf("after remove: %v %+v", err, cards)
	}
	if _, err := e.g.RemoveToken(ctx, e.m, gateway.TokenQuery{CustomerNumber: "cust-1", Token: token}); err == nil {
		t.Fatal("removing a removed token: no error")
	}
}
