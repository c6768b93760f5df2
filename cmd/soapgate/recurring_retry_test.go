package main

import (
	"testing"
)

// rpState charges the series and returns the new order's orderstate and recurringstate, or
// the fault codes.
func rpState(t *testing.T, ts *testServer, bill, num, amount string) (state, recurring string) {
	t.Helper()
	doc, codes := rp(t, ts, bill, num, amount)
	if codes != "0/0" {
		return codes, ""
	}
	return text(t, doc, "//order/orderstate"), text(t, doc, "//order/recurringstate")
}

func expect(t *testing.T, step string, gotState, gotRec, wantState, wantRec string) {
	t.Helper()
	if gotState != wantState || gotRec != wantRec {
		t.Fatalf("%s: %s/%s, want %s/%s", step, gotState, gotRec, wantState, wantRec)
	}
}

func TestRecurring_HardDeclineStopsAtOnce(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "hard")
	s, r := rpState(t, ts, bill, "hard-1", "20.54") // kopecks 54: ISO 54, hard
	expect(t, "hard decline", s, r, "Declined", "Stopped")
	s, r = rpState(t, ts, bill, "hard-2", "20.00")
	expect(t, "after a hard decline", s, r, "10/210", "")
	if got := orderStates(t, ts, "hard-2"); got[0] != "10/201" {
		t.Errorf("a stopped series reached the processor: %v", got)
	}
}

func TestRecurring_FourSoftDeclinesStop(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "soft")
	for i, amt := range []string{"20.51", "20.05", "20.61"} {
		s, r := rpState(t, ts, bill, "soft-"+string(rune('1'+i)), amt)
		expect(t, "soft decline "+amt, s, r, "Declined", "Activated")
		advance(t, ts, "4d")
	}
	// The fourth unsuccessful attempt, 12 days after the first, stops the series.
	s, r := rpState(t, ts, bill, "soft-4", "20.65")
	expect(t, "fourth soft decline", s, r, "Declined", "Stopped")
	s, r = rpState(t, ts, bill, "soft-5", "20.00")
	expect(t, "stopped series", s, r, "10/210", "")
	if got := orderStates(t, ts, "soft-5"); got[0] != "10/201" {
		t.Errorf("a stopped series reached the processor: %v", got)
	}
}

func TestRecurring_ApprovalResetsCount(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "reset")
	n := 0
	num := func() string { n++; return "reset-" + string(rune('a'+n)) }
	for round := 0; round < 2; round++ {
		for i := 0; i < 3; i++ {
			s, r := rpState(t, ts, bill, num(), "30.51")
			expect(t, "soft decline", s, r, "Declined", "Activated")
		}
		s, r := rpState(t, ts, bill, num(), "30.00")
		expect(t, "approval", s, r, "Approved", "Activated")
	}
	// Three more after the second approval: still three, not six.
	for i := 0; i < 3; i++ {
		s, r := rpState(t, ts, bill, num(), "30.51")
		expect(t, "soft decline after reset", s, r, "Declined", "Activated")
	}
}

func TestRecurring_SixteenDaysWithoutApprovalStop(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "window")
	s, r := rpState(t, ts, bill, "window-1", "40.51")
	expect(t, "first soft decline", s, r, "Declined", "Activated")
	advance(t, ts, "15d")
	s, r = rpState(t, ts, bill, "window-2", "40.51")
	expect(t, "second soft decline on day 15", s, r, "Declined", "Activated")
	// Day 16 ends the window without an approval: the due job stops the series, and the
	// next rp never reaches the processor.
	advance(t, ts, "24h")
	s, r = rpState(t, ts, bill, "window-3", "40.00")
	expect(t, "after the window", s, r, "10/210", "")
	if got := orderStates(t, ts, "window-3"); got[0] != "10/201" {
		t.Errorf("a stopped series reached the processor: %v", got)
	}

	// A series whose window is still open after 15 days and gets an approval goes on.
	other, _ := seriesPay(t, ts, "window-ok")
	rpState(t, ts, other, "window-ok-1", "40.51")
	advance(t, ts, "15d")
	s, r = rpState(t, ts, other, "window-ok-2", "40.00")
	expect(t, "approval inside the window", s, r, "Approved", "Activated")
	advance(t, ts, "10d")
	s, r = rpState(t, ts, other, "window-ok-3", "40.00")
	expect(t, "long after", s, r, "Approved", "Activated")
}

func TestRecurring_Card341RecoversWithinRules(t *testing.T) {
	ts := startRecurring(t)
	bill, doc := seriesPay(t, ts, "flaky", "cardnumber", "4000000000000341")
	if text(t, doc, "//order/orderstate") != "Approved" {
		t.Fatalf("customer payment with 341 not approved")
	}
	for round := 0; round < 2; round++ {
		for i, want := range []string{"Declined", "Declined", "Approved"} {
			s, r := rpState(t, ts, bill, "flaky-"+string(rune('a'+round))+string(rune('1'+i)), "50.00")
			expect(t, "merchant-initiated attempt", s, r, want, "Activated")
		}
	}
}
