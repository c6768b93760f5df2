package gateway

import (
	"context"
	"errors"
	"sync"
	"time"
)

// TestClock is the sandbox clock of docs/protocol.md#9-sandbox-controls: it stands still between moves, and
// every move is kept in the database so that a restart resumes where it stood.
//
// Several processes on one database share the clock: with Share, Now reads the stored clock
// each time, so a move another process acknowledged is seen by the next Now here.
type TestClock struct {
	mu     sync.Mutex
	now    time.Time
	store  Store
	shared SettingReader
}

// SettingReader reads a setting as committed at the moment of the call, outside any
// transaction (it may be called from inside one).
type SettingReader interface {
	ReadSetting(ctx context.Context, name string) (value string, ok bool, err error)
}

// Share makes Now read the clock that r holds, for several processes on one database;
// call it before the clock is used.
func (c *TestClock) Share(r SettingReader) { c.shared = r }

// Both clocks tell the time; the domain's jobs are Jobs.
var (
	_ Clock = RealClock{}
	_ Clock = (*TestClock)(nil)
	_ Job   = JobFunc(nil)
	_ Job   = (*Pages)(nil)
)

// settingClock names the test clock's row in the settings.
const settingClock = "test_clock"

// NewTestClock loads the clock from the store, starting it at the real time when the
// database has none yet.
func NewTestClock(ctx context.Context, store Store) (*TestClock, error) {
	c := &TestClock{store: store}
	err := store.Update(ctx, func(tx Tx) error {
		v, err := tx.Setting(settingClock)
		if errors.Is(err, ErrNoRows) {
			c.now = time.Now().UTC().Truncate(time.Second)
			return tx.SetSetting(settingClock, c.now.Format(time.RFC3339Nano))
		}
		if err != nil {
			return err
		}
		c.now, err = time.Parse(time.RFC3339Nano, v)
		return err
	})
	return c, err
}

// Now is where the clock stands. Shared, it is the stored clock (the later of it and what
// this process saw last, should a read fail).
func (c *TestClock) Now() time.Time {
	if c.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, ok, err := c.shared.ReadSetting(ctx, settingClock)
		cancel()
		if err == nil && ok {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				c.mu.Lock()
				defer c.mu.Unlock()
				if t.After(c.now) {
					c.now = t
				}
				return c.now
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (never backwards) and keeps it.
func (c *TestClock) Set(ctx context.Context, t time.Time) (time.Time, error) {
	return c.Move(ctx, func(time.Time) (time.Time, error) { return t, nil })
}

// Move moves the clock to where target says from where it stands (never backwards) and
// keeps it: concurrent moves of "an hour on" add up.
//
// No lock is held across the store call: the writer may be running a payment that asks
// Now, and a move holding the mutex while it waits for that writer would deadlock the
// process. The writer orders concurrent moves instead: a move reads and writes the stored
// clock in one transaction, and the clock in memory only ever takes the later of two times.
func (c *TestClock) Move(ctx context.Context, target func(now time.Time) (time.Time, error)) (time.Time, error) {
	var t time.Time
	err := c.store.Update(ctx, func(tx Tx) error {
		stored := c.Now()
		v, err := tx.Setting(settingClock)
		if err != nil && !errors.Is(err, ErrNoRows) {
			return err
		}
		if err == nil {
			if stored, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return err
			}
		}
		if t, err = target(stored); err != nil {
			return err
		}
		if t = t.UTC(); t.Before(stored) {
			return backwards(stored)
		}
		return tx.SetSetting(settingClock, t.Format(time.RFC3339Nano))
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		return c.now, err
	}
	if t.After(c.now) {
		c.now = t
	}
	return t, nil
}

func backwards(now time.Time) error {
	return Invalid(CodeParam, "the test clock does not move backwards (it stands at %s)", now.Format(time.RFC3339))
}

// Job is work that becomes due with time: notification retries, scheduled charges,
// payment-page timeouts, the end of retry windows. RunDue does everything due at now.
type Job interface {
	RunDue(ctx context.Context, now time.Time) error
}

// JobFunc adapts a function to Job.
type JobFunc func(ctx context.Context, now time.Time) error

func (f JobFunc) RunDue(ctx context.Context, now time.Time) error { return f(ctx, now) }

// Jobs runs the registered jobs one pass at a time: a background ticker and the test
// clock's moves share it, so a pass never overlaps another.
type Jobs struct {
	mu   sync.Mutex
	jobs []Job
}

// Add registers a job.
func (j *Jobs) Add(job Job) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jobs = append(j.jobs, job)
}

// Run runs every job once for now and returns their errors joined.
func (j *Jobs) Run(ctx context.Context, now time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	var errs []error
	for _, job := range j.jobs {
		if err := job.RunDue(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
