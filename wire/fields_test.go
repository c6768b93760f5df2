package wire_test

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"soapgate/wire"
)

// handCheckvalue is the checkvalue formula written out: UPPER(MD5(UPPER(MD5hex(secret) + MD5hex(X)))).
func handCheckvalue(secret, x string) string {
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	return strings.ToUpper(h(strings.ToUpper(h(secret) + h(x))))
}

func TestName_Lookup(t *testing.T) {
	seen := map[string]bool{}
	for n := wire.MerchantID; n <= wire.Checkvalue; n++ {
		s := n.String()
		if s == "" || s != strings.ToLower(s) {
			t.Errorf("Name(%d) = %q, want a lowercase wire name", n, s)
		}
		if seen[s] {
			t.Errorf("wire name %q used twice", s)
		}
		seen[s] = true
		got, ok := wire.Lookup(s)
		if !ok || got != n {
			t.Errorf("Lookup(%q) = %d, %v, want %d", s, got, ok, n)
		}
	}
	for _, s := range []string{"", "OrderNumber", "nosuchfield"} {
		if _, ok := wire.Lookup(s); ok {
			t.Errorf("Lookup(%q) found a field", s)
		}
	}
	if got, want := wire.IssueBank.String(), "issuebank"; got != want {
		t.Errorf("IssueBank = %q, want %q", got, want)
	}
}
