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
