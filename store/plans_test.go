package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	"soapgate/store"
)

// TestDB_HotQueryPlans: every query whose cost must stay flat as the data grows reads
// through an index (EXPLAIN QUERY PLAN), never a full scan or a sort of what it read.
func TestDB_HotQueryPlans(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plans, err := db.HotQueryPlans()
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) < 15 {
		t.Fatalf("%d plans", len(plans))
	}
	for _, p := range plans {
		if !p.Indexed {
			t.Errorf("%s: %s", p.Name, strings.Join(p.Detail, " | "))
		}
	}
}
