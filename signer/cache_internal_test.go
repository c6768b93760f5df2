package signer

import (
	"strconv"
	"testing"
)

// TestSigner_Sign_Evicts: the cache stays bounded, and evicted X are signed again.
func TestSigner_Sign_Evicts(t *testing.T) {
	key, err := LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	s := New(key)
	s.max = 10
	for i := range 25 {
		if _, err := s.Sign(strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		if got := len(s.cache); got > s.max {
			t.Fatalf("cache holds %d signatures, want at most %d", got, s.max)
		}
	}
	if got, want := s.Computed(), int64(25); got != want {
		t.Errorf("Computed = %d, want %d", got, want)
	}
}
