package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

// TestPostgres_AbsentRowsAreLocked: on PostgreSQL, "is there an order holding money under
// this ordernumber?" and "which cards has this customer saved?" lock their key, since there
// may be no row to lock. Process A checks and, before it commits, process B asks the same:
// B waits for A's commit and then sees what A wrote, so only one of them writes. A check of
// another key does not wait.
func TestPostgres_AbsentRowsAreLocked(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url), openPG(t, url)
	pg := openRaw(t, url)
	ctx := context.Background()
	waiting := func() bool {
		var n int
		if err := pg.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	for _, c := range []struct {
		name  string
		check func(tx gateway.Tx, key string) (found bool, err error)
		write func(tx gateway.Tx, key string, i int) error
	}{
		{"ordernumber", func(tx gateway.Tx, key string) (bool, error) {
			_, err := tx.OrderHoldingMoney("m1", key)
			if errors.Is(err, gateway.ErrNoRows) {
				return false, nil
			}
			return err == nil, err
		}, func(tx gateway.Tx, key string, i int) error {
			return tx.InsertOrder(newOrder("16000000000000"+string(rune('0'+i))+"0", key, gateway.StateInProcess))
		}},
		{"saved cards", func(tx gateway.Tx, key string) (bool, error) {
			cards, err := tx.SavedCards("m1", key)
			return len(cards) > 0, err
		}, func(tx gateway.Tx, key string, i int) error {
			o := newOrder("16000000000000"+string(rune('0'+i))+"1", "sc-"+key, gateway.StateApproved)
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			return tx.InsertSavedCard(&gateway.SavedCard{Token: "T-" + key + string(rune('0'+i)), MerchantID: "m1",
				CustomerNumber: key, OrderID: o.ID, Card: o.Card, Active: true, Created: t0, Updated: t0})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checked, release := make(chan struct{}), make(chan struct{})
			wrote := make(chan bool, 2)
			cmd := func(i int, pause bool) func(gateway.Tx) error {
				return func(tx gateway.Tx) error {
					found, err := c.check(tx, "k1")
					if err != nil {
						return err
					}
					if pause {
						close(checked)
						<-release
					}
					if found {
						wrote <- false
						return nil
					}
					wrote <- true
					return c.write(tx, "k1", i)
				}
			}
			errs := make(chan error, 2)
			go func() { errs <- a.Update(ctx, cmd(1, true)) }()
			<-checked
			// Another key is not held up by A.
			update(t, b, func(tx gateway.Tx) error {
				found, err := c.check(tx, "k2")
				if found {
					t.Error("k2 found")
				}
				return err
			})
			go func() { errs <- b.Update(ctx, cmd(2, false)) }()
			waitUntil(t, waiting) // B waits on A's key
			close(release)
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			close(wrote)
			var writes []bool
			for w := range wrote {
				writes = append(writes, w)
			}
			if len(writes) != 2 || !writes[0] || writes[1] {
				t.Fatalf("writes %v: want A to write and B, after it, to find A's row", writes)
			}
		})
	}
}

// TestPostgres_ReadSetting: the test clock moved by one process is read by another as
// committed, on a pool of its own: from inside a write transaction that holds the row
// locked and changed, the read neither waits nor sees the uncommitted value.
func TestPostgres_ReadSetting(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url), openPG(t, url)
	ctx := context.Background()
	if v, ok, err := b.Shared().ReadSetting(ctx, "clock.offset"); err != nil || ok || v != "" {
		t.Fatalf("a setting never written: %q %v %v", v, ok, err)
	}
	update(t, a, func(tx gateway.Tx) error { return tx.SetSetting("clock.offset", "1000") })
	if v, ok, err := b.Shared().ReadSetting(ctx, "clock.offset"); err != nil || !ok || v != "1000" {
		t.Fatalf("read by another process: %q %v %v", v, ok, err)
	}
	update(t, b, func(tx gateway.Tx) error {
		if err := tx.SetSetting("clock.offset", "2000"); err != nil {
			return err
		}
		v, ok, err := b.Shared().ReadSetting(ctx, "clock.offset")
		if err != nil || !ok || v != "1000" {
			t.Errorf("read inside a transaction that changed it: %q %v %v, want the committed 1000", v, ok, err)
		}
		return nil
	})
	if v, _, _ := a.Shared().ReadSetting(ctx, "clock.offset"); v != "2000" {
		t.Fatalf("after the commit: %q", v)
	}
}

// TestPostgres_ClosedAndUnreachable: a store that cannot reach its database says so at
// open; once closed, every shared-state call fails with what it was doing, and commands
// are refused with ErrClosed.
func TestPostgres_ClosedAndUnreachable(t *testing.T) {
	for _, url := range []string{
		"postgres://nobody@/db?host=" + t.TempDir() + "&sslmode=disable&connect_timeout=5", // no server on that socket
		"postgres://nobody@/db?sslmode=nonsense",
	} {
		if db, err := store.OpenPostgres(url); err == nil {
			db.Close()
			t.Errorf("open %s: no error", url)
		} else if !strings.Contains(err.Error(), "open postgres") {
			t.Errorf("open %s: %v", url, err)
		}
	}

	db, err := store.OpenPostgres(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	s := db.Shared()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	_, _, _, sessErr := s.Session(ctx, "h", now)
	_, flashErr := s.TakeSessionFlash(ctx, "h")
	_, nonceErr := s.UseSessionNonce(ctx, "h", "n")
	_, _, failErr := s.AuthFailures(ctx, "k")
	_, _, setErr := s.ReadSetting(ctx, "k")
	for want, err := range map[string]error{
		"monitor session":        s.CreateSession(ctx, "h", "m1", now),
		"read monitor session":   sessErr,
		"delete monitor session": s.DeleteSession(ctx, "h"),
		"set monitor flash":      s.SetSessionFlash(ctx, "h", "f"),
		"take monitor flash":     flashErr,
		"use monitor nonce":      nonceErr,
		"read auth failures":     failErr,
		"auth failure":           s.AddAuthFailure(ctx, now, time.Minute, "k"),
		"forget auth failures":   s.ForgetAuthFailures(ctx, "k"),
		"read setting k":         setErr,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("after close, %s: %v", want, err)
		}
	}
	if err := db.Update(ctx, func(gateway.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("update after close: %v, want ErrClosed", err)
	}
}
