package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scheduled operations: a plan of merchant-initiated charges on a recurring series, run by a
// due job. Each occurrence is claimed in a committed write (its In Process order and the
// schedule's in-flight mark) before the processor is asked, and the outcome moves the
// schedule on in the same transaction that settles the order; so every occurrence is charged
// once, also when the process dies in between (Recover settles the claimed charge on start).

// planRefused is the protocol's 10/211.
func planRefused(format string, args ...any) *Error { return Errorf(10, 211, format, args...) }

// Defaults and bounds of a schedule's retries. Retries of one occurrence must fit the card
// networks' window: at most three (the fourth unsuccessful attempt stops a series) and all
// within 16 days.
const (
	DefaultRetryCount  = 3
	DefaultRetryPeriod = 24 * time.Hour
	MaxRetryCount      = MaxUnsuccessful - 1
	// MaxRetryPeriodHours bounds retryperiodhours: retries must fit in the 16-day window.
	MaxRetryPeriodHours = RetryWindowDays * 24
	maxScheduleTake     = 1000
	defaultTake         = 100
)

// ScheduleRequest is SetScheduledOperation as the client sent it; empty fields of an edit
// keep their values.
type ScheduleRequest struct {
	Operation, BillNumber, Amount, Currency, Description, StartDate, PeriodLength, PeriodType,
	EndDate, RetryCount, RetryPeriodHours, State string
}

// ScheduleQuery is GetScheduledOperation.
type ScheduleQuery struct {
	Operation, BillNumber, Skip, Take string
}

func parseID(name, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, Invalid(CodeParam, "%s must be a positive number", name)
	}
	return n, nil
}

// SetSchedule creates a scheduled operation, or edits the one named by req.Operation.
func (g *Gateway) SetSchedule(ctx context.Context, m *Merchant, req ScheduleRequest) (*Schedule, error) {
	var id int64
	var err error
	editing := strings.TrimSpace(req.Operation) != ""
	if editing {
		if id, err = parseID("operation", req.Operation); err != nil {
			return nil, err
		}
	}
	if m.Disabled.Recurring {
		return nil, planRefused("recurring payments (and so scheduled operations) are not enabled for this merchant")
	}
	var out *Schedule
	err = g.Store.Update(ctx, func(tx Tx) error {
		now := g.Clock.Now()
		sc := &Schedule{MerchantID: m.ID, State: ScheduleActive, RetryCount: DefaultRetryCount,
			RetryPeriod: DefaultRetryPeriod, NextN: 1, Created: now}
		if editing {
			var err error
			if sc, err = tx.Schedule(m.ID, id); errors.Is(err, ErrNoRows) {
				return Errorf(10, 201, "scheduled operation %d not found", id)
			} else if err != nil {
				return err
			}
			if sc.InFlight != 0 {
				return planRefused("a charge of this scheduled operation is in progress; try again shortly")
			}
		}
		old := *sc
		if err := applyScheduleRequest(sc, req, m, editing); err != nil {
			return err
		}
		var series *Series
		if !editing || strings.TrimSpace(req.BillNumber) != "" {
			bill, err := SplitBillNumber(req.BillNumber)
			if err != nil {
				return err
			}
			if editing && bill != old.BillNumber {
				return planRefused("the billnumber of a scheduled operation cannot change")
			}
			initial, s, err := loadSeries(tx, m.ID, bill)
			if err != nil {
				if e := AsError(err); e.First == 10 && e.Second == 210 {
					return planRefused("order %s has no activated recurring card", bill)
				}
				return err
			}
			sc.SeriesOrderID, sc.BillNumber, series = initial.ID, bill, s
		} else if series, err = tx.SeriesByOrder(sc.SeriesOrderID); err != nil {
			return err
		}
		if err := validatePlan(sc, series, now); err != nil {
			return err
		}
		if sc.Currency == "" {
			sc.Currency = series.Currency
		}
		reschedule(sc, &old, editing, now)
		sc.Updated = now
		if editing {
			err = tx.UpdateSchedule(sc)
		} else {
			err = tx.InsertSchedule(sc)
		}
		out = sc
		return err
	})
	return out, err
}

// applyScheduleRequest parses the request's fields into sc (5/1xx for malformed values).
func applyScheduleRequest(sc *Schedule, req ScheduleRequest, m *Merchant, editing bool) error {
	need := func(name, v string) error {
		if !editing && strings.TrimSpace(v) == "" {
			return Invalid(CodeParam, "%s is missing", name)
		}
		return nil
	}
	if v := strings.TrimSpace(req.Amount); v != "" || !editing {
		a, ok := ParseAmount(v)
		if !ok {
			return Invalid(CodeAmount, "amount is missing or not a valid amount")
		}
		sc.Amount = a
	}
	if v := strings.TrimSpace(req.Currency); v != "" {
		c, ok := ParseCurrency(v, "")
		if !ok {
			return Invalid(CodeCurrency, "currency %q is not allowed", v)
		}
		sc.Currency = c
	}
	if req.Description != "" {
		sc.Description = strings.TrimSpace(req.Description)
	}
	for _, f := range []struct {
		name, v string
		dst     *time.Time
	}{{"startdate", req.StartDate, &sc.Plan.Start}, {"enddate", req.EndDate, &sc.Plan.End}} {
		if f.name == "startdate" {
			if err := need(f.name, f.v); err != nil {
				return err
			}
		}
		if strings.TrimSpace(f.v) == "" {
			continue
		}
		t, ok := ParseDateTime(f.v)
		if !ok {
			return Invalid(CodeParam, "%s must be DD.MM.YYYY HH:MM:SS (GMT)", f.name)
		}
		*f.dst = t
	}
	if err := need("periodlength", req.PeriodLength); err != nil {
		return err
	}
	if v := strings.TrimSpace(req.PeriodLength); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return Invalid(CodeParam, "periodlength must be a number from 1 to 1000")
		}
		sc.Plan.Length = n
	}
	if err := need("periodtype", req.PeriodType); err != nil {
		return err
	}
	if v := strings.TrimSpace(req.PeriodType); v != "" {
		p, ok := ParsePeriodType(v)
		if !ok {
			return Invalid(CodeParam, "periodtype must be Day, Week or Month")
		}
		sc.Plan.Unit = p
	}
	if v := strings.TrimSpace(req.RetryCount); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return Invalid(CodeParam, "retrycount must be a whole number from 0 to 1000")
		}
		sc.RetryCount = n
	}
	if v := strings.TrimSpace(req.RetryPeriodHours); v != "" {
		// Range-checked before any arithmetic: a huge value would overflow the duration and
		// put every retry at the same instant.
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxRetryPeriodHours {
			return Invalid(CodeParam, "retryperiodhours must be a whole number of hours from 1 to %d", MaxRetryPeriodHours)
		}
		sc.RetryPeriod = time.Duration(n) * time.Hour
	}
	switch v := strings.TrimSpace(req.State); {
	case v == "":
	case strings.EqualFold(v, string(ScheduleActive)):
		sc.State = ScheduleActive
	case strings.EqualFold(v, string(ScheduleInactive)):
		sc.State = ScheduleInactive
	default:
		return Invalid(CodeParam, "state must be Active or Inactive")
	}
	return nil
}

// validatePlan refuses (10/211) a plan its series could never charge.
func validatePlan(sc *Schedule, s *Series, now time.Time) error {
	cur := sc.Currency
	if cur == "" {
		cur = s.Currency
	}
	switch {
	case s.State == SeriesError:
		// The card was never bound for recurring charges: the same refusal as rp (10/210).
		return refused("the card of order %s could not be bound for recurring payments (recurringstate Error)", sc.BillNumber)
	case s.State != SeriesActivated:
		return planRefused("the recurring card of order %s is no longer activated (%s)", sc.BillNumber, s.StopReason)
	case cur != s.Currency:
		return planRefused("currency %s differs from the recurring series' %s", cur, s.Currency)
	case (s.MinAmount != 0 && sc.Amount < s.MinAmount) || (s.MaxAmount != 0 && sc.Amount > s.MaxAmount):
		return planRefused("amount %s is outside the recurring series' limits", sc.Amount)
	case !sc.Plan.End.IsZero() && sc.Plan.End.Before(sc.Plan.Start):
		return planRefused("enddate is before startdate")
	case sc.RetryCount > MaxRetryCount:
		return planRefused("retrycount may be at most %d: a fourth unsuccessful attempt stops the series", MaxRetryCount)
	case time.Duration(sc.RetryCount)*sc.RetryPeriod >= RetryWindowDays*24*time.Hour:
		return planRefused("retries must fit within %d days", RetryWindowDays)
	}
	return nil
}

// reschedule sets where the plan goes next. Occurrences before now are not charged when a
// schedule is created or reactivated (only those that fall due while it is Active are);
// occurrence numbers are never reused, so every charge keeps its own ordernumber.
func reschedule(sc, old *Schedule, editing bool, now time.Time) {
	if sc.State == ScheduleFinished || sc.State == ScheduleStopped {
		sc.State = ScheduleActive // only a Finished one gets here: a Stopped series was refused
	}
	planChanged := !editing || sc.Plan != old.Plan || (sc.State == ScheduleActive && old.State != ScheduleActive)
	if planChanged {
		sc.NextK, sc.Retry = sc.Plan.FirstFrom(now, 0), 0
		sc.NextRun = sc.Plan.At(sc.NextK)
	}
	if !sc.Plan.Within(sc.Plan.At(sc.NextK)) {
		sc.State = ScheduleFinished
	}
}

// scheduleSettled moves a schedule on after the outcome of its claimed charge.
func scheduleSettled(tx RecurringTx, sc *Schedule, s *Series, reply *Reply, now time.Time) error {
	sc.InFlight, sc.LastCode, sc.Updated = 0, reply.Op.ResponseCode, now
	switch {
	case s.State == SeriesStopped:
		sc.State = ScheduleStopped
	case reply.Op.State != OpSuccess && sc.Retry < sc.RetryCount:
		sc.Retry++
		sc.NextRun = sc.Plan.At(sc.NextK).Add(time.Duration(sc.Retry) * sc.RetryPeriod)
	default:
		advance(sc, s)
	}
	return tx.UpdateSchedule(sc)
}

// advance moves to the next occurrence, or finishes the schedule past its end date or the
// series' recurringmaxdate.
func advance(sc *Schedule, s *Series) {
	sc.Retry, sc.NextK, sc.NextN = 0, sc.NextK+1, sc.NextN+1
	sc.NextRun = sc.Plan.At(sc.NextK)
	if !sc.Plan.Within(sc.NextRun) || (!s.MaxDate.IsZero() && !sc.NextRun.Before(s.MaxDate)) {
		sc.State = ScheduleFinished
	}
}

// Schedules lists scheduled operations: one by id, those of an initial order, or all.
func (g *Gateway) Schedules(ctx context.Context, m *Merchant, q ScheduleQuery) ([]*Schedule, error) {
	skip, err := parseCount("skip", q.Skip, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	take, err := parseCount("take", q.Take, defaultTake, maxScheduleTake)
	if err != nil {
		return nil, err
	}
	var id int64
	if strings.TrimSpace(q.Operation) != "" {
		if id, err = parseID("operation", q.Operation); err != nil {
			return nil, err
		}
	}
	var bill string
	if strings.TrimSpace(q.BillNumber) != "" {
		if bill, err = SplitBillNumber(q.BillNumber); err != nil {
			return nil, err
		}
	}
	var out []*Schedule
	err = g.Store.View(ctx, func(tx Tx) error {
		if id != 0 {
			sc, err := tx.Schedule(m.ID, id)
			if errors.Is(err, ErrNoRows) || (err == nil && bill != "" && sc.BillNumber != bill) {
				return Errorf(10, 201, "scheduled operation %d not found", id)
			}
			out = []*Schedule{sc}
			return err
		}
		var seriesID int64
		if bill != "" {
			o, err := tx.OrderByBill(m.ID, bill)
			if errors.Is(err, ErrNoRows) {
				return ErrNotFound
			} else if err != nil {
				return err
			}
			seriesID = o.ID
		}
		out, err = tx.Schedules(m.ID, seriesID, skip, take)
		return err
	})
	return out, err
}

// RunSchedules charges every occurrence due at now, in order, each once: first it settles
// charges an earlier pass claimed but could not finish (the processor failed), then it claims
// and charges due occurrences one at a time until none is due.
func (g *Gateway) RunSchedules(ctx context.Context, now time.Time) error {
	var inFlight []*Schedule
	if err := g.Store.View(ctx, func(tx Tx) (err error) {
		inFlight, err = tx.SchedulesInFlight()
		return err
	}); err != nil {
		return err
	}
	for _, sc := range inFlight {
		if err := g.finishInFlight(ctx, sc); err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		cl, err := g.claimDue(ctx, now)
		if err != nil || cl == nil {
			return err
		}
		if cl.order == nil {
			continue // the occurrence was refused by the rules and the schedule moved on
		}
		if _, err := g.chargeMIT(ctx, cl.m, cl.order, cl.op, cl.charge, false); err != nil {
			return fmt.Errorf("scheduled operation %d: %w", cl.charge.ScheduleID, err)
		}
	}
	return ctx.Err()
}

type claim struct {
	m      *Merchant
	order  *Order
	op     *Operation
	charge *RecurringCharge
}

// claimDue commits the next due occurrence as an In Process charge; nil when none is due.
func (g *Gateway) claimDue(ctx context.Context, now time.Time) (*claim, error) {
	var cl *claim
	err := g.Store.Update(ctx, func(tx Tx) error {
		sc, err := tx.NextDueSchedule(now)
		if errors.Is(err, ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		cl = &claim{m: g.Merchants.Get(sc.MerchantID)}
		at := g.Clock.Now()
		sc.Updated = at
		s, err := tx.SeriesByOrder(sc.SeriesOrderID)
		if err != nil {
			return err
		}
		if cl.m == nil || cl.m.Disabled.Recurring {
			// Nobody may charge it now; made Inactive, it can be reactivated by an edit once
			// the merchant may charge again.
			g.log().Warn("scheduled operation of a merchant without recurring payments: made inactive", "operation", sc.ID)
			sc.State = ScheduleInactive
			return tx.UpdateSchedule(sc)
		}
		if err := s.checkCharge(sc.Amount, sc.Currency, at); err != nil {
			switch {
			case s.State == SeriesActivated && s.Retry.WindowEnded(at):
				return stopSeries(tx, s, StopWindowEnded, at)
			case s.State == SeriesStopped:
				sc.State = ScheduleStopped
			default: // past recurringmaxdate
				sc.State = ScheduleFinished
			}
			return tx.UpdateSchedule(sc)
		}
		initial, err := tx.RecurringOrder(sc.SeriesOrderID)
		if err != nil {
			return err
		}
		num := strconv.FormatInt(sc.ID, 10) + "-" + strconv.Itoa(sc.NextN)
		order, op, c, err := newCharge(tx, s, initial, num, sc.Amount, sc.Currency, sc.Description, "", at)
		if err != nil {
			return err
		}
		c.ScheduleID, c.Occurrence = sc.ID, sc.NextN
		if err := tx.InsertRecurringCharge(c); err != nil {
			return err
		}
		sc.InFlight, sc.Attempts = order.ID, sc.Attempts+1
		cl.order, cl.op, cl.charge = order, op, c
		return tx.UpdateSchedule(sc)
	})
	return cl, err
}

// finishInFlight settles a claimed charge that is still In Process, with the processor's
// record of the request; a charge settled meanwhile only releases the schedule.
func (g *Gateway) finishInFlight(ctx context.Context, sc *Schedule) error {
	var order *Order
	var ops []*Operation
	var c *RecurringCharge
	err := g.Store.View(ctx, func(tx Tx) (err error) {
		if order, err = tx.RecurringOrder(sc.InFlight); err != nil {
			return err
		}
		if c, err = tx.RecurringCharge(order.ID); err != nil {
			return err
		}
		ops, err = tx.Operations(order.ID)
		return err
	})
	if err != nil {
		return err
	}
	if order.State == StateInProcess {
		release, ok := g.claimInterrupted(ctx, order.ID, order.Created, SettleGrace)
		if !ok {
			return nil // the process that claimed the charge is still making it
		}
		defer release()
	}
	m := g.Merchants.Get(order.MerchantID)
	if order.State != StateInProcess || len(ops) == 0 || m == nil {
		return g.Store.Update(ctx, func(tx Tx) error {
			cur, err := tx.Schedule(sc.MerchantID, sc.ID)
			if err != nil || cur.InFlight != sc.InFlight {
				return err
			}
			cur.InFlight = 0
			return tx.UpdateSchedule(cur)
		})
	}
	_, err = g.chargeMIT(ctx, m, order, ops[0], c, true)
	return err
}
