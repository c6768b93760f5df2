package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database file at path to the new file to, while a
// server keeps reading and writing it. VACUUM INTO copies one snapshot: in WAL mode its read
// transaction neither waits for the writer nor holds it up, every commit acknowledged before it
// began is in the copy, and the copy is a single self-contained file (no -wal beside it) that
// serve opens as it is. The copy is synced to disk and checked with PRAGMA integrity_check
// before Backup returns; on any failure nothing is left at to.
func Backup(ctx context.Context, path, to string) (err error) {
	if _, err := os.Stat(path); err != nil {
		// Opening a missing file would create an empty database and back that up.
		return fmt.Errorf("database %s: %w", path, err)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("backup %s already exists: choose a new file name", to)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", to, err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	src, err := sql.Open("sqlite3", sqliteURI(path, q))
	if err != nil {
		return err
	}
	defer src.Close()
	defer func() {
		if err != nil {
			os.Remove(to)
		}
	}()
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", to); err != nil {
		return fmt.Errorf("copy %s to %s: %w", path, to, err)
	}
	if err := syncFile(to); err != nil {
		return err
	}
	return checkIntegrity(ctx, to)
}

// syncFile makes the copy and its directory entry durable: VACUUM INTO writes without fsync.
func syncFile(name string) error {
	for _, p := range []string{name, filepath.Dir(name)} {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
	}
	return nil
}

// checkIntegrity runs PRAGMA integrity_check on the database file at path, read-only.
func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", sqliteURI(path, url.Values{"mode": {"ro"}}))
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check of %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check of %s: %s", path, res)
	}
	return nil
}
