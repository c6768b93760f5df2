package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

// TestDB_CloseWhileWriting closes a SQLite store while commands pour in: every caller is
// answered (none waits forever), each either with ErrClosed or with the outcome of a commit,
// and after reopening the file holds exactly the writes that were acknowledged.
func TestDB_CloseWhileWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 400
	errs := make([]error, n)
	var wg sync.WaitGroup
	started := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			errs[i] = db.Update(context.Background(), func(tx gateway.Tx) error {
				return tx.SetSetting(fmt.Sprint("k", i), "v")
			})
		}()
	}
	for range n / 2 {
		<-started
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("callers still waiting a minute after Close")
	}
	acked, refused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			acked++
		case errors.Is(err, store.ErrClosed):
			refused++
		default:
			t.Fatalf("command %d: %v", i, err)
		}
	}
	if err := db.Update(context.Background(), func(gateway.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("update after Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	view(t, db, func(tx gateway.Tx) error {
		for i, err := range errs {
			_, rerr := tx.Setting(fmt.Sprint("k", i))
			if (err == nil) != (rerr == nil) {
				t.Fatalf("command %d answered %v, its write read back: %v", i, err, rerr)
			}
		}
		return nil
	})
	t.Logf("%d acknowledged, %d refused", acked, refused)
}
