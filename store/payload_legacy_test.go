package store_test

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

type legacyField struct{ Name, Value string }

// legacyPayload is the payload column as the version before the domain snapshot wrote it
// (gateway.payloadOf of that version, field for field).
func legacyPayload(o *gateway.Order, op *gateway.Operation, token, recurring, customer string) string {
	testmode := "0"
	if o.TestMode {
		testmode = "1"
	}
	c, card, ext := o.Customer, o.Card, op.ExtBillNumber(o)
	p := struct{ Order, Operation []legacyField }{
		Order: []legacyField{
			{"merchant_id", o.MerchantID}, {"ordernumber", o.OrderNumber}, {"billnumber", ext},
			{"testmode", testmode}, {"ordercomment", o.Comment}, {"orderamount", o.Amount.String()},
			{"ordercurrency", o.Currency}, {"amount", op.Amount.String()}, {"currency", op.Currency},
			{"firstname", c.FirstName}, {"lastname", c.LastName}, {"middlename", c.MiddleName}, {"email", c.Email},
			{"orderdate", gateway.FormatDate(o.Created)}, {"orderstate", string(o.State)}, {"responsecode", op.ResponseCode},
			{"message", op.Message}, {"approvalcode", op.ApprovalCode}, {"meantypename", card.Brand},
			{"meannumber", card.Masked()}, {"cardholder", card.Holder}, {"operationtype", op.Type.String()},
			{"operationdate", gateway.FormatDate(op.Created)}, {"recurringstate", recurring}, {"token", token},
			{"customernumber", customer},
		},
		Operation: []legacyField{
			{"billnumber", ext}, {"operationtype", op.Type.String()}, {"operationstate", string(op.State)},
			{"amount", op.Amount.String()}, {"currency", op.Currency}, {"rate", "1"}, {"meantypename", card.Brand},
			{"meansubtype", ""}, {"meannumber", card.Masked()}, {"cardholder", card.Holder},
			{"cardexpirationdate", card.Expiry()}, {"issuebank", ""}, {"bankcountry", ""}, {"ipaddress", op.IPAddress},
			{"responsecode", op.ResponseCode}, {"message", op.Message}, {"customermessage", op.CustomerMessage},
			{"recommendation", op.Recommendation}, {"approvalcode", op.ApprovalCode}, {"protocoltypename", "NET"},
			{"processingname", "soapgate test processor"}, {"operationdate", gateway.FormatDate(op.Created)},
		},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// TestNotification_LegacyPayload: notifications the previous version queued hold the wire
// fields, not a snapshot; they are read back into the snapshot they came from (all the
// fields a notification sends), so that an upgrade delivers them unchanged. A payload that
// is neither form is an error, not an empty notification.
func TestNotification_LegacyPayload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := newOrder("1200000000000001", "legacy", gateway.StatePartialDelayed)
	o.Amount, o.Comment, o.Customer.MiddleName = 123456, "заказ «1»", "M"
	o.Created = t0.Add(-time.Hour)
	op := &gateway.Operation{Seq: 3, Type: gateway.OpConfirm, State: gateway.OpSuccess, Amount: 100001, Currency: "RUB",
		ResponseCode: "AS000", Message: "Approved", CustomerMessage: "Thank you", Recommendation: "none",
		ApprovalCode: "654321", IPAddress: "192.0.2.7", Created: t0}
	plain := newOrder("1200000000000002", "plain", gateway.StateApproved)
	plain.TestMode, plain.Card = false, gateway.Card{}
	plainOp := &gateway.Operation{Seq: 1, Type: gateway.OpPayment, State: gateway.OpSuccess, Amount: plain.Amount,
		Currency: "RUB", Created: t0}
	var ns []*gateway.Notification
	update(t, db, func(tx gateway.Tx) error {
		for _, x := range []*gateway.Order{o, plain} {
			if err := tx.InsertOrder(x); err != nil {
				return err
			}
			n := &gateway.Notification{MerchantID: "m1", OrderID: x.ID, BillNumber: x.BillNumber + ".1",
				Event: gateway.EventPayment, State: gateway.NotifyPending, NextAt: t0, Created: t0}
			if err := tx.InsertNotification(n); err != nil {
				return err
			}
			ns = append(ns, n)
		}
		return nil
	})
	raw := openSQLiteRaw(t, path)
	set := func(id int64, payload string) {
		t.Helper()
		if _, err := raw.Exec(`UPDATE notifications SET payload = ? WHERE id = ?`, payload, id); err != nil {
			t.Fatal(err)
		}
	}
	set(ns[0].ID, legacyPayload(o, op, "0F1E2D3C-TOKEN", "Activated", "cust-9"))
	set(ns[1].ID, legacyPayload(plain, plainOp, "", "", ""))

	want := gateway.Payload{
		Order: gateway.Order{BillNumber: o.BillNumber, MerchantID: "m1", OrderNumber: "legacy", Amount: 123456,
			Currency: "RUB", Comment: "заказ «1»", Customer: gateway.Customer{FirstName: "A", LastName: "B",
				MiddleName: "M", Email: "a@b.c"}, State: gateway.StatePartialDelayed, TestMode: true,
			Card:    gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA", ExpMonth: "12", ExpYear: "2030", Holder: "A B"},
			Created: t0.Add(-time.Hour)},
		Op: gateway.Operation{Seq: 3, Type: gateway.OpConfirm, State: gateway.OpSuccess, Amount: 100001, Currency: "RUB",
			ResponseCode: "AS000", Message: "Approved", CustomerMessage: "Thank you", Recommendation: "none",
			ApprovalCode: "654321", IPAddress: "192.0.2.7", Created: t0},
		Token: "0F1E2D3C-TOKEN", RecurringState: "Activated", CustomerNumber: "cust-9",
	}
	wantPlain := gateway.Payload{
		Order: gateway.Order{BillNumber: plain.BillNumber, MerchantID: "m1", OrderNumber: "plain", Amount: plain.Amount,
			Currency: "RUB", Comment: "c", Customer: gateway.Customer{FirstName: "A", LastName: "B", Email: "a@b.c"},
			State: gateway.StateApproved, Created: t0},
		Op: gateway.Operation{Seq: 1, Type: gateway.OpPayment, State: gateway.OpSuccess, Amount: plain.Amount,
			Currency: "RUB", Created: t0},
	}
	view(t, db, func(tx gateway.Tx) error {
		for i, w := range []gateway.Payload{want, wantPlain} {
			got, err := tx.NotificationByID(ns[i].ID)
			if err != nil {
				t.Fatalf("legacy notification %d: %v", i, err)
			}
			if !reflect.DeepEqual(got.Payload, w) {
				t.Fatalf("legacy payload %d read as\n%+v\nwant\n%+v", i, got.Payload, w)
			}
		}
		return nil
	})
	// Re-queued by this version, it is written as a snapshot and reads the same.
	update(t, db, func(tx gateway.Tx) error {
		n, err := tx.NotificationByID(ns[0].ID)
		if err != nil {
			return err
		}
		n.ID = 0
		return tx.InsertNotification(n)
	})
	view(t, db, func(tx gateway.Tx) error {
		l, err := tx.ListNotifications(gateway.NotificationFilter{}, 1)
		if err != nil || len(l) != 1 || !reflect.DeepEqual(l[0].Payload, want) {
			t.Fatalf("re-queued legacy notification: %v %+v", err, l)
		}
		return nil
	})

	for _, bad := range []string{`not json`, `{"Order": "x"}`, `{"Order": null, "Op": 7}`, `[1, 2]`} {
		set(ns[1].ID, bad)
		if err := db.View(t.Context(), func(tx gateway.Tx) error {
			_, err := tx.NotificationByID(ns[1].ID)
			return err
		}); err == nil {
			t.Errorf("payload %s: no error", bad)
		}
	}
}
