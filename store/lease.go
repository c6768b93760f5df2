package store

import (
	"context"
	"database/sql"
	"hash/fnv"
	"sync"

	"soapgate/gateway"
)

// pgLeases implements gateway.Leases with PostgreSQL session advisory locks, all held on one
// connection of this process's own: PostgreSQL drops them when the session ends, so the
// leases of a process that dies (kill -9 included: the server sees its socket close) pass to
// the others at once. A second take of a lease this process holds is refused here, since
// PostgreSQL would grant a session its own lock again.
type pgLeases struct {
	db   *sql.DB
	mu   sync.Mutex
	conn *sql.Conn // nil until the first lease, and after the session was lost
	held map[int64]bool
}

// Leases returns the store's leases for gateway.Gateway.Leases: nil on SQLite, where one
// process owns the file and needs none.
func (db *DB) Leases() gateway.Leases {
	if !db.pg {
		return nil
	}
	return db.leases
}

func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("lease\x00" + name))
	return int64(h.Sum64())
}

func (l *pgLeases) TryLease(ctx context.Context, name string) (func(), bool, error) {
	k := leaseKey(name)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[k] {
		return nil, false, nil
	}
	if l.conn == nil {
		conn, err := l.db.Conn(ctx)
		if err != nil {
			return nil, false, err
		}
		l.conn, l.held = conn, map[int64]bool{}
	}
	var ok bool
	if err := l.conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, k).Scan(&ok); err != nil {
		// The session may be gone, and every lease it held with it: start a new one.
		l.conn.Close()
		l.conn, l.held = nil, nil
		return nil, false, err
	}
	if !ok {
		return nil, false, nil
	}
	l.held[k] = true
	conn := l.conn
	return func() { l.release(conn, k) }, true, nil
}

func (l *pgLeases) release(conn *sql.Conn, k int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != conn || !l.held[k] {
		return // lost with its session
	}
	delete(l.held, k)
	if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, k); err != nil {
		conn.Close()
		l.conn, l.held = nil, nil
	}
}

func (l *pgLeases) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		l.conn.Close()
		l.conn, l.held = nil, nil
	}
}
