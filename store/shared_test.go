package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"soapgate/internal/pgtest"
	"soapgate/store"
)

func TestShared_OnlyOnPostgres(t *testing.T) {
	db, err := store.Open(t.TempDir() + "/one.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Shared() != nil {
		t.Fatal("SQLite has shared state: one process keeps it in memory")
	}
}

// TestShared_AuthFailuresAddUpAcrossProcesses: failures counted at once by two stores on one
// database (two processes) all add up; a failure a window after the last starts again at
// one; a forgotten key reads zero; and counters out of their window are pruned on write.
func TestShared_AuthFailuresAddUpAcrossProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url).Shared(), openPG(t, url).Shared()
	ctx := context.Background()
	now := time.Now()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := []*store.Shared{a, b}[i%2].AddAuthFailure(ctx, now, time.Minute, "login", "addr"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, last, err := b.AuthFailures(ctx, "addr", "none", "login")
	if err != nil || n[0] != 40 || n[1] != 0 || n[2] != 40 || !last[1].IsZero() || last[0].UnixMilli() != now.UnixMilli() {
		t.Fatalf("counts %v at %v (%v), want 40, 0, 40", n, last, err)
	}
	later := now.Add(time.Minute)
	if err := a.AddAuthFailure(ctx, later, time.Minute, "login"); err != nil {
		t.Fatal(err)
	}
	if err := a.ForgetAuthFailures(ctx, "addr"); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := b.AuthFailures(ctx, "login", "addr"); n[0] != 1 || n[1] != 0 {
		t.Fatalf("after a window and a forget: %v, want 1 and 0", n)
	}
	// A failure two minutes on (past the prune interval of a fresh store) prunes "login",
	// whose last failure is a window old.
	c := openPG(t, url).Shared()
	if err := c.AddAuthFailure(ctx, later.Add(2*time.Minute), time.Minute, "fresh"); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := openRaw(t, url).QueryRow(`SELECT count(*) FROM auth_failures`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d counters kept (%v), want only the fresh one", rows, err)
	}
}

// TestShared_Sessions: a session made by one store is read by another until it expires or
// is deleted; a flash is taken once; a nonce is used once, up to the cap; expired sessions
// are pruned when one is created.
func TestShared_Sessions(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url).Shared(), openPG(t, url).Shared()
	ctx := context.Background()
	now := time.Now()
	if err := a.CreateSession(ctx, "h1", "700001", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m, exp, ok, err := b.Session(ctx, "h1", now); !ok || err != nil || m != "700001" || exp.UnixMilli() != now.Add(time.Hour).UnixMilli() {
		t.Fatalf("session at B: %q %v %v %v", m, exp, ok, err)
	}
	if _, _, ok, _ := b.Session(ctx, "h1", now.Add(2*time.Hour)); ok {
		t.Fatal("an expired session is found")
	}
	if _, _, ok, _ := b.Session(ctx, "other", now); ok {
		t.Fatal("an unknown session is found")
	}
	if err := b.SetSessionFlash(ctx, "h1", "done"); err != nil {
		t.Fatal(err)
	}
	var taken []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range []*store.Shared{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := s.TakeSessionFlash(ctx, "h1")
			if err != nil {
				t.Error(err)
			}
			if f != "" {
				mu.Lock()
				taken = append(taken, f)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(taken) != 1 || taken[0] != "done" {
		t.Fatalf("flash taken %v, want once", taken)
	}
	used := make(chan bool, 6)
	for _, s := range []*store.Shared{a, b, a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseSessionNonce(ctx, "h1", "n1")
			if err != nil {
				t.Error(err)
			}
			used <- ok
		}()
	}
	wg.Wait()
	close(used)
	fresh := 0
	for ok := range used {
		if ok {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("one nonce used %d times", fresh)
	}
	if ok, _ := a.UseSessionNonce(ctx, "nosuch", "n1"); ok {
		t.Fatal("a nonce of no session was recorded")
	}
	for i := range 300 {
		if ok, err := a.UseSessionNonce(ctx, "h1", fmt.Sprint("m", i)); !ok || err != nil {
			t.Fatalf("nonce %d: %v %v", i, ok, err)
		}
	}
	raw := openRaw(t, url)
	var nonces int
	if err := raw.QueryRow(`SELECT count(*) FROM monitor_nonces`).Scan(&nonces); err != nil || nonces > 256 {
		t.Fatalf("%d nonces kept (%v), want at most 256", nonces, err)
	}
	if err := a.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := b.Session(ctx, "h1", now); ok {
		t.Fatal("a deleted session is found")
	}
	if err := raw.QueryRow(`SELECT count(*) FROM monitor_nonces`).Scan(&nonces); err != nil || nonces != 0 {
		t.Fatalf("%d nonces outlive their session (%v)", nonces, err)
	}
	// A store's first create prunes what has expired.
	a.CreateSession(ctx, "old", "700001", now.Add(-time.Second))
	c := openPG(t, url).Shared()
	if err := c.CreateSession(ctx, "new", "700001", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var sessions int
	if err := raw.QueryRow(`SELECT count(*) FROM monitor_sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("%d sessions kept (%v), want the new one", sessions, err)
	}
}

func openRaw(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
