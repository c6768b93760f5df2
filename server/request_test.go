package server

import (
	"bytes"
	"encoding/xml"
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

// TestWriteXMLText writes what xml.EscapeText writes, for plain values and for every kind
// of character it escapes or replaces.
func TestWriteXMLText(t *testing.T) {
	for _, s := range []string{"", "700001", "Approved", "100.00", "a<b>&\"'", "tab\there\nline\rcr",
		"Иван Петров", "bad \xff byte", "\x00\x1f\x7f", "ok~ "} {
		var got, want bytes.Buffer
		writeXMLText(&got, s)
		xml.EscapeText(&want, []byte(s))
		if got.String() != want.String() {
			t.Errorf("writeXMLText(%q) = %q, want %q", s, got.String(), want.String())
		}
	}
}
