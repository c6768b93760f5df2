package main

import (
	"strings"
	"testing"
	"unicode"
)

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// TestAttack_ShortCardNumbers: a 12-digit "card" was kept as its first six and last four
// digits, 10 of 12. Numbers of 13 to 19 digits are accepted, 12 refused, and a number
// shorter than 16 digits never has more than half its digits in an answer or the database.
func TestAttack_ShortCardNumbers(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "c12", "cardnumber", "411111111111"))
	if codes := faultCodes(t, doc); codes != "5/110" {
		t.Fatalf("12 digits: %s", codes)
	}
	for _, number := range []string{"4222222222222", "42222222222220", "371449635398431", "4111111111111111", "6250941006528599", "4000000000000000006"} {
		if len(number) == 14 || len(number) == 19 {
			number = withLuhn(number[:len(number)-1])
		}
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "c"+number, "cardnumber", number))
		if state := text(t, doc, "//orderstate"); state != "Approved" {
			t.Fatalf("%d digits: %s", len(number), state)
		}
		masked := text(t, doc, "//meannumber")
		kept := digitCount(masked)
		if !strings.HasSuffix(masked, number[len(number)-4:]) || (len(number) < 16 && kept > len(number)/2) || (len(number) >= 16 && kept > 10) {
			t.Fatalf("%d digits shown as %q", len(number), masked)
		}
	}
	ts.Stop()
	db := openRawDB(t, ts)
	var bin, last4 string
	if err := db.QueryRow(`SELECT card_bin, card_last4 FROM orders WHERE ordernumber = 'c4222222222222'`).Scan(&bin, &last4); err != nil {
		t.Fatal(err)
	}
	if len(bin)+len(last4) > 6 {
		t.Fatalf("13 digits stored as %q + %q", bin, last4)
	}
}

// withLuhn appends the Luhn check digit.
func withLuhn(s string) string {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-i)%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return s + string(rune('0'+(10-sum%10)%10))
}
