package gateway_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// saveFor pays with card for the customer and returns the saved card's token.
func (e *env) saveFor(t *testing.T, num, customer string, card gateway.CardData) string {
	t.Helper()
	r, err := e.g.Pay(context.Background(), e.m, gateway.PayRequest{OrderNumber: num, Amount: "1.00", Card: card, CustomerNumber: customer})
	if err != nil || r.Token == "" {
		t.Fatalf("saving a card for %s: %v %+v", customer, err, r)
	}
	return r.Token
}

// page creates a payment-page order.
func (e *env) page(t *testing.T, pages *gateway.Pages, req gateway.PageRequest) (*gateway.Page, *gateway.Order) {
	t.Helper()
	if req.Amount == "" {
		req.Amount = "10.00"
	}
	pg, o, err := pages.Create(context.Background(), e.m, req)
	if err != nil {
		t.Fatalf("create page %s: %v", req.OrderNumber, err)
	}
	return pg, o
}

// TestPages_OneClick pays a page order with a saved card of its customer: only the CVC is
// needed, the payment is an ordinary one (100) that echoes the token, and the form token is
// used up. A token the page does not offer, or a missing CVC, is 5/110 and leaves the page
// payable.
func TestPages_OneClick(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	mine := e.saveFor(t, "save-1", "c1", visa)
	mc := visa
	mc.Number = "5555555555554444"
	second := e.saveFor(t, "save-2", "c1", mc)
	theirs := e.saveFor(t, "save-3", "c2", visa)

	pg, order := e.page(t, pages, gateway.PageRequest{OrderNumber: "oc-1", CustomerNumber: "c1"})
	offered, err := pages.SavedCards(ctx, e.m, order)
	if err != nil || offered.Customer != "c1" || !offered.CanRemember || len(offered.Cards) != 2 ||
		offered.Cards[0].Token != mine || offered.Cards[1].Token != second {
		t.Fatalf("saved cards offered: %v %+v", err, offered)
	}
	if c := offered.Cards[1].Card; c.Masked() != "555555******4444" || c.Expiry() != "12/30" || c.Brand != "MasterCard" {
		t.Fatalf("the second card shows as %s %s %s", c.Brand, c.Masked(), c.Expiry())
	}
	for _, tc := range []struct {
		name, token, cvc, want string
	}{
		{"another customer's card", theirs, "123", "not a saved card of this customer"},
		{"an unknown token", "00000000-0000-4000-8000-000000000000", "123", "not a saved card of this customer"},
		{"no CVC", mine, "", "cvc2"},
		{"a CVC of two digits", mine, "12", "cvc2"},
		{"a CVC of letters", mine, "abc", "cvc2"},
	} {
		_, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: tc.token, Card: gateway.CardData{CVC: tc.cvc}})
		if codes(err) != "5/110" || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want 5/110 about %s", tc.name, err, tc.want)
		}
	}
	// Nothing was charged: the page still takes the card form with its token.
	if p, d, _, err := pages.Load(ctx, pg.ID); err != nil || p.Stage != gateway.PageCard || d.Order.State != gateway.StateInProcess || d.Order.Card.Ref != "" {
		t.Fatalf("after the refusals: %v stage %s order %s", err, p.Stage, d.Order.State)
	}
	r, challenged, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: " " + strings.ToLower(second) + " ", Card: gateway.CardData{CVC: "1234"}})
	if err != nil || challenged {
		t.Fatalf("pay with the saved card: %v %v", challenged, err)
	}
	if r.Order.State != gateway.StateApproved || r.Op.Type != gateway.OpPayment || r.Token != second ||
		r.Order.Card.Last4 != "4444" || r.Order.BillNumber != order.BillNumber {
		t.Fatalf("saved-card payment: %s op %v token %s card %s", r.Order.State, r.Op.Type, r.Token, r.Order.Card.Last4)
	}
	if _, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: second, Card: gateway.CardData{CVC: "123"}}); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("the same form again: %v, want ErrPageUsed", err)
	}
	notes, err := e.g.OrderNotifications(ctx, e.m, order.BillNumber)
	if err != nil || len(notes) != 1 || notes[0].Payload.Token != second || notes[0].Payload.CustomerNumber != "c1" {
		t.Fatalf("notification of the saved-card payment: %v %+v", err, notes)
	}
	// Paying with a saved card saves nothing new.
	if cards, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c1"}); err != nil || len(cards) != 2 {
		t.Fatalf("c1's cards after the payment: %v %d", err, len(cards))
	}
	// A removed card is no longer offered nor payable.
	if _, err := e.g.RemoveToken(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c1", Token: mine}); err != nil {
		t.Fatal(err)
	}
	pg2, order2 := e.page(t, pages, gateway.PageRequest{OrderNumber: "oc-2", CustomerNumber: "c1"})
	if offered, _ := pages.SavedCards(ctx, e.m, order2); len(offered.Cards) != 1 || offered.Cards[0].Token != second {
		t.Fatalf("after removing a card: %+v", offered.Cards)
	}
	if _, _, err := pages.Pay(ctx, pg2.ID, gateway.PageSubmit{FormToken: pg2.FormToken, SavedToken: mine, Card: gateway.CardData{CVC: "123"}}); codes(err) != "5/110" {
		t.Fatalf("a removed card: %v, want 5/110", err)
	}
}

// TestPages_OneClickExpiredCard offers a saved card through its expiry month and refuses to
// pay with it from the first instant of the next month.
func TestPages_OneClickExpiredCard(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	now := e.clock.Now()
	ending := visa
	ending.ExpMonth, ending.ExpYear = strconv.Itoa(int(now.Month())), strconv.Itoa(now.Year())
	token := e.saveFor(t, "exp-1", "c1", ending)
	monthEnd := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)

	// The last second of its month: still payable.
	if _, err := e.clock.Set(ctx, monthEnd.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	pg, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "exp-2", CustomerNumber: "c1"})
	if r, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: token, Card: gateway.CardData{CVC: "123"}}); err != nil || r.Order.State != gateway.StateApproved {
		t.Fatalf("in its last second: %v %+v", err, r)
	}
	if _, err := e.clock.Set(ctx, monthEnd); err != nil {
		t.Fatal(err)
	}
	pg, order := e.page(t, pages, gateway.PageRequest{OrderNumber: "exp-3", CustomerNumber: "c1"})
	offered, err := pages.SavedCards(ctx, e.m, order)
	if err != nil || len(offered.Cards) != 1 || !offered.Cards[0].Card.ExpiredAt(e.clock.Now()) {
		t.Fatalf("the expired card must still be listed (shown disabled): %v %+v", err, offered)
	}
	_, _, err = pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: token, Card: gateway.CardData{CVC: "123"}})
	if codes(err) != "5/110" || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired saved card: %v, want 5/110", err)
	}
	if _, d, _, _ := pages.Load(ctx, pg.ID); d.Order.State != gateway.StateInProcess {
		t.Fatalf("the refused payment changed the order to %s", d.Order.State)
	}
}

// TestPages_OneClickCapabilities follows the merchant's switches: without card on file no
// saved card is offered or payable (and nothing can be remembered); a two-stage page of a
// merchant without two_stage_for_saved_cards offers none and refuses one; a page without a
// customer offers nothing.
func TestPages_OneClickCapabilities(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	token := e.saveFor(t, "cap-0", "c1", visa)
	pay := func(pg *gateway.Page) error {
		_, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: token, Card: gateway.CardData{CVC: "123"}})
		return err
	}

	pg, order := e.page(t, pages, gateway.PageRequest{OrderNumber: "cap-1", CustomerNumber: "c1"})
	e.m.Disabled.CardOnFile = true
	offered, err := pages.SavedCards(ctx, e.m, order)
	if err != nil || offered.Customer != "c1" || offered.CanRemember || len(offered.Cards) != 0 {
		t.Fatalf("card on file off: %v %+v", err, offered)
	}
	if err := pay(pg); codes(err) != "5/110" || !strings.Contains(err.Error(), "card on file") {
		t.Fatalf("paying with a saved card, card on file off: %v", err)
	}
	if _, _, err := pages.Create(ctx, e.m, gateway.PageRequest{OrderNumber: "cap-1b", Amount: "1.00", CustomerNumber: "c1"}); codes(err) != "5/110" {
		t.Fatalf("a page with a customernumber, card on file off: %v", err)
	}
	e.m.Disabled.CardOnFile = false

	pg, order = e.page(t, pages, gateway.PageRequest{OrderNumber: "cap-2", CustomerNumber: "c1", TwoStage: "1"})
	if offered, _ := pages.SavedCards(ctx, e.m, order); len(offered.Cards) != 1 {
		t.Fatalf("a two-stage page with every capability: %d cards offered", len(offered.Cards))
	}
	e.m.Disabled.TwoStageForSavedCards = true
	if offered, _ := pages.SavedCards(ctx, e.m, order); len(offered.Cards) != 0 || !offered.CanRemember {
		t.Fatalf("two-stage without two_stage_for_saved_cards: %+v", offered)
	}
	if err := pay(pg); codes(err) != "5/110" || !strings.Contains(err.Error(), "delay") {
		t.Fatalf("two-stage saved-card payment refused? %v", err)
	}
	e.m.Disabled.TwoStageForSavedCards = false
	if r, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: token, Card: gateway.CardData{CVC: "123"}}); err != nil || r.Order.State != gateway.StateDelayed {
		t.Fatalf("two-stage saved-card payment once allowed: %v %+v", err, r)
	}

	pg, order = e.page(t, pages, gateway.PageRequest{OrderNumber: "cap-3"})
	if offered, err := pages.SavedCards(ctx, e.m, order); err != nil || offered.Customer != "" || offered.CanRemember || offered.Cards != nil {
		t.Fatalf("a page without a customer: %v %+v", err, offered)
	}
	if err := pay(pg); codes(err) != "5/110" || !strings.Contains(err.Error(), "no customer") {
		t.Fatalf("a saved card on a page without a customer: %v", err)
	}
}

// TestPages_RememberCard saves a new card for the page's customer only with the payer's tick
// and only when the payment is approved.
func TestPages_RememberCard(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	cards := func() int {
		t.Helper()
		l, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	declined := visa
	declined.Number = "4000000000000002"
	for _, tc := range []struct {
		name     string
		card     gateway.CardData
		customer string
		remember bool
		state    gateway.State
		saved    int // c1's cards after
	}{
		{"no tick", visa, "c1", false, gateway.StateApproved, 0},
		{"ticked but declined", declined, "c1", true, gateway.StateDeclined, 0},
		{"ticked without a customer", visa, "", true, gateway.StateApproved, 0},
		{"ticked and approved", visa, "c1", true, gateway.StateApproved, 1},
	} {
		pg, _ := e.page(t, pages, gateway.PageRequest{OrderNumber: "rem-" + tc.name, CustomerNumber: tc.customer})
		r, _, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, Card: tc.card, Remember: tc.remember})
		if err != nil || r.Order.State != tc.state {
			t.Fatalf("%s: %v %+v", tc.name, err, r)
		}
		if got := cards(); got != tc.saved {
			t.Fatalf("%s: c1 has %d saved cards, want %d", tc.name, got, tc.saved)
		}
		if (r.Token != "") != (tc.saved == 1) {
			t.Fatalf("%s: token %q", tc.name, r.Token)
		}
	}
}

// TestPages_OneClickChallenge: a saved card the processor wants 3-D Secure for moves the page
// to the issuer stage with that card and charges nothing yet; the right code pays it with the
// saved card, echoing its token.
func TestPages_OneClickChallenge(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	pages := &gateway.Pages{Gateway: e.g}
	card := visa
	card.Number = processor.ChallengeCard
	token := e.saveFor(t, "save-3ds", "c3", card)
	pg, order := e.page(t, pages, gateway.PageRequest{OrderNumber: "oc-3ds", CustomerNumber: "c3"})
	r, challenged, err := pages.Pay(ctx, pg.ID, gateway.PageSubmit{FormToken: pg.FormToken, SavedToken: token, Card: gateway.CardData{CVC: "123"}})
	if err != nil || !challenged || r != nil {
		t.Fatalf("pay with the saved 3-D Secure card: %v challenged %v reply %+v", err, challenged, r)
	}
	pg, d, _, _ := pages.Load(ctx, pg.ID)
	if pg.Stage != gateway.PageIssuer || pg.Card.Last4 != "3063" || d.Order.State != gateway.StateInProcess || d.Order.Card.Ref != "" {
		t.Fatalf("while the code is awaited: stage %s card %s, order %s with card %q", pg.Stage, pg.Card.Last4, d.Order.State, d.Order.Card.Ref)
	}
	r, err = pages.Verify(ctx, pg.ID, pg.FormToken, processor.ChallengeCode)
	if err != nil || r.Order.State != gateway.StateApproved || r.Token != token || r.Order.Card.Last4 != "3063" || r.Order.BillNumber != order.BillNumber {
		t.Fatalf("the code: %v %+v, want Approved on the saved card %s", err, r, token)
	}
}
