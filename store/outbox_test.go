package store_test

import (
	"context"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

// woken reports whether the store's outbox signalled, waiting up to a few seconds for it.
func woken(db *store.DB) bool {
	select {
	case <-db.Outbox():
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

func drainOutbox(db *store.DB) {
	select {
	case <-db.Outbox():
	default:
	}
}

// TestTxn_ReleaseNotification: a deliverer that gives a claimed notification back (it is
// shutting down) frees it at once for another, before the lease would have run out, and
// wakes the deliverer; a release under another claim, or an expired one, frees nothing.
func TestTxn_ReleaseNotification(t *testing.T) {
	db := open(t)
	n := pendingNotification(t, db, "1300000000000001", "rel")
	mine := gateway.Claim{Owner: "p1", Until: t0.Add(time.Minute)}
	claim := func(c gateway.Claim) (ok bool) {
		update(t, db, func(tx gateway.Tx) (err error) {
			ok, err = tx.ClaimNotification(n.ID, t0, t0.Add(time.Second), c)
			return err
		})
		return ok
	}
	if !claim(mine) {
		t.Fatal("claim refused")
	}
	other := gateway.Claim{Owner: "p2", Until: t0.Add(2 * time.Minute)}
	for _, wrong := range []gateway.Claim{other, {Owner: "p1", Until: mine.Until.Add(time.Millisecond)}} {
		update(t, db, func(tx gateway.Tx) error { return tx.ReleaseNotification(n.ID, wrong) })
		if claim(other) {
			t.Fatalf("a release under claim %+v freed p1's claim", wrong)
		}
	}
	drainOutbox(db)
	update(t, db, func(tx gateway.Tx) error { return tx.ReleaseNotification(n.ID, mine) })
	if !woken(db) {
		t.Fatal("a released notification did not wake the deliverer")
	}
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(n.ID)
		if err != nil || got.Claim != (gateway.Claim{}) || got.State != gateway.NotifyPending || got.Attempts != 0 {
			t.Fatalf("released: %v %+v", err, got)
		}
		if due, err := tx.DueNotifications("m1", t0, t0.Add(time.Second), 10); err != nil || len(due) != 1 {
			t.Fatalf("released notification not due: %v %d", err, len(due))
		}
		return nil
	})
	if !claim(other) {
		t.Fatal("a released notification could not be claimed before the lease ran out")
	}
}

// TestTxn_FinishNotificationRetry: an attempt that failed leaves the notification pending
// with its next try later, records the attempt, and wakes the deliverer; until then it is
// not due. A notification of no order is refused (foreign key).
func TestTxn_FinishNotificationRetry(t *testing.T) {
	db := open(t)
	n := pendingNotification(t, db, "1300000000000002", "retry")
	c := gateway.Claim{Owner: "p1", Until: t0.Add(time.Minute)}
	update(t, db, func(tx gateway.Tx) error {
		if ok, err := tx.ClaimNotification(n.ID, t0, t0, c); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		return nil
	})
	drainOutbox(db)
	n.Attempts, n.NextAt = 1, t0.Add(30*time.Second)
	update(t, db, func(tx gateway.Tx) error {
		held, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: t0, Error: "connection refused", Outcome: "retry"})
		if err != nil || !held {
			t.Fatalf("finish: %v %v", held, err)
		}
		return nil
	})
	if !woken(db) {
		t.Fatal("a notification left pending did not wake the deliverer")
	}
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(n.ID)
		if err != nil || got.State != gateway.NotifyPending || got.Attempts != 1 || !got.NextAt.Equal(n.NextAt) ||
			!got.DoneAt.IsZero() || got.Claim != (gateway.Claim{}) {
			t.Fatalf("after a failed attempt: %v %+v", err, got)
		}
		if a, err := tx.Attempts(n.ID); err != nil || len(a) != 1 || a[0].Error != "connection refused" || a[0].HTTPStatus != 0 {
			t.Fatalf("attempts: %v %+v", err, a)
		}
		if due, _ := tx.DueNotifications("m1", t0.Add(29*time.Second), t0, 10); len(due) != 0 {
			t.Fatal("due before its next try")
		}
		if due, _ := tx.DueNotifications("m1", t0.Add(30*time.Second), t0, 10); len(due) != 1 {
			t.Fatal("not due at its next try")
		}
		return nil
	})
	err := db.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertNotification(&gateway.Notification{MerchantID: "m1", OrderID: n.OrderID + 1000, BillNumber: "x.1",
			Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0})
	})
	if err == nil {
		t.Fatal("a notification of no order was stored")
	}
}

// TestDB_NotificationStatsCounts: the backlog counts pending notifications only, its age is
// the oldest pending one's (not an older delivered one's), and attempts are counted by
// outcome.
func TestDB_NotificationStatsCounts(t *testing.T) {
	db := open(t)
	o := newOrder("1300000000000003", "stats", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	created := []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}
	var ns []*gateway.Notification
	update(t, db, func(tx gateway.Tx) error {
		for i, d := range created {
			n := &gateway.Notification{MerchantID: "m1", OrderID: o.ID, BillNumber: o.BillNumber + "." + string(rune('1'+i)),
				Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0.Add(d)}
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
			ns = append(ns, n)
		}
		// The oldest is delivered after a retry; the second fails for good after one attempt.
		for i, outcomes := range [][]string{{"retry", "delivered"}, {"failed"}} {
			n := ns[i]
			for k, out := range outcomes {
				c := gateway.Claim{Owner: "p", Until: t0.Add(time.Hour + time.Duration(k)*time.Second)}
				if ok, err := tx.ClaimNotification(n.ID, t0.Add(time.Hour), t0, c); err != nil || !ok {
					t.Fatalf("claim %d: %v %v", n.ID, ok, err)
				}
				n.Attempts = k + 1
				switch out {
				case "delivered":
					n.State, n.DoneAt = gateway.NotifyDelivered, t0.Add(time.Hour)
				case "failed":
					n.State = gateway.NotifyFailed
				}
				if _, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: t0, Outcome: out}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	s, err := db.NotificationStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending != 2 || !s.OldestPending.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("backlog %d, oldest %v; want 2, %v", s.Pending, s.OldestPending, t0.Add(2*time.Minute))
	}
}

// pendingNotification stores an approved order (billnumber bill, ordernumber number) and its
// payment notification, pending since t0.
func pendingNotification(t *testing.T, db *store.DB, bill, number string) *gateway.Notification {
	t.Helper()
	o := newOrder(bill, number, gateway.StateApproved)
	n := &gateway.Notification{MerchantID: "m1", BillNumber: bill + ".1", Event: gateway.EventPayment,
		State: gateway.NotifyPending, NextAt: t0, Created: t0}
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		n.OrderID = o.ID
		return tx.InsertNotification(n)
	})
	return n
}
