package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ReceiptKind is what a receipt records: the customer paying (sale, "приход") or getting
// money back (refund, "возврат прихода").
type ReceiptKind string

const (
	ReceiptSale   ReceiptKind = "sale"
	ReceiptRefund ReceiptKind = "refund"
)

// Receipt is a fiscal receipt registered for an operation that moved the customer's money.
// The sandbox is its own fiscal service: the document number is the receipt's sequence
// number and the fiscal sign a deterministic test value.
type Receipt struct {
	ID             int64 // the fiscal document number
	OrderID        int64
	OpSeq          int // the operation's number on the order (<billnumber>.<OpSeq>)
	Kind           ReceiptKind
	Total          Amount
	TaxationSystem string
	Items          []ReceiptItem
	FiscalSign     string    // ФПД: ten digits
	FiscalTime     time.Time // when it was registered
}

// FiscalNumber is the receipt's fiscal document number as printed.
func (r *Receipt) FiscalNumber() string { return strconv.FormatInt(r.ID, 10) }

// ReceiptTx keeps the receipts a payment asked for and those made.
type ReceiptTx interface {
	InsertReceiptSpec(orderID int64, s *ReceiptSpec) error
	ReceiptSpec(orderID int64) (*ReceiptSpec, error) // ErrNoRows when the order asked for none
	InsertReceipt(r *Receipt) error                  // sets r.ID
	Receipts(orderID int64) ([]*Receipt, error)      // oldest first
}

// receiptTx is what fiscalising needs: the order's spec and, for a recurring charge, its series.
type receiptTx interface {
	ReceiptTx
	RecurringTx
}

// receiptFor is the receipt an operation that just succeeded calls for, decided from the
// order as it stood before the operation: a one-stage payment's approval, a confirm and a
// recurring charge are sales; a cancel that refunds charged money is a refund. Voiding an
// authorisation, or releasing its unconfirmed rest, moved no money and makes none.
func receiptFor(before State, op *Operation, twoStage bool) ReceiptKind {
	switch op.Type {
	case OpPayment:
		if !twoStage {
			return ReceiptSale
		}
	case OpRecurring, OpConfirm:
		return ReceiptSale
	case OpCancel:
		if before == StateApproved || before == StatePartialCanceled {
			return ReceiptRefund
		}
	}
	return ""
}

// fiscalise registers the receipt of a successful operation, in the transaction that records
// it, when the order asked for receipts: its lines scaled to the operation's amount. A
// recurring charge takes the lines of its series' initial order, scaled to the charge, and
// keeps them as its own (its refunds are made from them).
func (g *Gateway) fiscalise(tx receiptTx, order *Order, op *Operation, kind ReceiptKind) error {
	if kind == "" || op.State != OpSuccess {
		return nil
	}
	spec, err := tx.ReceiptSpec(order.ID)
	if errors.Is(err, ErrNoRows) && op.Type == OpRecurring {
		spec, err = g.chargeReceiptSpec(tx, order)
	}
	if errors.Is(err, ErrNoRows) {
		return nil // no receipt asked for
	} else if err != nil {
		return err
	}
	now := g.Clock.Now()
	r := &Receipt{OrderID: order.ID, OpSeq: op.Seq, Kind: kind, Total: op.Amount, TaxationSystem: spec.TaxationSystem,
		Items: spec.Scaled(op.Amount), FiscalTime: now}
	r.FiscalSign = fiscalSign(order.BillNumber, op.Seq, kind, op.Amount, now)
	if err := tx.InsertReceipt(r); err != nil {
		return fmt.Errorf("receipt of %s: %w", op.ExtBillNumber(order), err)
	}
	return nil
}

// chargeReceiptSpec makes a recurring charge's lines from its initial order's, scaled to the
// charge (IntellectMoney's rule for recurring receipts), and keeps them with the charge.
func (g *Gateway) chargeReceiptSpec(tx receiptTx, order *Order) (*ReceiptSpec, error) {
	c, err := tx.RecurringCharge(order.ID)
	if err != nil {
		return nil, err
	}
	base, err := tx.ReceiptSpec(c.SeriesOrderID)
	if err != nil {
		return nil, err
	}
	spec := &ReceiptSpec{Items: base.Scaled(order.Amount), Total: order.Amount, TaxationSystem: base.TaxationSystem}
	return spec, tx.InsertReceiptSpec(order.ID, spec)
}

// fiscalSign is the sandbox's fiscal sign (ФПД) of a receipt: ten digits that depend only on
// what the receipt records (its time to the second), so a test can recompute them.
func fiscalSign(bill string, seq int, kind ReceiptKind, total Amount, at time.Time) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s.%d|%s|%d|%d", bill, seq, kind, total, at.Unix()))
	return fmt.Sprintf("%010d", binary.BigEndian.Uint64(h[:8])%10_000_000_000)
}

// FiscalSign is fiscalSign for tests and tools outside the package.
func FiscalSign(bill string, seq int, kind ReceiptKind, total Amount, at time.Time) string {
	return fiscalSign(bill, seq, kind, total, at)
}

// OrderReceipts lists an order's receipts, oldest first; another merchant's order is 10/201.
func (g *Gateway) OrderReceipts(ctx context.Context, m *Merchant, billNumber string) ([]*Receipt, error) {
	bill, err := SplitBillNumber(billNumber)
	if err != nil {
		return nil, err
	}
	var out []*Receipt
	err = g.Store.View(ctx, func(tx Tx) error {
		o, err := tx.OrderByBill(m.ID, bill)
		if errors.Is(err, ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		out, err = tx.Receipts(o.ID)
		return err
	})
	return out, err
}
