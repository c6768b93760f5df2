package store_test

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

// fixture is what fill wrote: a row in every table a gateway writes.
type fixture struct {
	orders []*gateway.Order // the initial payment of a series, a delayed order, a charge of the series
	notes  []*gateway.Notification
}

// fill writes, through the store, an order of each kind with its operations, pay extras,
// recurring series and charge, schedule, saved card, payment page, receipt lines and
// receipt, notifications with delivery attempts, and settings.
func fill(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{}
	init := newOrder("1100000000000001", "init", gateway.StateApproved)
	init.Customer.Buyer = gateway.Buyer{Address: "ул. Тверская, 1\nкв. 2", City: "Москва", Zip: "125009"}
	delayed := newOrder("1100000000000002", "hold", gateway.StateDelayed)
	delayed.TwoStage, delayed.Captured = true, 0
	charge := newOrder("1100000000000003", "rp-1", gateway.StateApproved)
	charge.TestMode = false
	f.orders = []*gateway.Order{init, delayed, charge}
	update(t, db, func(tx gateway.Tx) error {
		for _, o := range f.orders {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			op := &gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment, State: gateway.OpSuccess, Amount: o.Amount,
				Currency: "RUB", ResponseCode: "AS000", Message: "Approved", ApprovalCode: "123456", IPAddress: "10.0.0.1", Created: t0}
			if err := tx.InsertOperation(op); err != nil {
				return err
			}
		}
		if err := tx.InsertPayExtras(init.ID, &gateway.PayExtras{CustomerNumber: "cust", Consent: true, MinAmount: 100,
			MaxAmount: 90000, PeriodDays: 30, MaxDate: t0.AddDate(1, 0, 0), SaveCard: true}); err != nil {
			return err
		}
		if err := tx.InsertSeries(&gateway.Series{OrderID: init.ID, MerchantID: "m1", Currency: "RUB", MinAmount: 100,
			MaxAmount: 90000, PeriodDays: 30, State: gateway.SeriesActivated, Created: t0, Updated: t0}); err != nil {
			return err
		}
		sc := &gateway.Schedule{MerchantID: "m1", SeriesOrderID: init.ID, BillNumber: init.BillNumber, Amount: 500,
			Currency: "RUB", Description: "monthly", Plan: gateway.Plan{Start: t0, Length: 1, Unit: gateway.PeriodDay,
				End: t0.AddDate(0, 1, 0)}, RetryCount: 2, RetryPeriod: time.Hour, State: gateway.ScheduleActive, NextN: 2,
			NextRun: t0.Add(24 * time.Hour), Attempts: 1, LastCode: "AS000", Created: t0, Updated: t0}
		if err := tx.InsertSchedule(sc); err != nil {
			return err
		}
		if err := tx.InsertRecurringCharge(&gateway.RecurringCharge{OrderID: charge.ID, SeriesOrderID: init.ID,
			ScheduleID: sc.ID, Occurrence: 1, MITAttempt: 1}); err != nil {
			return err
		}
		if err := tx.InsertSavedCard(&gateway.SavedCard{Token: "0F1E2D3C-0000-4000-8000-000000000001", MerchantID: "m1",
			CustomerNumber: "cust", OrderID: init.ID, Card: init.Card, Active: true, Created: t0, Updated: t0}); err != nil {
			return err
		}
		if err := tx.InsertPage(&gateway.Page{ID: "page-fixture", OrderID: delayed.ID, Language: "EN",
			ReturnOK: "https://shop/ok", Stage: gateway.PageCard, FormToken: "ft", Expires: t0.Add(time.Hour),
			Created: t0, Creator: strings.Repeat("ab", 32)}); err != nil {
			return err
		}
		spec := &gateway.ReceiptSpec{Total: init.Amount, TaxationSystem: "1", Items: []gateway.ReceiptItem{
			{ID: "1", Name: "Kettle", Price: 10000, Quantity: 1000, Amount: 10000, Tax: "vat20", FPMode: 4}}}
		if err := tx.InsertReceiptSpec(init.ID, spec); err != nil {
			return err
		}
		if err := tx.InsertReceipt(&gateway.Receipt{OrderID: init.ID, OpSeq: 1, Kind: gateway.ReceiptSale,
			Total: init.Amount, TaxationSystem: "1", Items: spec.Items, FiscalSign: "0123456789", FiscalTime: t0}); err != nil {
			return err
		}
		for i, o := range f.orders {
			n := &gateway.Notification{MerchantID: "m1", OrderID: o.ID, BillNumber: o.BillNumber + ".1",
				Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0.Add(time.Duration(i) * time.Second),
				Payload: gateway.Payload{Order: *o, Op: gateway.Operation{Seq: 1, Type: gateway.OpPayment,
					State: gateway.OpSuccess, Amount: o.Amount, Currency: "RUB", ResponseCode: "AS000", Created: t0},
					Token: "TOK", RecurringState: "Activated", CustomerNumber: "cust"}}
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
			f.notes = append(f.notes, n)
		}
		// The first is delivered at the second try: two attempts.
		n, c := f.notes[0], gateway.Claim{Owner: "p1", Until: t0.Add(time.Minute)}
		if ok, err := tx.ClaimNotification(n.ID, t0, t0, c); err != nil || !ok {
			return fmt.Errorf("claim: %v %v", ok, err)
		}
		n.Attempts, n.NextAt = 1, t0.Add(time.Minute)
		if _, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: t0, HTTPStatus: 500, Excerpt: "oops",
			Outcome: "retry"}); err != nil {
			return err
		}
		if ok, err := tx.ClaimNotification(n.ID, t0.Add(time.Minute), t0.Add(time.Minute), c); err != nil || !ok {
			return fmt.Errorf("claim again: %v %v", ok, err)
		}
		n.State, n.Attempts, n.DoneAt = gateway.NotifyDelivered, 2, t0.Add(time.Minute)
		if _, err := tx.FinishNotification(n, c, gateway.DeliveryAttempt{At: n.DoneAt, HTTPStatus: 200, Excerpt: "OK",
			Outcome: "delivered"}); err != nil {
			return err
		}
		if err := tx.SetSetting("clock.offset", "3600000"); err != nil {
			return err
		}
		return tx.SetSetting("note", "a 'quoted' value; with ? marks")
	})
	return f
}

// userTables lists a SQLite file's tables other than SQLite's own and the migrations record.
func userTables(t *testing.T, raw *sql.DB) []string {
	t.Helper()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name <> 'migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// dump reads every row of the tables, each as one line of its column names and values
// (integers in decimal, text as quoted, NULL), the lines of a table sorted: two databases
// hold the same rows when their dumps are equal, whichever engine they are.
func dump(t *testing.T, raw *sql.DB, tables []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := raw.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		lines := []string{}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", table, err)
			}
			var b strings.Builder
			for i, v := range vals {
				fmt.Fprintf(&b, "%s=", cols[i])
				switch x := v.(type) {
				case nil:
					b.WriteString("NULL")
				case []byte:
					fmt.Fprintf(&b, "%q", x)
				case string:
					fmt.Fprintf(&b, "%q", x)
				case int64, int32, int16:
					fmt.Fprintf(&b, "%d", x)
				default:
					fmt.Fprintf(&b, "%T(%v)", x, x)
				}
				b.WriteByte(' ')
			}
			lines = append(lines, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		rows.Close()
		sort.Strings(lines)
		out[table] = lines
	}
	return out
}

// sameDump reports the first difference between two dumps.
func sameDump(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if len(g) != len(w) {
			t.Fatalf("%s: table %s has %d rows, want %d", what, table, len(g), len(w))
		}
		for i := range w {
			if g[i] != w[i] {
				t.Fatalf("%s: table %s differs:\n got %s\nwant %s", what, table, g[i], w[i])
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d tables, want %d", what, len(got), len(want))
	}
}

func openSQLiteRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
