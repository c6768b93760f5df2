package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"soapgate/store"
)

// envLockHelper makes TestLockHelperProcess a process that holds the serve lock of the
// database it names.
const envLockHelper = "STORE_TEST_LOCK_HELPER_DB"

// TestLockHelperProcess is not a test: run by lockHolder in a process of its own, it takes
// the serve lock, says "locked", and keeps the lock until its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(envLockHelper)
	if path == "" {
		t.Skip("the helper process of the serve lock tests")
	}
	l, err := store.LockForServe(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	if err := l.Release(); err != nil {
		os.Exit(3)
	}
	os.Exit(0)
}

type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// lockHolder starts another process holding the serve lock of dbPath and returns once it
// has it.
func lockHolder(t *testing.T, dbPath string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envLockHelper+"="+dbPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock holder process: %q %v", line, err)
	}
	return h
}

// TestLockForServe_HeldByAnotherProcess: while another process holds the lock, it is
// refused with ErrLocked and the holder's PID; the holder's release, or its death by
// kill -9, frees it for the next process.
func TestLockForServe_HeldByAnotherProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	h := lockHolder(t, db)
	if b, err := os.ReadFile(db + ".lock"); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(h.cmd.Process.Pid) {
		t.Fatalf("lock file holds %q (%v), want the holder's PID %d", b, err, h.cmd.Process.Pid)
	}
	_, err := store.LockForServe(db)
	want := fmt.Sprintf("%s is held by process %d (lock file %s.lock)", db, h.cmd.Process.Pid, db)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), want) {
		t.Fatalf("lock held by another process: %v, want ErrLocked saying %q", err, want)
	}
	// The holder releases and exits: the lock is free, and names this process now.
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	l, err := store.LockForServe(db)
	if err != nil {
		t.Fatalf("lock after the holder released it: %v", err)
	}
	if b, _ := os.ReadFile(db + ".lock"); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("lock file holds %q, want this process's PID %d", b, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}

	// A holder killed with SIGKILL leaves no stale lock: the kernel drops it.
	h = lockHolder(t, db)
	if _, err := store.LockForServe(db); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("lock held by a second holder: %v", err)
	}
	h.cmd.Process.Kill()
	h.cmd.Wait()
	l, err = store.LockForServe(db)
	if err != nil {
		t.Fatalf("lock after its holder was killed: %v", err)
	}
	l.Release()
}

// TestLockForServe_UnknownHolder: a lock file whose content is not a PID (written by hand,
// or cut short) is reported as held by an unknown process rather than by that text.
func TestLockForServe_UnknownHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	lockHolder(t, db)
	if err := os.WriteFile(db+".lock", []byte("rm -rf /\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.LockForServe(db)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "held by process unknown") || strings.Contains(err.Error(), "rm -rf") {
		t.Fatalf("lock file without a PID: %v", err)
	}
}

// TestLockForServe_InOneProcess: a second take in the same process is refused too (two
// stores of one process on one file are as wrong as two processes); Release frees the lock,
// leaves the file, and may be called again, as may a nil lock's.
func TestLockForServe_InOneProcess(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	l, err := store.LockForServe(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockForServe(db); !errors.Is(err, store.ErrLocked) ||
		!strings.Contains(err.Error(), "held by process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second take: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if err := (*store.ServeLock)(nil).Release(); err != nil {
		t.Fatalf("release of a nil lock: %v", err)
	}
	if _, err := os.Stat(db + ".lock"); err != nil {
		t.Fatalf("the lock file went with the release: %v", err)
	}
	// A longer PID written before is replaced whole, not overwritten in part.
	if err := os.WriteFile(db+".lock", []byte("123456789012\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = store.LockForServe(db)
	if err != nil {
		t.Fatalf("take after release: %v", err)
	}
	defer l.Release()
	if b, _ := os.ReadFile(db + ".lock"); string(b) != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("lock file holds %q", b)
	}

	nodir := filepath.Join(t.TempDir(), "no", "such", "s.db")
	if _, err := store.LockForServe(nodir); err == nil || errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "lock "+nodir+".lock") {
		t.Fatalf("lock in a missing folder: %v", err)
	}
}
