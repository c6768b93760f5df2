package gateway

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The hooks below are where the payment flow meets the features built on it. Each is
// called inside the transaction of the state change it follows.

// PayExtras is what a payment asks beyond the charge itself: recurring consent and a saved
// card. parseExtras validates it before anything is written.
type PayExtras struct {
	CustomerNumber string
	Recurring      RecurringRequest // as the client sent it

	// Parsed from Recurring when its Indicator is "1".
	Consent    bool
	MinAmount  Amount    // 0: no lower bound
	MaxAmount  Amount    // 0: no upper bound
	PeriodDays int       // 0: not given
	MaxDate    time.Time // the first instant past recurringmaxdate; zero: none

	UsedToken string // tokenpay: the saved card the payment was made with
	// SaveCard saves the card for CustomerNumber on approval: always for silentpay, and on
	// the payment page only when the payer ticked #remember-card.
	SaveCard bool

	Receipt *ReceiptSpec // the fiscal receipt's lines; nil: no receipt
}

// empty reports whether the payment asked nothing beyond the charge.
func (x *PayExtras) empty() bool {
	return x.CustomerNumber == "" && !x.Consent && x.UsedToken == ""
}

// maxCustomerNumber bounds a customernumber (the merchant's own customer id).
const maxCustomerNumber = 32

// parseExtras validates the recurring and saved-card parameters of a payment.
func (g *Gateway) parseExtras(m *Merchant, req PayRequest) (*PayExtras, error) {
	x := &PayExtras{Recurring: req.Recurring}
	var err error
	if x.CustomerNumber, err = parseCustomerNumber(req.CustomerNumber); err != nil {
		return nil, err
	}
	if x.CustomerNumber != "" && m.Disabled.CardOnFile {
		return nil, errDisabled("customernumber", "card on file")
	}
	x.SaveCard = x.CustomerNumber != ""
	if x.Receipt, err = checkPurchase(&req); err != nil {
		return nil, err
	}
	r := req.Recurring
	if x.Consent, err = parseFlag("recurringindicator", r.Indicator); err != nil || !x.Consent {
		// Without consent the other recurring fields mean nothing and are ignored.
		return x, err
	}
	if m.Disabled.Recurring {
		return nil, errDisabled("recurringindicator", "recurring payment")
	}
	if x.MinAmount, err = optionalAmount("recurringminamount", r.MinAmount); err != nil {
		return nil, err
	}
	if x.MaxAmount, err = optionalAmount("recurringmaxamount", r.MaxAmount); err != nil {
		return nil, err
	}
	if x.MinAmount != 0 && x.MaxAmount != 0 && x.MinAmount > x.MaxAmount {
		return nil, Invalid(CodeAmount, "recurringminamount is greater than recurringmaxamount")
	}
	if p := strings.TrimSpace(r.Period); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 3660 {
			return nil, Invalid(CodeParam, "recurringperiod must be a number of days from 1 to 3660")
		}
		x.PeriodDays = n
	}
	if d := strings.TrimSpace(r.MaxDate); d != "" {
		t, err := time.Parse("02.01.2006", d)
		if err != nil {
			return nil, Invalid(CodeParam, "recurringmaxdate must be a date DD.MM.YYYY")
		}
		// The max date is the last day charges may happen on, to its end (GMT).
		x.MaxDate = t.AddDate(0, 0, 1)
		if !g.Clock.Now().Before(x.MaxDate) {
			return nil, Invalid(CodeParam, "recurringmaxdate is in the past")
		}
	}
	return x, nil
}

func parseCustomerNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len([]rune(s)) > maxCustomerNumber {
		return "", Invalid(CodeParam, "customernumber is longer than %d characters", maxCustomerNumber)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", Invalid(CodeParam, "customernumber contains control characters")
		}
	}
	return s, nil
}

func optionalAmount(name, s string) (Amount, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	a, ok := ParseAmount(s)
	if !ok {
		return 0, Invalid(CodeAmount, "%s is not a valid amount", name)
	}
	return a, nil
}

// extrasCreated keeps a payment's extras beside its In Process order, so that they survive
// until the outcome is known (also across a crash).
func (g *Gateway) extrasCreated(tx interface {
	RecurringTx
	ReceiptTx
}, m *Merchant, order *Order, extras *PayExtras) error {
	if extras != nil && extras.Receipt != nil {
		if err := tx.InsertReceiptSpec(order.ID, extras.Receipt); err != nil {
			return err
		}
	}
	if extras == nil || extras.empty() {
		return nil
	}
	return tx.InsertPayExtras(order.ID, extras)
}

// afterSettle applies a settled payment's extras: on approval it saves the card and
// activates recurring consent (Error when the processor could not bind the card for
// recurring charges), filling reply.Token and reply.RecurringState. For a recurring
// charge it applies the retry rules to its series (and moves its schedule on).
func (g *Gateway) afterSettle(tx RecurringTx, m *Merchant, reply *Reply, res AuthResult) error {
	order := reply.Order
	if reply.Op.Type == OpRecurring {
		return g.recurringSettled(tx, reply)
	}
	x, err := tx.PayExtras(order.ID)
	if errors.Is(err, ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	reply.Token, reply.CustomerNumber = x.UsedToken, x.CustomerNumber
	if reply.Op.State != OpSuccess {
		return nil
	}
	now := g.Clock.Now()
	if x.Consent {
		s := &Series{OrderID: order.ID, MerchantID: order.MerchantID, Currency: order.Currency,
			MinAmount: x.MinAmount, MaxAmount: x.MaxAmount, PeriodDays: x.PeriodDays, MaxDate: x.MaxDate,
			State: SeriesActivated, Created: now, Updated: now}
		if res.RecurringRefused {
			// The consent is kept, in state Error, so that rp and schedules on the order are
			// refused for the reason that applies rather than as "no consent".
			s.State, s.StopReason = SeriesError, "the card could not be bound for recurring payments"
		}
		if err := tx.InsertSeries(s); err != nil {
			return err
		}
		reply.RecurringState = string(s.State)
	}
	if x.CustomerNumber != "" && x.UsedToken == "" && x.SaveCard {
		token, err := saveCard(tx, order, x.CustomerNumber, now)
		if err != nil {
			return err
		}
		reply.Token = token
	}
	return nil
}
