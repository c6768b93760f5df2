package signer_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"strconv"
	"sync/atomic"
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

// BenchmarkSigner_SignRSA2048 is one RSA-2048 PKCS#1 v1.5 signature of an MD5 digest per
// operation on every core, what one approved payment costs in RSA: crypto/rsa against the key
// NewRSAKey chose (libcrypto in a cgo build). Same run, same key: the ratio of the two ns/op is
// the speed-up (README, Performance).
func BenchmarkSigner_SignRSA2048(b *testing.B) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []struct {
		name string
		key  crypto.Signer
	}{{"crypto-rsa", key}, {"chosen", signer.NewRSAKey(key)}} {
		b.Run(k.name, func(b *testing.B) {
			var n atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					sum := md5.Sum([]byte("700001;bench;" + strconv.FormatInt(n.Add(1), 10)))
					if _, err := k.key.Sign(nil, sum[:], crypto.MD5); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
