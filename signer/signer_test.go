package signer_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"testing"

	"soapgate/signer"
)

func TestCheckvalue(t *testing.T) {
	// Known answer from the issue: secret "secret", X "111111;100;100.0".
	if got, want := signer.Checkvalue("secret", "111111;100;100.0"), "DBE8D1AB4F19A27D161999DC53293881"; got != want {
		t.Fatalf("Checkvalue = %s, want %s", got, want)
	}
}

func TestSigner_Sign(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	s := signer.New(key)
	x := "700001A1100.00RUBApproved"
	sig, err := s.Sign(x)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte(x))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.MD5, sum[:], raw); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	again, _ := s.Sign(x)
	if again != sig {
		t.Fatal("cached signature differs")
	}
}

func BenchmarkSigner_SignCached(b *testing.B) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		b.Fatal(err)
	}
	s := signer.New(key)
	s.Sign("x")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Sign("x")
	}
}
