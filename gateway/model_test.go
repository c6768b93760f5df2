package gateway_test

import (
	"testing"
	"time"

	"soapgate/gateway"
)

// TestState_HoldsMoney is the duplicate-ordernumber rule's table: states that hold money (or
// are being paid) block a new payment under the ordernumber, the others do not.
func TestState_HoldsMoney(t *testing.T) {
	for s, want := range map[gateway.State]bool{
		gateway.StateInProcess: true, gateway.StateDelayed: true, gateway.StateApproved: true,
		gateway.StatePartialDelayed: true, gateway.StatePartialCanceled: true,
		gateway.StateCanceled: false, gateway.StateDeclined: false, gateway.StateTimeout: false, "": false,
	} {
		if got := s.HoldsMoney(); got != want {
			t.Errorf("%q.HoldsMoney() = %v, want %v", s, got, want)
		}
	}
}

func TestOpType_String(t *testing.T) {
	for op, want := range map[gateway.OpType]string{gateway.OpPayment: "100", gateway.OpConfirm: "200",
		gateway.OpCancel: "300", gateway.OpRecurring: "400"} {
		if got := op.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(op), got, want)
		}
	}
}

// TestCard_MaskedAndExpiry checks the card as responses show it: the kept digits around six
// stars, and MM/YY.
func TestCard_MaskedAndExpiry(t *testing.T) {
	for _, tc := range []struct {
		card           gateway.Card
		masked, expiry string
	}{
		{gateway.Card{Bin: "411111", Last4: "1111", ExpMonth: "12", ExpYear: "2030"}, "411111******1111", "12/30"},
		{gateway.Card{Bin: "22", Last4: "0004", ExpMonth: "01", ExpYear: "27"}, "22******0004", "01/27"},
		{gateway.Card{}, "", ""},
		{gateway.Card{Last4: "1111", ExpYear: "2030"}, "", ""}, // no bin, no month: nothing to show
	} {
		if got := tc.card.Masked(); got != tc.masked {
			t.Errorf("%+v Masked() = %q, want %q", tc.card, got, tc.masked)
		}
		if got := tc.card.Expiry(); got != tc.expiry {
			t.Errorf("%+v Expiry() = %q, want %q", tc.card, got, tc.expiry)
		}
	}
}

// TestKeptDigits checks the display rule: first six and last four of 16 digits or more,
// never more than half the digits of a shorter number.
func TestKeptDigits(t *testing.T) {
	for _, tc := range []struct{ number, bin, last4 string }{
		{"4111111111111111", "411111", "1111"},
		{"6762000000000000003", "676200", "0003"},
		{"4222222222222", "42", "2222"}, // 13 digits: 2 + 4 kept
		{"123456789012345", "123", "2345"},
		{"1234567", "", ""},
	} {
		bin, last4 := gateway.KeptDigits(tc.number)
		if bin != tc.bin || last4 != tc.last4 {
			t.Errorf("KeptDigits(%s) = %q %q, want %q %q", tc.number, bin, last4, tc.bin, tc.last4)
		}
		if kept := len(bin) + len(last4); len(tc.number) >= 8 && len(tc.number) < 16 && kept > len(tc.number)/2 {
			t.Errorf("%s: %d of %d digits kept", tc.number, kept, len(tc.number))
		}
	}
}

func TestFormatDate(t *testing.T) {
	if got := gateway.FormatDate(time.Time{}); got != "" {
		t.Errorf("zero time: %q", got)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("MSK", 3*3600))
	if got := gateway.FormatDate(at); got != "04.03.2026 02:06:07" {
		t.Errorf("FormatDate = %q, want GMT 04.03.2026 02:06:07", got)
	}
	// The hand-written layout against time.Format, over years with fewer digits, the edges
	// of a day and a year, and years outside 0–9999 that Format writes itself.
	for _, at := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), // one second after the zero time
		time.Date(999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 9, 0, time.FixedZone("-0130", -90*60)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 6, 7, 8, 9, 10, 0, time.UTC),
		time.Unix(1<<40, 0),
	} {
		if got, want := gateway.FormatDate(at), at.UTC().Format(gateway.DateLayout); got != want {
			t.Errorf("FormatDate(%v) = %q, time.Format writes %q", at, got, want)
		}
	}
}

func TestResponseCode(t *testing.T) {
	for iso, want := range map[string]string{"00": "AS000", "05": "AS100", "14": "AS101", "51": "AS102",
		"54": "AS104", "57": "AS100", "61": "AS105", "65": "AS109", "99": "AS100", "": "AS100"} {
		if got := gateway.ResponseCode(iso); got != want {
			t.Errorf("ResponseCode(%q) = %s, want %s", iso, got, want)
		}
	}
}

func BenchmarkFormatDate(b *testing.B) {
	at := time.Date(2026, 12, 2, 12, 34, 56, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		gateway.FormatDate(at)
	}
}
