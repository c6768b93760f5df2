package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"soapgate/gateway"
)

// PostgreSQL is the store of several gateway processes on one database. The SQL is the
// SQLite store's, run through pgx's database/sql driver with `?` rewritten to `$n`; what
// differs is how a write is made safe when another process writes at the same moment.
// SQLite has one writer, so a command's reads cannot change under it; here a write
// transaction reproduces that per row and per key:
//
//   - Every SELECT of a write transaction locks the rows it reads (FOR UPDATE): a second
//     command on the same order, series, schedule, page, saved card, notification or setting
//     waits for the first to commit and then reads what it wrote. Commands on different rows
//     run in parallel, at READ COMMITTED.
//   - What a command checks is absent gets a lock of its own, since there is no row to lock:
//     an ordernumber about to be paid (OrderHoldingMoney) and a customer's saved cards
//     (SavedCards) take a transaction-scoped advisory lock on their key first.
//   - A deadlock (40P01) or serialization failure (40001) runs the whole command again from
//     the start; the gateway's callbacks only read and write through the transaction, so
//     running one again is the same as running it for the first time. The in-process order
//     locks of gateway/ do not hold across processes; these do.
//   - No order cache: another process's write could not invalidate it. Reads run in a
//     REPEATABLE READ READ ONLY transaction (a snapshot taken at the first query), so a read
//     sees every write acknowledged before it began.
//   - No group-committing writer: PostgreSQL batches WAL flushes of concurrent commits itself,
//     and a pool of connections serves the callers.
//
// SERIALIZABLE would give the same guarantees without the locks, but its predicate locks are
// per index page: payments under different ordernumbers (which sit on the same pages) abort
// each other, and under load most commands ran several times or failed.

// DefaultPostgresConns bounds the connections a process opens to PostgreSQL.
const DefaultPostgresConns = 16

// maxTxAttempts bounds how often a transaction is run again after serialization failures.
const maxTxAttempts = 30

// migrationLock is the pg_advisory_lock key held while migrations run, so that processes
// starting together apply each migration once ("soapgate" in ASCII, as an int64).
const migrationLock int64 = 0x736f617067617465

// OpenPostgres connects to the PostgreSQL database at url (postgres://user:pass@host/db or
// a key=value connection string) and runs the migrations not yet applied.
func OpenPostgres(url string) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(DefaultPostgresConns)
	pool.SetMaxIdleConns(DefaultPostgresConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{w: pool, r: pool, pg: true, kick: make(chan struct{}, 1),
		closing: make(chan struct{}), leases: &pgLeases{db: pool}}
	if db.shared, err = newShared(pool, url); err != nil {
		pool.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := db.migratePG(ctx); err != nil {
		db.shared.close()
		pool.Close()
		return nil, fmt.Errorf("open postgres database: %w", err)
	}
	return db, nil
}

// migratePG applies each migration not yet recorded, in name order, each in its own
// transaction, under an advisory lock: a second process starting at the same moment waits
// and then finds them recorded.
func (db *DB) migratePG(ctx context.Context) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := MigrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := migrateOnePG(ctx, conn, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func migrateOnePG(ctx context.Context, conn *sql.Conn, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = $1`, name).Scan(&n); err != nil || n > 0 {
		return err
	}
	body, err := migrations.ReadFile("migrations/postgres/" + name)
	if err != nil {
		return fmt.Errorf("no PostgreSQL dialect file: %w", err)
	}
	for _, stmt := range strings.Split(string(body), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES ($1)`, name); err != nil {
		return err
	}
	return tx.Commit()
}

// MigrationNames lists the migrations in the order they run: the SQLite files name them,
// and each needs a PostgreSQL dialect file of the same name.
func MigrationNames() ([]string, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// updatePG runs fn in a write transaction that locks what it reads, again from the start when PostgreSQL
// reports that a concurrent transaction made it fail.
func (db *DB) updatePG(ctx context.Context, fn func(gateway.Tx) error) error {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	for attempt := 1; ; attempt++ {
		err := db.tryPG(ctx, fn)
		if err == nil || !retryable(err) || attempt == maxTxAttempts {
			return err
		}
		// A short random pause, growing with the attempts, lets the winner finish.
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

func (db *DB) tryPG(ctx context.Context, fn func(gateway.Tx) error) error {
	if db.OnCommit != nil {
		// Each command commits alone here: a group of one.
		defer func(start time.Time) { db.OnCommit(1, time.Since(start)) }(time.Now())
	}
	tx, err := db.w.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	t := &txn{q: pgQuerier{q: tx, lock: true}, pg: true, write: true}
	if err := runSafely(fn, t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if t.outboxed {
		select {
		case db.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// retryable reports a failure that running the transaction again can cure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01"
}

func (db *DB) viewPG(ctx context.Context, fn func(gateway.Tx) error) error {
	lt := &lazyTx{ctx: ctx, db: db.r, opts: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}}
	defer lt.close()
	return fn(&txn{q: pgQuerier{q: lt}, pg: true})
}

// pgQuerier runs the store's SQLite-flavoured statements on PostgreSQL: `?` placeholders
// become `$1…$n`, and booleans become 0/1, which is how both schemas keep flags. In a write
// transaction (lock) every SELECT locks the rows it returns.
type pgQuerier struct {
	q    querier
	lock bool
}

func (p pgQuerier) Exec(query string, args ...any) (sql.Result, error) {
	return p.q.Exec(rebind(query), pgArgs(args)...)
}

func (p pgQuerier) Query(query string, args ...any) (*sql.Rows, error) {
	return p.q.Query(p.statement(query), pgArgs(args)...)
}

func (p pgQuerier) QueryRow(query string, args ...any) *sql.Row {
	return p.q.QueryRow(p.statement(query), pgArgs(args)...)
}

func (p pgQuerier) statement(query string) string {
	if p.lock && strings.HasPrefix(strings.TrimSpace(query), "SELECT") && !aggregate.MatchString(query) {
		query += " FOR UPDATE"
	}
	return rebind(query)
}

// aggregate matches a SELECT of counts or extremes, whose rows PostgreSQL cannot lock (they
// are no table's rows); such a read in a write transaction locks nothing.
var aggregate = regexp.MustCompile(`(?is)^\s*SELECT\s+(count|min|max|sum|avg)\s*\(`)

// lockKey takes a transaction-scoped advisory lock on a key that names rows which may not
// exist yet (an ordernumber, a customer's cards), in a PostgreSQL write transaction; it is a
// no-op elsewhere (SQLite's single writer serialises the commands already).
func (t *txn) lockKey(parts ...string) error {
	if !t.pg || !t.write {
		return nil
	}
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	_, err := t.q.Exec(`SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64()))
	return err
}

func pgArgs(args []any) []any {
	for i, a := range args {
		if v := reflect.ValueOf(a); v.Kind() == reflect.Bool {
			n := int64(0)
			if v.Bool() {
				n = 1
			}
			args[i] = n
		}
	}
	return args
}

// dialect returns a statement for this database: as written for SQLite, rebound for PostgreSQL.
func (db *DB) dialect(query string) string {
	if db.pg {
		return rebind(query)
	}
	return query
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

var rebound sync.Map // SQLite statement → PostgreSQL statement

// rebind numbers the `?` placeholders of a statement outside quoted text, and drops SQLite's
// unary + before a column name (it keeps the column out of SQLite's index choice; PostgreSQL
// has no + for text). The store's statements are constants, so each is rewritten once.
func rebind(query string) string {
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		case c == '+' && !quoted && i > 0 && query[i-1] == ' ' && i+1 < len(query) && isLetter(query[i+1]):
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}
