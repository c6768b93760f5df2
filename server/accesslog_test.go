package server

import (
	"strings"
	"testing"
)

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"erp-7f3a-0001":                        true,
		"0b0c2f5e-3d1a-4c8e-9f1e-1d2b3c4d5e6f": true,
		"01HZY3KX:web.1_a":                     true,
		"":                                     false,
		"two words":                            false,
		"line\nbreak":                          false,
		`quote"`:                               false,
		"ünïcode":                              false,
		strings.Repeat("a", maxRequestID):      true,
		strings.Repeat("a", maxRequestID+1):    false,
	} {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v, want %v", id, got, want)
		}
	}
}
