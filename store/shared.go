package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Shared keeps, in PostgreSQL, the state every gateway process must see the same: monitor
// sessions, failed-authentication counters and the test clock. One process on SQLite keeps
// sessions and counters in memory instead (faster, and nothing else could read them), and
// its test clock in memory after each move; so Shared exists only on PostgreSQL.
//
// Each method is one statement (or one short transaction) on the pool, outside the
// gateway's transactions. Rows past their time are pruned on write, at most once a minute
// per process: expired sessions when a session is created, counters out of their window
// when a failure is counted.
type Shared struct {
	db    *sql.DB
	clock *sql.DB // reads of the test clock, which may come from inside a transaction (own pool: no deadlock)

	prunedSessions atomic.Int64 // unix ms of the last prune
	prunedFailures atomic.Int64
}

// pruneEvery is how often a process prunes each shared table at most.
const pruneEvery = time.Minute

// Shared returns the shared state of a PostgreSQL store; nil on SQLite.
func (db *DB) Shared() *Shared {
	if !db.pg {
		return nil
	}
	return db.shared
}

func newShared(pool *sql.DB, url string) (*Shared, error) {
	clock, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	clock.SetMaxOpenConns(2)
	clock.SetMaxIdleConns(2)
	return &Shared{db: pool, clock: clock}, nil
}

func (s *Shared) close() error { return s.clock.Close() }

// due reports whether a prune last made at *last is due again at now, and claims it.
func due(last *atomic.Int64, now time.Time) bool {
	prev := last.Load()
	return now.UnixMilli()-prev >= pruneEvery.Milliseconds() && last.CompareAndSwap(prev, now.UnixMilli())
}

// CreateSession records a monitor session under the hash of its id.
func (s *Shared) CreateSession(ctx context.Context, idHash, merchant string, expires time.Time) error {
	if now := time.Now(); due(&s.prunedSessions, now) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM monitor_sessions WHERE expires < $1`, now.UnixMilli()); err != nil {
			return fmt.Errorf("prune monitor sessions: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO monitor_sessions (id_hash, merchant_id, expires) VALUES ($1, $2, $3)`,
		idHash, merchant, expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("create monitor session: %w", err)
	}
	return nil
}

// Session returns the merchant and expiry of an unexpired session; ok is false when there
// is none (signed out, expired or never made).
func (s *Shared) Session(ctx context.Context, idHash string, now time.Time) (merchant string, expires time.Time, ok bool, err error) {
	var ms int64
	err = s.db.QueryRowContext(ctx, `SELECT merchant_id, expires FROM monitor_sessions WHERE id_hash = $1 AND expires >= $2`,
		idHash, now.UnixMilli()).Scan(&merchant, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("read monitor session: %w", err)
	}
	return merchant, time.UnixMilli(ms), true, nil
}

// DeleteSession signs a session out everywhere (its nonces go with it).
func (s *Shared) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM monitor_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete monitor session: %w", err)
	}
	return nil
}

// SetSessionFlash keeps the outcome of a session's last action for the next page.
func (s *Shared) SetSessionFlash(ctx context.Context, idHash, flash string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE monitor_sessions SET flash = $2 WHERE id_hash = $1`, idHash, flash); err != nil {
		return fmt.Errorf("set monitor flash: %w", err)
	}
	return nil
}

// TakeSessionFlash returns the kept outcome and clears it, in one statement: two pages
// served at once by two processes show it once.
func (s *Shared) TakeSessionFlash(ctx context.Context, idHash string) (string, error) {
	var flash string
	err := s.db.QueryRowContext(ctx, `UPDATE monitor_sessions m SET flash = '' FROM
		(SELECT id_hash, flash FROM monitor_sessions WHERE id_hash = $1 AND flash <> '' FOR UPDATE) old
		WHERE m.id_hash = old.id_hash RETURNING old.flash`, idHash).Scan(&flash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("take monitor flash: %w", err)
	}
	return flash, nil
}

// maxSessionNonces bounds the nonces one session keeps; past it they are forgotten, as the
// in-memory sessions do.
const maxSessionNonces = 256

// UseSessionNonce records an action form's nonce; false when the session used it before.
func (s *Shared) UseSessionNonce(ctx context.Context, idHash, nonceHash string) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("use monitor nonce: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM monitor_nonces WHERE session_hash = $1`, idHash).Scan(&n); err != nil {
		return false, fmt.Errorf("use monitor nonce: %w", err)
	}
	if n >= maxSessionNonces {
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_nonces WHERE session_hash = $1`, idHash); err != nil {
			return false, fmt.Errorf("use monitor nonce: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO monitor_nonces (session_hash, nonce_hash)
		SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM monitor_sessions WHERE id_hash = $1)
		ON CONFLICT DO NOTHING`, idHash, nonceHash)
	if err != nil {
		return false, fmt.Errorf("use monitor nonce: %w", err)
	}
	added, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return added == 1, tx.Commit()
}

// AuthFailures returns the failures counted under each key and when the latest was (zero
// for a key without any).
func (s *Shared) AuthFailures(ctx context.Context, keys ...string) (n []int, last []time.Time, err error) {
	n, last = make([]int, len(keys)), make([]time.Time, len(keys))
	rows, err := s.db.QueryContext(ctx, `SELECT key, n, last FROM auth_failures WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("read auth failures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var c, ms int64
		if err := rows.Scan(&key, &c, &ms); err != nil {
			return nil, nil, fmt.Errorf("read auth failures: %w", err)
		}
		for i, k := range keys {
			if k == key {
				n[i], last[i] = int(c), time.UnixMilli(ms)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read auth failures: %w", err)
	}
	return n, last, nil
}

// AddAuthFailure counts a failure at now under each key; a key whose latest failure is a
// window or more before now starts again from one. Each key is one atomic upsert, so
// failures counted by several processes at once all add up.
func (s *Shared) AddAuthFailure(ctx context.Context, now time.Time, window time.Duration, keys ...string) error {
	ms, win := now.UnixMilli(), window.Milliseconds()
	if due(&s.prunedFailures, now) {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_failures WHERE last <= $1`, ms-win); err != nil {
			return fmt.Errorf("prune auth failures: %w", err)
		}
	}
	for _, key := range keys {
		_, err := s.db.ExecContext(ctx, `INSERT INTO auth_failures (key, n, last) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET
				n = CASE WHEN $2 - auth_failures.last >= $3 THEN 1 ELSE auth_failures.n + 1 END,
				last = GREATEST(auth_failures.last, $2)`, key, ms, win)
		if err != nil {
			return fmt.Errorf("count auth failure: %w", err)
		}
	}
	return nil
}

// ForgetAuthFailures drops the keys' counts.
func (s *Shared) ForgetAuthFailures(ctx context.Context, keys ...string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_failures WHERE key = ANY($1)`, keys); err != nil {
		return fmt.Errorf("forget auth failures: %w", err)
	}
	return nil
}

// ReadSetting reads a setting as committed now (the test clock another process moved),
// on a pool of its own: it may be asked from inside a transaction that holds a connection
// of the main pool.
func (s *Shared) ReadSetting(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.clock.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, true, nil
}
