package gateway_test

import (
	"context"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/processor"
)

// TestGateway_TokenQueries checks token.cfm and rem_token.cfm's refusals: a customernumber is
// required and at most 32 characters (5/110), a token the merchant does not have for that
// customer is 10/201 (another customer's, another merchant's, a removed one); removing stays
// possible with card on file switched off.
func TestGateway_TokenQueries(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, processor.Test{})
	token := e.saveFor(t, "tq-1", "c1", visa)
	mc := visa
	mc.Number = "2200000000000004"
	other := e.saveFor(t, "tq-2", "c2", mc)

	if l, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: " c1 ", Token: strings.ToLower(token)}); err != nil || len(l) != 1 || l[0].Token != token || l[0].Card.Brand != "VISA" {
		t.Fatalf("one token by its lower-case spelling: %v %+v", err, l)
	}
	for _, tc := range []struct {
		name string
		q    gateway.TokenQuery
		want string
	}{
		{"no customernumber", gateway.TokenQuery{Token: token}, "5/110"},
		{"customernumber of 33 characters", gateway.TokenQuery{CustomerNumber: strings.Repeat("c", 33)}, "5/110"},
		{"another customer's token", gateway.TokenQuery{CustomerNumber: "c1", Token: other}, "10/201"},
		{"an unknown token", gateway.TokenQuery{CustomerNumber: "c1", Token: "00000000-0000-4000-8000-000000000000"}, "10/201"},
	} {
		if _, err := e.g.Tokens(ctx, e.m, tc.q); codes(err) != tc.want {
			t.Errorf("token.cfm, %s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if l, err := e.g.Tokens(ctx, e.g.Merchants.Get("2"), gateway.TokenQuery{CustomerNumber: "c1"}); err != nil || len(l) != 0 {
		t.Fatalf("another merchant's list of c1: %v %d", err, len(l))
	}
	for _, tc := range []struct {
		name string
		m    *gateway.Merchant
		q    gateway.TokenQuery
		want string
	}{
		{"no token", e.m, gateway.TokenQuery{CustomerNumber: "c1"}, "5/110"},
		{"no customernumber", e.m, gateway.TokenQuery{Token: token}, "5/110"},
		{"another customer's token", e.m, gateway.TokenQuery{CustomerNumber: "c1", Token: other}, "10/201"},
		{"another merchant", e.g.Merchants.Get("2"), gateway.TokenQuery{CustomerNumber: "c1", Token: token}, "10/201"},
	} {
		if _, err := e.g.RemoveToken(ctx, tc.m, tc.q); codes(err) != tc.want {
			t.Errorf("rem_token.cfm, %s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if l, _ := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c2"}); len(l) != 1 {
		t.Fatalf("a refused removal removed c2's card")
	}
	e.m.Disabled.CardOnFile = true
	if left, err := e.g.RemoveToken(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c2", Token: strings.ToLower(other)}); err != nil || len(left) != 0 {
		t.Fatalf("removing with card on file off: %v %+v", err, left)
	}
	e.m.Disabled.CardOnFile = false
	if _, err := e.g.Tokens(ctx, e.m, gateway.TokenQuery{CustomerNumber: "c2", Token: other}); codes(err) != "10/201" {
		t.Fatalf("a removed token: %v", err)
	}
	payer := gateway.Customer{LastName: "L", FirstName: "F", Email: "f@example.com"}
	if _, err := e.g.TokenPay(ctx, e.m, gateway.TokenPayRequest{OrderNumber: "tq-3", Amount: "1.00", Token: other, CustomerNumber: "c2", Customer: payer}); codes(err) != "10/201" {
		t.Fatalf("tokenpay with a removed token: %v", err)
	}
	if _, err := e.g.TokenPay(ctx, e.g.Merchants.Get("2"), gateway.TokenPayRequest{OrderNumber: "tq-4", Amount: "1.00", Token: token, CustomerNumber: "c1", Customer: payer}); codes(err) != "10/201" {
		t.Fatalf("tokenpay with another merchant's token: %v", err)
	}
	// Two-stage with a saved card follows two_stage_for_saved_cards.
	e.m.Disabled.TwoStageForSavedCards = true
	if _, err := e.g.TokenPay(ctx, e.m, gateway.TokenPayRequest{OrderNumber: "tq-5", Amount: "1.00", TwoStage: "1", Token: token, CustomerNumber: "c1", Customer: payer}); codes(err) != "5/110" {
		t.Fatalf("two-stage tokenpay without two_stage_for_saved_cards: %v", err)
	}
	e.m.Disabled.TwoStageForSavedCards = false
}
