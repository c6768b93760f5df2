package gateway

import (
	"strconv"
	"strings"
)

// Amount is money in minor units (kopecks, cents). Money is never a float.
type Amount int64

// maxAmountDigits bounds the digits of an amount as the protocol allows (15).
const maxAmountDigits = 15

// ParseAmount reads a decimal string such as "100", "4.5", "4,50" or "1000.00".
// It accepts '.' or ',' as the separator and at most two decimals; the result must be positive.
func ParseAmount(s string) (Amount, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	whole, frac := s, ""
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		whole, frac = s[:i], s[i+1:]
	}
	if whole == "" || len(frac) > 2 || len(whole)+len(frac) > maxAmountDigits {
		return 0, false
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return Amount(v), true
}

// String writes the amount with exactly two decimals, as every response does ("4.00").
func (a Amount) String() string {
	neg := a < 0
	if neg {
		a = -a
	}
	s := strconv.FormatInt(int64(a/100), 10) + "." + twoDigits(int64(a%100))
	if neg {
		return "-" + s
	}
	return s
}

// Kopecks returns the two minor digits, which the test processor uses as decline triggers.
func (a Amount) Kopecks() string { return twoDigits(int64(a % 100)) }

func twoDigits(v int64) string {
	if v < 10 {
		return "0" + strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(v, 10)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// currencies are the ISO 4217 codes the sandbox accepts.
var currencies = map[string]bool{
	"RUB": true, "USD": true, "EUR": true, "BYN": true, "KZT": true, "UAH": true, "GBP": true,
	"CNY": true, "AMD": true, "AZN": true, "KGS": true, "UZS": true, "TJS": true, "GEL": true,
	"MDL": true, "CHF": true, "TRY": true, "AED": true,
}

// ParseCurrency upper-cases and checks an ISO 4217 code; empty means the fallback.
func ParseCurrency(s, fallback string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		s = fallback
	}
	return s, currencies[s]
}
