package gateway_test

import (
	"testing"
	"time"

	"soapgate/gateway"
)

func TestCard_ExpiredAt(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		month, year string
		want        bool
	}{
		{"12", "2026", false}, // valid through the last day of its month
		{"11", "2026", true},
		{"01", "2027", false},
		{"12", "2030", false},
		{"13", "2030", true}, // malformed: never offered
		{"12", "30", true},
		{"", "", true},
	} {
		if got := (gateway.Card{ExpMonth: tc.month, ExpYear: tc.year}).ExpiredAt(now); got != tc.want {
			t.Errorf("%s/%s: expired %v, want %v", tc.month, tc.year, got, tc.want)
		}
	}
	if !(gateway.Card{ExpMonth: "12", ExpYear: "2026"}).ExpiredAt(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("a card is not valid past its month")
	}
}

func TestMerchant_Capabilities(t *testing.T) {
	all := &gateway.Merchant{}
	if !all.TwoStageWithSavedCards() {
		t.Error("the zero value must enable everything")
	}
	for _, d := range []gateway.Capabilities{{TwoStage: true}, {TwoStageForSavedCards: true}} {
		if (&gateway.Merchant{Disabled: d}).TwoStageWithSavedCards() {
			t.Errorf("%+v: two-stage with saved cards still allowed", d)
		}
	}
}
