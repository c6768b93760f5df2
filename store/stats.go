package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"soapgate/gateway"
)

// What operators look at: start-up checks of the file, readiness, and the outbox's numbers
// for /metrics. Kept apart from the writer and the domain queries.

// CheckFolder makes sure the database's folder exists and that this process may create
// files in it: SQLite in WAL mode creates -wal and -shm files beside the database, and
// without this check an unwritable folder surfaces as "unable to open database file".
// Open runs it; serve runs it first, before it takes the lock file beside the database.
func CheckFolder(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("cannot create database folder %s: permission denied", dir)
		}
		return fmt.Errorf("create database folder: %w", err)
	}
	f, err := os.CreateTemp(dir, ".soapgate-write-check-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("database folder %s is not writable: permission denied", dir)
		}
		return fmt.Errorf("database folder %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		g, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("database file %s is not writable: permission denied", path)
			}
			return fmt.Errorf("database file %s: %w", path, err)
		}
		g.Close()
	}
	return nil
}

// quickCheck runs SQLite's PRAGMA quick_check (the structure of every page, without the
// index-to-table cross-check of integrity_check, so it stays quick on a large file). A
// damaged file stops the start here, rather than answering 2/1 to every request later. It
// reads every page: Open runs it only when no marker of a clean stop vouches for the file
// (integrity.go).
func quickCheck(q *sql.DB) error { return quickCheckContext(context.Background(), q) }

func quickCheckContext(ctx context.Context, q *sql.DB) error {
	const maxProblems = 5 // enough to say where; the rest would drown the message
	rows, err := q.QueryContext(ctx, "PRAGMA quick_check(20)")
	if err != nil {
		return damaged("PRAGMA quick_check", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return damaged("PRAGMA quick_check", err)
		}
		if line != "ok" {
			// One row may hold several lines; the message stays one line.
			problems = append(problems, strings.Split(strings.TrimSpace(line), "\n")...)
		}
	}
	if err := rows.Err(); err != nil {
		return damaged("PRAGMA quick_check", err)
	}
	if len(problems) > 0 {
		if len(problems) > maxProblems {
			problems = append(problems[:maxProblems], fmt.Sprintf("and %d more", len(problems)-maxProblems))
		}
		return damaged("PRAGMA quick_check", errors.New(strings.Join(problems, "; ")))
	}
	return nil
}

// asDamaged names a corruption SQLite reports before quick_check runs (opening a
// connection already reads the header and the schema) the same way.
func asDamaged(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB) {
		return damaged("sqlite", err)
	}
	return err
}

// ErrDamaged is wrapped by the error of a damaged file (Open, Check).
var ErrDamaged = errors.New("the database file is damaged")

func damaged(by string, err error) error {
	return fmt.Errorf("%w (%s: %v); restore it from a backup, or move it aside to start empty", ErrDamaged, by, err)
}

// Writable checks that the database takes a write and that every migration this binary
// carries is applied (for /readyz). The write is an empty command through the writer, so a
// stuck or stopped writer shows too.
func (db *DB) Writable(ctx context.Context) error {
	var applied int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	names, err := MigrationNames()
	if err != nil {
		return err
	}
	if applied < len(names) {
		return fmt.Errorf("migrations not applied: %d of %d", applied, len(names))
	}
	if err := db.Update(ctx, func(gateway.Tx) error { return nil }); err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	return nil
}

// NotificationStats is the outbox as /metrics shows it.
type NotificationStats struct {
	Pending       int       // notifications still to deliver
	OldestPending time.Time // created time of the oldest pending one; zero when none
}

// NotificationStats reads the outbox's backlog: the pending notifications only, by the
// state index, so its cost is the backlog's and not the history's.
func (db *DB) NotificationStats(ctx context.Context) (NotificationStats, error) {
	var s NotificationStats
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, qOutboxBacklog).Scan(&s.Pending, &oldest) // plans.go
	if err != nil {
		return s, fmt.Errorf("notification backlog: %w", err)
	}
	if oldest.Valid {
		s.OldestPending = fromMillis(oldest.Int64)
	}
	return s, nil
}
