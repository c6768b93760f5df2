package gateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

func TestCheckReturnURL(t *testing.T) {
	open := &gateway.Merchant{}
	listed := &gateway.Merchant{ReturnHosts: []string{"shop.example", "pay.shop.example:8443"}}
	for _, tc := range []struct {
		m    *gateway.Merchant
		url  string
		code string
	}{
		{open, "", "ok"},
		{open, "https://anything.example/ok?x=1", "ok"},
		{open, "http://127.0.0.1:9000/ok", "ok"},
		{open, "/relative", "5/110"},
		{open, "javascript:alert(1)", "5/110"},
		{open, "ftp://shop.example/", "5/110"},
		{open, "https://user:pw@shop.example/", "5/110"},
		{listed, "https://SHOP.example/ok", "ok"},
		{listed, "https://pay.shop.example:8443/ok", "ok"},
		{listed, "https://evil.example/ok", "5/110"},
		{listed, "https://shop.example.evil.example/", "5/110"},
	} {
		if got := codes(gateway.CheckReturnURL(tc.m, "url_return", tc.url)); got != tc.code {
			t.Errorf("%q: %q, want %q", tc.url, got, tc.code)
		}
	}
}

func TestPage_ReturnFor(t *testing.T) {
	p := &gateway.Page{ReturnURL: "u", ReturnOK: "ok"}
	if p.ReturnFor(true) != "ok" || p.ReturnFor(false) != "u" {
		t.Fatal("URL_RETURN must stand in for a missing URL_RETURN_NO only")
	}
	if (&gateway.Page{}).ReturnFor(true) != "" {
		t.Fatal("no return URLs: the result page")
	}
}

func TestPages_CreateSubmitExpire(t *testing.T) {
	g, m := newGateway(t)
	pages := &gateway.Pages{Gateway: g, TTL: time.Hour}
	ctx := context.Background()
	req := gateway.PageRequest{OrderNumber: "p-1", Amount: "10.00", Creator: "the-creating-browser's-secret"}
	page, order, err := pages.Create(ctx, m, req)
	if err != nil || order.State != gateway.StateInProcess || order.Card.Ref != "" || len(page.ID) < 40 {
		t.Fatalf("create: %v %+v", err, order)
	}
	// Recover leaves a page order without a card alone.
	if n, err := g.Recover(ctx); err != nil || n != 0 {
		t.Fatalf("recover: %d %v", n, err)
	}
	if again, _, err := pages.Create(ctx, m, req); err != nil || again.ID != page.ID {
		t.Fatalf("same ordernumber: %v", err)
	}
	if _, _, err := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "p-1", Amount: "11.00", Creator: req.Creator}); codes(err) != "10/204" {
		t.Fatalf("other amount: %v", err)
	}
	for _, other := range []string{"", "another browser"} {
		if _, _, err := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "p-1", Amount: "10.00", Creator: other}); codes(err) != "10/204" {
			t.Fatalf("browser %q got the page: %v", other, err)
		}
	}
	if again, _, err := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "p-1", Amount: "10.00", Signed: true, Authenticated: true}); err != nil || again.ID != page.ID {
		t.Fatalf("signed request: %v", err)
	}
	card := gateway.CardData{Number: "4111111111111111", ExpMonth: "12", ExpYear: "2030", CVC: "123"}
	if _, _, err := pages.Submit(ctx, page.ID, "wrong", card); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("wrong token: %v", err)
	}
	reply, challenged, err := pages.Submit(ctx, page.ID, page.FormToken, card)
	if err != nil || challenged || reply.Order.State != gateway.StateApproved {
		t.Fatalf("submit: %v %v", err, reply)
	}
	if _, _, err := pages.Submit(ctx, page.ID, page.FormToken, card); !errors.Is(err, gateway.ErrPageUsed) {
		t.Fatalf("second submit: %v", err)
	}
	// An unpaid page times out and frees its ordernumber; a paid one is untouched.
	unpaid, _, _ := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "p-2", Amount: "10.00"})
	if err := pages.RunDue(ctx, time.Now().Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, d, _, err := pages.Load(ctx, unpaid.ID)
	if err != nil || d.Order.State != gateway.StateTimeout || d.Ops[0].State != gateway.OpFailed {
		t.Fatalf("expired: %v %+v", err, d)
	}
	if _, d, _, _ := pages.Load(ctx, page.ID); d.Order.State != gateway.StateApproved {
		t.Fatalf("the paid page changed: %s", d.Order.State)
	}
	if _, _, err := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "p-2", Amount: "10.00"}); err != nil {
		t.Fatalf("ordernumber after Timeout: %v", err)
	}
}

// TestPages_Verify pays with the test processor's 3-D Secure card: the page waits for the
// issuer's code, which the processor checks; a wrong code declines without a charge.
func TestPages_Verify(t *testing.T) {
	g, m := newGateway(t)
	pages := &gateway.Pages{Gateway: g}
	ctx := context.Background()
	card := gateway.CardData{Number: processor.ChallengeCard, ExpMonth: "12", ExpYear: "2030", CVC: "123"}
	for _, tc := range []struct {
		code string
		want gateway.State
	}{{processor.ChallengeCode, gateway.StateApproved}, {"0000", gateway.StateDeclined}} {
		page, _, err := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "3ds-" + tc.code, Amount: "10.00"})
		if err != nil {
			t.Fatal(err)
		}
		if _, challenged, err := pages.Submit(ctx, page.ID, page.FormToken, card); err != nil || !challenged {
			t.Fatalf("submit: challenged %v, %v", challenged, err)
		}
		page, _, _, _ = pages.Load(ctx, page.ID)
		if page.Stage != gateway.PageIssuer {
			t.Fatalf("stage %s, want %s", page.Stage, gateway.PageIssuer)
		}
		if _, err := pages.Verify(ctx, page.ID, "stale", tc.code); !errors.Is(err, gateway.ErrPageUsed) {
			t.Fatalf("verify with a wrong token: %v", err)
		}
		r, err := pages.Verify(ctx, page.ID, page.FormToken, tc.code)
		if err != nil || r.Order.State != tc.want {
			t.Fatalf("code %s: %v %+v, want %s", tc.code, err, r, tc.want)
		}
	}
	// Without a Challenger the gateway challenges no card.
	g.Processor = plainProcessor{processor.Test{}}
	page, _, _ := pages.Create(ctx, m, gateway.PageRequest{OrderNumber: "3ds-none", Amount: "10.00"})
	if r, challenged, err := pages.Submit(ctx, page.ID, page.FormToken, card); err != nil || challenged || r.Order.State != gateway.StateApproved {
		t.Fatalf("submit without a Challenger: %v %v", challenged, err)
	}
	if list, err := pages.ListOrders(ctx, m, gateway.OrderQuery{Limit: 10}); err != nil || len(list) != 3 {
		t.Fatalf("list: %v %d", err, len(list))
	}
}

// plainProcessor hides the test processor's Challenger.
type plainProcessor struct{ p processor.Test }

func (p plainProcessor) Tokenize(c gateway.CardData) (gateway.Card, error) { return p.p.Tokenize(c) }
func (p plainProcessor) Authorize(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	return p.p.Authorize(ctx, r)
}
func (p plainProcessor) Settle(ctx context.Context, r gateway.AuthRequest) (gateway.AuthResult, error) {
	return p.p.Settle(ctx, r)
}
func (p plainProcessor) Capture(ctx context.Context, r gateway.OpRequest) error {
	return p.p.Capture(ctx, r)
}
func (p plainProcessor) Refund(ctx context.Context, r gateway.OpRequest) error {
	return p.p.Refund(ctx, r)
}
func (p plainProcessor) Void(ctx context.Context, r gateway.OpRequest) error { return p.p.Void(ctx, r) }
func (p plainProcessor) SettleOp(ctx context.Context, r gateway.OpRequest) (bool, error) {
	return p.p.SettleOp(ctx, r)
}
