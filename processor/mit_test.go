package processor_test

import (
	"context"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

// TestTest_Flaky341 checks card 4000000000000341: customer payments approve; merchant-initiated
// attempts 1 and 2 after an approval decline 51, the third approves; Settle answers the same.
func TestTest_Flaky341(t *testing.T) {
	p := processor.Test{}
	card, err := p.Tokenize(gateway.CardData{Number: "4000000000000341", ExpMonth: "12", ExpYear: "2030"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		mit     bool
		attempt int
		want    string
	}{
		{false, 0, "00"}, {false, 5, "00"}, {true, 1, "51"}, {true, 2, "51"}, {true, 3, "00"}, {true, 4, "00"},
	} {
		req := gateway.AuthRequest{BillNumber: "1", Amount: 10000, Card: card, Now: now, MerchantInitiated: tc.mit, MITAttempt: tc.attempt}
		for name, call := range map[string]func(context.Context, gateway.AuthRequest) (gateway.AuthResult, error){"Authorize": p.Authorize, "Settle": p.Settle} {
			if res, _ := call(context.Background(), req); res.ISOCode != tc.want {
				t.Errorf("%s mit=%v attempt %d: ISO %s, want %s", name, tc.mit, tc.attempt, res.ISOCode, tc.want)
			}
		}
	}
	// Other cards ignore the MIT attempt.
	ok, _ := p.Tokenize(gateway.CardData{Number: "4111111111111111", ExpMonth: "12", ExpYear: "2030"})
	if res, _ := p.Authorize(context.Background(), gateway.AuthRequest{Amount: 10000, Card: ok, Now: now, MerchantInitiated: true, MITAttempt: 1}); !res.Approved {
		t.Errorf("4111… MIT attempt 1: %+v", res)
	}
}
