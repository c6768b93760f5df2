package gateway

import (
	"context"
	"errors"
	"strings"
	"time"
)

// One Click on the payment page (card on file, customer-initiated): an order made with a
// customernumber offers that customer's saved cards of the merchant; paying with one needs
// only its CVC and echoes its token. A new card is saved only with the payer's consent.

// ExpiredAt reports whether the card's expiry month ended before now (a card is valid
// through the last day of its month).
func (c Card) ExpiredAt(now time.Time) bool {
	y, m := atoi(c.ExpYear), atoi(c.ExpMonth)
	if len(c.ExpYear) != 4 || !allDigits(c.ExpYear) || !allDigits(c.ExpMonth) || m < 1 || m > 12 {
		return true
	}
	return !now.Before(time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC))
}

// PageCards is what the payment page offers: the customer's saved cards, and whether a new
// card may be saved for the customer (#remember-card).
type PageCards struct {
	Customer    string       // the order's customernumber; empty: nothing is offered
	Cards       []*SavedCard // oldest first; expired ones included (shown disabled)
	CanRemember bool         // the order names a customer the card can be saved for
}

// Usable reports whether a two-stage order may be paid with a saved card of the merchant.
func usable(m *Merchant, o *Order) bool {
	return !m.Disabled.CardOnFile && (!o.TwoStage || m.TwoStageWithSavedCards())
}

// SavedCards lists what the page of order may offer. A merchant without card on file, or a
// two-stage order of a merchant without two_stage_for_saved_cards, offers no saved cards.
func (p *Pages) SavedCards(ctx context.Context, m *Merchant, order *Order) (PageCards, error) {
	var out PageCards
	err := p.Gateway.Store.View(ctx, func(tx Tx) error {
		x, err := tx.PayExtras(order.ID)
		if errors.Is(err, ErrNoRows) || (err == nil && x.CustomerNumber == "") {
			return nil
		} else if err != nil {
			return err
		}
		out.Customer, out.CanRemember = x.CustomerNumber, !m.Disabled.CardOnFile
		if !usable(m, order) {
			return nil
		}
		out.Cards, err = tx.SavedCards(m.ID, x.CustomerNumber)
		return err
	})
	return out, err
}

// PageSubmit is the payment page's card form.
type PageSubmit struct {
	FormToken string
	// Card is a new card; with SavedToken only its CVC is read.
	Card CardData
	// Remember is the payer's consent to save the new card for the order's customer.
	Remember bool
	// SavedToken names the saved card chosen (One Click).
	SavedToken string
}

// Pay takes the card form: a saved card (SavedToken, with its CVC) is charged as a
// customer-initiated payment echoing its token; otherwise it is Submit with the payer's
// consent to save the card. Errors are those of Submit; a saved card the page cannot use is
// 5/110 and leaves the page as it was.
func (p *Pages) Pay(ctx context.Context, id string, s PageSubmit) (reply *Reply, challenged bool, err error) {
	if strings.TrimSpace(s.SavedToken) == "" {
		return p.submitCard(ctx, id, s.FormToken, s.Card, s.Remember)
	}
	return p.paySaved(ctx, id, s.FormToken, strings.ToUpper(strings.TrimSpace(s.SavedToken)), strings.TrimSpace(s.Card.CVC))
}

// paySaved attaches the customer's saved card to the order, consuming the form token in the
// same transaction, then authorises it like any page payment. A saved card the processor
// wants 3-D Secure for goes to the issuer page first, as a card typed in does: the payer is
// at the browser (tokenpay, server to server, has nobody to ask).
func (p *Pages) paySaved(ctx context.Context, id, formToken, token, cvc string) (*Reply, bool, error) {
	g := p.Gateway
	// The CVC is checked here and never kept: the saved card asks for it on every payment.
	if len(cvc) < 3 || len(cvc) > 4 || !allDigits(cvc) {
		return nil, false, Invalid(CodeParam, "cvc2 (3 or 4 digits) is required to pay with a saved card")
	}
	challenger, _ := g.Processor.(Challenger)
	challenged := false
	var m *Merchant
	var order *Order
	var op *Operation
	err := g.Store.Update(ctx, func(tx Tx) error {
		challenged = false // the store may run this again after a conflict (PostgreSQL)
		var page *Page
		var err error
		if page, order, op, m, err = p.takeToken(tx, id, formToken, PageCard); err != nil {
			return err
		}
		if m.Disabled.CardOnFile {
			return errDisabled("token", "card on file")
		}
		if err := m.checkTwoStage(order.TwoStage, true); err != nil {
			return err
		}
		x, err := tx.PayExtras(order.ID)
		if errors.Is(err, ErrNoRows) {
			return Invalid(CodeParam, "token: this payment names no customer with saved cards")
		} else if err != nil {
			return err
		}
		c, err := tx.SavedCard(m.ID, token)
		if errors.Is(err, ErrNoRows) || (err == nil && (x.CustomerNumber == "" || c.CustomerNumber != x.CustomerNumber)) {
			return Invalid(CodeParam, "token: not a saved card of this customer")
		} else if err != nil {
			return err
		}
		now := g.Clock.Now()
		if c.Card.ExpiredAt(now) {
			return Invalid(CodeParam, "token: the saved card has expired")
		}
		x.UsedToken, x.SaveCard = token, false
		if err := tx.UpdatePayExtras(order.ID, x); err != nil {
			return err
		}
		if challenged = challenger != nil && challenger.RequiresChallenge(c.Card); challenged {
			page.Stage, page.Card, page.FormToken = PageIssuer, c.Card, randomID(18)
			return tx.UpdatePage(page)
		}
		page.Stage, page.FormToken = PagePaying, ""
		order.Card, order.Updated = c.Card, now
		if err := tx.UpdatePage(page); err != nil {
			return err
		}
		return tx.UpdateOrder(order)
	})
	if err != nil || challenged {
		return nil, challenged, err
	}
	reply, err := g.Authorize(ctx, m, order, op)
	return reply, false, err
}

// rememberCard records the payer's consent to save the page's new card, when the order names
// a customer; without one there is nobody to save it for and the tick means nothing.
func rememberCard(tx RecurringTx, orderID int64) error {
	x, err := tx.PayExtras(orderID)
	if errors.Is(err, ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	if x.CustomerNumber == "" || x.UsedToken != "" {
		return nil
	}
	x.SaveCard = true
	return tx.UpdatePayExtras(orderID, x)
}
