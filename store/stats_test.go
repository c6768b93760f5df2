package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"soapgate/store"
)

// TestDB_Writable: /readyz's check passes on a migrated database, fails when a migration is
// missing from the record, and fails once the writer is closed.
func TestDB_Writable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Writable(ctx); err != nil {
		t.Fatalf("fresh database: %v", err)
	}
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM migrations WHERE name = (SELECT max(name) FROM migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Writable(ctx); err == nil || !strings.Contains(err.Error(), "migrations not applied") {
		t.Fatalf("a migration missing: %v", err)
	}
	db.Close()
	if err := db.Writable(ctx); err == nil {
		t.Fatal("a closed database is writable")
	}
}

// TestDB_OnCommit: the writer reports each commit's group size and duration.
func TestDB_OnCommit(t *testing.T) {
	db := open(t)
	got := make(chan int, 10)
	db.OnCommit = func(size int, d time.Duration) {
		if d <= 0 {
			t.Errorf("commit of %d took %v", size, d)
		}
		got <- size
	}
	if err := db.Writable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 1 {
		t.Fatalf("group size %d, want 1", n)
	}
}

// TestDB_NotificationStats on an empty outbox: nothing pending, no oldest.
func TestDB_NotificationStats(t *testing.T) {
	s, err := open(t).NotificationStats(context.Background())
	if err != nil || s.Pending != 0 || !s.OldestPending.IsZero() {
		t.Fatalf("empty outbox: %+v %v", s, err)
	}
}
