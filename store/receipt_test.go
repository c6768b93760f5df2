package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"soapgate/gateway"
)

// TestTxn_ReceiptsAndBuyer stores an order's buyer fields, its receipt lines and two
// receipts on a real SQLite file and reads them back as they were.
func TestTxn_ReceiptsAndBuyer(t *testing.T) {
	db := open(t)
	o := newOrder("5000000000000011", "rc", gateway.StateApproved)
	o.Customer.Buyer = gateway.Buyer{Address: "ул. Тверская, 1\nкв. 2", HomePhone: "1", WorkPhone: "2", Fax: "3",
		Country: "RUS", State: "MOW", City: "Москва", Zip: "125009"}
	spec := &gateway.ReceiptSpec{Total: 10000, TaxationSystem: "1", Items: []gateway.ReceiptItem{
		{ID: "1", Product: "SKU", Name: "Kettle", Price: 6000, Quantity: 1000, Amount: 6000, Tax: "vat20", FPMode: 4},
		{ID: "2", Name: "Mug", Price: 2000, Quantity: 2000, Amount: 4000, Tax: "vat10", FPMode: 1},
	}}
	sale := &gateway.Receipt{OpSeq: 1, Kind: gateway.ReceiptSale, Total: 10000, TaxationSystem: "1", Items: spec.Items,
		FiscalSign: "0123456789", FiscalTime: t0}
	refund := &gateway.Receipt{OpSeq: 2, Kind: gateway.ReceiptRefund, Total: 3000, Items: spec.Scaled(3000),
		FiscalSign: "9876543210", FiscalTime: t0.Add(time.Second)}
	update(t, db, func(tx gateway.Tx) error {
		if err := tx.InsertOrder(o); err != nil {
			return err
		}
		if err := tx.InsertReceiptSpec(o.ID, spec); err != nil {
			return err
		}
		sale.OrderID, refund.OrderID = o.ID, o.ID
		if err := tx.InsertReceipt(sale); err != nil {
			return err
		}
		return tx.InsertReceipt(refund)
	})
	view(t, db, func(tx gateway.Tx) error {
		got, err := tx.OrderByID(o.ID)
		if err != nil || got.Customer != o.Customer {
			t.Fatalf("order's customer: %v %+v, want %+v", err, got.Customer, o.Customer)
		}
		s, err := tx.ReceiptSpec(o.ID)
		if err != nil || !reflect.DeepEqual(s, spec) {
			t.Fatalf("spec: %v %+v", err, s)
		}
		if _, err := tx.ReceiptSpec(o.ID + 1); !errors.Is(err, gateway.ErrNoRows) {
			t.Fatalf("spec of another order: %v", err)
		}
		rs, err := tx.Receipts(o.ID)
		if err != nil || len(rs) != 2 || !reflect.DeepEqual(rs[0], sale) || !reflect.DeepEqual(rs[1], refund) || rs[0].ID >= rs[1].ID {
			t.Fatalf("receipts: %v %+v %+v", err, rs[0], rs[len(rs)-1])
		}
		return nil
	})
	// One receipt per operation.
	if err := db.Update(t.Context(), func(tx gateway.Tx) error {
		return tx.InsertReceipt(&gateway.Receipt{OrderID: o.ID, OpSeq: 1, Kind: gateway.ReceiptSale, Total: 1, FiscalTime: t0})
	}); err == nil {
		t.Fatal("a second receipt for the same operation was stored")
	}
}
