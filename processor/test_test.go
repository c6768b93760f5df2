package processor_test

import (
	"context"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/processor"
)

func TestTest_Authorize(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		card, month, year string
		amount            gateway.Amount
		wantISO           string
		brand             string
	}{
		{"4111111111111111", "12", "2030", 10000, "00", "VISA"},
		{"5555555555554444", "12", "30", 10000, "00", "MasterCard"},
		{"2200000000000004", "1", "2030", 10000, "00", "MIR"},
		{"4000000000000002", "12", "2030", 10000, "05", "VISA"},
		{"4000000000009995", "12", "2030", 10000, "51", "VISA"},
		{"4000000000000069", "12", "2030", 10000, "54", "VISA"},
		{"4111111111111112", "12", "2030", 10000, "14", "VISA"},
		{"4111111111111111", "10", "2026", 10000, "54", "VISA"}, // expired last month
		{"4111111111111111", "11", "2026", 10000, "00", "VISA"}, // valid through this month
		{"4111111111111111", "12", "2030", 10051, "51", "VISA"},
		{"4111111111111111", "12", "2030", 10061, "61", "VISA"},
		{"4111111111111111", "12", "2030", 10006, "00", "VISA"},
		{"4000000000000226", "12", "2030", 10000, "00", "VISA"}, // approves; cannot be bound for recurring
		{"4000000000000226", "12", "2030", 10051, "51", "VISA"},
	} {
		p := processor.Test{}
		card, err := p.Tokenize(gateway.CardData{Number: tc.card, ExpMonth: tc.month, ExpYear: tc.year, CVC: "123"})
		if err != nil {
			t.Fatal(err)
		}
		if card.Brand != tc.brand || card.Bin != tc.card[:6] || card.Last4 != tc.card[12:] {
			t.Errorf("%s: card = %+v", tc.card, card)
		}
		res, _ := p.Authorize(context.Background(), gateway.AuthRequest{BillNumber: "1", Amount: tc.amount, Card: card, Now: now})
		if res.ISOCode != tc.wantISO || res.Approved != (tc.wantISO == "00") || res.RecurringRefused != (tc.card == processor.NoRecurringCard && res.Approved) {
			t.Errorf("%s %s/%s %v: got %+v, want ISO %s", tc.card, tc.month, tc.year, tc.amount, res, tc.wantISO)
		}
	}
}
