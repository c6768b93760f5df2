package signer_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"soapgate/signer"
)

func rsaKey(t testing.TB) *rsa.PrivateKey {
	k, err := signer.LoadPrivateKey("../fixtures/keys/merchant-700001.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerifyRequest_Variants(t *testing.T) {
	key := rsaKey(t)
	x := "700001;A-1;100.00;RUB"
	sum := md5.Sum([]byte(x))
	hexSum := hex.EncodeToString(sum[:])
	sign := func(h crypto.Hash, digest []byte) string {
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	h2 := md5.Sum([]byte(hexSum))
	h3 := sha1.Sum(sum[:])
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	edSig := ed25519.Sign(priv, []byte(hexSum))
	for name, tc := range map[string]struct {
		pub any
		sig string
	}{
		"md5":               {&key.PublicKey, sign(crypto.MD5, sum[:])},
		"md5 of hex":        {&key.PublicKey, sign(crypto.MD5, h2[:])},
		"sha1 of raw md5":   {&key.PublicKey, sign(crypto.SHA1, h3[:])},
		"ed25519 raw":       {pub, string(edSig)},
		"ed25519 base64":    {pub, base64.StdEncoding.EncodeToString(edSig)},
		"spaces for pluses": {&key.PublicKey, spaceForPlus(sign(crypto.MD5, sum[:]))},
	} {
		if !signer.VerifyRequest(tc.pub, x, tc.sig) {
			t.Errorf("%s: does not verify", name)
		}
		if signer.VerifyRequest(tc.pub, x+"0", tc.sig) {
			t.Errorf("%s: verifies over another X", name)
		}
	}
	if signer.VerifyRequest(&key.PublicKey, x, "") || signer.VerifyRequest(nil, x, "abc") {
		t.Error("empty signature or no key verified")
	}
}

func spaceForPlus(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '+' {
			b[i] = ' '
		}
	}
	return string(b)
}

// FuzzVerifyRequest: arbitrary signatures and X never verify by accident and never panic.
func FuzzVerifyRequest(f *testing.F) {
	key := rsaKey(f)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	f.Add("700001;1;1.00", "AAAA")
	f.Add("", string(make([]byte, 64)))
	f.Add("x", "////")
	f.Fuzz(func(t *testing.T, x, sig string) {
		if signer.VerifyRequest(&key.PublicKey, x, sig) || signer.VerifyRequest(pub, x, sig) {
			t.Fatalf("random signature %q verified over %q", sig, x)
		}
		signer.CheckvalueEqual(sig, signer.Checkvalue("s", x))
	})
}
