package web

import "testing"

func TestFormTokens(t *testing.T) {
	const card = "0D4A3C5E-1B2C-4D5E-8F90-1234567890AB"
	for _, tc := range []struct {
		in         []string
		form, card string
	}{
		{[]string{"abcDEF_-123456789012345x"}, "abcDEF_-123456789012345x", ""},
		{[]string{"abcDEF_-123456789012345x", card}, "abcDEF_-123456789012345x", card},
		{[]string{"abcDEF_-123456789012345x", ""}, "abcDEF_-123456789012345x", ""}, // "a new card"
		{[]string{card}, "", card}, // no form token: the page refuses the submit
		{[]string{"0d4a3c5e-1b2c-4d5e-8f90-1234567890ab", "tok"}, "tok", "0d4a3c5e-1b2c-4d5e-8f90-1234567890ab"},
		{nil, "", ""},
	} {
		form, saved := formTokens(tc.in)
		if form != tc.form || saved != tc.card {
			t.Errorf("%q: form %q card %q, want %q %q", tc.in, form, saved, tc.form, tc.card)
		}
	}
	for _, bad := range []string{"0D4A3C5E-1B2C-4D5E-8F90-1234567890A", "0D4A3C5E11B2C-4D5E-8F90-1234567890AB", "XD4A3C5E-1B2C-4D5E-8F90-1234567890AB"} {
		if isUUID(bad) {
			t.Errorf("%q taken for a UUID", bad)
		}
	}
}
