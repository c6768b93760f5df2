package gateway_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "clock.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestTestClock_StartsAtRealTimeAndResumes checks that a new database starts the clock at the
// real time (to the second) and that a clock loaded again, as after a restart, stands where
// the last move left it.
func TestTestClock_StartsAtRealTimeAndResumes(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	before := time.Now().UTC().Truncate(time.Second)
	c, err := gateway.NewTestClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	start := c.Now()
	if start.Before(before) || start.After(after) || start.Nanosecond() != 0 {
		t.Fatalf("new clock at %s, want the real time to the second in [%s, %s]", start, before, after)
	}
	if again := c.Now(); !again.Equal(start) {
		t.Fatalf("the clock moved by itself: %s then %s", start, again)
	}
	restarted, err := gateway.NewTestClock(ctx, db)
	if err != nil || !restarted.Now().Equal(start) {
		t.Fatalf("reloaded clock at %s (%v), want %s", restarted.Now(), err, start)
	}
	target := start.Add(72 * time.Hour)
	if got, err := c.Set(ctx, target); err != nil || !got.Equal(target) || !c.Now().Equal(target) {
		t.Fatalf("set: %s %v, now %s; want %s", got, err, c.Now(), target)
	}
	restarted, err = gateway.NewTestClock(ctx, db)
	if err != nil || !restarted.Now().Equal(target) {
		t.Fatalf("after a restart the clock stands at %s (%v), want %s", restarted.Now(), err, target)
	}
}

// TestTestClock_NeverBackwards refuses a move to the past with 5/110 and leaves the clock,
// in memory and stored, where it stood; a move to where it stands is allowed.
func TestTestClock_NeverBackwards(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	c, err := gateway.NewTestClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	got, err := c.Set(ctx, now.Add(-time.Second))
	if codes(err) != "5/110" {
		t.Fatalf("a second back: %v, want 5/110", err)
	}
	if !got.Equal(now) || !c.Now().Equal(now) {
		t.Fatalf("after the refused move the clock answers %s and stands at %s, want %s", got, c.Now(), now)
	}
	if reloaded, _ := gateway.NewTestClock(ctx, db); !reloaded.Now().Equal(now) {
		t.Fatalf("the refused move was stored: %s", reloaded.Now())
	}
	if got, err := c.Set(ctx, now); err != nil || !got.Equal(now) {
		t.Fatalf("a move to where it stands: %s %v", got, err)
	}
	// A target that fails leaves it too, and its error comes back as it is.
	boom := errors.New("bad target")
	if _, err := c.Move(ctx, func(time.Time) (time.Time, error) { return time.Time{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing target: %v", err)
	}
	if !c.Now().Equal(now) {
		t.Fatalf("the failing move moved the clock to %s", c.Now())
	}
	// Another zone is kept as UTC.
	moscow := time.FixedZone("MSK", 3*3600)
	if got, err := c.Set(ctx, now.Add(time.Hour).In(moscow)); err != nil || got.Location() != time.UTC || !got.Equal(now.Add(time.Hour)) {
		t.Fatalf("set in another zone: %s %v", got, err)
	}
}

// TestTestClock_ConcurrentAdvancesAddUp moves the clock "an hour on" from several goroutines
// at once: every advance counts from where the clock stands when it is written.
func TestTestClock_ConcurrentAdvancesAddUp(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	c, err := gateway.NewTestClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	start := c.Now()
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Move(ctx, func(now time.Time) (time.Time, error) { return now.Add(time.Hour), nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(n*time.Hour); !got.Equal(want) {
		t.Fatalf("after %d concurrent advances of an hour the clock stands at %s, want %s", n, got, want)
	}
}

// storeSettings reads the settings of a real store, as a second process sharing the database
// would (store.Shared does the same on PostgreSQL).
type storeSettings struct {
	db   *store.DB
	fail bool
}

func (s *storeSettings) ReadSetting(ctx context.Context, name string) (string, bool, error) {
	if s.fail {
		return "", false, errors.New("database unreachable")
	}
	var v string
	err := s.db.View(ctx, func(tx gateway.Tx) (err error) {
		v, err = tx.Setting(name)
		return err
	})
	if errors.Is(err, gateway.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// TestTestClock_Share runs two clocks on one database, as two processes would: the one that
// shares sees the other's move at its next Now; one that does not share keeps its own time;
// a failed read falls back to the latest time this clock saw.
func TestTestClock_Share(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	mover, err := gateway.NewTestClock(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	reader := &storeSettings{db: db}
	shared, _ := gateway.NewTestClock(ctx, db)
	shared.Share(reader)
	alone, _ := gateway.NewTestClock(ctx, db)
	start := mover.Now()
	moved, err := mover.Set(ctx, start.Add(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := shared.Now(); !got.Equal(moved) {
		t.Fatalf("the sharing clock stands at %s, want the other's move to %s", got, moved)
	}
	if got := alone.Now(); !got.Equal(start) {
		t.Fatalf("a clock that does not share moved to %s", got)
	}
	reader.fail = true
	if got := shared.Now(); !got.Equal(moved) {
		t.Fatalf("with the read failing the sharing clock stands at %s, want the last seen %s", got, moved)
	}
	// A sharing clock's own move is seen by itself and stored for the others.
	reader.fail = false
	if _, err := shared.Set(ctx, moved.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := gateway.NewTestClock(ctx, db); !got.Now().Equal(moved.Add(time.Hour)) {
		t.Fatalf("the sharing clock's move was not stored: %s", got.Now())
	}
	// A clock that does not share would never go backwards through Move either: it reads
	// the stored time inside the move's transaction.
	if _, err := alone.Set(ctx, start.Add(time.Hour)); codes(err) != "5/110" {
		t.Fatalf("a stale clock moving behind the stored one: %v, want 5/110", err)
	}
}

// TestJobs_Run runs every registered job once per pass with the pass's time, and joins their
// errors without stopping at the first.
func TestJobs_Run(t *testing.T) {
	ctx := context.Background()
	var jobs gateway.Jobs
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var seen []string
	errA, errC := errors.New("a failed"), errors.New("c failed")
	for _, j := range []struct {
		name string
		err  error
	}{{"a", errA}, {"b", nil}, {"c", errC}} {
		jobs.Add(gateway.JobFunc(func(_ context.Context, now time.Time) error {
			if !now.Equal(at) {
				t.Errorf("job %s ran for %s, want %s", j.name, now, at)
			}
			seen = append(seen, j.name)
			return j.err
		}))
	}
	err := jobs.Run(ctx, at)
	if !errors.Is(err, errA) || !errors.Is(err, errC) {
		t.Fatalf("run: %v, want both errors", err)
	}
	if len(seen) != 3 || seen[0] != "a" || seen[1] != "b" || seen[2] != "c" {
		t.Fatalf("jobs ran %v, want a b c in order", seen)
	}
	var empty gateway.Jobs
	if err := empty.Run(ctx, at); err != nil {
		t.Fatalf("no jobs: %v", err)
	}
}
