package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"soapgate/store"
)

// TestOpen_NameSQLiteWouldReadAsURI: a database whose name holds '#', '?' or '%' is opened as
// that file, not as the part before them (which SQLite's URI reading made of it).
func TestOpen_NameSQLiteWouldReadAsURI(t *testing.T) {
	for _, name := range []string{"live #1.db", "what?.db", "100%.db"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		db, err := store.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
			t.Errorf("%s: the database file is not where it was asked for: %v", name, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if n := e.Name(); n != name && n != name+".checked" && n != name+".lock" {
				t.Errorf("%s: stray file %q beside it", name, n)
			}
		}
	}
}
