package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestDecode_RawSignatureKeepsSpaces: a raw 64-byte Ed25519 signature may start or end with
// a space byte, which trimming would destroy; other values are trimmed.
func TestDecode_RawSignatureKeepsSpaces(t *testing.T) {
	raw := " " + strings.Repeat("\x01", 62) + "\n"
	body := url.Values{"Signature": {raw}, "OrderNumber": {" A-1 "}}.Encode()
	r := httptest.NewRequest("POST", "/pay/silentpay.cfm", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c, err := decode(r, []byte(body), DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	if c.get("signature") != raw || c.get("ordernumber") != "A-1" {
		t.Fatalf("signature %q, ordernumber %q", c.get("signature"), c.get("ordernumber"))
	}
}
