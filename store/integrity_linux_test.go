package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"soapgate/internal/pgtest"
	"soapgate/store"
)

// sqliteFile is a database file of a few hundred KiB, made and closed through raw
// connections (no marker yet): enough pages that the last one holds only table rows.
func sqliteFile(t *testing.T) string {
	t.Helper()
	if pgtest.Postgres() {
		t.Skip("the start-up integrity check is SQLite's")
	}
	path := filepath.Join(t.TempDir(), "data", "i.db")
	db := openStore(t, path)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + ".checked")
	raw, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE filler (id INTEGER PRIMARY KEY, x TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := raw.Exec(`INSERT INTO filler (x) VALUES (?)`, strings.Repeat(string(rune('a'+i%26)), 900)); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	return openStoreWith(t, path, store.Options{})
}

func openStoreWith(t *testing.T, path string, opt store.Options) *store.DB {
	t.Helper()
	db, err := store.OpenWith(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// readMarker reads PATH.checked, failing when there is none.
func readMarker(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path + ".checked")
	if err != nil {
		t.Fatalf("no marker after a clean close: %v", err)
	}
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // nanoseconds do not fit a float64
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("marker %q: %v", b, err)
	}
	return m
}

func noFile(t *testing.T, name, why string) {
	t.Helper()
	if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists (%v): %s", name, err, why)
	}
}

// overwriteLastPage writes over the file's last page past its first 8 bytes, in place (same
// inode and size), as a bad disk or a stray write would: SQLite opens the file and reads its
// schema without noticing, and only quick_check, which reads every page, finds it.
func overwriteLastPage(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 4096-8)
	for i := range junk {
		junk[i] = byte(0xA5 ^ i)
	}
	if _, err := f.WriteAt(junk, fi.Size()-4096+8); err != nil {
		t.Fatal(err)
	}
}

// TestOpen_IntegrityChainOfTrust: the first Open runs the full quick_check; a clean Close
// leaves a marker of the file's state; the next Open removes the marker before anything else
// and, the file unchanged, runs only the constant-cost check; its clean Close leaves a new
// marker carrying the time of the last full check.
func TestOpen_IntegrityChainOfTrust(t *testing.T) {
	path := sqliteFile(t)

	db := openStore(t, path)
	first := db.Integrity()
	if !first.Full || !strings.Contains(first.Reason, "no marker") || first.CheckedAt.IsZero() {
		t.Fatalf("first open: %+v", first)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	noFile(t, path+"-wal", "SQLite removes the -wal at the last clean close")
	m := readMarker(t, path)
	fi, _ := os.Stat(path)
	if got, want := m["size"], json.Number(fmt.Sprint(fi.Size())); got != want {
		t.Errorf("marker size %v, want %v", got, want)
	}
	if got, want := m["mtime_ns"], json.Number(fmt.Sprint(fi.ModTime().UnixNano())); got != want {
		t.Errorf("marker mtime_ns %v, want %v", got, want)
	}
	for _, k := range []string{"ctime_ns", "inode", "device", "checked_at", "stopped_at"} {
		if m[k] == nil {
			t.Errorf("marker lacks %s: %v", k, m)
		}
	}

	for round := range 2 {
		db = openStore(t, path)
		noFile(t, path+".checked", "Open removes the marker before any write")
		got := db.Integrity()
		if got.Full || got.StoppedAt.IsZero() || !got.CheckedAt.Equal(first.CheckedAt) {
			t.Fatalf("round %d: reopened after a clean stop: %+v (first check at %v)", round, got, first.CheckedAt)
		}
		if s := got.String(); !strings.HasPrefix(s, "unchanged since clean stop at ") {
			t.Errorf("banner text %q", s)
		}
		// A write: the file changes under this process, the next marker records the new state.
		if err := db.Writable(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		readMarker(t, path)
	}
}

// TestOpen_DamageAfterCleanStop: a change to the file while no soapgate had it open changes
// its ctime, which user space cannot set back; the next Open runs the full check and refuses
// the file, also when the mtime was put back as it was.
func TestOpen_DamageAfterCleanStop(t *testing.T) {
	for _, restoreMtime := range []bool{false, true} {
		name := "bytes overwritten"
		if restoreMtime {
			name += ", mtime set back"
		}
		t.Run(name, func(t *testing.T) {
			path := sqliteFile(t)
			db := openStore(t, path)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			readMarker(t, path)
			overwriteLastPage(t, path)
			if restoreMtime {
				if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
					t.Fatal(err)
				}
				if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() {
					t.Fatalf("mtime %v not restored to %v", after.ModTime(), before.ModTime())
				}
			}
			_, err = store.Open(path)
			if err == nil {
				t.Fatal("a damaged file opened")
			}
			for _, want := range []string{path, "is damaged", "PRAGMA quick_check", "restore it from a backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("no %q in: %v", want, err)
				}
			}
			if !errors.Is(err, store.ErrDamaged) {
				t.Errorf("not ErrDamaged: %v", err)
			}
			noFile(t, path+".checked", "a refused start leaves no marker")
			if _, err := store.Open(path); err == nil || !strings.Contains(err.Error(), "is damaged") {
				t.Fatalf("second start on the damaged file: %v", err)
			}
		})
	}
}

// TestOpen_MarkerNotTrusted: a marker that is not a soapgate marker, one of another file, a
// non-empty -wal beside the file, or a full check asked for: the full check runs, and says why.
func TestOpen_MarkerNotTrusted(t *testing.T) {
	for _, c := range []struct {
		name    string
		prepare func(t *testing.T, path string)
		opt     store.Options
		reason  string
	}{
		{"garbage marker", func(t *testing.T, path string) {
			os.WriteFile(path+".checked", []byte("\x00\xffnot json at all"), 0o600)
		}, store.Options{}, "not JSON"},
		{"empty JSON marker", func(t *testing.T, path string) {
			os.WriteFile(path+".checked", []byte("{}"), 0o600)
		}, store.Options{}, "fields missing"},
		{"huge marker", func(t *testing.T, path string) {
			os.WriteFile(path+".checked", []byte(strings.Repeat(" ", 1<<20)), 0o600)
		}, store.Options{}, "unreadable"},
		{"marker of another file", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "other.db")
			db := openStore(t, other)
			db.Close()
			b, err := os.ReadFile(other + ".checked")
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path+".checked", b, 0o600)
		}, store.Options{}, "the file changed since the clean stop"},
		{"non-empty -wal", func(t *testing.T, path string) {
			os.WriteFile(path+"-wal", []byte("left by a process that did not close"), 0o600)
		}, store.Options{Serving: true}, "non-empty -wal"},
		{"full check asked for", func(t *testing.T, path string) {}, store.Options{FullCheck: true}, "asked for"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := sqliteFile(t)
			db := openStore(t, path)
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			readMarker(t, path)
			c.prepare(t, path)
			db = openStoreWith(t, path, c.opt)
			got := db.Integrity()
			if !got.Full || !strings.Contains(got.Reason, c.reason) {
				t.Fatalf("integrity %+v, want a full check because %q", got, c.reason)
			}
			noFile(t, path+".checked", "Open removes any marker")
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			// The full check passed: the chain starts again.
			db = openStore(t, path)
			if db.Integrity().Full {
				t.Fatalf("after a passed full check and a clean stop: %+v", db.Integrity())
			}
		})
	}
}

// TestClose_NoMarkerWhileTheFileIsOpenElsewhere: a connection of someone else (a CLI command
// beside serve) keeps the -wal: the Close that is not the last writes no marker, and neither
// does the other connection's close, so the next Open runs the full check.
func TestClose_NoMarkerWhileTheFileIsOpenElsewhere(t *testing.T) {
	path := sqliteFile(t)
	db := openStore(t, path)
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`INSERT INTO filler (x) VALUES ('other')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Writable(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	noFile(t, path+".checked", "another connection still has the file")
	other.Close()
	db = openStore(t, path)
	if got := db.Integrity(); !got.Full || !strings.Contains(got.Reason, "no marker") {
		t.Fatalf("after a shared run: %+v", got)
	}
}

// TestCheck: `soapgate db check`'s full check passes a healthy file without touching its
// marker, refuses a damaged one and removes its marker, and refuses a missing file rather
// than create it.
func TestCheck(t *testing.T) {
	path := sqliteFile(t)
	db := openStore(t, path)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if took, err := store.Check(ctx, path); err != nil || took <= 0 {
		t.Fatalf("healthy file: %v, %v", took, err)
	}
	readMarker(t, path)
	if _, err := store.Check(ctx, path+".missing"); err == nil {
		t.Fatal("a missing file was checked")
	}
	noFile(t, path+".missing", "Check creates nothing")

	// Damage the marker cannot see (its metadata is put back into the marker, as if a disk
	// had rotted under an unchanged file): the start trusts the marker, Check does not.
	overwriteLastPage(t, path)
	fi, _ := os.Stat(path)
	m := readMarker(t, path)
	st := statFields(t, fi)
	for k, v := range st {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	os.WriteFile(path+".checked", b, 0o600)
	// The marker's own ctime must be later than the file's, as Close ensures: touch it until
	// the kernel's clock has ticked past.
	for {
		mi, err := os.Stat(path + ".checked")
		if err != nil {
			t.Fatal(err)
		}
		if statFields(t, mi)["ctime_ns"].(int64) > st["ctime_ns"].(int64) {
			break
		}
		time.Sleep(time.Millisecond)
		os.Chmod(path+".checked", 0o600)
	}
	db = openStore(t, path)
	if db.Integrity().Full {
		t.Fatalf("the forged marker was not trusted: %+v", db.Integrity())
	}
	db.Close()
	_, err := store.Check(ctx, path)
	if err == nil || !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "PRAGMA quick_check") {
		t.Fatalf("damaged file: %v", err)
	}
	noFile(t, path+".checked", "Check removes the marker of a damaged file")
	if _, err := store.Open(path); err == nil || !strings.Contains(err.Error(), "is damaged") {
		t.Fatalf("start after db check found damage: %v", err)
	}
}

// statFields is a file's state as the marker records it.
func statFields(t *testing.T, fi os.FileInfo) map[string]any {
	t.Helper()
	st := fi.Sys().(*syscall.Stat_t)
	return map[string]any{"size": st.Size, "mtime_ns": st.Mtim.Nano(), "ctime_ns": st.Ctim.Nano(),
		"inode": uint64(st.Ino), "device": uint64(st.Dev)}
}

// TestClose_NoMarkerAfterAnOpenBesideAnother: an Open that finds another process's -wal
// cannot tell whether that process will stop cleanly; closing last, it still writes no
// marker, unless it is the serving process (which holds the serve lock: the other is a
// command, and a command's crash leaves the -wal the next start sees).
func TestClose_NoMarkerAfterAnOpenBesideAnother(t *testing.T) {
	for _, serving := range []bool{false, true} {
		path := sqliteFile(t)
		other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Exec(`INSERT INTO filler (x) VALUES ('other')`); err != nil {
			t.Fatal(err)
		}
		db := openStoreWith(t, path, store.Options{Serving: serving})
		other.Close() // the other process goes first: this Close is the last
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		noFile(t, path+"-wal", "the last close removes the -wal")
		_, err = os.Stat(path + ".checked")
		if got := err == nil; got != serving {
			t.Errorf("serving=%v: a marker written: %v, want %v", serving, got, serving)
		}
	}
}
