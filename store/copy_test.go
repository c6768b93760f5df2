package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

// copySource is a SQLite store filled with a row in every table, the shared-state tables
// (which a gateway on SQLite leaves empty) included, so that a table Copy left out shows.
func copySource(t *testing.T) (*store.DB, string, *fixture) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.db")
	src, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	f := fill(t, src)
	raw := openSQLiteRaw(t, path)
	for _, q := range []string{
		`INSERT INTO monitor_sessions (id_hash, merchant_id, expires, flash) VALUES ('h1', 'm1', 1767225600000, 'saved')`,
		`INSERT INTO monitor_nonces (session_hash, nonce_hash) VALUES ('h1', 'n1')`,
		`INSERT INTO auth_failures (key, n, last) VALUES ('login:m1', 3, 1767225600000)`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return src, path, f
}

// TestCopy_SQLiteToPostgres copies a SQLite store into an empty PostgreSQL one: every table
// with every row as it was, parents before children, what the store reads back the same,
// and new rows numbered after the copied ones. A second copy into the now filled target is
// refused and changes nothing; a copy the wrong way round is refused.
func TestCopy_SQLiteToPostgres(t *testing.T) {
	src, path, f := copySource(t)
	url := pgtest.NewDatabase(t)
	dst := openPG(t, url)
	ctx := context.Background()

	raw := openSQLiteRaw(t, path)
	tables := userTables(t, raw)
	want := dump(t, raw, tables)
	counts, err := store.Copy(ctx, src, dst)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if len(counts) != len(tables) {
		t.Fatalf("copied %d tables %v, want the source's %d: %v", len(counts), counts, len(tables), tables)
	}
	pos := map[string]int{}
	for i, c := range counts {
		pos[c.Table] = i
		if n := int64(len(want[c.Table])); c.Rows != n || n == 0 {
			t.Errorf("table %s: %d rows copied, the source has %d (the fixture fills every table)", c.Table, c.Rows, n)
		}
	}
	// Foreign keys: each parent table is copied before the tables that name it.
	for _, child := range tables {
		rows, err := raw.Query(`SELECT "table" FROM pragma_foreign_key_list(?)`, child)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var parent string
			rows.Scan(&parent)
			if parent != child && pos[parent] > pos[child] {
				t.Errorf("%s copied before its parent %s: %v", child, parent, counts)
			}
		}
		rows.Close()
	}
	pg := openRaw(t, url)
	sameDump(t, "the copy", dump(t, pg, tables), want)

	// The store reads back the same orders, operations and notifications (payloads included).
	for _, o := range f.orders {
		var a, b *gateway.Order
		var an, bn []gateway.NotificationDetail
		var aops, bops []*gateway.Operation
		read := func(db *store.DB, order **gateway.Order, ns *[]gateway.NotificationDetail, ops *[]*gateway.Operation) {
			view(t, db, func(tx gateway.Tx) (err error) {
				if *order, err = tx.OrderByBill("m1", o.BillNumber); err != nil {
					return err
				}
				if *ops, err = tx.Operations(o.ID); err != nil {
					return err
				}
				*ns, err = tx.NotificationsOfOrder(o.ID)
				return err
			})
		}
		read(src, &a, &an, &aops)
		read(dst, &b, &bn, &bops)
		if *a != *b || !reflect.DeepEqual(an, bn) || !reflect.DeepEqual(aops, bops) || len(bn) != 1 || len(bops) != 1 {
			t.Fatalf("order %s read back differently:\n sqlite %+v %+v\n postgres %+v %+v", o.BillNumber, a, an, b, bn)
		}
	}
	n := f.notes[0]
	view(t, dst, func(tx gateway.Tx) error {
		got, err := tx.NotificationByID(n.ID)
		if err != nil || got.Payload.Token != "TOK" || got.Payload.Order.BillNumber != f.orders[0].BillNumber ||
			got.State != gateway.NotifyDelivered || !got.DoneAt.Equal(n.DoneAt) {
			t.Fatalf("copied notification: %v %+v", err, got)
		}
		if a, err := tx.Attempts(n.ID); err != nil || len(a) != 2 || a[0].HTTPStatus != 500 || a[1].Outcome != "delivered" {
			t.Fatalf("copied attempts: %v %+v", err, a)
		}
		if v, err := tx.Setting("note"); err != nil || v != "a 'quoted' value; with ? marks" {
			t.Fatalf("copied setting: %q %v", v, err)
		}
		return nil
	})

	// The identity sequences go on after the copied ids.
	next := newOrder("1100000000000009", "after", gateway.StateInProcess)
	update(t, dst, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(next); err != nil {
			return err
		}
		return tx.InsertNotification(&gateway.Notification{MerchantID: "m1", OrderID: next.ID, BillNumber: "x.1",
			Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0})
	})
	if last := f.orders[len(f.orders)-1]; next.ID != last.ID+1 {
		t.Fatalf("first order after the copy has id %d, want %d", next.ID, last.ID+1)
	}

	// The target holds rows now: a second copy is refused and leaves it as it was.
	before := dump(t, pg, tables)
	if _, err := store.Copy(ctx, src, dst); !errors.Is(err, store.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "table ") {
		t.Fatalf("copy into a filled target: %v, want ErrTargetNotEmpty naming a table", err)
	}
	sameDump(t, "the target after a refused copy", dump(t, pg, tables), before)

	for _, c := range []struct {
		name     string
		from, to *store.DB
	}{{"postgres to sqlite", dst, src}, {"sqlite to sqlite", src, src}, {"postgres to postgres", dst, dst}} {
		if _, err := store.Copy(ctx, c.from, c.to); err == nil || !strings.Contains(err.Error(), "from a SQLite store to a PostgreSQL one") {
			t.Errorf("copy %s: %v, want a refusal", c.name, err)
		}
	}
}

// TestCopy_AllOrNothing: a row PostgreSQL refuses, in one of the last tables copied, fails
// the copy with the table named, and the target keeps none of the tables copied before it;
// once the row is mended, the copy goes through into the same target.
func TestCopy_AllOrNothing(t *testing.T) {
	src, path, _ := copySource(t)
	raw := openSQLiteRaw(t, path)
	// SQLite keeps text in an INTEGER column; PostgreSQL's BIGINT does not.
	if _, err := raw.Exec(`UPDATE notification_attempts SET http_status = 'five hundred' WHERE http_status = 500`); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t)
	dst := openPG(t, url)
	ctx := context.Background()
	_, err := store.Copy(ctx, src, dst)
	if err == nil || !strings.Contains(err.Error(), "copy notification_attempts") {
		t.Fatalf("copy of a row PostgreSQL refuses: %v, want the table named", err)
	}
	tables := userTables(t, raw)
	for table, rows := range dump(t, openRaw(t, url), tables) {
		if len(rows) != 0 {
			t.Fatalf("after a failed copy the target's %s holds %d rows", table, len(rows))
		}
	}
	if _, err := raw.Exec(`UPDATE notification_attempts SET http_status = 500 WHERE http_status = 'five hundred'`); err != nil {
		t.Fatal(err)
	}
	counts, err := store.Copy(ctx, src, dst)
	if err != nil || len(counts) != len(tables) {
		t.Fatalf("copy after mending the row: %v %v", counts, err)
	}
	sameDump(t, "the copy", dump(t, openRaw(t, url), tables), dump(t, raw, tables))
}
