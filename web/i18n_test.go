package web

import (
	"testing"
	"time"

	"soapgate/gateway"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		a        gateway.Amount
		cur, lng string
		want     string
	}{
		{123450, "RUB", langRU, "1\u00a0234,50\u00a0₽"},
		{123450, "RUB", langEN, "1,234.50\u00a0RUB"},
		{100, "USD", langEN, "$1.00"},
		{100000000, "EUR", langRU, "1\u00a0000\u00a0000,00\u00a0€"},
		{5, "CHF", langRU, "0,05\u00a0CHF"},
		{99900, "", langEN, "999.00"},
	} {
		if got := money(tc.a, tc.cur, tc.lng); got != tc.want {
			t.Errorf("money(%d, %s, %s) = %q, want %q", tc.a, tc.cur, tc.lng, got, tc.want)
		}
	}
}

func TestLimiter_SlowsRepeatedFailures(t *testing.T) {
	l := newLimiter()
	for i := 0; i < freeFailures; i++ {
		l.fail("shop", "a")
		if w := l.wait("shop", "a"); w != 0 {
			t.Fatalf("failure %d already waits %v", i+1, w)
		}
	}
	l.fail("shop", "a")
	if w := l.wait("shop", "a"); w <= 0 || w > time.Second {
		t.Fatalf("third failure waits %v, want up to 1s", w)
	}
	l.fail("shop", "a")
	if w := l.wait("shop", "a"); w <= time.Second || w > 2*time.Second {
		t.Fatalf("fourth failure waits %v, want up to 2s", w)
	}
	if l.wait("shop", "b") != 0 {
		t.Fatal("another address waits")
	}
	l.fail("other", "a")
	l.fail("other", "a")
	l.fail("other", "a")
	l.succeed("shop", "a")
	if l.wait("shop", "a") != 0 {
		t.Fatal("a success does not forget the login")
	}
	if l.wait("other", "a") == 0 {
		t.Fatal("a success of one login forgot another login's failures from the address")
	}
}

func TestTemplatesParse(t *testing.T) {
	h, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pay", "issuer", "result", "error", "notfound", "signin", "orders", "order"} {
		if h.tmpl[name] == nil {
			t.Errorf("template %s missing", name)
		}
	}
}
