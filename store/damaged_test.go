package store_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/store"
)

// TestOpen_DamagedFile: a file that is not a database, or one whose pages were damaged
// after a clean close, is refused at start with one line that says so and what to do,
// and the open leaves the file as it found it.
func TestOpen_DamagedFile(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	junk := bytes.Repeat([]byte("this is not a database. "), 400)
	if err := os.WriteFile(garbage, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(garbage)
	if err == nil || !strings.Contains(err.Error(), garbage+": the database file is damaged") ||
		!strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("open of a file that is not a database: %v", err)
	}
	if b, _ := os.ReadFile(garbage); !bytes.Equal(b, junk) {
		t.Fatal("the open changed the file")
	}

	path := filepath.Join(dir, "s.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Scribble over the third page (a table's b-tree), past its header.
	size := int(binary.BigEndian.Uint16(b[16:18]))
	if size == 1 {
		size = 65536
	}
	if len(b) < 4*size {
		t.Fatalf("the database has %d bytes, want at least 4 pages of %d", len(b), size)
	}
	for i := 2*size + 100; i < 3*size; i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = store.Open(path)
	if err == nil {
		t.Fatal("a damaged database opened")
	}
	msg := err.Error()
	for _, want := range []string{path, "the database file is damaged (PRAGMA quick_check: ", "more)", "restore it from a backup"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") || strings.Count(msg, ";") > 8 {
		t.Errorf("message is not one short line: %q", msg)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Fatal("the open changed the damaged file")
	}
}

// TestOpen_FolderProblems: a database whose folder cannot be made says so, naming it,
// before SQLite's "unable to open database file" could.
func TestOpen_FolderProblems(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(filepath.Join(file, "db", "s.db"))
	if err == nil || !strings.Contains(err.Error(), "create database folder") || !strings.Contains(err.Error(), file) {
		t.Fatalf("a folder under a file: %v", err)
	}
	// A missing folder is made, and the database in it.
	nested := filepath.Join(t.TempDir(), "a", "b", "s.db")
	db, err := store.Open(nested)
	if err != nil {
		t.Fatalf("open in folders to be made: %v", err)
	}
	db.Close()
	if fi, err := os.Stat(nested); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("the database in the made folder: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(nested), ".soapgate-write-check-*"))
	if len(left) != 0 {
		t.Fatalf("the write check left %v behind", left)
	}
}
