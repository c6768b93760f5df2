package gateway_test

import (
	"testing"

	"soapgate/gateway"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want gateway.Amount
		ok   bool
	}{
		{"100", 10000, true},
		{"100.00", 10000, true},
		{"4,5", 450, true},
		{" 0.01 ", 1, true},
		{"999999999999999", 99999999999999900, true},
		{"9999999999999999", 0, false},
		{"99999999999999.99", 0, false},
		{"9999999999999.99", 999999999999999, true},
		{"1.005", 0, false},
		{"", 0, false},
		{"0", 0, false},
		{"0.00", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"1.2.3", 0, false},
		{".5", 0, false},
		{"12,", 1200, true},
		{"１２", 0, false},
	} {
		got, ok := gateway.ParseAmount(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAmount_String(t *testing.T) {
	for in, want := range map[gateway.Amount]string{0: "0.00", 1: "0.01", 400: "4.00", 123456: "1234.56", -5: "-0.05"} {
		if got := in.String(); got != want {
			t.Errorf("Amount(%d).String() = %q, want %q", in, got, want)
		}
	}
}
