package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ServeLock is the exclusive claim of one serving process on a database file: SQLite lets a
// second process open the same file, and two gateways on one file would each run the
// background work (deliveries, schedules, recovery of interrupted payments) and each think
// its in-process order locks were the only ones. The lock is an flock on PATH.lock, which
// the kernel drops when the process dies, so a kill -9 never leaves a stale lock behind.
type ServeLock struct{ f *os.File }

// ErrLocked is the error of a second process; its message names the holder's PID.
var ErrLocked = errors.New("database is in use by another soapgate process")

// LockForServe takes the serve lock of the database at dbPath, writing this process's PID
// into the lock file for the next one to name.
func LockForServe(dbPath string) (*ServeLock, error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := os.ReadFile(path)
			holder := strings.TrimSpace(string(b))
			if _, perr := strconv.Atoi(holder); perr != nil {
				holder = "unknown"
			}
			return nil, fmt.Errorf("%w: %s is held by process %s (lock file %s)", ErrLocked, dbPath, holder, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &ServeLock{f: f}, nil
}

// Release drops the lock; the file stays (removing it would race with the next process).
func (l *ServeLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
