package signer_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkSigner_SignRSA2048 signs MD5 digests with RSA-2048 PKCS#1 v1.5 on every core,
// what one approved payment costs in RSA, alternating signature by signature between Go's
// crypto/rsa and the key NewRSAKey chose (libcrypto in a cgo build), so the same load falls
// on both. It reports each one's time per signature and the speed-up (x-chosen/crypto-rsa).
func BenchmarkSigner_SignRSA2048(b *testing.B) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		b.Fatal(err)
	}
	keys := [2]crypto.Signer{key, signer.NewRSAKey(key)}
	var spent [2]atomic.Int64 // ns
	var count [2]atomic.Int64
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			k := i % 2
			sum := md5.Sum([]byte("700001;bench;" + strconv.FormatInt(i, 10)))
			t0 := time.Now()
			if _, err := keys[k].Sign(nil, sum[:], crypto.MD5); err != nil {
				b.Fatal(err)
			}
			spent[k].Add(int64(time.Since(t0)))
			count[k].Add(1)
		}
	})
	if count[0].Load() == 0 || count[1].Load() == 0 {
		return
	}
	std := float64(spent[0].Load()) / float64(count[0].Load())
	chosen := float64(spent[1].Load()) / float64(count[1].Load())
	b.ReportMetric(std, "ns/sign-crypto-rsa")
	b.ReportMetric(chosen, "ns/sign-chosen")
	b.ReportMetric(std/chosen, "x-chosen/crypto-rsa")
}
