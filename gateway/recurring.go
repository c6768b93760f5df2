package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Recurring payments (rp): the merchant charges the card of an initial order that carried
// recurring consent, within the consent's limits and the card-network retry rules.

// refused is the protocol's 10/210: a recurring charge the series does not allow.
func refused(format string, args ...any) *Error { return Errorf(10, 210, format, args...) }

// RecurringPayRequest is an rp call.
type RecurringPayRequest struct {
	BillNumber  string // of the initial order
	OrderNumber string // the new order's
	Amount      string
	Currency    string // the series' currency when empty
	Comment     string
	IPAddress   string
}

// checkCharge applies the consent's limits and the retry rules to a charge of amount at now.
func (s *Series) checkCharge(amount Amount, currency string, now time.Time) error {
	switch {
	case s.State == SeriesError:
		return refused("the card of the initial order could not be bound for recurring payments (recurringstate Error)")
	case s.State == SeriesStopped:
		return refused("the recurring series is stopped (%s)", s.StopReason)
	case s.Retry.WindowEnded(now):
		return refused("the recurring series is stopped (%s)", StopWindowEnded)
	case currency != s.Currency:
		return refused("currency %s differs from the series' %s", currency, s.Currency)
	case s.MinAmount != 0 && amount < s.MinAmount:
		return refused("amount %s is below recurringminamount %s", amount, s.MinAmount)
	case s.MaxAmount != 0 && amount > s.MaxAmount:
		return refused("amount %s is above recurringmaxamount %s", amount, s.MaxAmount)
	case !s.MaxDate.IsZero() && !now.Before(s.MaxDate):
		return refused("recurringmaxdate %s has passed", s.MaxDate.AddDate(0, 0, -1).Format("02.01.2006"))
	}
	return nil
}

// stop ends the series and every schedule on it.
func stopSeries(tx RecurringTx, s *Series, reason string, now time.Time) error {
	s.State, s.StopReason, s.Updated = SeriesStopped, reason, now
	if err := tx.UpdateSeries(s); err != nil {
		return err
	}
	scheds, err := tx.SchedulesOfSeries(s.OrderID)
	if err != nil {
		return err
	}
	for _, sc := range scheds {
		if sc.State == ScheduleActive || sc.State == ScheduleInactive {
			sc.State, sc.Updated = ScheduleStopped, now
			if err := tx.UpdateSchedule(sc); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadSeries reads the initial order named by a billnumber and its series: 10/201 when the
// order is not the merchant's, 10/210 when it carries no consent.
func loadSeries(tx seriesTx, merchantID, bill string) (*Order, *Series, error) {
	initial, err := tx.OrderByBill(merchantID, bill)
	if errors.Is(err, ErrNoRows) {
		return nil, nil, ErrNotFound
	} else if err != nil {
		return nil, nil, err
	}
	s, err := tx.SeriesByOrder(initial.ID)
	if errors.Is(err, ErrNoRows) {
		return initial, nil, refused("order %s carries no recurring consent", bill)
	}
	return initial, s, err
}

// newCharge writes a merchant-initiated charge on the series' card In Process, with its link
// to the series, and counts the attempt; all in the caller's transaction, committed before the
// processor is asked so that a crash leaves a charge that Recover settles.
func newCharge(tx seriesTx, s *Series, initial *Order, orderNumber string, amount Amount, currency, comment, ip string, now time.Time) (*Order, *Operation, *RecurringCharge, error) {
	order := &Order{MerchantID: initial.MerchantID, OrderNumber: orderNumber, Amount: amount, Currency: currency,
		Comment: comment, Customer: initial.Customer, State: StateInProcess, TestMode: initial.TestMode,
		Card: initial.Card, Created: now, Updated: now}
	order.Customer.IPAddress = ip
	op := &Operation{Type: OpRecurring, State: OpInProcess, Amount: amount, Currency: currency,
		ResponseCode: "AS300", Message: "In process", IPAddress: ip, Created: now}
	if err := insertOrder(tx, order, op); err != nil {
		return nil, nil, nil, err
	}
	s.MITAttempts++
	s.Updated = now
	if err := tx.UpdateSeries(s); err != nil {
		return nil, nil, nil, err
	}
	c := &RecurringCharge{OrderID: order.ID, SeriesOrderID: s.OrderID, MITAttempt: s.MITAttempts}
	return order, op, c, nil
}

// Recurrent charges the card of a recurring series again (rp) as a new order.
func (g *Gateway) Recurrent(ctx context.Context, m *Merchant, req RecurringPayRequest) (*Reply, error) {
	bill, err := SplitBillNumber(req.BillNumber)
	if err != nil {
		return nil, err
	}
	if m.Disabled.Recurring {
		return nil, refused("recurring payments are not enabled for this merchant")
	}
	orderNumber, err := parseOrderNumber(req.OrderNumber)
	if err != nil {
		return nil, err
	}
	amount, ok := ParseAmount(req.Amount)
	if !ok {
		return nil, Invalid(CodeAmount, "amount is missing or not a valid amount")
	}
	currency := strings.ToUpper(strings.TrimSpace(req.Currency))
	if currency != "" {
		if _, ok := ParseCurrency(currency, ""); !ok {
			return nil, Invalid(CodeCurrency, "currency %q is not allowed", req.Currency)
		}
	}
	var (
		order   *Order
		op      *Operation
		charge  *RecurringCharge
		refusal error
	)
	err = g.Store.Update(ctx, func(tx Tx) error {
		refusal = nil // the store may run this again after a conflict (PostgreSQL)
		initial, s, err := loadSeries(tx, m.ID, bill)
		if err != nil {
			return err
		}
		now := g.Clock.Now()
		cur := currency
		if cur == "" {
			cur = s.Currency
		}
		if err := s.checkCharge(amount, cur, now); err != nil {
			if s.State == SeriesActivated && s.Retry.WindowEnded(now) {
				// The window ended before the sweep noticed: stop it now, and keep that.
				refusal = err
				return stopSeries(tx, s, StopWindowEnded, now)
			}
			return err
		}
		if err := checkDuplicate(tx, m.ID, orderNumber, now); err != nil {
			return err
		}
		if order, op, charge, err = newCharge(tx, s, initial, orderNumber, amount, cur, req.Comment, req.IPAddress, now); err != nil {
			return err
		}
		return tx.InsertRecurringCharge(charge)
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return g.chargeMIT(ctx, m, order, op, charge, false)
}

// mitRequest is the processor request of a merchant-initiated charge.
func mitRequest(o *Order, c *RecurringCharge, now time.Time) AuthRequest {
	r := authRequest(o, now)
	r.MerchantInitiated, r.MITAttempt = true, c.MITAttempt
	return r
}

// chargeMIT asks the processor about a committed In Process recurring charge and settles it;
// settleOnly asks for the processor's record of an earlier request instead (after a failure).
func (g *Gateway) chargeMIT(ctx context.Context, m *Merchant, order *Order, op *Operation, c *RecurringCharge, settleOnly bool) (*Reply, error) {
	var res AuthResult
	var err error
	if !settleOnly { // a settlement holds the lease already (finishInFlight)
		defer g.hold(ctx, order.ID)()
	}
	if settleOnly {
		res, err = g.Processor.Settle(ctx, mitRequest(order, c, order.Created))
	} else {
		res, err = g.Processor.Authorize(ctx, mitRequest(order, c, g.Clock.Now()))
	}
	if err != nil {
		return nil, fmt.Errorf("authorize recurring %s: %w", order.BillNumber, err)
	}
	var reply *Reply
	err = g.Store.Update(ctx, func(tx Tx) (err error) {
		if reply, err = g.settledElsewhere(tx, order); reply != nil || err != nil {
			return err
		}
		reply, err = g.settle(tx, m, order, op, res, EventRecurring)
		return err
	})
	return reply, err
}

// recurringSettled applies a recurring charge's outcome to its series (retry rules) and to
// its schedule. It runs inside settle, so a charge settled after a crash is applied too.
func (g *Gateway) recurringSettled(tx RecurringTx, reply *Reply) error {
	c, err := tx.RecurringCharge(reply.Order.ID)
	if errors.Is(err, ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	s, err := tx.SeriesByOrder(c.SeriesOrderID)
	if err != nil {
		return err
	}
	now := g.Clock.Now()
	if s.State == SeriesActivated {
		next, stop := s.Retry.Apply(reply.ISOCode, now)
		s.Retry, s.Updated = next, now
		if reply.Op.State == OpSuccess {
			s.MITAttempts = 0 // the processor counts MIT attempts since the last approval
		}
		if stop != "" {
			err = stopSeries(tx, s, stop, now)
		} else {
			err = tx.UpdateSeries(s)
		}
		if err != nil {
			return err
		}
	}
	reply.RecurringState = string(s.State)
	if c.ScheduleID == 0 {
		return nil
	}
	sc, err := tx.Schedule(reply.Order.MerchantID, c.ScheduleID)
	if err != nil {
		return err
	}
	return scheduleSettled(tx, sc, s, reply, now)
}

// EndRetryWindows stops the series whose 16-day window ended without an approval. It is a
// due job: the test clock's moves run it too.
func (g *Gateway) EndRetryWindows(ctx context.Context, now time.Time) error {
	return g.Store.Update(ctx, func(tx Tx) error {
		ended, err := tx.SeriesWindowsEnded(now)
		if err != nil {
			return err
		}
		for _, s := range ended {
			if err := stopSeries(tx, s, StopWindowEnded, now); err != nil {
				return err
			}
		}
		return nil
	})
}
