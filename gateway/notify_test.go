package gateway_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// finish records one attempt at a notification the way the deliverer does (a claim, then the
// outcome with the attempt) and leaves it in state, done at at. (The store runs fn on its
// writer goroutine: fn reports by its error, never through t.)
func (e *env) finish(t *testing.T, id int64, state gateway.NotificationState, at time.Time) {
	t.Helper()
	err := e.db.Update(context.Background(), func(tx gateway.Tx) error {
		c := gateway.Claim{Owner: "test", Until: time.Now().Add(time.Minute).Truncate(time.Millisecond)}
		if ok, err := tx.ClaimNotification(id, at, time.Now(), c); err != nil || !ok {
			return fmt.Errorf("claim %d: %v %w", id, ok, err)
		}
		n, err := tx.NotificationByID(id)
		if err != nil {
			return err
		}
		n.State, n.Attempts, n.DoneAt = state, n.Attempts+1, at
		outcome := map[gateway.NotificationState]string{gateway.NotifyDelivered: "delivered", gateway.NotifyRejected: "rejected", gateway.NotifyFailed: "failed"}[state]
		ok, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: at, HTTPStatus: 200, Excerpt: "<pushpaymentresult", Outcome: outcome})
		if err == nil && !ok {
			return fmt.Errorf("finish %d: the claim was lost", id)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// notificationOf returns the only notification of an order.
func (e *env) notificationOf(t *testing.T, bill string) gateway.NotificationDetail {
	t.Helper()
	ns, err := e.g.OrderNotifications(context.Background(), e.m, bill)
	if err != nil || len(ns) == 0 {
		t.Fatalf("notifications of %s: %v %d", bill, err, len(ns))
	}
	return ns[len(ns)-1]
}

// TestPayload_Reply checks that a notification reports the outcome as it was at the state
// change, whatever happens to the order afterwards.
func TestPayload_Reply(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "pl", Amount: "100.00", Card: visa, CustomerNumber: "c9",
		Recurring: gateway.RecurringRequest{Indicator: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: r.Order.BillNumber}}); err != nil {
		t.Fatal(err)
	}
	ns, err := e.g.OrderNotifications(ctx, e.m, r.Order.BillNumber+".1")
	if err != nil || len(ns) != 2 {
		t.Fatalf("notifications: %v %d", err, len(ns))
	}
	rep := ns[0].Payload.Reply()
	if rep.Order.State != gateway.StateApproved || rep.Order.Refunded != 0 || rep.Op.Seq != 1 || rep.Op.Type != gateway.OpPayment ||
		rep.Token != r.Token || rep.Token == "" || rep.RecurringState != "Activated" || rep.CustomerNumber != "c9" {
		t.Fatalf("the payment's notification reports %+v %+v", rep.Order, rep)
	}
	if ns[0].Event != gateway.EventPayment || ns[0].BillNumber != r.Order.BillNumber+".1" || ns[0].State != gateway.NotifyPending {
		t.Fatalf("payment notification: %+v", ns[0].Notification)
	}
	if rep := ns[1].Payload.Reply(); rep.Order.State != gateway.StateCanceled || rep.Order.Refunded != 10000 || rep.Op.Type != gateway.OpCancel || ns[1].Event != gateway.EventCancel {
		t.Fatalf("the refund's notification reports %s refunded %v op %v", rep.Order.State, rep.Order.Refunded, rep.Op.Type)
	}
	if _, err := e.g.OrderNotifications(ctx, e.g.Merchants.Get("2"), r.Order.BillNumber); codes(err) != "10/201" {
		t.Fatalf("another merchant's notifications: %v", err)
	}
	if _, err := e.g.OrderNotifications(ctx, e.m, "x"); codes(err) != "5/143" {
		t.Fatalf("a malformed billnumber: %v", err)
	}
	// A merchant that does not listen for an event gets no notification of it.
	e.m.Notify.Events[gateway.EventCancel] = false
	o := e.pay(t, "pl-2", "10.00", "0", visa)
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: o.BillNumber}}); err != nil {
		t.Fatal(err)
	}
	if ns, _ := e.g.OrderNotifications(ctx, e.m, o.BillNumber); len(ns) != 1 {
		t.Fatalf("%d notifications with cancel events off, want the payment's only", len(ns))
	}
}

// TestGateway_ReplayNotification queues a rejected notification again, keeping its attempts,
// due now; another merchant's, or an unknown id, is 10/201. NotificationByID shows every
// attempt.
func TestGateway_ReplayNotification(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	o := e.pay(t, "rp-n", "10.00", "0", visa)
	n := e.notificationOf(t, o.BillNumber)
	e.finish(t, n.ID, gateway.NotifyRejected, e.clock.Now())

	d, err := e.g.NotificationByID(ctx, n.ID)
	if err != nil || d.State != gateway.NotifyRejected || d.Attempts != 1 || len(d.AttemptLog) != 1 ||
		d.AttemptLog[0].Outcome != "rejected" || d.AttemptLog[0].HTTPStatus != 200 || d.DoneAt.IsZero() {
		t.Fatalf("the rejected notification: %v %+v", err, d)
	}
	if _, err := e.g.NotificationByID(ctx, n.ID+100); codes(err) != "10/201" {
		t.Fatalf("an unknown notification: %v", err)
	}
	if err := e.g.ReplayNotification(ctx, e.g.Merchants.Get("2"), n.ID); codes(err) != "10/201" {
		t.Fatalf("another merchant's replay: %v", err)
	}
	if err := e.g.ReplayNotification(ctx, e.m, n.ID+100); codes(err) != "10/201" {
		t.Fatalf("replay of an unknown notification: %v", err)
	}
	if d, _ := e.g.NotificationByID(ctx, n.ID); d.State != gateway.NotifyRejected {
		t.Fatalf("a refused replay changed the notification to %s", d.State)
	}
	later := e.clock.Now().Add(time.Hour)
	if _, err := e.clock.Set(ctx, later); err != nil {
		t.Fatal(err)
	}
	if err := e.g.ReplayNotification(ctx, e.m, n.ID); err != nil {
		t.Fatal(err)
	}
	d, err = e.g.NotificationByID(ctx, n.ID)
	if err != nil || d.State != gateway.NotifyPending || !d.NextAt.Equal(later) || d.Attempts != 1 || d.RoundBase != 1 ||
		!d.DoneAt.IsZero() || len(d.AttemptLog) != 1 {
		t.Fatalf("after the replay: %v %+v", err, d.Notification)
	}
	// An operator (no merchant) may replay any merchant's notification.
	e.finish(t, n.ID, gateway.NotifyDelivered, later)
	if err := e.g.ReplayNotification(ctx, nil, n.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.g.NotificationByID(ctx, n.ID); d.State != gateway.NotifyPending || d.Attempts != 2 || d.RoundBase != 2 || len(d.AttemptLog) != 2 {
		t.Fatalf("after the operator's replay: %+v", d.Notification)
	}
}

// TestNotifyPruner_RunDue deletes delivered and rejected notifications once the retention has
// passed since they were done (not at exactly the retention), in batches, and keeps pending
// and failed ones whatever their age.
func TestNotifyPruner_RunDue(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	done := e.clock.Now()
	var old []int64
	for i := range 5 {
		n := e.notificationOf(t, e.pay(t, "pr-"+itoa(int64(i)), "10.00", "0", visa).BillNumber)
		state := gateway.NotifyDelivered
		if i%2 == 1 {
			state = gateway.NotifyRejected
		}
		e.finish(t, n.ID, state, done)
		old = append(old, n.ID)
	}
	failed := e.notificationOf(t, e.pay(t, "pr-failed", "10.00", "0", visa).BillNumber)
	e.finish(t, failed.ID, gateway.NotifyFailed, done)
	pending := e.notificationOf(t, e.pay(t, "pr-pending", "10.00", "0", visa).BillNumber)
	recent := e.notificationOf(t, e.pay(t, "pr-recent", "10.00", "0", visa).BillNumber)
	e.finish(t, recent.ID, gateway.NotifyDelivered, done.Add(time.Hour))

	exists := func(id int64) bool {
		_, err := e.g.NotificationByID(ctx, id)
		if err != nil && codes(err) != "10/201" {
			t.Fatal(err)
		}
		return err == nil
	}
	const retention = 24 * time.Hour
	if err := (&gateway.NotifyPruner{Store: e.db}).RunDue(ctx, done.Add(1000*retention)); err != nil || !exists(old[0]) {
		t.Fatalf("no retention configured pruned: %v", err)
	}
	p := &gateway.NotifyPruner{Store: e.db, Retention: retention, BatchSize: 2}
	if err := p.RunDue(ctx, done.Add(retention)); err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if !exists(id) {
			t.Fatalf("notification %d pruned at exactly the retention", id)
		}
	}
	if err := p.RunDue(ctx, done.Add(retention+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if exists(id) {
			t.Fatalf("notification %d kept past the retention (batches of 2)", id)
		}
	}
	for _, id := range []int64{failed.ID, pending.ID, recent.ID} {
		if !exists(id) {
			t.Fatalf("notification %d pruned: failed, pending and recent ones stay", id)
		}
	}
	// The default batch prunes the rest once due.
	if err := (&gateway.NotifyPruner{Store: e.db, Retention: retention}).RunDue(ctx, done.Add(retention+time.Hour+time.Millisecond)); err != nil || exists(recent.ID) {
		t.Fatalf("recent after its retention: %v exists %v", err, exists(recent.ID))
	}
	if !exists(failed.ID) || !exists(pending.ID) {
		t.Fatal("the failed or pending notification was pruned")
	}
}
