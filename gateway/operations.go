package gateway

import (
	"context"
	"errors"
	"strings"
	"time"
)

// AmountRequest is the optional amount/currency pair of charge and cancel: both or neither.
type AmountRequest struct {
	BillNumber string
	Amount     string
	Currency   string
	IPAddress  string
}

// CancelRequest is a cancel or refund.
type CancelRequest struct {
	AmountRequest
	Reason           string
	ExternalRefundID string
}

// parse returns the billnumber and the requested amount (0: "all that is left").
func (r AmountRequest) parse(order func(bill string) (*Order, error)) (bill string, amount Amount, err error) {
	if bill, err = SplitBillNumber(r.BillNumber); err != nil {
		return "", 0, err
	}
	hasAmount, hasCurrency := strings.TrimSpace(r.Amount) != "", strings.TrimSpace(r.Currency) != ""
	if hasAmount != hasCurrency {
		if hasAmount {
			return "", 0, Invalid(CodeCurrency, "currency must be sent together with amount")
		}
		return "", 0, Invalid(CodeAmount, "amount must be sent together with currency")
	}
	if hasAmount {
		var ok bool
		if amount, ok = ParseAmount(r.Amount); !ok {
			return "", 0, Invalid(CodeAmount, "amount is not a valid amount")
		}
	}
	return bill, amount, nil
}

func checkCurrency(r AmountRequest, o *Order) error {
	if strings.TrimSpace(r.Currency) == "" {
		return nil
	}
	if c, _ := ParseCurrency(r.Currency, ""); c != o.Currency {
		return Invalid(CodeCurrency, "currency %q differs from the order's %s", r.Currency, o.Currency)
	}
	return nil
}

// Confirm captures all or part of a two-stage (Delayed) payment. Confirming an order that is
// fully confirmed answers the earlier confirm again and charges nothing.
func (g *Gateway) Confirm(ctx context.Context, m *Merchant, req AmountRequest) (*Reply, error) {
	bill, amount, err := req.parse(nil)
	if err != nil {
		return nil, err
	}
	var reply *Reply
	err = g.Store.Update(ctx, func(tx Tx) error {
		order, ops, err := loadOrder(tx, m.ID, bill)
		if err != nil {
			return err
		}
		if err := checkCurrency(req, order); err != nil {
			return err
		}
		switch order.State {
		case StateDelayed, StatePartialDelayed:
		case StateApproved:
			if last := lastOp(ops, OpConfirm); last != nil && order.TwoStage {
				reply = &Reply{Order: order, Op: last}
				return nil
			}
			return ErrState
		default:
			return ErrState
		}
		left := order.Amount - order.Captured
		if amount == 0 {
			amount = left
		}
		if amount > left {
			return ErrAmountExceeds
		}
		if err := g.Processor.Capture(ctx, order.BillNumber, amount); err != nil {
			return err
		}
		order.Captured += amount
		order.State = StatePartialDelayed
		if order.Captured == order.Amount {
			order.State = StateApproved
		}
		op := &Operation{Type: OpConfirm, Amount: amount, IPAddress: req.IPAddress}
		if err := appendOp(tx, order, op, g.Clock.Now()); err != nil {
			return err
		}
		reply = &Reply{Order: order, Op: op}
		return g.stateChanged(tx, m, EventCharge, reply)
	})
	return reply, err
}

// Cancel voids a Delayed payment, releases the unconfirmed rest of a PartialDelayed one, or
// refunds all or part of what was charged. The same externalrefundid twice makes one refund.
func (g *Gateway) Cancel(ctx context.Context, m *Merchant, req CancelRequest) (*Reply, error) {
	bill, amount, err := req.parse(nil)
	if err != nil {
		return nil, err
	}
	extID := strings.TrimSpace(req.ExternalRefundID)
	if len(extID) > 128 {
		return nil, Invalid(CodeParam, "externalrefundid is longer than 128 characters")
	}
	var reply *Reply
	err = g.Store.Update(ctx, func(tx Tx) error {
		order, ops, err := loadOrder(tx, m.ID, bill)
		if err != nil {
			return err
		}
		if extID != "" {
			for _, op := range ops {
				if op.Type == OpCancel && op.ExternalRefundID == extID {
					reply = &Reply{Order: order, Op: op}
					return nil
				}
			}
		}
		if err := checkCurrency(req.AmountRequest, order); err != nil {
			return err
		}
		var left Amount
		next := order.State
		switch order.State {
		case StateDelayed:
			// An authorisation is voided whole; a part of it is released by confirming the rest.
			left, next = order.Amount, StateCanceled
			if amount != 0 && amount < left {
				return Errorf(10, 202, "a Delayed payment is voided whole: confirm the part to keep, then cancel")
			}
		case StatePartialDelayed:
			left, next = order.Amount-order.Captured, StateApproved
			if amount != 0 && amount < left {
				return Errorf(10, 202, "the unconfirmed rest of a PartialDelayed payment is released whole")
			}
		case StateApproved, StatePartialCanceled:
			left = order.Captured - order.Refunded
		case StateCanceled:
			if last := lastOp(ops, OpCancel); last != nil && amount == 0 && extID == "" {
				reply = &Reply{Order: order, Op: last}
				return nil
			}
			return ErrAmountExceeds
		default:
			return ErrState
		}
		if amount == 0 {
			amount = left
		}
		if amount > left {
			return ErrAmountExceeds
		}
		switch order.State {
		case StateDelayed, StatePartialDelayed:
			err = g.Processor.Void(ctx, order.BillNumber)
		default:
			err = g.Processor.Refund(ctx, order.BillNumber, amount)
			order.Refunded += amount
			next = StatePartialCanceled
			if order.Refunded == order.Captured {
				next = StateCanceled
			}
		}
		if err != nil {
			return err
		}
		order.State = next
		op := &Operation{Type: OpCancel, Amount: amount, ExternalRefundID: extID, IPAddress: req.IPAddress}
		if err := appendOp(tx, order, op, g.Clock.Now()); err != nil {
			return err
		}
		reply = &Reply{Order: order, Op: op}
		return g.stateChanged(tx, m, EventCancel, reply)
	})
	return reply, err
}

func loadOrder(tx Tx, merchantID, bill string) (*Order, []*Operation, error) {
	order, err := tx.OrderByBill(merchantID, bill)
	if errors.Is(err, ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	ops, err := tx.Operations(order.ID)
	return order, ops, err
}

// appendOp records a successful confirm or cancel as the order's next operation.
func appendOp(tx Tx, order *Order, op *Operation, now time.Time) error {
	order.LastSeq++
	order.Updated = now
	op.OrderID, op.Seq, op.State, op.Currency, op.Created = order.ID, order.LastSeq, OpSuccess, order.Currency, now
	op.ResponseCode, op.Message, op.CustomerMessage = "AS000", messages["AS000"], customerMessages["AS000"]
	if err := tx.InsertOperation(op); err != nil {
		return err
	}
	return tx.UpdateOrder(order)
}

func lastOp(ops []*Operation, t OpType) *Operation {
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].Type == t && ops[i].State == OpSuccess {
			return ops[i]
		}
	}
	return nil
}

// OrderState lists the payment attempts under an ordernumber in the window, oldest first.
func (g *Gateway) OrderState(ctx context.Context, m *Merchant, orderNumber string, w Window) ([]*Order, error) {
	orderNumber, err := parseOrderNumber(orderNumber)
	if err != nil {
		return nil, err
	}
	var orders []*Order
	err = g.Store.View(ctx, func(tx Tx) (err error) {
		orders, err = tx.OrdersByNumber(m.ID, orderNumber, w)
		return err
	})
	if err == nil && len(orders) == 0 {
		return nil, ErrNotFound
	}
	return orders, err
}

// ResultQuery selects orders for orderresult: by billnumber, by ordernumber, or all in the window.
type ResultQuery struct {
	OrderNumber, BillNumber string
	Window                  Window
}

// OrderResult returns orders with their operations. A billnumber is looked up regardless of
// the window; an ordernumber or the whole list is limited to it.
func (g *Gateway) OrderResult(ctx context.Context, m *Merchant, q ResultQuery) ([]OrderDetail, error) {
	var bill string
	if strings.TrimSpace(q.BillNumber) != "" {
		var err error
		if bill, err = SplitBillNumber(q.BillNumber); err != nil {
			return nil, err
		}
	}
	orderNumber := strings.TrimSpace(q.OrderNumber)
	if len([]rune(orderNumber)) > 128 {
		return nil, Invalid(CodeOrderNumber, "ordernumber is longer than 128 characters")
	}
	var out []OrderDetail
	err := g.Store.View(ctx, func(tx Tx) error {
		var orders []*Order
		switch {
		case bill != "":
			o, err := tx.OrderByBill(m.ID, bill)
			if errors.Is(err, ErrNoRows) {
				return ErrNotFound
			} else if err != nil {
				return err
			}
			if orderNumber != "" && o.OrderNumber != orderNumber {
				return ErrNotFound
			}
			orders = []*Order{o}
		case orderNumber != "":
			var err error
			if orders, err = tx.OrdersByNumber(m.ID, orderNumber, q.Window); err != nil {
				return err
			}
			if len(orders) == 0 {
				return ErrNotFound
			}
		default:
			var err error
			if orders, err = tx.Orders(m.ID, q.Window); err != nil {
				return err
			}
		}
		for _, o := range orders {
			ops, err := tx.Operations(o.ID)
			if err != nil {
				return err
			}
			out = append(out, OrderDetail{Order: o, Ops: ops})
		}
		return nil
	})
	return out, err
}
