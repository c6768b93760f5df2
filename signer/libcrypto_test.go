//go:build cgo && !nolibcrypto

package signer_test

import (
	"strings"
	"testing"

	"soapgate/signer"
)

// TestNewRSAKey_UsesLibcrypto: a cgo build signs with OpenSSL. A silent fallback to
// crypto/rsa would keep every answer correct and quietly cost 2–3× the CPU per payment.
func TestNewRSAKey_UsesLibcrypto(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	if b := signer.New(key).Backend(); !strings.HasPrefix(b, "OpenSSL libcrypto") {
		t.Fatalf("Backend = %q, want OpenSSL libcrypto", b)
	}
}
