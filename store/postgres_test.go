package store_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

// TestMigrations_PostgresDialect fails when a SQLite migration has no PostgreSQL file of the
// same name (or PostgreSQL has one SQLite lacks): the two stores must reach the same schema.
func TestMigrations_PostgresDialect(t *testing.T) {
	sqlite, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(sqlite) == 0 {
		t.Fatalf("no SQLite migrations: %v", err)
	}
	for _, p := range sqlite {
		if _, err := os.Stat(filepath.Join("migrations", "postgres", filepath.Base(p))); errors.Is(err, fs.ErrNotExist) {
			t.Errorf("migration %s has no PostgreSQL dialect file migrations/postgres/%s", p, filepath.Base(p))
		}
	}
	pg, _ := filepath.Glob("migrations/postgres/*.sql")
	for _, p := range pg {
		if _, err := os.Stat(filepath.Join("migrations", filepath.Base(p))); errors.Is(err, fs.ErrNotExist) {
			t.Errorf("PostgreSQL migration %s has no SQLite migration of the same name", p)
		}
	}
	names, err := store.MigrationNames()
	if err != nil || len(names) != len(sqlite) {
		t.Fatalf("MigrationNames = %v, %v; want the %d SQLite files", names, err, len(sqlite))
	}
}

func openPG(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.OpenPostgres(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgres_MigratesOnceWhenStartedTogether opens one database from several "processes"
// at the same moment: the advisory lock lets one apply each migration, the others find it
// recorded, and all of them work.
func TestPostgres_MigratesOnceWhenStartedTogether(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const n = 6
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = store.OpenPostgres(url)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	names, _ := store.MigrationNames()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var recorded int
	if err := raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != len(names) {
		t.Fatalf("migrations recorded = %d, want %d", recorded, len(names))
	}
	for i, db := range dbs {
		update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k"+strconv.Itoa(i), "v") })
	}
}

// TestPostgres_ConcurrentReadModifyWrite runs read-modify-write commands from two
// "processes" at once on one row: every increment survives, because a write transaction's
// read locks the row until it commits.
func TestPostgres_ConcurrentReadModifyWrite(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url), openPG(t, url)
	update(t, a, func(tx gateway.Tx) error { return tx.SetSetting("counter", "0") })
	const per = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*per)
	for _, db := range []*store.DB{a, b} {
		for range per {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.Update(context.Background(), func(tx gateway.Tx) error {
					v, err := tx.Setting("counter")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(v)
					return tx.SetSetting("counter", strconv.Itoa(n+1))
				})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	view(t, b, func(tx gateway.Tx) error {
		if v, _ := tx.Setting("counter"); v != strconv.Itoa(2*per) {
			t.Fatalf("counter = %s, want %d", v, 2*per)
		}
		return nil
	})
}

// TestPostgres_ReadsAcrossProcesses: a write acknowledged by one process is what the next
// read of another returns, at once (no cache holds an older state).
func TestPostgres_ReadsAcrossProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	w, r := openPG(t, url), openPG(t, url)
	ctx := context.Background()
	now := time.Now().UTC()
	o := &gateway.Order{BillNumber: "1000000000000001", MerchantID: "1", OrderNumber: "o", Amount: 100,
		Currency: "RUB", State: gateway.StateInProcess, Created: now, Updated: now, LastSeq: 1}
	update(t, w, func(tx gateway.Tx) error { return tx.InsertOrder(o) })
	win := gateway.Window{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
	read := func() int {
		var seq int
		view(t, r, func(tx gateway.Tx) error {
			os, err := tx.OrdersByNumber("1", "o", win)
			if err == nil && len(os) == 1 {
				seq = os[0].LastSeq
			}
			return err
		})
		return seq
	}
	for i := 2; i <= 100; i++ {
		o.LastSeq = i
		if err := w.Update(ctx, func(tx gateway.Tx) error { return tx.UpdateOrder(o) }); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != i {
			t.Fatalf("after process A committed seq %d, process B read %d", i, got)
		}
	}
}

// TestPostgres_BillnumberTaken: a taken billnumber is ErrBillTaken and leaves the
// transaction usable (PostgreSQL aborts a transaction at a failed statement).
func TestPostgres_BillnumberTaken(t *testing.T) {
	db := openPG(t, pgtest.NewDatabase(t))
	update(t, db, func(tx gateway.Tx) error {
		return tx.InsertOrder(newOrder("3000000000000001", "a", gateway.StateApproved))
	})
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(newOrder("3000000000000001", "b", gateway.StateApproved)); !errors.Is(err, gateway.ErrBillTaken) {
			t.Fatalf("taken billnumber: %v, want ErrBillTaken", err)
		}
		return tx.InsertOrder(newOrder("3000000000000002", "b", gateway.StateApproved))
	})
}

// TestPostgres_DeadlockRunsAgain makes two commands lock two rows in opposite orders:
// PostgreSQL aborts one as a deadlock, and the store runs it again, so both succeed.
func TestPostgres_DeadlockRunsAgain(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url), openPG(t, url)
	update(t, a, func(tx gateway.Tx) error {
		if err := tx.SetSetting("x", "0"); err != nil {
			return err
		}
		return tx.SetSetting("y", "0")
	})
	var runs [2]atomic.Int32
	first := make(chan struct{}, 2) // each command's first run has locked its first row
	release := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	cmd := func(i int, one, two string) func(gateway.Tx) error {
		return func(tx gateway.Tx) error {
			if _, err := tx.Setting(one); err != nil { // locks one
				return err
			}
			if runs[i].Add(1) == 1 {
				first <- struct{}{}
				<-release[i] // both hold their first row: now each asks for the other's
			}
			if _, err := tx.Setting(two); err != nil {
				return err
			}
			return tx.SetSetting(two, strconv.Itoa(i))
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- a.Update(context.Background(), cmd(0, "x", "y")) }()
	go func() { errs <- b.Update(context.Background(), cmd(1, "y", "x")) }()
	<-first
	<-first
	close(release[0])
	close(release[1])
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a command of the deadlock failed: %v", err)
		}
	}
	// One is aborted and run again (both, when their deadlock checks fire at the same moment).
	if n := runs[0].Load() + runs[1].Load(); n < 3 {
		t.Fatalf("%d runs in all, want at least 3 (a command run again after the deadlock)", n)
	}
}

// TestPostgres_Leases: a lease is held against other processes and against a second take in
// its own; released, or when its holder's database session ends (the process died), the next
// taker gets it.
func TestPostgres_Leases(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPG(t, url), openPG(t, url)
	ctx := context.Background()
	take := func(db *store.DB, name string) (func(), bool) {
		t.Helper()
		release, ok, err := db.Leases().TryLease(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return release, ok
	}
	release, ok := take(a, "order/1")
	if !ok {
		t.Fatal("first take refused")
	}
	if _, ok := take(a, "order/1"); ok {
		t.Fatal("a second take in the holding process granted")
	}
	if _, ok := take(b, "order/1"); ok {
		t.Fatal("another process took a held lease")
	}
	if r, ok := take(b, "order/2"); !ok {
		t.Fatal("another lease refused")
	} else {
		r()
	}
	release()
	rb, ok := take(b, "order/1")
	if !ok {
		t.Fatal("a released lease refused")
	}
	if _, ok := take(a, "order/1"); ok {
		t.Fatal("a lease taken back while the other process holds it")
	}
	b.Close() // the holder goes away: its session, and the lease, end with it
	waitUntil(t, func() bool {
		r, ok := take(a, "order/1")
		if ok {
			r()
		}
		return ok
	})
	rb() // releasing after the session ended is harmless
	lite, err := store.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if lite.Leases() != nil {
		t.Fatal("a SQLite store has leases: one process needs none")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}
