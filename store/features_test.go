package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"soapgate/gateway"
)

func TestTxn_Recurring(t *testing.T) {
	db := open(t)
	init := newOrder("5000000000000001", "init", gateway.StateApproved)
	charge := newOrder("5000000000000002", "rp-1", gateway.StateInProcess)
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(init); err != nil {
			return err
		}
		return tx.InsertOrder(charge)
	})
	x := &gateway.PayExtras{CustomerNumber: "cust", Consent: true, MinAmount: 100, MaxAmount: 90000, PeriodDays: 30,
		MaxDate: t0.AddDate(1, 0, 0), UsedToken: "TOK"}
	s := &gateway.Series{OrderID: init.ID, MerchantID: "m1", Currency: "RUB", MinAmount: 100, MaxAmount: 90000, PeriodDays: 30,
		MaxDate: t0.AddDate(1, 0, 0), State: gateway.SeriesActivated, Created: t0, Updated: t0}
	c := &gateway.RecurringCharge{OrderID: charge.ID, SeriesOrderID: init.ID, ScheduleID: 0, Occurrence: 0, MITAttempt: 1}
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertPayExtras(init.ID, x); err != nil {
			return err
		}
		if err := tx.InsertSeries(s); err != nil {
			return err
		}
		c.OrderID = charge.ID
		return tx.InsertRecurringCharge(c)
	})
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.PayExtras(init.ID)
		if err != nil || got.CustomerNumber != "cust" || !got.Consent || got.MinAmount != 100 || got.MaxAmount != 90000 ||
			got.PeriodDays != 30 || !got.MaxDate.Equal(x.MaxDate) || got.UsedToken != "TOK" {
			t.Fatalf("pay extras: %v %+v", err, got)
		}
		if _, err := tx.PayExtras(charge.ID); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("no extras: %v", err)
		}
		gs, err := tx.SeriesByOrder(init.ID)
		if err != nil || gs.State != gateway.SeriesActivated || !gs.MaxDate.Equal(s.MaxDate) || gs.Retry.Fails != 0 {
			t.Fatalf("series: %v %+v", err, gs)
		}
		if _, err := tx.SeriesByOrder(charge.ID); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("no series: %v", err)
		}
		if got, err := tx.RecurringCharge(charge.ID); err != nil || *got != *c {
			t.Fatalf("charge: %v %+v", err, got)
		}
		if _, err := tx.RecurringCharge(init.ID); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("no charge: %v", err)
		}
		if got, err := tx.RecurringOrder(charge.ID); err != nil || got.BillNumber != charge.BillNumber {
			t.Fatalf("recurring order: %v %+v", err, got)
		}
		if ended, err := tx.SeriesWindowsEnded(t0.AddDate(0, 1, 0)); err != nil || len(ended) != 0 {
			t.Fatalf("no window open: %v %v", err, ended)
		}
		return nil
	})
	// A decline opens the window; 16 days later it has ended.
	s.Retry = gateway.RetryState{Fails: 1, FirstFail: t0}
	s.MITAttempts, s.Updated = 2, t0.Add(time.Hour)
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateSeries(s) })
	view(t, db, func(tx gateway.Tx) error {
		if ended, err := tx.SeriesWindowsEnded(t0.AddDate(0, 0, 3)); err != nil || len(ended) != 0 {
			t.Fatalf("window still open: %v %v", err, ended)
		}
		ended, err := tx.SeriesWindowsEnded(t0.AddDate(0, 0, gateway.RetryWindowDays+1))
		if err != nil || len(ended) != 1 || ended[0].MITAttempts != 2 || !ended[0].Retry.FirstFail.Equal(t0) {
			t.Fatalf("window ended: %v %+v", err, ended)
		}
		return nil
	})
}

func TestTxn_SavedCards(t *testing.T) {
	db := open(t)
	o := newOrder("6000000000000001", "save", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	cards := []*gateway.SavedCard{
		{Token: "T1", MerchantID: "m1", CustomerNumber: "c1", Card: o.Card, Active: true, Created: t0, Updated: t0},
		{Token: "T2", MerchantID: "m1", CustomerNumber: "c1", Card: o.Card, Active: true, Created: t0.Add(time.Second), Updated: t0},
		{Token: "T3", MerchantID: "m1", CustomerNumber: "c2", Card: o.Card, Active: true, Created: t0, Updated: t0},
	}
	update(t, db, func(tx gateway.Tx) error {
		for _, c := range cards {
			c.OrderID = o.ID
			if err := tx.InsertSavedCard(c); err != nil {
				return err
			}
		}
		return nil
	})
	cards[0].Active, cards[0].Updated = false, t0.Add(time.Hour)
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateSavedCard(cards[0]) })
	view(t, db, func(tx gateway.Tx) error {
		if _, err := tx.SavedCard("m1", "T1"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("removed card: %v", err)
		}
		got, err := tx.SavedCard("m1", "T2")
		if err != nil || got.CustomerNumber != "c1" || got.Card != o.Card || !got.Active || got.ID == 0 {
			t.Fatalf("saved card: %v %+v", err, got)
		}
		if _, err := tx.SavedCard("m2", "T2"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("another merchant's token: %v", err)
		}
		if list, err := tx.SavedCards("m1", "c1"); err != nil || len(list) != 1 || list[0].Token != "T2" {
			t.Fatalf("cards of c1: %v %+v", err, list)
		}
		return nil
	})
}

func TestTxn_Schedules(t *testing.T) {
	db := open(t)
	init := newOrder("7000000000000001", "init", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(init); err != nil {
			return err
		}
		return tx.InsertSeries(&gateway.Series{OrderID: init.ID, MerchantID: "m1", Currency: "RUB",
			State: gateway.SeriesActivated, Created: t0, Updated: t0})
	})
	plan := gateway.Plan{Start: t0, Length: 1, Unit: gateway.PeriodDay, End: t0.AddDate(0, 1, 0)}
	var scheds []*gateway.Schedule
	for i := range 3 {
		scheds = append(scheds, &gateway.Schedule{MerchantID: "m1", SeriesOrderID: init.ID, BillNumber: init.BillNumber,
			Amount: gateway.Amount(100 * (i + 1)), Currency: "RUB", Description: "d", Plan: plan, RetryCount: 2,
			RetryPeriod: 6 * time.Hour, State: gateway.ScheduleActive, NextN: 1, NextRun: t0.Add(time.Duration(i) * time.Hour),
			Created: t0, Updated: t0})
	}
	scheds[2].State = gateway.ScheduleInactive
	update(t, db, func(tx gateway.Tx) error {
		for _, sc := range scheds {
			if err := tx.InsertSchedule(sc); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.Schedule("m1", scheds[1].ID)
		if err != nil || got.Plan != plan || got.Amount != 200 || got.RetryPeriod != 6*time.Hour || !got.NextRun.Equal(scheds[1].NextRun) {
			t.Fatalf("schedule: %v %+v", err, got)
		}
		if _, err := tx.Schedule("m2", scheds[1].ID); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("another merchant's schedule: %v", err)
		}
		if l, err := tx.Schedules("m1", 0, 1, 10); err != nil || len(l) != 2 || l[0].ID != scheds[1].ID {
			t.Fatalf("skip 1: %v %+v", err, l)
		}
		if l, err := tx.Schedules("m1", init.ID, 0, 2); err != nil || len(l) != 2 {
			t.Fatalf("of series, take 2: %v %d", err, len(l))
		}
		if l, err := tx.SchedulesOfSeries(init.ID); err != nil || len(l) != 3 {
			t.Fatalf("of series: %v %d", err, len(l))
		}
		if _, err := tx.NextDueSchedule(t0.Add(-time.Minute)); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("none due yet: %v", err)
		}
		if due, err := tx.NextDueSchedule(t0.Add(5 * time.Hour)); err != nil || due.ID != scheds[0].ID {
			t.Fatalf("next due: %v %+v", err, due)
		}
		return nil
	})
	scheds[0].InFlight, scheds[0].Attempts, scheds[0].LastCode = init.ID, 1, "AS000"
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateSchedule(scheds[0]) })
	view(t, db, func(tx gateway.Tx) error {
		if due, err := tx.NextDueSchedule(t0.Add(5 * time.Hour)); err != nil || due.ID != scheds[1].ID {
			t.Fatalf("next due with the first in flight: %v %+v", err, due)
		}
		if l, err := tx.SchedulesInFlight(); err != nil || len(l) != 1 || l[0].Attempts != 1 || l[0].LastCode != "AS000" {
			t.Fatalf("in flight: %v %+v", err, l)
		}
		return nil
	})
}

func TestTxn_Pages(t *testing.T) {
	db := open(t)
	var orders []*gateway.Order
	for i, st := range []gateway.State{gateway.StateInProcess, gateway.StateInProcess, gateway.StateApproved} {
		o := newOrder("800000000000000"+string(rune('1'+i)), "p-"+string(rune('1'+i)), st)
		o.Created = t0.Add(time.Duration(i) * time.Minute)
		orders = append(orders, o)
	}
	pages := []*gateway.Page{
		{ID: "page-1", Language: "RU", ReturnURL: "https://shop/r", ReturnOK: "https://shop/ok", Stage: gateway.PageCard,
			FormToken: "f1", Expires: t0.Add(time.Hour), Created: t0},
		{ID: "page-2", Language: "EN", Stage: gateway.PageCard, FormToken: "f2", Expires: t0.Add(2 * time.Hour), Created: t0},
	}
	update(t, db, func(tx gateway.Tx) error {
		for _, o := range orders {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		for i, p := range pages {
			p.OrderID = orders[i].ID
			if err := tx.InsertPage(p); err != nil {
				return err
			}
		}
		return nil
	})
	pages[1].Stage, pages[1].FormToken, pages[1].Card = gateway.PageIssuer, "f3", orders[1].Card
	update(t, db, func(tx gateway.Tx) error { return tx.UpdatePage(pages[1]) })
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.PageByID("page-1")
		if err != nil || got.BillNumber != orders[0].BillNumber || got.MerchantID != "m1" || got.ReturnOK != "https://shop/ok" ||
			got.Stage != gateway.PageCard || !got.Expires.Equal(pages[0].Expires) {
			t.Fatalf("by id: %v %+v", err, got)
		}
		if _, err := tx.PageByID("none"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("unknown page: %v", err)
		}
		if got, err := tx.PageByOrder(orders[1].ID); err != nil || got.Stage != gateway.PageIssuer || got.Card != orders[1].Card || got.FormToken != "f3" {
			t.Fatalf("by order: %v %+v", err, got)
		}
		if _, err := tx.PageByOrder(orders[2].ID); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("an order without a page: %v", err)
		}
		for _, tc := range []struct {
			at   time.Time
			want int
		}{{t0, 0}, {t0.Add(time.Hour), 1}, {t0.Add(3 * time.Hour), 2}} {
			if due, err := tx.DuePages(tc.at, 10); err != nil || len(due) != tc.want {
				t.Fatalf("due at %s: %v %d, want %d", tc.at, err, len(due), tc.want)
			}
		}
		for _, tc := range []struct {
			q    gateway.OrderQuery
			want int
		}{
			{gateway.OrderQuery{}, 3},
			{gateway.OrderQuery{State: gateway.StateInProcess}, 2},
			{gateway.OrderQuery{OrderNumber: "p-3"}, 1},
			{gateway.OrderQuery{From: t0.Add(time.Minute), To: t0.Add(2 * time.Minute)}, 1},
			{gateway.OrderQuery{Offset: 1, Limit: 1}, 1},
		} {
			if l, err := tx.MonitorOrders("m1", tc.q); err != nil || len(l) != tc.want {
				t.Fatalf("monitor %+v: %v %d, want %d", tc.q, err, len(l), tc.want)
			}
		}
		if l, _ := tx.MonitorOrders("m1", gateway.OrderQuery{}); l[0].ID != orders[2].ID {
			t.Fatal("monitor lists newest first")
		}
		return nil
	})
}

func TestTxn_Notifications(t *testing.T) {
	db := open(t)
	o := newOrder("9000000000000001", "n", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	ns := []*gateway.Notification{
		{MerchantID: "m1", OrderID: o.ID, BillNumber: o.BillNumber + ".1", Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0},
		{MerchantID: "m1", OrderID: o.ID, BillNumber: o.BillNumber + ".2", Event: gateway.EventCancel, State: gateway.NotifyPending, NextAt: t0, Created: t0},
	}
	update(t, db, func(tx gateway.Tx) error {
		for _, n := range ns {
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
		}
		return nil
	})
	wall := t0
	view(t, db, func(tx gateway.Tx) error {
		// The cancel waits for the payment it cancels.
		due, err := tx.DueNotifications("m1", t0, wall, 10)
		if err != nil || len(due) != 1 || due[0].ID != ns[0].ID || due[0].Event != gateway.EventPayment {
			t.Fatalf("due: %v %+v", err, due)
		}
		if due, _ := tx.DueNotifications("m1", t0.Add(-time.Second), wall, 10); len(due) != 0 {
			t.Fatalf("due before next_at: %d", len(due))
		}
		if due, _ := tx.DueNotifications("m2", t0, wall, 10); len(due) != 0 {
			t.Fatalf("another merchant's queue holds %d", len(due))
		}
		if id, err := tx.PendingMerchantAfter(""); err != nil || id != "m1" {
			t.Fatalf("pending merchant: %q %v", id, err)
		}
		if _, err := tx.PendingMerchantAfter("m1"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("pending merchant after m1: %v", err)
		}
		if _, err := tx.NotificationByID(12345); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("unknown notification: %v", err)
		}
		return nil
	})
	// A claim is taken once; a second claimant gets nothing until the lease runs out.
	mine := gateway.Claim{Owner: "p1", Until: wall.Add(20 * time.Second)}
	claim := func(now, wall time.Time, c gateway.Claim) (ok bool) {
		update(t, db, func(tx gateway.Tx) (err error) {
			ok, err = tx.ClaimNotification(ns[0].ID, now, wall, c)
			return err
		})
		return ok
	}
	if claim(t0.Add(-time.Second), wall, mine) {
		t.Fatal("claimed before it was due")
	}
	if !claim(t0, wall, mine) {
		t.Fatal("first claim refused")
	}
	other := gateway.Claim{Owner: "p2", Until: wall.Add(40 * time.Second)}
	if claim(t0, wall.Add(10*time.Second), other) {
		t.Fatal("a held claim was taken")
	}
	view(t, db, func(tx gateway.Tx) error {
		if due, _ := tx.DueNotifications("m1", t0, wall, 10); len(due) != 0 {
			t.Fatalf("a claimed notification is listed as due")
		}
		return nil
	})
	// The lease runs out: p2 takes it, and p1's late outcome no longer changes the state.
	if !claim(t0, wall.Add(21*time.Second), other) {
		t.Fatal("an expired claim was not taken over")
	}
	late := *ns[0]
	late.State, late.Attempts, late.DoneAt = gateway.NotifyDelivered, 1, t0
	update(t, db, func(tx gateway.Tx) error {
		held, err := tx.FinishNotification(&late, mine, gateway.DeliveryAttempt{At: t0, HTTPStatus: 200, Excerpt: "ok", Outcome: "delivered"})
		if err != nil || held {
			t.Fatalf("finish with a lost claim: held=%v %v", held, err)
		}
		return nil
	})
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(ns[0].ID)
		if err != nil || got.State != gateway.NotifyPending || got.Claim.Owner != "p2" {
			t.Fatalf("after a lost claim: %v %+v", err, got)
		}
		return nil
	})
	ns[0].State, ns[0].Attempts, ns[0].DoneAt = gateway.NotifyDelivered, 2, t0
	update(t, db, func(tx gateway.Tx) error {
		held, err := tx.FinishNotification(ns[0], other, gateway.DeliveryAttempt{At: t0, HTTPStatus: 200, Excerpt: "ok", Outcome: "delivered"})
		if err != nil || !held {
			t.Fatalf("finish: held=%v %v", held, err)
		}
		return nil
	})
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(ns[0].ID)
		if err != nil || got.State != gateway.NotifyDelivered || got.Attempts != 2 || got.Claim != (gateway.Claim{}) || !got.DoneAt.Equal(t0) {
			t.Fatalf("by id: %v %+v", err, got)
		}
		if due, err := tx.DueNotifications("m1", t0, wall, 10); err != nil || len(due) != 1 || due[0].ID != ns[1].ID {
			t.Fatalf("due after delivery: %v %+v", err, due)
		}
		details, err := tx.NotificationsOfOrder(o.ID)
		if err != nil || len(details) != 2 || len(details[0].AttemptLog) != 2 || details[0].AttemptLog[1].HTTPStatus != 200 || len(details[1].AttemptLog) != 0 {
			t.Fatalf("of order: %v %+v", err, details)
		}
		for _, c := range []struct {
			f    gateway.NotificationFilter
			want int
		}{
			{gateway.NotificationFilter{}, 2},
			{gateway.NotificationFilter{State: gateway.NotifyDelivered}, 1},
			{gateway.NotificationFilter{MerchantID: "m2"}, 0},
			{gateway.NotificationFilter{MerchantID: "m1", OrderNumber: "n"}, 2},
			{gateway.NotificationFilter{OrderNumber: "other"}, 0},
			{gateway.NotificationFilter{Since: t0.Add(time.Second)}, 0},
			{gateway.NotificationFilter{Since: t0}, 2},
		} {
			if l, err := tx.ListNotifications(c.f, 10); err != nil || len(l) != c.want {
				t.Errorf("list %+v: %v %d, want %d", c.f, err, len(l), c.want)
			}
		}
		return nil
	})
	// A replay keeps the history: attempts go on, retries count from here.
	update(t, db, func(tx gateway.Tx) error { return tx.ReplayNotification(ns[0].ID, t0.Add(time.Hour)) })
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(ns[0].ID)
		if err != nil || got.State != gateway.NotifyPending || got.Attempts != 2 || got.RoundBase != 2 || !got.NextAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("replayed: %v %+v", err, got)
		}
		return nil
	})
}

// TestTxn_PruneNotifications: delivered and rejected notifications older than the cut are
// deleted with their attempts, a batch at a time; pending and failed ones stay.
func TestTxn_PruneNotifications(t *testing.T) {
	db := open(t)
	o := newOrder("9000000000000002", "p", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	var ids []int64
	states := []gateway.NotificationState{gateway.NotifyDelivered, gateway.NotifyRejected, gateway.NotifyDelivered,
		gateway.NotifyFailed, gateway.NotifyDelivered, gateway.NotifyPending}
	update(t, db, func(tx gateway.Tx) error {
		for i, st := range states {
			n := &gateway.Notification{MerchantID: "m1", OrderID: o.ID, BillNumber: fmt.Sprintf("%s.%d", o.BillNumber, i+1),
				Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0}
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
			ids = append(ids, n.ID)
			if st == gateway.NotifyPending {
				continue
			}
			c := gateway.Claim{Owner: "p", Until: t0.Add(time.Minute)}
			if ok, err := tx.ClaimNotification(n.ID, t0, t0, c); err != nil || !ok {
				return fmt.Errorf("claim %d: %v %v", n.ID, ok, err)
			}
			n.State, n.Attempts, n.DoneAt = st, 1, t0.Add(time.Duration(i)*time.Hour)
			if _, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: n.DoneAt, Outcome: string(st)}); err != nil {
				return err
			}
		}
		return nil
	})
	cut := t0.Add(10 * time.Hour) // every one is older, but only delivered and rejected go
	var deleted []int
	for {
		var n int
		update(t, db, func(tx gateway.Tx) (err error) {
			n, err = tx.PruneNotifications(cut, 2)
			return err
		})
		deleted = append(deleted, n)
		if n < 2 {
			break
		}
	}
	if got, want := fmt.Sprint(deleted), "[2 2 0]"; got != want {
		t.Fatalf("batches deleted %s, want %s", got, want)
	}
	view(t, db, func(tx gateway.Tx) error {
		l, err := tx.ListNotifications(gateway.NotificationFilter{}, 10)
		if err != nil || len(l) != 2 || l[0].State != gateway.NotifyPending || l[1].State != gateway.NotifyFailed {
			t.Fatalf("left: %v %+v", err, l)
		}
		for _, id := range ids[:3] {
			if a, err := tx.Attempts(id); err != nil || len(a) != 0 {
				t.Fatalf("attempts of pruned %d: %v %d", id, err, len(a))
			}
		}
		return nil
	})
}
