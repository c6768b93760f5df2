// Package store keeps soapgate's state in SQLite (WAL, foreign keys, synchronous=FULL, one
// writer that batches concurrent commands into shared commits) or, for several processes on
// one database, in PostgreSQL (postgres.go). Both run the same SQL through database/sql,
// with embedded migrations: migrations/NNN_name.sql for SQLite and a file of the same name
// in migrations/postgres/ for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"

	"soapgate/gateway"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// maxBatch is how many write commands share one commit at most.
const maxBatch = 128

// ErrClosed is returned for commands sent after Close.
var ErrClosed = errors.New("store closed")

// DB is the SQLite database. Writes go through one goroutine that runs each command in its
// own savepoint and commits a batch of them at once: a command's caller is answered only
// after the commit (and its fsync) that holds it, so an acknowledged write is never lost.
type DB struct {
	Path string
	// OnCommit, when set before the first Update, is told each commit's group size and
	// duration (for /metrics).
	OnCommit func(size int, d time.Duration)
	// Version, when set, is recorded in the integrity marker a clean Close leaves (for whoever
	// reads the file; it decides nothing).
	Version string

	w, r    *sql.DB       // on PostgreSQL one pool: r == w
	pg      bool          // PostgreSQL: no writer goroutine, no cache, transactions that lock what they read (postgres.go)
	cache   *orderCache   // nil on PostgreSQL
	leases  *pgLeases     // PostgreSQL only
	shared  *Shared       // PostgreSQL only (shared.go)
	kick    chan struct{} // a commit queued notifications
	reqs    chan *writeReq
	closing chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	mu     sync.RWMutex // Update holds it shared while it queues; Close exclusively to stop queueing
	closed bool

	// The start-up integrity check (integrity.go), SQLite only.
	start      startCheck // what Open decided from the marker
	integrity  Integrity  // how Open came to trust the file
	verified   bool       // the file passed this Open's check: a clean Close may leave a marker
	serving    bool       // Options.Serving
	markerOnce sync.Once
}

type writeReq struct {
	fn   func(gateway.Tx) error
	done chan error
}

// Open opens or creates the database file, checks the pragmas and the file's integrity
// (integrity.go) and runs migrations.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, opt Options) (*DB, error) {
	if err := CheckFolder(path); err != nil { // stats.go
		return nil, err
	}
	// Before SQLite opens (and may write) the file.
	start := takeMarker(path, opt.FullCheck)
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "64") // prepare each statement once per connection
	w, err := sql.Open("sqlite3", sqliteURI(path, q))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "true")
	r, err := sql.Open("sqlite3", sqliteURI(path, q))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db := &DB{Path: path, w: w, r: r, cache: newOrderCache(DefaultCacheOrders), kick: make(chan struct{}, 1),
		reqs: make(chan *writeReq, 1024), closing: make(chan struct{}), start: start, serving: opt.Serving}
	if err := db.init(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database %s: %w", path, asDamaged(err))
	}
	db.wg.Add(1)
	go db.writer()
	return db, nil
}

func (db *DB) init() error {
	var mode string
	if err := db.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var sync int
	if err := db.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		return err
	}
	if sync != 2 {
		return fmt.Errorf("synchronous is %d, want 2 (FULL)", sync)
	}
	if err := db.check(); err != nil { // integrity.go
		return err
	}
	return db.migrate()
}

// migrate runs each embedded migration not yet recorded, in name order, each in its own transaction.
func (db *DB) migrate() error {
	if _, err := db.w.Exec(`CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := MigrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := db.migrateOne(name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateOne(name string) error {
	tx, err := db.w.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
		return err
	}
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		return err
	}
	for _, stmt := range strings.Split(string(body), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`INSERT INTO migrations (name) VALUES (?)`, name); err != nil {
		return err
	}
	return tx.Commit()
}

// Outbox signals after each commit that queued notifications, so that they are sent at once.
func (db *DB) Outbox() <-chan struct{} { return db.kick }

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close stops the writer after the commands already queued and closes the files.
func (db *DB) Close() error {
	db.mu.Lock()
	db.closed = true
	db.mu.Unlock()
	db.once.Do(func() { close(db.closing) })
	db.wg.Wait()
	if db.pg {
		db.leases.close()
		return errors.Join(db.shared.close(), db.w.Close())
	}
	err := errors.Join(db.w.Close(), db.r.Close())
	if err == nil {
		// Every connection of this process is closed: SQLite has checkpointed the -wal into
		// the file and removed it, unless another process still has the file open.
		db.markerOnce.Do(func() { err = db.leaveMarker() })
	}
	return err
}

// Update queues fn for the writer and waits for the commit that holds it.
func (db *DB) Update(ctx context.Context, fn func(gateway.Tx) error) error {
	if db.pg {
		return db.updatePG(ctx, fn)
	}
	req := &writeReq{fn: fn, done: make(chan error, 1)}
	// Queueing under the shared lock means a command is either refused or queued before
	// Close stops the writer, which answers everything queued: no caller waits forever.
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
	}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	db.mu.RUnlock()
	// Once queued the command will run; report its real outcome even if ctx ends meanwhile.
	return <-req.done
}

// View runs fn in a read transaction on the reader pool.
func (db *DB) View(ctx context.Context, fn func(gateway.Tx) error) error {
	if db.pg {
		return db.viewPG(ctx, fn)
	}
	lt := &lazyTx{ctx: ctx, db: db.r, cache: db.cache}
	defer lt.close()
	return fn(&txn{q: lt, lazy: lt, cache: db.cache})
}

// lazyTx begins its read transaction at the first query, so a View answered from the
// order cache never touches SQLite.
type lazyTx struct {
	ctx   context.Context
	db    *sql.DB
	opts  *sql.TxOptions
	cache *orderCache
	epoch uint64 // the cache's epoch before the snapshot: what the transaction reads may be cached at it
	tx    *sql.Tx
	err   error
}

func (l *lazyTx) begin() error {
	if l.tx == nil && l.err == nil {
		// Read before the snapshot (SQLite takes it at the first read, after this): a commit
		// after the snapshot bumps the epoch, so a fill from an older snapshot is dropped.
		if l.cache != nil {
			l.epoch = l.cache.current()
		}
		l.tx, l.err = l.db.BeginTx(l.ctx, l.opts)
	}
	return l.err
}

func (l *lazyTx) close() {
	if l.tx != nil {
		l.tx.Rollback()
	}
}

func (l *lazyTx) Exec(query string, args ...any) (sql.Result, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	return l.tx.Exec(query, args...)
}

func (l *lazyTx) Query(query string, args ...any) (*sql.Rows, error) {
	if err := l.begin(); err != nil {
		return nil, err
	}
	return l.tx.Query(query, args...)
}

func (l *lazyTx) QueryRow(query string, args ...any) *sql.Row {
	if err := l.begin(); err != nil {
		// sql.Row cannot carry our error; the same query outside a transaction reports its own.
		return l.db.QueryRowContext(l.ctx, query, args...)
	}
	return l.tx.QueryRow(query, args...)
}

func (db *DB) writer() {
	defer db.wg.Done()
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-db.reqs:
			batch = append(batch[:0], req)
		case <-db.closing:
			db.drain()
			return
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case req := <-db.reqs:
				batch = append(batch, req)
			default:
				break collect
			}
		}
		db.commit(batch)
	}
}

// drain answers commands queued before Close.
func (db *DB) drain() {
	for {
		select {
		case req := <-db.reqs:
			db.commit([]*writeReq{req})
		default:
			return
		}
	}
}

// commit runs the batch in one transaction, each command in a savepoint of its own, so a
// failing command undoes only its own writes.
func (db *DB) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	if db.OnCommit != nil {
		defer func(start time.Time) { db.OnCommit(len(batch), time.Since(start)) }(time.Now())
	}
	tx, err := db.w.Begin()
	if err != nil {
		for _, req := range batch {
			req.done <- fmt.Errorf("begin: %w", err)
		}
		return
	}
	t := &txn{q: tx, touched: make(map[cacheKey]struct{}), touchedOp: make(map[int64]struct{})}
	for i, req := range batch {
		if _, err := tx.Exec("SAVEPOINT cmd"); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = runSafely(req.fn, t)
		if errs[i] != nil {
			if _, err := tx.Exec("ROLLBACK TO cmd"); err != nil {
				errs[i] = errors.Join(errs[i], err)
			}
		}
		if _, err := tx.Exec("RELEASE cmd"); err != nil {
			errs[i] = errors.Join(errs[i], err)
		}
	}
	err = tx.Commit()
	// Invalidate before anyone is answered, and even when the commit failed (it may have
	// reached the file), so no caller can read an older state than it was told of.
	db.cache.invalidate(t.touched, t.touchedOp)
	if err == nil && t.outboxed {
		select {
		case db.kick <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("commit: %w", err)
		}
	}
	for i, req := range batch {
		req.done <- errs[i]
	}
}

func runSafely(fn func(gateway.Tx) error, t gateway.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in store command: %v", p)
		}
	}()
	return fn(t)
}
