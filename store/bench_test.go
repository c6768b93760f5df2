package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
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

// BenchmarkSQLite_RawCommit is the baseline: one single-row INSERT per transaction with
// synchronous=FULL in WAL mode, from one goroutine — what a naive durable writer gets.
func BenchmarkSQLite_RawCommit(b *testing.B) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO t (v) VALUES (?)`, "x"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDB_GroupCommitPayments writes what a payment's first commit writes (an order and
// its operation) from 32 concurrent callers, each acknowledged only after its commit's
// fsync: the writer batches them into shared commits. Compare ns/op with the raw baseline.
func BenchmarkDB_GroupCommitPayments(b *testing.B) {
	db := seed(b)
	var n atomic.Int64
	now := time.Now().UTC()
	b.SetParallelism(16) // × GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			err := db.Update(context.Background(), func(tx gateway.Tx) error {
				o := &gateway.Order{BillNumber: fmt.Sprintf("2%015d", i), MerchantID: "1", OrderNumber: fmt.Sprint(i), Amount: 100,
					Currency: "RUB", State: gateway.StateInProcess, Created: now, Updated: now, LastSeq: 1}
				if err := tx.InsertOrder(o); err != nil {
					return err
				}
				return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment,
					State: gateway.OpInProcess, Amount: 100, Currency: "RUB", Created: now})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDB_GroupCommitVsRaw takes turns, 100 ms at a time, between the two writers above:
// raw single-row FULL commits from one goroutine, and payment writes through the store from
// 32 concurrent callers, each answered after its commit's fsync. It reports both rates and
// their ratio (x-group/raw): the same background load falls on both.
func BenchmarkDB_GroupCommitVsRaw(b *testing.B) {
	db := seed(b)
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	if _, err := raw.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		b.Fatal(err)
	}
	const slice = 100 * time.Millisecond
	var rawN, groupN int64
	var rawT, groupT time.Duration
	var seq atomic.Int64
	now := time.Now().UTC()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		for time.Since(start) < slice {
			tx, err := raw.Begin()
			if err == nil {
				_, err = tx.Exec(`INSERT INTO t (v) VALUES (?)`, "x")
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				b.Fatal(err)
			}
			rawN++
		}
		rawT += time.Since(start)

		start = time.Now()
		var n atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < slice {
					i := seq.Add(1)
					err := db.Update(context.Background(), func(tx gateway.Tx) error {
						o := &gateway.Order{BillNumber: fmt.Sprintf("3%015d", i), MerchantID: "1", OrderNumber: fmt.Sprint(i), Amount: 100,
							Currency: "RUB", State: gateway.StateInProcess, Created: now, Updated: now, LastSeq: 1}
						if err := tx.InsertOrder(o); err != nil {
							return err
						}
						return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment,
							State: gateway.OpInProcess, Amount: 100, Currency: "RUB", Created: now})
					})
					if err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		groupT += time.Since(start)
		groupN += n.Load()
	}
	rawRate, groupRate := float64(rawN)/rawT.Seconds(), float64(groupN)/groupT.Seconds()
	b.ReportMetric(rawRate, "raw-commits/s")
	b.ReportMetric(groupRate, "group-writes/s")
	b.ReportMetric(groupRate/rawRate, "x-group/raw")
}
