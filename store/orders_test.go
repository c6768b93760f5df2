package store_test

import (
	"errors"
	"testing"
	"time"

	"soapgate/gateway"
)

func TestTxn_Orders(t *testing.T) {
	db := open(t)
	a := newOrder("3000000000000001", "n-1", gateway.StateDeclined)
	b := newOrder("3000000000000002", "n-1", gateway.StateDelayed)
	b.Created = t0.Add(time.Minute)
	c := newOrder("3000000000000003", "n-2", gateway.StateInProcess)
	c.Created = t0.Add(48 * time.Hour)
	update(t, db, func(tx gateway.Tx) error {
		for _, o := range []*gateway.Order{a, b, c} {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		if err := tx.InsertOrder(newOrder(a.BillNumber, "x", gateway.StateApproved)); !errors.Is(err, gateway.ErrBillTaken) {
			t.Errorf("a taken billnumber: %v, want ErrBillTaken", err)
		}
		return nil
	})
	all := gateway.Window{From: t0.Add(-time.Hour), To: t0.Add(100 * time.Hour)}
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.OrderByBill("m1", b.BillNumber)
		if err != nil || *got != *b {
			t.Fatalf("by bill: %v\n got %+v\nwant %+v", err, got, b)
		}
		if _, err := tx.OrderByBill("m2", b.BillNumber); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("another merchant's bill: %v", err)
		}
		if got, err := tx.OrderByID(c.ID); err != nil || got.BillNumber != c.BillNumber {
			t.Fatalf("by id: %v %+v", err, got)
		}
		for _, tc := range []struct {
			num  string
			w    gateway.Window
			want int
		}{{"n-1", all, 2}, {"n-1", gateway.Window{From: t0.Add(time.Second), To: all.To}, 1}, {"n-2", all, 1}, {"none", all, 0}} {
			// Twice: the second read comes from the order cache.
			for range 2 {
				if got, err := tx.OrdersByNumber("m1", tc.num, tc.w); err != nil || len(got) != tc.want {
					t.Fatalf("by number %s: %v %d, want %d", tc.num, err, len(got), tc.want)
				}
			}
		}
		if got, err := tx.Orders("m1", gateway.Window{From: t0, To: t0.Add(time.Hour)}); err != nil || len(got) != 2 {
			t.Fatalf("orders in window: %v %d", err, len(got))
		}
		if got, err := tx.OrderHoldingMoney("m1", "n-1"); err != nil || got.ID != b.ID {
			t.Fatalf("holding money: %v %+v", err, got)
		}
		if _, err := tx.OrderHoldingMoney("m1", "none"); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("holding money, none: %v", err)
		}
		if got, err := tx.OrdersInState(gateway.StateInProcess); err != nil || len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("in state: %v %v", err, got)
		}
		return nil
	})
	// An update is seen by the next read, the cache notwithstanding.
	b.State, b.Captured, b.Updated, b.LastSeq = gateway.StatePartialDelayed, 4000, t0.Add(time.Hour), 2
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateOrder(b) })
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.OrdersByNumber("m1", "n-1", all)
		if err != nil || got[1].State != gateway.StatePartialDelayed || got[1].Captured != 4000 || got[1].LastSeq != 2 {
			t.Fatalf("after update: %v %+v", err, got)
		}
		return nil
	})
}

func TestTxn_Operations(t *testing.T) {
	db := open(t)
	o := newOrder("4000000000000001", "ops", gateway.StateApproved)
	op := func(seq int, typ gateway.OpType, state gateway.OpState, ext string) *gateway.Operation {
		return &gateway.Operation{Seq: seq, Type: typ, State: state, Amount: 1000, Currency: "RUB", ResponseCode: "AS300",
			Message: "In process", ExternalRefundID: ext, IPAddress: "10.0.0.2", Created: t0}
	}
	ops := []*gateway.Operation{op(1, gateway.OpPayment, gateway.OpSuccess, ""), op(2, gateway.OpCancel, gateway.OpInProcess, "r1"),
		op(3, gateway.OpCancel, gateway.OpFailed, "r2")}
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		for _, p := range ops {
			p.OrderID = o.ID
			if err := tx.InsertOperation(p); err != nil {
				return err
			}
		}
		return nil
	})
	// The same externalrefundid is refused while an operation holding it has not failed.
	err := db.Update(t.Context(), func(tx gateway.Tx) error {
		p := op(4, gateway.OpCancel, gateway.OpInProcess, "r1")
		p.OrderID = o.ID
		return tx.InsertOperation(p)
	})
	if err == nil {
		t.Fatal("a second operation with externalrefundid r1: no error")
	}
	again := op(4, gateway.OpCancel, gateway.OpInProcess, "r2")
	again.OrderID = o.ID
	update(t, db, func(tx gateway.Tx) error { return tx.InsertOperation(again) })

	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.OperationsInState(gateway.OpInProcess)
		if err != nil || len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 4 {
			t.Fatalf("in process: %v %+v", err, got)
		}
		return nil
	})
	ops[1].State, ops[1].ResponseCode, ops[1].Message, ops[1].CustomerMessage, ops[1].ApprovalCode = gateway.OpSuccess, "AS000", "Approved", "ok", "123456"
	update(t, db, func(tx gateway.Tx) error { return tx.UpdateOperation(ops[1]) })
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.Operations(o.ID)
		if err != nil || len(got) != 4 {
			t.Fatalf("operations: %v %d", err, len(got))
		}
		if *got[1] != *ops[1] {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got[1], ops[1])
		}
		if got[0].ExternalRefundID != "" || got[2].ExternalRefundID != "r2" {
			t.Fatalf("external ids %q %q", got[0].ExternalRefundID, got[2].ExternalRefundID)
		}
		return nil
	})
}
