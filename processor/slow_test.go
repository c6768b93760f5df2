package processor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

func tokenize(t *testing.T, number string) gateway.Card {
	t.Helper()
	c, err := processor.Test{}.Tokenize(gateway.CardData{Number: number, ExpMonth: "12", ExpYear: "2030", Holder: " A B "})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestTest_SlowCard checks that every call about the slow card takes SlowDelay (and only
// about that card), approves, and gives up when the context ends first.
func TestTest_SlowCard(t *testing.T) {
	const delay = 30 * time.Millisecond
	p := processor.Test{SlowDelay: delay}
	ctx := context.Background()
	slow, fast := tokenize(t, processor.SlowCard), tokenize(t, "4111111111111111")
	if slow.Holder != "A B" {
		t.Errorf("holder %q, want trimmed", slow.Holder)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := map[string]func(gateway.Card) error{
		"authorize": func(c gateway.Card) error {
			r, err := p.Authorize(ctx, gateway.AuthRequest{Amount: 100, Card: c, Now: now})
			if err == nil && !r.Approved {
				err = errors.New("declined")
			}
			return err
		},
		"settle": func(c gateway.Card) error {
			r, err := p.Settle(ctx, gateway.AuthRequest{Amount: 100, Card: c, Now: now})
			if err == nil && !r.Approved {
				err = errors.New("declined")
			}
			return err
		},
		"capture": func(c gateway.Card) error {
			return p.Capture(ctx, gateway.OpRequest{Op: gateway.MoneyCapture, Card: c})
		},
		"void":   func(c gateway.Card) error { return p.Void(ctx, gateway.OpRequest{Op: gateway.MoneyVoid, Card: c}) },
		"refund": func(c gateway.Card) error { return p.Refund(ctx, gateway.OpRequest{Op: gateway.MoneyRefund, Card: c}) },
		"settle op": func(c gateway.Card) error {
			done, err := p.SettleOp(ctx, gateway.OpRequest{Op: gateway.MoneyCapture, Card: c})
			if err == nil && !done {
				err = errors.New("not done")
			}
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			if err := call(slow); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < delay {
				t.Errorf("the slow card answered in %s, want at least %s", d, delay)
			}
			start = time.Now()
			if err := call(fast); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d >= delay {
				t.Errorf("another card took %s", d)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := (processor.Test{}).Capture(cctx, gateway.OpRequest{Card: slow}); !errors.Is(err, context.Canceled) {
		t.Fatalf("capture with an ended context: %v", err)
	}
	if _, err := p.SettleOp(cctx, gateway.OpRequest{Card: slow}); !errors.Is(err, context.Canceled) {
		t.Fatalf("settle with an ended context: %v", err)
	}
}

func TestTest_RequiresChallenge(t *testing.T) {
	p := processor.Test{}
	for _, tc := range []struct {
		number string
		want   bool
	}{{processor.ChallengeCard, true}, {"4111111111111111", false}, {processor.SlowCard, false}} {
		if got := p.RequiresChallenge(tokenize(t, tc.number)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.number, got, tc.want)
		}
	}
	card := tokenize(t, processor.ChallengeCard)
	for code, want := range map[string]bool{processor.ChallengeCode: true, " 1234 ": true, "1235": false, "": false} {
		if got := p.PassesChallenge(card, code); got != want {
			t.Errorf("code %q: %v, want %v", code, got, want)
		}
	}
}

func TestBrand(t *testing.T) {
	for number, want := range map[string]string{
		"4111111111111111": "VISA", "5105105105105100": "MasterCard", "2221000000000009": "MasterCard",
		"2200000000000004": "MIR", "6011000000000004": "Unknown", "3": "Unknown",
	} {
		if got := processor.Brand(number); got != want {
			t.Errorf("Brand(%s) = %s, want %s", number, got, want)
		}
	}
}

func TestLuhn(t *testing.T) {
	for number, want := range map[string]bool{"4111111111111111": true, "4111111111111112": false, "": false, "41x1": false} {
		if got := processor.Luhn(number); got != want {
			t.Errorf("Luhn(%q) = %v, want %v", number, got, want)
		}
	}
}

func TestProfile(t *testing.T) {
	for ref, want := range map[string]string{"tp_ok_00": "ok", "tp_slow_1": "slow", "xx_ok_1": "", "tp_ok": ""} {
		if got := processor.Profile(ref); got != want {
			t.Errorf("Profile(%q) = %q, want %q", ref, got, want)
		}
	}
}
