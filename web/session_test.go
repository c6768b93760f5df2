package web

import (
	"fmt"
	"testing"
	"time"
)

func TestSessions_CreateGetExpire(t *testing.T) {
	s := newSessions()
	a, _ := s.create("700001")
	if len(a.id) < 40 || len(a.csrf) < 32 || a.id == a.csrf {
		t.Fatalf("session id %q, csrf %q", a.id, a.csrf)
	}
	if got := s.get(a.id); got != a {
		t.Fatal("a fresh session is not found")
	}
	if s.get("") != nil || s.get("nope") != nil {
		t.Fatal("an unknown id found a session")
	}
	a.expires = time.Now().Add(-time.Second)
	if s.get(a.id) != nil {
		t.Fatal("an expired session is still valid")
	}
	if _, ok := s.m[a.id]; ok {
		t.Fatal("an expired session is kept")
	}
	b, _ := s.create("700001")
	s.delete(b.id)
	if s.get(b.id) != nil {
		t.Fatal("a deleted session is still valid")
	}
}

func TestSessions_EvictExpiredWhenFull(t *testing.T) {
	s := newSessions()
	for i := range maxSessions {
		ss, _ := s.create(fmt.Sprint(i))
		if i%2 == 0 {
			ss.expires = time.Now().Add(-time.Minute)
		}
	}
	live, _ := s.create("new")
	if got, want := len(s.m), maxSessions/2+1; got != want {
		t.Fatalf("%d sessions after eviction, want %d", got, want)
	}
	if s.get(live.id) == nil {
		t.Fatal("the new session is missing")
	}
}

func TestSessions_FlashAndNonces(t *testing.T) {
	s := newSessions()
	ss, _ := s.create("700001")
	if s.takeFlash(ss) != nil {
		t.Fatal("a flash out of nowhere")
	}
	s.setFlash(ss, &flash{OK: true, Message: "done"})
	if f := s.takeFlash(ss); f == nil || f.Message != "done" {
		t.Fatalf("flash %+v", f)
	}
	if s.takeFlash(ss) != nil {
		t.Fatal("a flash is shown twice")
	}
	if !s.useNonce(ss, "confirm:a") || s.useNonce(ss, "confirm:a") || !s.useNonce(ss, "replay:a") {
		t.Fatal("a nonce is single-use per action")
	}
	for i := range 2 * maxNonces {
		s.useNonce(ss, fmt.Sprint(i))
	}
	if len(ss.nonces) > maxNonces {
		t.Fatalf("%d nonces remembered, at most %d", len(ss.nonces), maxNonces)
	}
}

func TestSameToken(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"abc", "abc", true}, {"abc", "abd", false}, {"", "", false}, {"abc", "", false}, {"", "abc", false}, {"abc", "abcd", false}} {
		if got := sameToken(tc.a, tc.b); got != tc.want {
			t.Errorf("sameToken(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestCell_DefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{"": "", "plain": "plain", "=1+1": "'=1+1", "+7 900": "'+7 900", "-x": "'-x",
		"@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "a=b": "a=b"} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
