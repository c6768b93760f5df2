package signer_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"strconv"
	"sync"
	"testing"

	"soapgate/signer"
)

// TestNewRSAKey_SameAsCryptoRSA: whatever signs (libcrypto or crypto/rsa), every PKCS#1 v1.5
// signature is byte for byte the one crypto/rsa makes, for 1024- and 2048-bit keys and each
// hash the gateway and merchants use.
func TestNewRSAKey_SameAsCryptoRSA(t *testing.T) {
	gw, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []*rsa.PrivateKey{gw, k1024} {
		k := signer.NewRSAKey(key)
		t.Logf("%d bits: %s", key.N.BitLen(), signer.Backend(k))
		if k.Public().(*rsa.PublicKey).N.Cmp(key.N) != 0 {
			t.Fatal("Public is not the key's public key")
		}
		for _, h := range []crypto.Hash{crypto.MD5, crypto.SHA1, crypto.SHA256, crypto.SHA512} {
			for i := 0; i < 20; i++ {
				d := h.New()
				d.Write([]byte("700001;order-" + strconv.Itoa(i) + ";100.00;RUB;Approved"))
				sum := d.Sum(nil)
				got, err := k.Sign(rand.Reader, sum, h)
				if err != nil {
					t.Fatalf("%d bits %v: %v", key.N.BitLen(), h, err)
				}
				want, err := rsa.SignPKCS1v15(nil, key, h, sum)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Fatalf("%d bits %v message %d: signature differs from crypto/rsa", key.N.BitLen(), h, i)
				}
			}
		}
	}
}

// TestNewRSAKey_Options: PSS still works (through crypto/rsa) and a digest of the wrong
// length is an error, not a signature.
func TestNewRSAKey_Options(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k := signer.NewRSAKey(key)
	sum := crypto.SHA256.New().Sum(nil)
	pss := &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}
	sig, err := k.Sign(rand.Reader, sum, pss)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(&key.PublicKey, crypto.SHA256, sum, sig, pss); err != nil {
		t.Fatalf("PSS signature does not verify: %v", err)
	}
	if _, err := k.Sign(rand.Reader, sum[:16], crypto.SHA256); err == nil {
		t.Fatal("a 16-byte digest for SHA-256 was signed")
	}
}

// TestNewRSAKey_Concurrent signs from many goroutines at once (pooled contexts; run with
// -race) and checks every signature.
func TestNewRSAKey_Concurrent(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k := signer.NewRSAKey(key)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				h := []crypto.Hash{crypto.MD5, crypto.SHA256}[i%2]
				d := h.New()
				d.Write([]byte(strconv.Itoa(g*100 + i)))
				sum := d.Sum(nil)
				sig, err := k.Sign(rand.Reader, sum, h)
				if err == nil {
					err = rsa.VerifyPKCS1v15(&key.PublicKey, h, sum, sig)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
