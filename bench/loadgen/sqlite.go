// SQLite baseline: raw single-row FULL commits into a temporary database.

package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

func runSQLiteCommit(cfg config) result {
	res := result{Name: "sqlite-commit"}
	dir := cfg.sqliteDir
	if dir == "" {
		d, err := os.MkdirTemp("", "loadgen-sqlite-")
		if err != nil {
			res.Failed = err.Error()
			return res
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, fmt.Sprintf("loadgen-commit-%d.db", os.Getpid()))
	defer func() {
		for _, suf := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suf)
		}
	}()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000")
	if err != nil {
		res.Failed = err.Error()
		return res
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)

	var jm string
	var syncMode int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&jm); err != nil {
		res.Failed = err.Error()
		return res
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&syncMode); err != nil {
		res.Failed = err.Error()
		return res
	}
	if !strings.EqualFold(jm, "wal") || syncMode != 2 {
		res.Failed = fmt.Sprintf("pragmas not applied: journal_mode=%s synchronous=%d (want wal, 2=FULL)", jm, syncMode)
		return res
	}
	res.Note = fmt.Sprintf("journal_mode=%s synchronous=FULL, db in %s", jm, dir)
	if _, err := db.Exec(`CREATE TABLE commits (
		id INTEGER PRIMARY KEY,
		ordernumber TEXT NOT NULL,
		amount INTEGER NOT NULL,
		state TEXT NOT NULL,
		payload TEXT NOT NULL,
		created_at TEXT NOT NULL)`); err != nil {
		res.Failed = err.Error()
		return res
	}
	payload := strings.Repeat("x", 200)
	var errs errSamples
	lat := make([]time.Duration, 0, 1<<14)
	fmt.Fprintf(os.Stderr, "  sqlite-commit: measuring %s, one goroutine\n", cfg.dur)
	var start time.Time
	measureCPU(&res, 0, func() {
		start = time.Now()
		deadline := start.Add(cfg.dur)
		for i := 0; time.Now().Before(deadline); i++ {
			t0 := time.Now()
			err := func() error {
				tx, err := db.Begin()
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO commits (ordernumber, amount, state, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
					"commit-"+strconv.Itoa(i), 1000, "Approved", payload, t0.UTC().Format(time.RFC3339Nano)); err != nil {
					tx.Rollback()
					return err
				}
				return tx.Commit()
			}()
			lat = append(lat, time.Since(t0))
			if err != nil {
				res.Errors++
				errs.add(err.Error())
			} else {
				res.OK++
			}
		}
		res.Elapsed = time.Since(start)
	})
	res.Requests = res.OK + res.Errors
	res.finish(lat)
	res.ErrorSamples = errs.samples()
	return res
}
