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

// TestPages_TTLBoundary pays a page a millisecond before its TTL runs out, and refuses a
// card at the instant it does (the sweep then makes the order Timeout); the sweep leaves a
// page alone until that instant.
func TestPages_TTLBoundary(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g, TTL: time.Hour}
	created := e.clock.Now()
	early, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "ttl-1"})
	late, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "ttl-2"})
	if !early.Expires.Equal(created.Add(time.Hour)) {
		t.Fatalf("the page expires at %s, want %s", early.Expires, created.Add(time.Hour))
	}
	if _, err := e.clock.Set(ctx, early.Expires.Add(-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := pages.RunDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _, err := pages.Submit(ctx, early.ID, early.FormToken, visa); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("a card a millisecond before the TTL: %v %+v", err, r)
	}
	if _, err := e.clock.Set(ctx, late.Expires); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pages.Submit(ctx, late.ID, late.FormToken, visa); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("a card at the TTL: %v, want ErrPageUsed", err)
	}
	if _, d, _, _ := pages.Load(ctx, late.ID); d.Order.State != gateway.StateInProcess || d.Order.Card.Ref != "" {
		t.Fatalf("the refused card changed the order: %s", d.Order.State)
	}
	if err := pages.RunDue(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	p, d, _, _ := pages.Load(ctx, late.ID)
	if d.Order.State != gateway.StateTimeout || p.Stage != gateway.PageExpired || p.FormToken != "" {
		t.Fatalf("swept at the TTL: %s %s", d.Order.State, p.Stage)
	}
	if _, d, _, _ := pages.Load(ctx, early.ID); d.Order.State != gateway.StateApproved {
		t.Fatalf("the sweep touched the paid page: %s", d.Order.State)
	}
}

// TestPages_CreateOverAnExpiredPage: the same ordernumber after the TTL, before the sweep ran,
// expires the old page on the spot and makes a new one; a payrequest (authenticated, not
// signed) closes an unpaid page at once; a signed one gets the page back.
func TestPages_CreateOverAnExpiredPage(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g, TTL: time.Hour}
	old, oldOrder := e.page(t, pages, gateway.PageRequest{OrderNumber: "again", Creator: "browser"})
	if _, err := e.clock.Set(ctx, old.Expires); err != nil {
		t.Fatal(err)
	}
	fresh, freshOrder := e.page(t, pages, gateway.PageRequest{OrderNumber: "again", Creator: "browser"})
	if fresh.ID == old.ID || freshOrder.BillNumber == oldOrder.BillNumber {
		t.Fatal("the expired page was answered again")
	}
	if _, d, _, _ := pages.Load(ctx, old.ID); d.Order.State != gateway.StateTimeout {
		t.Fatalf("the expired page's order: %s, want Timeout", d.Order.State)
	}
	if again, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "again", Signed: true}); again.ID != fresh.ID {
		t.Fatal("a signed request did not get the unpaid page back")
	}
	byLink, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "again", Authenticated: true})
	if byLink.ID == fresh.ID {
		t.Fatal("payrequest got the browser's page back")
	}
	if _, d, _, _ := pages.Load(ctx, fresh.ID); d.Order.State != gateway.StateTimeout {
		t.Fatalf("the page payrequest replaced: %s, want Timeout", d.Order.State)
	}
	if _, _, err := pages.Submit(ctx, fresh.ID, fresh.FormToken, visa); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("a card on the replaced page: %v", err)
	}
	if _, _, _, err := pages.Load(ctx, "no-such-page"); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("an unknown page: %v", err)
	}
	if _, _, err := pages.Submit(ctx, "no-such-page", "t", visa); !errors.Is(err, gateway.ErrNotFound) {
		t.Fatalf("a card for an unknown page: %v", err)
	}
	// Refusals of Create, with nothing written.
	for _, tc := range []struct {
		name string
		req  gateway.PageRequest
		want string
	}{
		{"bad return URL", gateway.PageRequest{OrderNumber: "pc-1", Amount: "1", ReturnOK: "javascript:alert(1)"}, "5/110"},
		{"bad delay", gateway.PageRequest{OrderNumber: "pc-2", Amount: "1", TwoStage: "x"}, "5/110"},
		{"bad currency", gateway.PageRequest{OrderNumber: "pc-3", Amount: "1", Currency: "ZZZ"}, "5/109"},
		{"bad amount", gateway.PageRequest{OrderNumber: "pc-4", Amount: "1.234"}, "5/108"},
		{"no ordernumber", gateway.PageRequest{Amount: "1"}, "5/107"},
	} {
		if _, _, err := pages.Create(ctx, e.m, tc.req); codes(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	e.m.Disabled.TwoStage = true
	if _, _, err := pages.Create(ctx, e.m, gateway.PageRequest{OrderNumber: "pc-5", Amount: "1", TwoStage: "1"}); codes(err) != "5/110" {
		t.Errorf("a two-stage page with two-stage off: %v", err)
	}
	e.m.Disabled.TwoStage = false
	// The language is RU unless EN is asked for.
	if pg, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "pc-6", Language: " en "}); pg.Language != "EN" {
		t.Errorf("language %q, want EN", pg.Language)
	}
	if pg, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "pc-7", Language: "DE"}); pg.Language != "RU" {
		t.Errorf("language %q, want RU", pg.Language)
	}
}

// TestGateway_RetryWindowEndsOnUse stops a series whose 16-day window ran out before the
// sweep noticed, at the first rp or scheduled charge that meets it: the charge is refused
// (10/210) without asking the processor, and the series and its schedules are Stopped.
func TestGateway_RetryWindowEndsOnUse(t *testing.T) {
	ctx := context.Background()
	for _, via := range []string{"rp", "schedule"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, processor.Test{})
			init := e.initial(t, "w", visa, gateway.RecurringRequest{Indicator: "1"})
			bill := init.Order.BillNumber
			start := e.clock.Now().Add(time.Hour)
			sc, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{BillNumber: bill, Amount: "1.00",
				StartDate: gateway.FormatDate(start.AddDate(0, 0, 30)), PeriodLength: "1", PeriodType: "Month"})
			if err != nil {
				t.Fatal(err)
			}
			// A soft decline opens the window.
			r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-1", Amount: "1.51"})
			if err != nil || r.Order.State != gateway.StateDeclined || r.RecurringState != "Activated" {
				t.Fatalf("soft decline: %v %+v", err, r)
			}
			opened := e.clock.Now()
			// A millisecond before the window ends a charge is still allowed.
			if _, err := e.clock.Set(ctx, opened.AddDate(0, 0, gateway.RetryWindowDays).Add(-time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if via == "rp" {
				if r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-2", Amount: "1.51"}); err != nil || r.Order.State != gateway.StateDeclined {
					t.Fatalf("in the window's last millisecond: %v %+v", err, r)
				}
			}
			end := opened.AddDate(0, 0, gateway.RetryWindowDays)
			if _, err := e.clock.Set(ctx, end.AddDate(0, 0, 30)); err != nil {
				t.Fatal(err)
			}
			switch via {
			case "rp":
				if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-3", Amount: "1.00"}); codes(err) != "10/210" {
					t.Fatalf("rp after the window ended: %v, want 10/210", err)
				}
				if _, err := e.g.OrderState(ctx, e.m, "w-3", gateway.Window{To: e.clock.Now().Add(time.Hour)}); codes(err) != "10/201" {
					t.Fatalf("the refused rp left an order: %v", err)
				}
			case "schedule":
				if err := e.g.RunSchedules(ctx, e.clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
			if s := e.scheduleNow(t, sc.ID); s.State != gateway.ScheduleStopped || s.Attempts != 0 {
				t.Fatalf("the schedule after the window ended: %+v", s)
			}
			// The stop is kept: later charges are refused as a stopped series.
			_, err = e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: bill, OrderNumber: "w-4", Amount: "1.00"})
			if codes(err) != "10/210" || !strings.Contains(err.Error(), gateway.StopWindowEnded) {
				t.Fatalf("rp on the stopped series: %v", err)
			}
		})
	}
}

// TestPages_ExpiredChallengeFreesTheOrdernumber: a page waiting for a 3-D Secure code holds
// its ordernumber against the merchant's silentpay until its TTL; past it, before the sweep
// has run, the silentpay closes the page's order as Timeout and pays, and the code can no
// longer complete the old page.
func TestPages_ExpiredChallengeFreesTheOrdernumber(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g, TTL: time.Hour}
	pg, _, err := pages.Create(ctx, e.m, gateway.PageRequest{OrderNumber: "3ds-ttl", Amount: "10.00"})
	if err != nil {
		t.Fatal(err)
	}
	card := gateway.CardData{Number: processor.ChallengeCard, ExpMonth: "12", ExpYear: "2030", CVC: "123"}
	if _, challenged, err := pages.Submit(ctx, pg.ID, pg.FormToken, card); err != nil || !challenged {
		t.Fatalf("submit: challenged %v, %v", challenged, err)
	}
	pg, d, _, _ := pages.Load(ctx, pg.ID)
	pay := gateway.PayRequest{OrderNumber: "3ds-ttl", Amount: "10.00", Card: visa}
	if _, err := e.g.Pay(ctx, e.m, pay); codes(err) != "10/204" {
		t.Fatalf("silentpay while the code is awaited: %v, want 10/204", err)
	}
	if _, err := e.clock.Set(ctx, pg.Expires); err != nil {
		t.Fatal(err)
	}
	r, err := e.g.Pay(ctx, e.m, pay)
	if err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("silentpay past the page's TTL: %v %+v, want Approved", err, r)
	}
	if old := e.detail(t, d.Order.BillNumber); old.Order.State != gateway.StateTimeout {
		t.Fatalf("the page's order: %s, want Timeout", old.Order.State)
	}
	if _, err := pages.Verify(ctx, pg.ID, pg.FormToken, processor.ChallengeCode); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("the code on the expired page: %v, want ErrPageUsed", err)
	}
}
