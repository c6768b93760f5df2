package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
)

// TestTxn_DelayedCreatedBefore: the sweep of authorisations held too long lists Delayed and
// PartialDelayed orders created up to the cut (inclusive), in id order, a page at a time
// after the last id seen; orders in any other state, or newer, are never listed.
func TestTxn_DelayedCreatedBefore(t *testing.T) {
	db := open(t)
	states := []gateway.State{gateway.StateDelayed, gateway.StateApproved, gateway.StatePartialDelayed, gateway.StateDelayed,
		gateway.StateInProcess, gateway.StateDelayed, gateway.StateCanceled, gateway.StatePartialDelayed}
	var orders []*gateway.Order
	update(t, db, func(tx gateway.Tx) error {
		for i, st := range states {
			o := newOrder(fmt.Sprintf("14000000000000%02d", i), fmt.Sprint("d", i), st)
			o.Created = t0.Add(time.Duration(i) * time.Minute)
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			orders = append(orders, o)
		}
		return nil
	})
	ids := func(os []*gateway.Order) string {
		var s []string
		for _, o := range os {
			s = append(s, strings.TrimPrefix(o.OrderNumber, "d"))
		}
		return strings.Join(s, ",")
	}
	view(t, db, func(tx gateway.Tx) error {
		for _, c := range []struct {
			before  time.Time
			after   int64
			limit   int
			want    string
			comment string
		}{
			{t0.Add(time.Hour), 0, 100, "0,2,3,5,7", "all held orders"},
			{t0.Add(5 * time.Minute), 0, 100, "0,2,3,5", "created at the cut is included"},
			{t0.Add(5*time.Minute - time.Millisecond), 0, 100, "0,2,3", "a millisecond before excludes it"},
			{t0.Add(-time.Second), 0, 100, "", "none old enough"},
			{t0.Add(time.Hour), 0, 2, "0,2", "first page"},
			{t0.Add(time.Hour), orders[2].ID, 2, "3,5", "second page"},
			{t0.Add(time.Hour), orders[5].ID, 2, "7", "last page"},
			{t0.Add(time.Hour), orders[7].ID, 2, "", "past the end"},
		} {
			got, err := tx.DelayedCreatedBefore(c.before, c.after, c.limit)
			if err != nil || ids(got) != c.want {
				t.Errorf("%s: %q %v, want %q", c.comment, ids(got), err, c.want)
			}
		}
		got, err := tx.DelayedCreatedBefore(t0, 0, 1)
		if err != nil || len(got) != 1 || *got[0] != *orders[0] {
			t.Fatalf("read as written: %v %+v", err, got)
		}
		return nil
	})
	// Captured, it leaves the sweep.
	orders[0].State, orders[0].Captured = gateway.StateApproved, orders[0].Amount
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateOrder(orders[0]) })
	view(t, db, func(tx gateway.Tx) error {
		if got, err := tx.DelayedCreatedBefore(t0.Add(time.Hour), 0, 100); err != nil || ids(got) != "2,3,5,7" {
			t.Fatalf("after a capture: %q %v", ids(got), err)
		}
		return nil
	})
}

// TestTxn_UpdatePayExtras: a payment's extras change only in the card it used and whether
// it saves it; the consent and limits stay as first written, and another order's are left.
func TestTxn_UpdatePayExtras(t *testing.T) {
	db := open(t)
	a := newOrder("1500000000000001", "x1", gateway.StateInProcess)
	b := newOrder("1500000000000002", "x2", gateway.StateInProcess)
	xa := &gateway.PayExtras{CustomerNumber: "c1", Consent: true, MinAmount: 100, MaxAmount: 5000, PeriodDays: 7,
		MaxDate: t0.AddDate(0, 6, 0)}
	xb := &gateway.PayExtras{CustomerNumber: "c2", UsedToken: "TB"}
	update(t, db, func(tx gateway.Tx) error {
		for _, o := range []*gateway.Order{a, b} {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		if err := tx.InsertPayExtras(a.ID, xa); err != nil {
			return err
		}
		return tx.InsertPayExtras(b.ID, xb)
	})
	changed := *xa
	changed.UsedToken, changed.SaveCard = "TA", true
	changed.CustomerNumber, changed.Consent, changed.MaxAmount = "ignored", false, 1 // not updatable
	update(t, db, func(tx gateway.Tx) error { return tx.UpdatePayExtras(a.ID, &changed) })
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.PayExtras(a.ID)
		want := *xa
		want.UsedToken, want.SaveCard = "TA", true
		if err != nil || *got != want {
			t.Fatalf("updated extras: %v\n got %+v\nwant %+v", err, got, &want)
		}
		if got, err := tx.PayExtras(b.ID); err != nil || *got != *xb {
			t.Fatalf("another order's extras: %v %+v", err, got)
		}
		return nil
	})
	// An order without extras: the update changes nothing and creates nothing.
	update(t, db, func(tx gateway.Tx) error {
		return tx.UpdatePayExtras(a.ID+b.ID+100, &changed)
	})
	view(t, db, func(tx gateway.Tx) error {
		if _, err := tx.PayExtras(a.ID + b.ID + 100); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("extras of no order: %v", err)
		}
		return nil
	})
}

// TestView_ReadOnly: a View cannot write (the reader pool is query-only on SQLite, the
// transaction READ ONLY on PostgreSQL), and nothing it tried is kept; a View whose context
// is cancelled reports it from its reads.
func TestView_ReadOnly(t *testing.T) {
	db := open(t)
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "v") })
	err := db.View(context.Background(), func(tx gateway.Tx) error { return tx.SetSetting("k", "changed in a view") })
	if err == nil {
		t.Fatal("a write in a View succeeded")
	}
	err = db.View(context.Background(), func(tx gateway.Tx) error {
		if err := tx.SetSetting("new", "x"); err == nil {
			t.Error("a write to a new row in a View succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx gateway.Tx) error {
		if v, _ := tx.Setting("k"); v != "v" {
			t.Fatalf("a View's write was kept: %q", v)
		}
		if _, err := tx.Setting("new"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("a View's insert was kept: %v", err)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = db.View(ctx, func(tx gateway.Tx) error {
		_, err := tx.ListNotifications(gateway.NotificationFilter{}, 10)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a list in a cancelled View: %v", err)
	}
	err = db.View(ctx, func(tx gateway.Tx) error {
		_, err := tx.Setting("k")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a read in a cancelled View: %v", err)
	}
}
