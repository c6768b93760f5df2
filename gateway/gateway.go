package gateway

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
)

// Gateway owns every rule about orders: states, amounts left, idempotency, isolation.
type Gateway struct {
	Store     Store
	Processor Processor
	Clock     Clock
	Merchants *Merchants
	Logger    *slog.Logger
	Jobs      *Jobs // work that becomes due with time; features register theirs
	// Leases are set when several processes share the database (leases.go); nil: one process.
	Leases Leases
	// DelayedTTL is how long a two-stage payment waits for its confirm before it is voided
	// (gateway.delayed_ttl); DefaultDelayedTTL when zero.
	DelayedTTL time.Duration

	locks orderLocks // one confirm or cancel per order at a time
}

// PayRequest is a server-to-server card payment (silentpay).
type PayRequest struct {
	OrderNumber    string
	Amount         string
	Currency       string
	Comment        string
	TwoStage       string // delay: "0"/"" one-stage, "1" two-stage
	Card           CardData
	Customer       Customer
	CustomerNumber string           // save the card for this customer and return a token
	Recurring      RecurringRequest // recurring consent, when Indicator is "1"
	Receipt        ReceiptRequest   // the fiscal receipt's lines
}

// RecurringRequest is the recurring consent a payment may carry, as the client sent it.
type RecurringRequest struct {
	Indicator, MinAmount, MaxAmount, Period, MaxDate string
}

// Pay authorises a card payment. The order is committed In Process before the processor is
// asked, and the outcome in a second commit, so a crash in between is settled by Recover.
func (g *Gateway) Pay(ctx context.Context, m *Merchant, req PayRequest) (*Reply, error) {
	orderNumber, err := parseOrderNumber(req.OrderNumber)
	if err != nil {
		return nil, err
	}
	amount, ok := ParseAmount(req.Amount)
	if !ok {
		return nil, Invalid(CodeAmount, "orderamount is missing or not a valid amount")
	}
	currency, ok := ParseCurrency(req.Currency, m.Currency)
	if !ok {
		return nil, Invalid(CodeCurrency, "ordercurrency %q is not allowed", req.Currency)
	}
	twoStage, err := parseFlag("delay", req.TwoStage)
	if err != nil {
		return nil, err
	}
	if err := m.checkTwoStage(twoStage, false); err != nil {
		return nil, err
	}
	if err := validateCard(req.Card); err != nil {
		return nil, err
	}
	extras, err := g.parseExtras(m, req)
	if err != nil {
		return nil, err
	}
	card, err := g.Processor.Tokenize(req.Card)
	if err != nil {
		return nil, fmt.Errorf("tokenize: %w", err)
	}
	now := g.Clock.Now()
	order := &Order{
		MerchantID: m.ID, OrderNumber: orderNumber, Amount: amount, Currency: currency,
		Comment: req.Comment, Customer: req.Customer, State: StateInProcess, TwoStage: twoStage,
		TestMode: m.TestMode, Card: card, Created: now, Updated: now,
	}
	op := &Operation{Type: OpPayment, State: OpInProcess, Amount: amount, Currency: currency,
		ResponseCode: "AS300", Message: "In process", IPAddress: req.Customer.IPAddress, Created: now}
	err = g.Store.Update(ctx, func(tx Tx) error {
		if err := checkDuplicate(tx, m.ID, orderNumber, now); err != nil {
			return err
		}
		if err := insertOrder(tx, order, op); err != nil {
			return err
		}
		return g.extrasCreated(tx, m, order, extras)
	})
	if err != nil {
		return nil, err
	}
	return g.Authorize(ctx, m, order, op)
}

// checkDuplicate refuses a new payment under an ordernumber that still holds money (10/204).
// A payment-page order nobody has submitted a card to does not hold it against the
// merchant's authenticated call, nor does one past its TTL: that order is closed as Timeout
// and the call proceeds (docs/protocol.md#10-browser-pages), so nobody can squat a merchant's
// ordernumbers through the unauthenticated page.
func checkDuplicate(tx pageOrderTx, merchantID, orderNumber string, now time.Time) error {
	held, err := tx.OrderHoldingMoney(merchantID, orderNumber)
	if errors.Is(err, ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	pg, err := unpaidPage(tx, held, now)
	if err != nil {
		return err
	}
	if pg == nil {
		return ErrDuplicateOrder
	}
	return expire(tx, held, pg, now)
}

// unpaidPage is the page of an In Process order no card has been charged on that no longer
// holds the ordernumber against a merchant's call: one nobody has submitted a card to, or one
// past its TTL that the sweep has not reached yet (a page waiting for a 3-D Secure code can no
// longer be completed then). Else nil.
func unpaidPage(tx PageTx, o *Order, now time.Time) (*Page, error) {
	if o.State != StateInProcess || o.Card.Ref != "" {
		return nil, nil
	}
	pg, err := tx.PageByOrder(o.ID)
	if errors.Is(err, ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if pg.Stage != PageCard && now.Before(pg.Expires) {
		return nil, nil
	}
	return pg, nil
}

// Authorize asks the processor about a committed In Process order and commits the outcome,
// with everything that follows from it (saved card, recurring consent, notification).
func (g *Gateway) Authorize(ctx context.Context, m *Merchant, order *Order, op *Operation) (*Reply, error) {
	// The client going away does not stop a payment under way: its outcome is recorded.
	ctx = context.WithoutCancel(ctx)
	defer g.hold(ctx, order.ID)()
	res, err := g.Processor.Authorize(ctx, authRequest(order, g.Clock.Now()))
	if err != nil {
		// The order stays In Process and Recover settles it; the client reads it with orderstate.
		return nil, fmt.Errorf("authorize %s: %w", order.BillNumber, err)
	}
	var reply *Reply
	err = g.Store.Update(ctx, func(tx Tx) (err error) {
		if reply, err = g.settledElsewhere(tx, order); reply != nil || err != nil {
			return err
		}
		reply, err = g.settle(tx, m, order, op, res, EventPayment)
		return err
	})
	return reply, err
}

func authRequest(o *Order, now time.Time) AuthRequest {
	return AuthRequest{BillNumber: o.BillNumber, Amount: o.Amount, Currency: o.Currency, Card: o.Card, Now: now}
}

// insertOrder writes a new order with its first operation, drawing a fresh billnumber.
func insertOrder(tx OrderTx, order *Order, op *Operation) error {
	for try := 0; ; try++ {
		order.BillNumber = newBillNumber()
		order.LastSeq = 1
		err := tx.InsertOrder(order)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrBillTaken) || try == 5 {
			return err
		}
	}
	op.OrderID, op.Seq = order.ID, 1
	return tx.InsertOperation(op)
}

// settle records the processor's answer on the payment operation and the order, then what
// follows from it, all in the caller's transaction.
func (g *Gateway) settle(tx settleTx, m *Merchant, order *Order, op *Operation, res AuthResult, event Event) (*Reply, error) {
	code := ResponseCode(res.ISOCode)
	op.ResponseCode, op.Message, op.CustomerMessage, op.Recommendation = code, messages[code], customerMessages[code], recommendations[code]
	order.Updated = g.Clock.Now()
	if res.Approved {
		op.State, op.ApprovalCode = OpSuccess, res.ApprovalCode
		if order.TwoStage {
			order.State = StateDelayed
		} else {
			order.State, order.Captured = StateApproved, order.Amount
		}
	} else {
		op.State, order.State = OpFailed, StateDeclined
	}
	if err := tx.UpdateOperation(op); err != nil {
		return nil, err
	}
	if err := tx.UpdateOrder(order); err != nil {
		return nil, err
	}
	reply := &Reply{Order: order, Op: op, ISOCode: res.ISOCode}
	if err := g.afterSettle(tx, m, reply, res); err != nil {
		return nil, err
	}
	if err := g.fiscalise(tx, order, op, receiptFor(StateInProcess, op, order.TwoStage)); err != nil {
		return nil, err
	}
	return reply, g.stateChanged(tx, m, event, reply)
}

// Recover settles payments, confirms and cancels that a crash left In Process: the processor
// tells what it did. It runs at start-up, before requests are served.
//
// With several processes (Leases set) what another live process holds the lease of is left
// to it; RecoverDue runs the same on each due run, for work older than SettleGrace.
func (g *Gateway) Recover(ctx context.Context) (int, error) {
	return g.recover(ctx, 0)
}

func (g *Gateway) recover(ctx context.Context, grace time.Duration) (int, error) {
	settled, err := g.recoverPayments(ctx, grace)
	if err != nil {
		return settled, err
	}
	n, err := g.recoverOps(ctx, grace)
	return settled + n, err
}

func (g *Gateway) recoverPayments(ctx context.Context, grace time.Duration) (int, error) {
	var pending []*Order
	if err := g.Store.View(ctx, func(tx Tx) (err error) {
		pending, err = tx.OrdersInState(StateInProcess)
		return err
	}); err != nil {
		return 0, err
	}
	settled := 0
	for _, o := range pending {
		if o.Card.Ref == "" {
			continue // a payment-page order that never got a card: it times out instead
		}
		release, ok := g.claimInterrupted(ctx, o.ID, o.Updated, grace)
		if !ok {
			continue // another live process is paying it
		}
		res, err := g.Processor.Settle(ctx, g.settleRequest(ctx, o))
		if err != nil {
			release()
			return settled, fmt.Errorf("settle %s: %w", o.BillNumber, err)
		}
		err = g.Store.Update(ctx, func(tx Tx) error {
			order, err := tx.OrderByBill(o.MerchantID, o.BillNumber)
			if err != nil || order.State != StateInProcess {
				return err
			}
			ops, err := tx.Operations(order.ID)
			if err != nil || len(ops) == 0 {
				return err
			}
			m := g.Merchants.Get(order.MerchantID)
			if m == nil {
				return fmt.Errorf("order %s: merchant %s is no longer configured", order.BillNumber, order.MerchantID)
			}
			event := EventPayment
			if ops[0].Type == OpRecurring {
				event = EventRecurring
			}
			_, err = g.settle(tx, m, order, ops[0], res, event)
			return err
		})
		release()
		if err != nil {
			return settled, err
		}
		settled++
		g.log().Info("settled interrupted payment", "billnumber", o.BillNumber, "iso", res.ISOCode)
	}
	return settled, nil
}

func (g *Gateway) log() *slog.Logger {
	if g.Logger == nil {
		return slog.Default()
	}
	return g.Logger
}

func parseOrderNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len([]rune(s)) > 128 {
		return "", Invalid(CodeOrderNumber, "ordernumber is missing or longer than 128 characters")
	}
	return s, nil
}

func parseFlag(name, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, Invalid(CodeParam, "%s must be 0 or 1", name)
}

func validateCard(c CardData) error {
	n := c.Number
	if len(n) < 13 || len(n) > 19 || !allDigits(n) {
		return Invalid(CodeParam, "cardnumber must be 13 to 19 digits")
	}
	if len(c.ExpMonth) < 1 || len(c.ExpMonth) > 2 || !allDigits(c.ExpMonth) || atoi(c.ExpMonth) < 1 || atoi(c.ExpMonth) > 12 {
		return Invalid(CodeParam, "expiremonth must be 1 to 12")
	}
	if (len(c.ExpYear) != 2 && len(c.ExpYear) != 4) || !allDigits(c.ExpYear) {
		return Invalid(CodeParam, "expireyear must be YY or YYYY")
	}
	if c.CVC != "" && (len(c.CVC) < 3 || len(c.CVC) > 4 || !allDigits(c.CVC)) {
		return Invalid(CodeParam, "cvc2 must be 3 or 4 digits")
	}
	return nil
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// newBillNumber draws a random 16-digit billnumber not starting with 0.
func newBillNumber() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9e15))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%016d", n.Int64()+1e15)
}

// SplitBillNumber accepts "<billnumber>" or the extended "<billnumber>.<n>".
func SplitBillNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if !allDigits(s[i+1:]) || len(s) == i+1 {
			return "", Invalid(CodeBillNumber, "billnumber is not valid")
		}
		s = s[:i]
	}
	if len(s) != 16 || !allDigits(s) {
		return "", Invalid(CodeBillNumber, "billnumber is missing or not 16 digits")
	}
	return s, nil
}

// settleRequest is the request a crash interrupted, as it was sent: a merchant-initiated
// recurring charge carries its attempt count, which the processor's answer may depend on.
// Its time is when the card was put on the order (Updated: nothing else changes an In
// Process order), which is when the processor was asked; a payment-page order is made up to
// payment_ttl before that, and a card that expired in between was declined then.
func (g *Gateway) settleRequest(ctx context.Context, o *Order) AuthRequest {
	req := authRequest(o, o.Updated)
	g.Store.View(ctx, func(tx Tx) error {
		if c, err := tx.RecurringCharge(o.ID); err == nil {
			req = mitRequest(o, c, o.Updated)
		}
		return nil
	})
	return req
}
