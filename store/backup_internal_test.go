package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckIntegrity: Backup's last step passes a sound file and fails one whose index no
// longer matches its table, saying what integrity_check found. (VACUUM INTO rebuilds
// indexes, so a damaged index never reaches a backup: this is checked on its own.)
func TestCheckIntegrity(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.db")
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE t (x INTEGER, y INTEGER)`,
		`CREATE INDEX t_x ON t (x)`,
		`INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if err := checkIntegrity(ctx, path); err != nil {
		t.Fatalf("a sound file: %v", err)
	}
	// The index's definition now names y, but its entries hold x.
	for _, q := range []string{
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_master SET sql = 'CREATE INDEX t_x ON t (y)' WHERE name = 't_x'`,
		`PRAGMA writable_schema = OFF`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	err = checkIntegrity(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "integrity check of "+path) || !strings.Contains(err.Error(), "t_x") {
		t.Fatalf("a file whose index disagrees with its table: %v", err)
	}
	if err := checkIntegrity(ctx, filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Fatal("integrity check of a missing file: no error")
	}
	if err := syncFile(filepath.Join(t.TempDir(), "none.db")); err == nil || !strings.Contains(err.Error(), "sync ") {
		t.Fatalf("sync of a missing file: %v", err)
	}
}
