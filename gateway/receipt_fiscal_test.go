package gateway_test

import (
	"context"
	"strconv"
	"testing"

	"soapgate/gateway"
	"soapgate/processor"
)

// receipts reads an order's receipts as kind:total@seq, checking each one's fiscal number and
// sign (recomputed from what it records) and that its lines sum to its total.
func (e *env) receipts(t *testing.T, bill string) []string {
	t.Helper()
	rs, err := e.g.OrderReceipts(context.Background(), e.m, bill)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		if r.FiscalNumber() != strconv.FormatInt(r.ID, 10) || r.ID <= 0 {
			t.Fatalf("receipt %d has fiscal number %q", r.ID, r.FiscalNumber())
		}
		if want := gateway.FiscalSign(bill, r.OpSeq, r.Kind, r.Total, r.FiscalTime); r.FiscalSign != want || len(want) != 10 {
			t.Fatalf("receipt %d: fiscal sign %s, want %s", r.ID, r.FiscalSign, want)
		}
		var sum gateway.Amount
		for _, it := range r.Items {
			sum += it.Amount
		}
		if sum != r.Total {
			t.Fatalf("receipt %d: lines sum to %s, total %s", r.ID, sum, r.Total)
		}
		out = append(out, string(r.Kind)+":"+r.Total.String()+"@"+strconv.Itoa(r.OpSeq))
	}
	return out
}

func same(a []string, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var twoLines = gateway.ReceiptRequest{TaxationSystem: "1",
	ChequeItems: `{"items":[{"id":"1","name":"Book","price":60,"quantity":1,"amount":60,"tax":"vat10"},` +
		`{"id":"2","name":"Pen","price":20,"quantity":2,"amount":40,"tax":"vat20"}]}`}

// TestGateway_FiscalReceipts checks which operations get a receipt: a one-stage approval and
// each refund (scaled lines), each confirm of a two-stage payment but not its authorisation,
// the release of its rest or a void, and no declined payment.
func TestGateway_FiscalReceipts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pay := func(num, delay string, card gateway.CardData, rr gateway.ReceiptRequest) *gateway.Reply {
		t.Helper()
		r, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: num, Amount: "100.00", TwoStage: delay, Card: card, Receipt: rr})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	refund := func(bill, amount string) {
		t.Helper()
		cur := ""
		if amount != "" {
			cur = "RUB"
		}
		if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: bill, Amount: amount, Currency: cur}}); err != nil {
			t.Fatal(err)
		}
	}

	one := pay("fr-1", "0", visa, twoLines).Order.BillNumber
	if got := e.receipts(t, one); !same(got, "sale:100.00@1") {
		t.Fatalf("one-stage approval: %v", got)
	}
	refund(one, "30.00")
	refund(one, "")
	if got := e.receipts(t, one); !same(got, "sale:100.00@1", "refund:30.00@2", "refund:70.00@3") {
		t.Fatalf("after two refunds: %v", got)
	}
	rs, _ := e.g.OrderReceipts(ctx, e.m, one+".2")
	if r := rs[1]; r.TaxationSystem != "1" || len(r.Items) != 2 || r.Items[0].Amount != 1800 || r.Items[1].Amount != 1200 ||
		r.Items[1].Quantity != 2000 || r.Items[1].Price != 600 || r.Kind != gateway.ReceiptRefund {
		t.Fatalf("the refund of 30.00 of 60.00 + 2 × 20.00: %+v", r)
	}
	if rs[0].Items[0].Title() != "Book" || rs[0].Items[0].Tax != "vat10" {
		t.Fatalf("the sale's first line: %+v", rs[0].Items[0])
	}

	two := pay("fr-2", "1", visa, twoLines).Order.BillNumber
	if got := e.receipts(t, two); len(got) != 0 {
		t.Fatalf("a Delayed payment has receipts: %v", got)
	}
	if _, err := e.g.Confirm(ctx, e.m, gateway.AmountRequest{BillNumber: two, Amount: "40.00", Currency: "RUB"}); err != nil {
		t.Fatal(err)
	}
	refund(two, "") // releases the unconfirmed 60.00: no money moved
	refund(two, "10.00")
	if got := e.receipts(t, two); !same(got, "sale:40.00@2", "refund:10.00@4") {
		t.Fatalf("two-stage: %v", got)
	}

	void := pay("fr-3", "1", visa, twoLines).Order.BillNumber
	refund(void, "")
	if got := e.receipts(t, void); len(got) != 0 {
		t.Fatalf("a voided payment has receipts: %v", got)
	}
	declined := visa
	declined.Number = "4000000000000002"
	if r := pay("fr-4", "0", declined, twoLines); r.Order.State != gateway.StateDeclined || len(e.receipts(t, r.Order.BillNumber)) != 0 {
		t.Fatalf("a declined payment: %s, receipts %v", r.Order.State, e.receipts(t, r.Order.BillNumber))
	}
	forbidden := twoLines
	forbidden.Generate = "0"
	if got := e.receipts(t, pay("fr-5", "0", visa, forbidden).Order.BillNumber); len(got) != 0 {
		t.Fatalf("generatereceipt=0: %v", got)
	}
	if got := e.receipts(t, pay("fr-6", "0", visa, gateway.ReceiptRequest{}).Order.BillNumber); len(got) != 0 {
		t.Fatalf("no receipt fields: %v", got)
	}

	// Another merchant's order is not found; a malformed billnumber is 5/143.
	if _, err := e.g.OrderReceipts(ctx, e.g.Merchants.Get("2"), one); codes(err) != "10/201" {
		t.Fatalf("another merchant's receipts: %v", err)
	}
	if _, err := e.g.OrderReceipts(ctx, e.m, "123"); codes(err) != "5/143" {
		t.Fatalf("a malformed billnumber: %v", err)
	}
	// A bad receipt is refused before anything is written.
	bad := gateway.ReceiptRequest{Tax: "vat13"}
	if _, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "fr-7", Amount: "1.00", Card: visa, Receipt: bad}); codes(err) != "5/110" {
		t.Fatalf("a bad tax: %v", err)
	}
	if _, err := e.g.OrderState(ctx, e.m, "fr-7", gateway.Window{To: e.clock.Now().Add(1)}); codes(err) != "10/201" {
		t.Fatalf("the refused payment left an order: %v", err)
	}
}

// TestGateway_RecurringReceipts charges a series whose initial payment had a receipt: each
// charge gets a sale receipt with the initial lines scaled to it, and its refund is made
// from the charge's own lines. A series without a receipt makes none.
func TestGateway_RecurringReceipts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	init, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "rr", Amount: "100.00", Card: visa, Receipt: twoLines,
		Recurring: gateway.RecurringRequest{Indicator: "1"}})
	if err != nil || init.RecurringState != "Activated" {
		t.Fatalf("initial payment: %v %+v", err, init)
	}
	r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: init.Order.BillNumber, OrderNumber: "rr-1", Amount: "50.00"})
	if err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("rp: %v %+v", err, r)
	}
	bill := r.Order.BillNumber
	if got := e.receipts(t, bill); !same(got, "sale:50.00@1") {
		t.Fatalf("the charge's receipts: %v", got)
	}
	rs, _ := e.g.OrderReceipts(ctx, e.m, bill)
	if it := rs[0].Items; len(it) != 2 || it[0].Amount != 3000 || it[1].Amount != 2000 || it[1].Quantity != 2000 || rs[0].TaxationSystem != "1" {
		t.Fatalf("the charge's lines: %+v", rs[0])
	}
	if _, err := e.g.Cancel(ctx, e.m, gateway.CancelRequest{AmountRequest: gateway.AmountRequest{BillNumber: bill, Amount: "5.00", Currency: "RUB"}}); err != nil {
		t.Fatal(err)
	}
	rs, _ = e.g.OrderReceipts(ctx, e.m, bill)
	if len(rs) != 2 || rs[1].Kind != gateway.ReceiptRefund || rs[1].Items[0].Amount != 300 || rs[1].Items[1].Amount != 200 {
		t.Fatalf("the charge's refund: %+v", rs)
	}
	// A declined charge has none.
	if r, err := e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: init.Order.BillNumber, OrderNumber: "rr-2", Amount: "10.05"}); err != nil ||
		r.Order.State != gateway.StateDeclined || len(e.receipts(t, r.Order.BillNumber)) != 0 {
		t.Fatalf("a declined charge: %v %+v", err, r)
	}

	plain, err := e.g.Pay(ctx, e.m, gateway.PayRequest{OrderNumber: "rr-plain", Amount: "100.00", Card: visa, Recurring: gateway.RecurringRequest{Indicator: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err = e.g.Recurrent(ctx, e.m, gateway.RecurringPayRequest{BillNumber: plain.Order.BillNumber, OrderNumber: "rr-plain-1", Amount: "10.00"})
	if err != nil || len(e.receipts(t, r.Order.BillNumber)) != 0 {
		t.Fatalf("a charge of a series without a receipt: %v %v", err, e.receipts(t, r.Order.BillNumber))
	}
}
