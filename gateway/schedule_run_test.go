package gateway_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// flakyAcquirer fails the next failMIT merchant-initiated authorisations with a connection
// error (the acquirer unreachable); Settle answers from the test processor's tables.
type flakyAcquirer struct {
	processor.Test
	mu      sync.Mutex
	failMIT int
	settles int
}

func (p *flakyAcquirer) Authorize(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	p.mu.Lock()
	fail := r.MerchantInitiated && p.failMIT > 0
	if fail {
		p.failMIT--
	}
	p.mu.Unlock()
	if fail {
		return gateway.AuthResult{}, errors.New("acquirer unreachable")
	}
	return p.Test.Authorize(ctx, r)
}

func (p *flakyAcquirer) Settle(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	p.mu.Lock()
	p.settles++
	p.mu.Unlock()
	return p.Test.Settle(ctx, r)
}

// schedule makes a daily schedule on a new recurring series paid with card, first due an hour
// from now, and returns it.
func (e *env) schedule(t *testing.T, num string, card gateway.CardData, amount, retries, retryHours string) *gateway.Schedule {
	t.Helper()
	init := e.initial(t, num, card, gateway.RecurringRequest{Indicator: "1"})
	sc, err := e.g.SetSchedule(context.Background(), e.m, gateway.ScheduleRequest{BillNumber: init.Order.BillNumber, Amount: amount,
		StartDate: gateway.FormatDate(e.clock.Now().Add(time.Hour)), PeriodLength: "1", PeriodType: "Day",
		RetryCount: retries, RetryPeriodHours: retryHours})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runAt moves the clock to at and runs the schedules there.
func (e *env) runAt(t *testing.T, at time.Time) error {
	t.Helper()
	if _, err := e.clock.Set(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	return e.g.RunSchedules(context.Background(), at)
}

func (e *env) scheduleNow(t *testing.T, id int64) *gateway.Schedule {
	t.Helper()
	l, err := e.g.Schedules(context.Background(), e.m, gateway.ScheduleQuery{Operation: itoa(id)})
	if err != nil || len(l) != 1 {
		t.Fatalf("schedule %d: %v %d", id, err, len(l))
	}
	return l[0]
}

// attempts lists the states of the charges made for occurrence n of schedule id, oldest first.
func (e *env) attempts(t *testing.T, id int64, n int) []gateway.State {
	t.Helper()
	orders, err := e.g.OrderState(context.Background(), e.m, itoa(id)+"-"+itoa(int64(n)), gateway.Window{To: e.clock.Now().Add(time.Hour)})
	if err != nil && codes(err) != "10/201" {
		t.Fatal(err)
	}
	var out []gateway.State
	for _, o := range orders {
		out = append(out, o.State)
	}
	return out
}

// TestSchedule_RetriesADeclinedOccurrence retries a soft-declined occurrence after each retry
// period (not before), under the same ordernumber, and moves to the next occurrence on the
// approval. Card 4000000000000341 declines the first two merchant-initiated attempts.
func TestSchedule_RetriesADeclinedOccurrence(t *testing.T) {
	e := newEnv(t, processor.Test{})
	flaky := visa
	flaky.Number = "4000000000000341"
	sc := e.schedule(t, "sr", flaky, "10.00", "3", "2")
	first := sc.NextRun
	if err := e.runAt(t, first); err != nil {
		t.Fatal(err)
	}
	s := e.scheduleNow(t, sc.ID)
	if s.Attempts != 1 || s.Retry != 1 || s.NextN != 1 || s.LastCode != "AS102" || !s.NextRun.Equal(first.Add(2*time.Hour)) {
		t.Fatalf("after the first decline: %+v", s)
	}
	// A millisecond before the retry is due nothing is charged.
	if err := e.runAt(t, first.Add(2*time.Hour-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if s := e.scheduleNow(t, sc.ID); s.Attempts != 1 {
		t.Fatalf("retried before its time: %d attempts", s.Attempts)
	}
	if err := e.runAt(t, first.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.runAt(t, first.Add(4*time.Hour)); err != nil {
		t.Fatal(err)
	}
	s = e.scheduleNow(t, sc.ID)
	if s.Attempts != 3 || s.Retry != 0 || s.NextN != 2 || s.LastCode != "AS000" || !s.NextRun.Equal(first.AddDate(0, 0, 1)) || s.State != gateway.ScheduleActive {
		t.Fatalf("after the approval: %+v", s)
	}
	if got := e.attempts(t, sc.ID, 1); len(got) != 3 || got[0] != gateway.StateDeclined || got[1] != gateway.StateDeclined || got[2] != gateway.StateApproved {
		t.Fatalf("occurrence 1 attempts: %v", got)
	}
}

// TestSchedule_RetriesRunOut moves on to the next occurrence when its retries are spent, and
// stops the schedule with its series on a hard decline.
func TestSchedule_RetriesRunOut(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	// Kopecks 51: every attempt declines softly.
	soft := e.schedule(t, "sro", visa, "10.51", "1", "1")
	first := soft.NextRun
	if err := e.runAt(t, first); err != nil {
		t.Fatal(err)
	}
	if err := e.runAt(t, first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s := e.scheduleNow(t, soft.ID)
	if s.Attempts != 2 || s.NextN != 2 || s.Retry != 0 || s.State != gateway.ScheduleActive || !s.NextRun.Equal(first.AddDate(0, 0, 1)) {
		t.Fatalf("after its one retry: %+v", s)
	}
	if got := e.attempts(t, soft.ID, 1); len(got) != 2 {
		t.Fatalf("occurrence 1 charged %d times, want 2", len(got))
	}

	// Kopecks 54: a hard decline stops the series at once, and the schedule with it.
	hard := e.schedule(t, "srh", visa, "10.54", "3", "1")
	if err := e.runAt(t, hard.NextRun); err != nil {
		t.Fatal(err)
	}
	if s := e.scheduleNow(t, hard.ID); s.State != gateway.ScheduleStopped || s.Attempts != 1 || s.LastCode != "AS104" {
		t.Fatalf("after a hard decline: %+v", s)
	}
	if _, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: hard.BillNumber, OrderNumber: "srh-rp", Amount: "1.00"}); codes(err) != "10/210" {
		t.Fatalf("rp on the stopped series: %v", err)
	}
	if err := e.runAt(t, hard.NextRun.AddDate(0, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if s := e.scheduleNow(t, hard.ID); s.Attempts != 1 {
		t.Fatalf("a stopped schedule charged again: %+v", s)
	}
	// Reactivating it is refused: its card is no longer activated.
	if _, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{Operation: itoa(hard.ID), State: "Active"}); codes(err) != "10/211" {
		t.Fatalf("reactivating a schedule of a stopped series: %v", err)
	}
}

// TestSchedule_ClaimRefusals: a due occurrence the merchant may no longer charge makes the
// schedule Inactive without a charge; one past the series' recurringmaxdate finishes it.
func TestSchedule_ClaimRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	sc := e.schedule(t, "cr", visa, "10.00", "", "")
	e.m.Disabled.Recurring = true
	if err := e.runAt(t, sc.NextRun); err != nil {
		t.Fatal(err)
	}
	e.m.Disabled.Recurring = false
	if s := e.scheduleNow(t, sc.ID); s.State != gateway.ScheduleInactive || s.Attempts != 0 {
		t.Fatalf("recurring switched off: %+v", s)
	}
	if got := e.attempts(t, sc.ID, 1); len(got) != 0 {
		t.Fatalf("charged with recurring switched off: %v", got)
	}
	// An edit two days later reactivates it from then on: the occurrences missed meanwhile
	// are not charged, and the next one gets the first unused occurrence number.
	if _, err := e.clock.Set(ctx, sc.NextRun.Add(2*24*time.Hour+time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{Operation: itoa(sc.ID), State: "Active"})
	if err != nil || s.State != gateway.ScheduleActive || !s.NextRun.Equal(sc.NextRun.AddDate(0, 0, 3)) || s.NextN != 1 {
		t.Fatalf("reactivate: %v %+v", err, s)
	}
	if err := e.runAt(t, s.NextRun); err != nil {
		t.Fatal(err)
	}
	if got := e.attempts(t, sc.ID, 1); len(got) != 1 || got[0] != gateway.StateApproved {
		t.Fatalf("the first charge after reactivation: %v", got)
	}
	if s := e.scheduleNow(t, sc.ID); s.Attempts != 1 || s.NextN != 2 {
		t.Fatalf("after the charge: %+v", s)
	}

	// recurringmaxdate is the last day charges may happen on: a charge after it is refused
	// and the schedule finishes, also when the occurrence fell due before it.
	now := e.clock.Now()
	init := e.initial(t, "cr-max", visa, gateway.RecurringRequest{Indicator: "1", MaxDate: now.AddDate(0, 0, 2).Format("02.01.2006")})
	capped, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{BillNumber: init.Order.BillNumber, Amount: "1.00",
		StartDate: gateway.FormatDate(now.Add(time.Hour)), PeriodLength: "1", PeriodType: "Day"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.runAt(t, now.AddDate(0, 0, 5)); err != nil {
		t.Fatal(err)
	}
	s = e.scheduleNow(t, capped.ID)
	if s.State != gateway.ScheduleFinished || s.Attempts != 0 {
		t.Fatalf("past recurringmaxdate: %+v", s)
	}
}

// TestSchedule_ChargeMaxDate charges occurrences up to recurringmaxdate and finishes the
// schedule at the first occurrence past it.
func TestSchedule_ChargeMaxDate(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	now := e.clock.Now()
	start := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	// Charges may happen through the end of the day after start.
	init := e.initial(t, "cm", visa, gateway.RecurringRequest{Indicator: "1", MaxDate: start.AddDate(0, 0, 1).Format("02.01.2006")})
	sc, err := e.g.SetSchedule(ctx, e.m, gateway.ScheduleRequest{BillNumber: init.Order.BillNumber, Amount: "1.00",
		StartDate: gateway.FormatDate(start), PeriodLength: "1", PeriodType: "Day"})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{start, start.AddDate(0, 0, 1)} {
		if err := e.runAt(t, at); err != nil {
			t.Fatal(err)
		}
	}
	s := e.scheduleNow(t, sc.ID)
	if s.Attempts != 2 || s.State != gateway.ScheduleFinished {
		t.Fatalf("after the occurrences up to recurringmaxdate: %+v", s)
	}
}

// TestSchedule_FinishInFlight fails the acquirer while a claimed occurrence is being charged:
// the run reports it and the charge stays claimed (In Process, the schedule's in-flight mark),
// so no later run charges the occurrence again; the next run settles it with the processor's
// record and goes on with what is due. With several processes (leases), a claim younger than
// SettleGrace is left to the process that made it.
func TestSchedule_FinishInFlight(t *testing.T) {
	p := &flakyAcquirer{}
	e := newEnv(t, p)
	leases := &memLeases{}
	e.g.Leases = leases
	sc := e.schedule(t, "fi", visa, "10.00", "", "")
	first := sc.NextRun
	p.failMIT = 1
	err := e.runAt(t, first)
	if err == nil || codes(err) != "2/1" {
		t.Fatalf("run with the acquirer down: %v, want an internal error", err)
	}
	s := e.scheduleNow(t, sc.ID)
	if s.InFlight == 0 || s.Attempts != 1 || s.NextN != 1 {
		t.Fatalf("after the failed charge: %+v", s)
	}
	if got := e.attempts(t, sc.ID, 1); len(got) != 1 || got[0] != gateway.StateInProcess {
		t.Fatalf("the claimed charge: %v", got)
	}
	// The plan cannot be edited while its charge is in progress.
	if _, err := e.g.SetSchedule(context.Background(), e.m, gateway.ScheduleRequest{Operation: itoa(sc.ID), Amount: "11.00"}); codes(err) != "10/211" {
		t.Fatalf("an edit with a charge in progress: %v, want 10/211", err)
	}
	// Within the grace another run leaves it to its process and claims nothing else for it.
	if err := e.runAt(t, first.Add(gateway.SettleGrace-time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if s := e.scheduleNow(t, sc.ID); s.InFlight == 0 || p.settles != 0 || len(e.attempts(t, sc.ID, 1)) != 1 {
		t.Fatalf("settled within the grace: %+v, %d settles", s, p.settles)
	}
	// A day later the claim is settled once, then the occurrence that fell due is charged.
	if err := e.runAt(t, first.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	s = e.scheduleNow(t, sc.ID)
	if p.settles != 1 || s.InFlight != 0 || s.Attempts != 2 || s.NextN != 3 || s.LastCode != "AS000" {
		t.Fatalf("after settling: %+v, %d settles", s, p.settles)
	}
	for n := 1; n <= 2; n++ {
		if got := e.attempts(t, sc.ID, n); len(got) != 1 || got[0] != gateway.StateApproved {
			t.Fatalf("occurrence %d: %v, want one Approved charge", n, got)
		}
	}
	if len(leases.taken) == 0 {
		t.Fatal("no lease was taken for the charges")
	}
	for _, k := range leases.taken {
		if leases.isHeld(k) {
			t.Fatalf("lease %s kept after the run", k)
		}
	}
}

// TestSchedule_FinishInFlightMerchantGone releases the in-flight mark of a claimed charge
// whose merchant is no longer configured rather than stall the run on it.
func TestSchedule_FinishInFlightMerchantGone(t *testing.T) {
	p := &flakyAcquirer{failMIT: 1}
	e := newEnv(t, p)
	sc := e.schedule(t, "fg", visa, "10.00", "", "")
	if err := e.runAt(t, sc.NextRun); err == nil {
		t.Fatal("the failed charge was not reported")
	}
	all := e.g.Merchants
	e.g.Merchants = gateway.NewMerchants([]*gateway.Merchant{all.Get("2")})
	if err := e.runAt(t, sc.NextRun.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.g.Merchants = all
	if s := e.scheduleNow(t, sc.ID); s.InFlight != 0 || p.settles != 0 {
		t.Fatalf("merchant gone: %+v, %d settles", s, p.settles)
	}
}
