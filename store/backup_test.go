package store_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/store"
)

// TestBackup_OpensWithTheSameRows backs up a database a store has open (and goes on writing
// after): the copy is one self-contained file, holds every row committed before the backup
// and none written after, and a store opens it and reads the same orders and notifications.
func TestBackup_OpensWithTheSameRows(t *testing.T) {
	dir := t.TempDir()
	path, to := filepath.Join(dir, "live.db"), filepath.Join(dir, "backups", "b1.db")
	if err := os.Mkdir(filepath.Dir(to), 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := fill(t, db)
	raw := openSQLiteRaw(t, path)
	tables := userTables(t, raw)
	want := dump(t, raw, tables)

	if err := store.Backup(context.Background(), path, to); err != nil {
		t.Fatalf("backup: %v", err)
	}
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("after", "the backup") })
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(to + side); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the backup has a %s file beside it (%v): it is not self-contained", side, err)
		}
	}
	sameDump(t, "the backup", dump(t, openSQLiteRaw(t, to), tables), want)

	restored, err := store.Open(to)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer restored.Close()
	for _, o := range f.orders {
		var a, b []gateway.NotificationDetail
		var ao, bo *gateway.Order
		view(t, db, func(tx gateway.Tx) (err error) {
			if ao, err = tx.OrderByBill("m1", o.BillNumber); err == nil {
				a, err = tx.NotificationsOfOrder(o.ID)
			}
			return err
		})
		view(t, restored, func(tx gateway.Tx) (err error) {
			if bo, err = tx.OrderByBill("m1", o.BillNumber); err == nil {
				b, err = tx.NotificationsOfOrder(o.ID)
			}
			return err
		})
		if *ao != *bo || !reflect.DeepEqual(a, b) {
			t.Fatalf("order %s in the backup:\n%+v %+v\nwant %+v %+v", o.BillNumber, bo, b, ao, a)
		}
	}
	view(t, restored, func(tx gateway.Tx) error {
		if v, err := tx.Setting("after"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("a write made after the backup is in it: %q %v", v, err)
		}
		return nil
	})
	// The restored store takes writes of its own.
	update(t, restored, func(tx gateway.Tx) error { return tx.SetSetting("restored", "yes") })
}

// TestBackup_Refusals: a missing database is not created and backed up empty, an existing
// backup file is never overwritten, and a backup that fails (no such folder, a damaged
// source, a cancelled context) leaves no file behind.
func TestBackup_Refusals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	path := filepath.Join(dir, "s.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "v") })
	db.Close()

	missing := filepath.Join(dir, "missing.db")
	to := filepath.Join(dir, "b.db")
	if err := store.Backup(ctx, missing, to); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("backup of a missing database: %v, want an error naming it", err)
	}
	for _, p := range []string{missing, to} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("backup of a missing database left %s (%v)", p, err)
		}
	}

	old := []byte("yesterday's backup")
	if err := os.WriteFile(to, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Backup(ctx, path, to); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(to); !bytes.Equal(b, old) {
		t.Fatalf("the existing file was changed: %q", b)
	}
	// A dangling symlink is a name taken too: writing through it would create its target.
	link, target := filepath.Join(dir, "link.db"), filepath.Join(dir, "elsewhere.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := store.Backup(ctx, path, link); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup onto a symlink: %v", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup wrote through a symlink (%v)", err)
	}

	nofolder := filepath.Join(dir, "no", "such", "b.db")
	if err := store.Backup(ctx, path, nofolder); err == nil || !strings.Contains(err.Error(), "copy "+path) {
		t.Fatalf("backup into a missing folder: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(nofolder)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup created the folder (%v)", err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "g.db")
	if err := store.Backup(ctx, garbage, out); err == nil || !strings.Contains(err.Error(), "file is not a database") {
		t.Fatalf("backup of a file that is not a database: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed backup left %s (%v)", out, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := store.Backup(cctx, path, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("backup with a cancelled context: %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a cancelled backup left %s (%v)", out, err)
	}
	// And the source still backs up.
	if err := store.Backup(ctx, path, out); err != nil {
		t.Fatalf("backup after the refusals: %v", err)
	}
}

// TestBackup_NamesSQLiteWouldReadAsURI: file names holding '#', '?' or '%' (which a SQLite
// file: URI reads as the end of the name, its parameters and escapes) are backed up from
// and to those very files: the backup holds the source's rows, and nothing else is made.
func TestBackup_NamesSQLiteWouldReadAsURI(t *testing.T) {
	dir, bdir := t.TempDir(), t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	db, err := store.Open(clean)
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "from the source") })
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "live #1?x=y%41.db")
	if err := os.Rename(clean, src); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(bdir, "backup %41#2?mode=memory.db")
	if err := store.Backup(context.Background(), src, to); err != nil {
		t.Fatalf("backup: %v", err)
	}
	for d, want := range map[string]string{dir: filepath.Base(src), bdir: filepath.Base(to)} {
		entries, _ := os.ReadDir(d)
		var names []string
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".checked") { // the marker of a clean close (integrity.go)
				names = append(names, e.Name())
			}
		}
		if len(names) != 1 || names[0] != want {
			t.Fatalf("%s holds %q, want only %q", d, names, want)
		}
	}
	restored := filepath.Join(bdir, "restored.db")
	if err := os.Rename(to, restored); err != nil {
		t.Fatal(err)
	}
	rdb, err := store.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	view(t, rdb, func(tx gateway.Tx) error {
		if v, err := tx.Setting("k"); err != nil || v != "from the source" {
			t.Fatalf("the backup's setting: %q %v", v, err)
		}
		return nil
	})
}
