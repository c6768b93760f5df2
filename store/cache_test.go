package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

// TestDB_ReadYourWrites checks the order cache never serves a state older than a committed
// write, while other readers keep refilling it concurrently.
func TestDB_ReadYourWrites(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	o := &gateway.Order{BillNumber: "1000000000000001", MerchantID: "1", OrderNumber: "o", Amount: 100,
		Currency: "RUB", State: gateway.StateInProcess, Created: now, Updated: now, LastSeq: 1}
	if err := db.Update(ctx, func(tx gateway.Tx) error { return tx.InsertOrder(o) }); err != nil {
		t.Fatal(err)
	}
	w := gateway.Window{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
	read := func() int {
		var seq int
		err := db.View(ctx, func(tx gateway.Tx) error {
			os, err := tx.OrdersByNumber("1", "o", w)
			if err == nil && len(os) == 1 {
				seq = os[0].LastSeq
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		return seq
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					read()
				}
			}
		}()
	}
	for i := 2; i <= 300; i++ {
		o.LastSeq = i
		if err := db.Update(ctx, func(tx gateway.Tx) error { return tx.UpdateOrder(o) }); err != nil {
			t.Fatal(err)
		}
		if got := read(); got < i {
			close(stop)
			t.Fatalf("after committing seq %d a read saw %d", i, got)
		}
	}
	close(stop)
	wg.Wait()
	// A command that fails leaves neither its write nor a stale cache entry behind.
	o.LastSeq = 999
	db.Update(ctx, func(tx gateway.Tx) error {
		tx.UpdateOrder(o)
		return gateway.ErrState
	})
	if got := read(); got != 300 {
		t.Fatalf("after a failed command the read saw %d, want 300", got)
	}
}

// TestDB_OperationsCache: an order's operations are served from the cache between writes,
// and no read ever sees fewer operations than were committed before it began — even when the
// reading transaction took its snapshot before a commit and missed the cache after it.
func TestDB_OperationsCache(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "ops.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	o := &gateway.Order{BillNumber: "1000000000000002", MerchantID: "1", OrderNumber: "o", Amount: 100,
		Currency: "RUB", State: gateway.StateApproved, Created: now, Updated: now, LastSeq: 1}
	addOp := func(seq int) {
		t.Helper()
		err := db.Update(ctx, func(tx gateway.Tx) error {
			if o.ID == 0 {
				if err := tx.InsertOrder(o); err != nil {
					return err
				}
			}
			return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: seq, Type: gateway.OpPayment,
				State: gateway.OpSuccess, Amount: 100, Currency: "RUB", Created: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		var n int
		if err := db.View(ctx, func(tx gateway.Tx) error {
			ops, err := tx.Operations(o.ID)
			n = len(ops)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	addOp(1)
	if got := count(); got != 1 {
		t.Fatalf("%d operations, want 1", got)
	}
	// A snapshot taken before the second operation's commit reads one operation; that read
	// must not be remembered as current.
	err = db.View(ctx, func(tx gateway.Tx) error {
		if _, err := tx.OrderByBill("1", o.BillNumber); err != nil { // takes the snapshot
			return err
		}
		addOp(2)
		ops, err := tx.Operations(o.ID)
		if err == nil && len(ops) != 1 {
			t.Errorf("inside the old snapshot: %d operations, want 1", len(ops))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // the first read fills the cache, the others are answered by it
		if got := count(); got != 2 {
			t.Fatalf("read %d after the second commit: %d operations, want 2", i, got)
		}
	}
	// Updating an operation invalidates too.
	err = db.Update(ctx, func(tx gateway.Tx) error {
		return tx.UpdateOperation(&gateway.Operation{ID: 1, OrderID: o.ID, State: gateway.OpFailed, ResponseCode: "AS100"})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(ctx, func(tx gateway.Tx) error {
		ops, err := tx.Operations(o.ID)
		if err == nil && (len(ops) != 2 || ops[0].State != gateway.OpFailed) {
			t.Errorf("after UpdateOperation: %+v", ops[0])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
