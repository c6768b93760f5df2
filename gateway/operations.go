package gateway

import (
	"context"
	"errors"
	"fmt"
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
	// UnconfirmedOnly (the void of an expired two-stage payment; no wire field sets it)
	// refuses with 10/202 an order that is no longer Delayed or PartialDelayed when the
	// cancel gets its turn: a confirm that landed after the void job listed the order made
	// it Approved, and a cancel of it then would refund what the merchant has just charged.
	UnconfirmedOnly bool
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
//
// Like a payment, a confirm is three steps: the operation is committed In Process with its
// amount reserved, the processor is asked outside any transaction, and the outcome is
// committed with the notification. Recover settles a confirm a crash interrupted.
func (g *Gateway) Confirm(ctx context.Context, m *Merchant, req AmountRequest) (*Reply, error) {
	bill, amount, err := req.parse(nil)
	if err != nil {
		return nil, err
	}
	unlock, err := g.locks.lock(ctx, m.ID+"/"+bill)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var reply *Reply
	var order *Order
	var op *Operation
	err = g.Store.Update(ctx, func(tx Tx) error {
		// The store may run this again after a conflict (PostgreSQL): start from nothing.
		reply, order, op = nil, nil, nil
		amount := amount
		o, ops, err := loadOrder(tx, m.ID, bill)
		if err != nil {
			return err
		}
		if err := checkCurrency(req, o); err != nil {
			return err
		}
		switch o.State {
		case StateDelayed, StatePartialDelayed:
		case StateApproved:
			if last := lastOp(ops, OpConfirm); last != nil && o.TwoStage {
				reply = &Reply{Order: o, Op: last}
				return nil
			}
			return ErrState
		default:
			return ErrState
		}
		p := pendingOf(o, ops)
		if p.void {
			return ErrState // the authorisation is being voided
		}
		left := o.Amount - o.Captured - p.capture
		if amount == 0 {
			amount = left
		}
		if amount <= 0 || amount > left {
			return ErrAmountExceeds
		}
		order, op = o, &Operation{Type: OpConfirm, Amount: amount, IPAddress: req.IPAddress}
		return beginOp(tx, order, op, g.Clock.Now())
	})
	if err != nil || reply != nil {
		return reply, err
	}
	return g.moveMoney(ctx, m, order, op)
}

// Cancel voids a Delayed payment, releases the unconfirmed rest of a PartialDelayed one, or
// refunds all or part of what was charged. The same externalrefundid twice makes one refund.
// It runs in three steps like Confirm.
func (g *Gateway) Cancel(ctx context.Context, m *Merchant, req CancelRequest) (*Reply, error) {
	bill, amount, err := req.parse(nil)
	if err != nil {
		return nil, err
	}
	extID := strings.TrimSpace(req.ExternalRefundID)
	if len(extID) > 128 {
		return nil, Invalid(CodeParam, "externalrefundid is longer than 128 characters")
	}
	// A repeat waits here for the request it repeats, then answers its outcome.
	unlock, err := g.locks.lock(ctx, m.ID+"/"+bill)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var reply *Reply
	var order *Order
	var op *Operation
	err = g.Store.Update(ctx, func(tx Tx) error {
		// The store may run this again after a conflict (PostgreSQL): start from nothing.
		reply, order, op = nil, nil, nil
		amount := amount
		o, ops, err := loadOrder(tx, m.ID, bill)
		if err != nil {
			return err
		}
		if req.UnconfirmedOnly && o.State != StateDelayed && o.State != StatePartialDelayed {
			return ErrState
		}
		if extID != "" {
			for _, op := range ops {
				// A failed attempt moved no money: the same id may try again.
				if op.Type == OpCancel && op.ExternalRefundID == extID && op.State != OpFailed {
					reply = &Reply{Order: o, Op: op}
					return nil
				}
			}
		}
		if err := checkCurrency(req.AmountRequest, o); err != nil {
			return err
		}
		p := pendingOf(o, ops)
		var left Amount
		switch o.State {
		case StateDelayed:
			// An authorisation is voided whole; a part of it is released by confirming the rest.
			left = o.Amount
			if amount != 0 && amount < left {
				return Errorf(10, 202, "a Delayed payment is voided whole: confirm the part to keep, then cancel")
			}
		case StatePartialDelayed:
			left = o.Amount - o.Captured
			if amount != 0 && amount < left {
				return Errorf(10, 202, "the unconfirmed rest of a PartialDelayed payment is released whole")
			}
		case StateApproved, StatePartialCanceled:
			left = o.Captured - o.Refunded - p.refund
		case StateCanceled:
			if last := lastOp(ops, OpCancel); last != nil && amount == 0 && extID == "" {
				reply = &Reply{Order: o, Op: last}
				return nil
			}
			return ErrAmountExceeds
		default:
			return ErrState
		}
		if moneyOp(o) == MoneyVoid && p.any() {
			return ErrState // a confirm or void of the authorisation is under way
		}
		if amount == 0 {
			amount = left
		}
		if amount <= 0 || amount > left {
			return ErrAmountExceeds
		}
		order = o
		op = &Operation{Type: OpCancel, Amount: amount, ExternalRefundID: extID, IPAddress: req.IPAddress}
		return beginOp(tx, order, op, g.Clock.Now())
	})
	if err != nil || reply != nil {
		return reply, err
	}
	return g.moveMoney(ctx, m, order, op)
}

// moveMoney asks the processor for a committed In Process confirm or cancel, outside any
// transaction, and commits the outcome. A processor error fails the operation, which
// releases its reservation, and is returned. The request's end does not interrupt it: money
// may be moving, and the outcome is recorded whoever waits for it.
func (g *Gateway) moveMoney(ctx context.Context, m *Merchant, order *Order, op *Operation) (*Reply, error) {
	ctx = context.WithoutCancel(ctx)
	defer g.hold(ctx, order.ID)()
	req := opRequest(order, op)
	var err error
	switch req.Op {
	case MoneyCapture:
		err = g.Processor.Capture(ctx, req)
	case MoneyVoid:
		err = g.Processor.Void(ctx, req)
	default:
		err = g.Processor.Refund(ctx, req)
	}
	var reply *Reply
	uerr := g.Store.Update(ctx, func(tx Tx) (e error) {
		reply, e = g.finishOp(tx, m, order.BillNumber, op.Seq, err == nil)
		return e
	})
	if err != nil {
		// The failed operation is recorded (or, if that write failed too, Recover settles it).
		return nil, errors.Join(fmt.Errorf("%s %s: %w", req.Op, op.ExtBillNumber(order), err), uerr)
	}
	return reply, uerr
}

// moneyOp is what a confirm or cancel of the order asks the processor. An order's state does
// not change while one of its operations is In Process, so the answer is the same when the
// operation starts, ends and is settled after a crash.
func moneyOp(o *Order) MoneyOp {
	switch o.State {
	case StateDelayed, StatePartialDelayed:
		return MoneyVoid
	}
	return MoneyRefund
}

func opRequest(o *Order, op *Operation) OpRequest {
	kind := MoneyCapture
	if op.Type == OpCancel {
		kind = moneyOp(o)
	}
	return OpRequest{Op: kind, BillNumber: o.BillNumber, Seq: op.Seq, Amount: op.Amount, Currency: o.Currency, Card: o.Card}
}

// pending is what the order's In Process operations have reserved.
type pending struct {
	capture, refund Amount
	void            bool
}

func (p pending) any() bool { return p.capture != 0 || p.refund != 0 || p.void }

func pendingOf(o *Order, ops []*Operation) pending {
	var p pending
	for _, op := range ops {
		if op.State != OpInProcess {
			continue
		}
		switch {
		case op.Type == OpConfirm:
			p.capture += op.Amount
		case op.Type == OpCancel && moneyOp(o) == MoneyVoid:
			p.void = true
		case op.Type == OpCancel:
			p.refund += op.Amount
		}
	}
	return p
}

// beginOp commits a confirm or cancel In Process as the order's next operation. The order's
// state and amounts stay as they are until the outcome; the operation's amount is reserved.
func beginOp(tx OrderTx, order *Order, op *Operation, now time.Time) error {
	order.LastSeq++
	order.Updated = now
	op.OrderID, op.Seq, op.State, op.Currency, op.Created = order.ID, order.LastSeq, OpInProcess, order.Currency, now
	op.ResponseCode, op.Message = "AS300", messages["AS300"]
	if err := tx.InsertOperation(op); err != nil {
		return err
	}
	return tx.UpdateOrder(order)
}

// finishOp records the outcome of the In Process confirm or cancel seq of the order: done
// means the processor moved the money. The order's state and amounts follow from its state
// now, and the merchant is notified in the same transaction. An operation that is no longer
// In Process (settled meanwhile) is answered as it stands.
func (g *Gateway) finishOp(tx outcomeTx, m *Merchant, bill string, seq int, done bool) (*Reply, error) {
	order, ops, err := loadOrder(tx, m.ID, bill)
	if err != nil {
		return nil, err
	}
	var op *Operation
	for _, o := range ops {
		if o.Seq == seq {
			op = o
		}
	}
	if op == nil {
		return nil, fmt.Errorf("operation %s.%d: %w", bill, seq, ErrNoRows)
	}
	reply := &Reply{Order: order, Op: op}
	if op.State != OpInProcess {
		return reply, nil
	}
	if !done {
		op.State, op.ResponseCode, op.Message = OpFailed, "AS998", messages["AS998"]
		return reply, tx.UpdateOperation(op)
	}
	event, voided := EventCharge, false
	receipt := receiptFor(order.State, op, order.TwoStage)
	switch {
	case op.Type == OpConfirm:
		order.Captured += op.Amount
		order.State = StatePartialDelayed
		if order.Captured == order.Amount {
			order.State = StateApproved
		}
	case order.State == StateDelayed:
		event, order.State, voided = EventCancel, StateCanceled, true
	case order.State == StatePartialDelayed:
		event, order.State = EventCancel, StateApproved
	default:
		event = EventCancel
		order.Refunded += op.Amount
		order.State = StatePartialCanceled
		if order.Refunded == order.Captured {
			order.State = StateCanceled
		}
	}
	order.Updated = g.Clock.Now()
	if voided {
		// Consent given with a payment that never took money does not outlive it.
		s, err := tx.SeriesByOrder(order.ID)
		switch {
		case err == nil && s.State == SeriesActivated:
			if err := stopSeries(tx, s, "the initial payment was voided", order.Updated); err != nil {
				return nil, err
			}
		case err != nil && !errors.Is(err, ErrNoRows):
			return nil, err
		}
	}
	op.State, op.ResponseCode, op.Message, op.CustomerMessage = OpSuccess, "AS000", messages["AS000"], customerMessages["AS000"]
	if err := tx.UpdateOperation(op); err != nil {
		return nil, err
	}
	if err := tx.UpdateOrder(order); err != nil {
		return nil, err
	}
	if err := g.fiscalise(tx, order, op, receipt); err != nil {
		return nil, err
	}
	return reply, g.stateChanged(tx, m, event, reply)
}

// recoverOps settles confirms and cancels a crash left In Process: the processor tells
// whether it moved the money, and the outcome is recorded as if the request had finished.
func (g *Gateway) recoverOps(ctx context.Context, grace time.Duration) (int, error) {
	type job struct {
		order *Order
		op    *Operation
	}
	var jobs []job
	err := g.Store.View(ctx, func(tx Tx) error {
		ops, err := tx.OperationsInState(OpInProcess)
		if err != nil {
			return err
		}
		for _, op := range ops {
			if op.Type != OpConfirm && op.Type != OpCancel {
				continue // payments are settled by their order's state
			}
			o, err := tx.OrderByID(op.OrderID)
			if err != nil {
				return err
			}
			jobs = append(jobs, job{o, op})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, j := range jobs {
		m := g.Merchants.Get(j.order.MerchantID)
		if m == nil {
			return settled, fmt.Errorf("order %s: merchant %s is no longer configured", j.order.BillNumber, j.order.MerchantID)
		}
		release, ok := g.claimInterrupted(ctx, j.order.ID, j.op.Created, grace)
		if !ok {
			continue // another live process is moving the money
		}
		req := opRequest(j.order, j.op)
		done, err := g.Processor.SettleOp(ctx, req)
		if err != nil {
			release()
			return settled, fmt.Errorf("settle %s %s: %w", req.Op, j.op.ExtBillNumber(j.order), err)
		}
		err = g.Store.Update(ctx, func(tx Tx) error {
			_, err := g.finishOp(tx, m, j.order.BillNumber, j.op.Seq, done)
			return err
		})
		release()
		if err != nil {
			return settled, err
		}
		settled++
		g.log().Info("settled interrupted operation", "billnumber", j.op.ExtBillNumber(j.order), "op", req.Op, "done", done)
	}
	return settled, nil
}

func loadOrder(tx OrderTx, merchantID, bill string) (*Order, []*Operation, error) {
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
