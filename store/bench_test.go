package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

func seed(b *testing.B) *store.DB {
	db, err := store.Open(filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	err = db.Update(context.Background(), func(tx gateway.Tx) error {
		return tx.InsertOrder(&gateway.Order{BillNumber: "1000000000000001", MerchantID: "1", OrderNumber: "o", Amount: 100,
			Currency: "RUB", State: gateway.StateApproved, Created: now, Updated: now, LastSeq: 1})
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkDB_ViewOrdersByNumber is the read behind orderstate.
func BenchmarkDB_ViewOrdersByNumber(b *testing.B) {
	db := seed(b)
	w := gateway.Window{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.View(context.Background(), func(tx gateway.Tx) error {
				os, err := tx.OrdersByNumber("1", "o", w)
				if len(os) != 1 {
					b.Fatal("no order")
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDB_Update measures durable single-command commits from concurrent writers,
// which the writer batches into shared commits.
func BenchmarkDB_Update(b *testing.B) {
	db := seed(b)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.Update(context.Background(), func(tx gateway.Tx) error {
				_, err := tx.OrderByBill("1", "1000000000000001")
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
