package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a fresh store: SQLite, or PostgreSQL when SOAPGATE_TEST_STORE=postgres (make
// test runs this package's tests both ways).
func open(t *testing.T) *store.DB {
	t.Helper()
	var db *store.DB
	var err error
	if pgtest.Postgres() {
		db, err = store.OpenPostgres(pgtest.NewDatabase(t))
	} else {
		db, err = store.Open(filepath.Join(t.TempDir(), "db", "s.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// t0 is the fixed instant store tests write, in whole milliseconds as the store keeps them.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newOrder(bill, num string, state gateway.State) *gateway.Order {
	return &gateway.Order{BillNumber: bill, MerchantID: "m1", OrderNumber: num, Amount: 10000, Currency: "RUB",
		Comment: "c", Customer: gateway.Customer{FirstName: "A", LastName: "B", Email: "a@b.c", IPAddress: "10.0.0.1"},
		State: state, TwoStage: true, TestMode: true, Card: gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA",
			ExpMonth: "12", ExpYear: "2030", Holder: "A B", Ref: "tp_ok_1"}, Created: t0, Updated: t0, LastSeq: 1}
}

func update(t *testing.T, db *store.DB, fn func(tx gateway.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func view(t *testing.T, db *store.DB, fn func(tx gateway.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_ReopensAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "v1") })
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(gateway.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("update after close: %v, want ErrClosed", err)
	}
	db, err = store.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	view(t, db, func(tx gateway.Tx) error {
		if v, err := tx.Setting("k"); err != nil || v != "v1" {
			t.Fatalf("after reopen: %q %v", v, err)
		}
		if _, err := tx.Setting("missing"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("missing setting: %v", err)
		}
		return nil
	})
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "v2") })
	view(t, db, func(tx gateway.Tx) error {
		if v, _ := tx.Setting("k"); v != "v2" {
			t.Fatalf("overwritten setting: %q", v)
		}
		return nil
	})
	if _, err := store.Open(filepath.Join(t.TempDir(), "file", "x.db") + "/\x00"); err == nil {
		t.Fatal("opening an impossible path: no error")
	}
}

// TestDB_Update runs many commands at once: the writer commits them in shared transactions,
// and a failing or panicking command undoes only its own writes.
func TestDB_Update(t *testing.T) {
	db := open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Update(ctx, func(tx gateway.Tx) error {
				o := newOrder(billOf(i), "n", gateway.StateApproved)
				if err := tx.InsertOrder(o); err != nil {
					return err
				}
				switch i % 3 {
				case 1:
					return boom
				case 2:
					panic("command panics")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i%3 == 0 && err != nil, i%3 == 1 && !errors.Is(err, boom), i%3 == 2 && err == nil:
			t.Fatalf("command %d: %v", i, err)
		}
	}
	view(t, db, func(tx gateway.Tx) error {
		for i := range errs {
			_, err := tx.OrderByBill("m1", billOf(i))
			if (err == nil) != (i%3 == 0) {
				t.Fatalf("order %d: %v", i, err)
			}
		}
		return nil
	})
	// A cancelled context does not queue the command.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Update(cctx, func(gateway.Tx) error { return nil }); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled update: %v", err)
	}
}

func billOf(i int) string {
	return "10000000000000" + string(rune('0'+i/10)) + string(rune('0'+i%10))
}

// TestDB_Outbox wakes the deliverer after a commit that queued a notification.
func TestDB_Outbox(t *testing.T) {
	db := open(t)
	o := newOrder("2000000000000001", "n", gateway.StateApproved)
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	select {
	case <-db.Outbox():
		t.Fatal("woken without a notification")
	default:
	}
	n := &gateway.Notification{MerchantID: "m1", OrderID: o.ID, BillNumber: o.BillNumber + ".1", Event: gateway.EventPayment,
		State: gateway.NotifyPending, NextAt: t0, Created: t0}
	update(t, db, func(tx gateway.Tx) error { return tx.InsertNotification(n) })
	select {
	case <-db.Outbox():
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up after a notification was queued")
	}
}
