package store_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

// migrationFailure checks a database where another program made a settings table of its
// own: the open fails naming the migration that could not run; the migrations before it
// stay applied and recorded, the failed one leaves nothing; and once the stranger's table
// is gone the next open applies the rest.
func migrationFailure(t *testing.T, raw *sql.DB, open func() (*store.DB, error)) {
	t.Helper()
	if _, err := raw.Exec(`CREATE TABLE settings (owner TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO settings (owner) VALUES ('someone else')`); err != nil {
		t.Fatal(err)
	}
	db, err := open()
	if err == nil {
		db.Close()
		t.Fatal("opened a database whose settings table is a stranger's")
	}
	if !strings.Contains(err.Error(), "migration 002_settings.sql: ") {
		t.Fatalf("open: %v, want the failed migration named", err)
	}
	var recorded []string
	rows, err := raw.Query(`SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		recorded = append(recorded, n)
	}
	rows.Close()
	if strings.Join(recorded, ",") != "001_orders.sql" {
		t.Fatalf("recorded migrations %v, want only 001_orders.sql", recorded)
	}
	var owner string
	if err := raw.QueryRow(`SELECT owner FROM settings`).Scan(&owner); err != nil || owner != "someone else" {
		t.Fatalf("the stranger's table: %q %v", owner, err)
	}
	if _, err := raw.Exec(`DROP TABLE settings`); err != nil {
		t.Fatal(err)
	}
	db, err = open()
	if err != nil {
		t.Fatalf("open after the stranger's table went: %v", err)
	}
	defer db.Close()
	update(t, db, func(tx gateway.Tx) error { return tx.SetSetting("k", "v") })
	names, _ := store.MigrationNames()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&n); err != nil || n != len(names) {
		t.Fatalf("%d migrations recorded (%v), want %d", n, err, len(names))
	}
}

func TestOpen_MigrationFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	migrationFailure(t, openSQLiteRaw(t, path), func() (*store.DB, error) { return store.Open(path) })
}

func TestOpenPostgres_MigrationFails(t *testing.T) {
	url := pgtest.NewDatabase(t)
	migrationFailure(t, openRaw(t, url), func() (*store.DB, error) { return store.OpenPostgres(url) })
}
