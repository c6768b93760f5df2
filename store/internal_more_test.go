package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/gateway"
)

// TestOrderCache_Bounded: the cache never holds more than its bound; when full it drops a
// tenth and keeps what it is given; what it hands out are copies; and a fill read before a
// commit it did not see is not kept.
func TestOrderCache_Bounded(t *testing.T) {
	c := newOrderCache(20)
	for i := range 100 {
		k := cacheKey{"m1", string(rune('A' + i))}
		c.put(k, []*gateway.Order{{ID: int64(i), OrderNumber: k.orderNumber}}, c.current())
		c.putOps(int64(i), []*gateway.Operation{{OrderID: int64(i), Seq: 1}}, c.current())
		if len(c.m) > 20 || len(c.ops) > 20 {
			t.Fatalf("after %d fills the cache holds %d orders, %d operation lists; bound 20", i+1, len(c.m), len(c.ops))
		}
		got, ok := c.get(k)
		if !ok || len(got) != 1 || got[0].ID != int64(i) {
			t.Fatalf("the fill just made is not kept: %v %+v", ok, got)
		}
		ops, ok := c.getOps(int64(i))
		if !ok || len(ops) != 1 || ops[0].OrderID != int64(i) {
			t.Fatalf("the operations just stored are not kept: %v %+v", ok, ops)
		}
		got[0].State, ops[0].Seq = "changed by a caller", 9
	}
	if got, _ := c.get(cacheKey{"m1", string(rune('A' + 99))}); got[0].State != "" {
		t.Fatal("a caller's change reached the cache")
	}
	if ops, _ := c.getOps(99); ops[0].Seq != 1 {
		t.Fatal("a caller's change reached the cached operations")
	}
	stale := c.current()
	c.invalidate(map[cacheKey]struct{}{{"m1", "zz"}: {}}, nil)
	c.put(cacheKey{"m1", "late"}, []*gateway.Order{{ID: 1}}, stale)
	c.putOps(1000, []*gateway.Operation{{OrderID: 1000}}, stale)
	if _, ok := c.get(cacheKey{"m1", "late"}); ok {
		t.Fatal("a fill from before a commit was kept")
	}
	if _, ok := c.getOps(1000); ok {
		t.Fatal("operations read before a commit were kept")
	}
}

// TestTablesInOrder: parents come before the tables whose foreign keys name them (a table
// naming itself is no obstacle), and a cycle, which no order can copy, is an error naming
// a table of it.
func TestTablesInOrder(t *testing.T) {
	ctx := context.Background()
	order := func(schema ...string) ([]string, error) {
		raw, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "t.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		for _, q := range schema {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		return tablesInOrder(ctx, tx)
	}
	got, err := order(
		`CREATE TABLE a_child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES z_parent (id), m INTEGER REFERENCES m_mid (id))`,
		`CREATE TABLE m_mid (id INTEGER PRIMARY KEY, p INTEGER REFERENCES z_parent (id), up INTEGER REFERENCES m_mid (id))`,
		`CREATE TABLE z_parent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE migrations (name TEXT PRIMARY KEY)`,
	)
	if err != nil || strings.Join(got, ",") != "z_parent,m_mid,a_child" {
		t.Fatalf("order %v (%v), want z_parent,m_mid,a_child without migrations", got, err)
	}
	_, err = order(
		`CREATE TABLE a (id INTEGER PRIMARY KEY, b INTEGER REFERENCES b (id))`,
		`CREATE TABLE b (id INTEGER PRIMARY KEY, a INTEGER REFERENCES a (id))`,
	)
	if err == nil || !strings.Contains(err.Error(), "foreign keys form a cycle at ") {
		t.Fatalf("a cycle: %v", err)
	}
}
