package signer

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
)

// NewRSAKey returns the gateway key as the fastest PKCS#1 v1.5 signer this build has: the
// system's OpenSSL libcrypto (2–3× Go's crypto/rsa on amd64: README, Performance) unless the
// binary was built with the nolibcrypto tag or without cgo, else the key itself. Every
// signature is the same either way (PKCS#1 v1.5 is deterministic), and NewRSAKey proves it
// before trusting libcrypto: it signs a probe with both and falls back to crypto/rsa when
// libcrypto fails or disagrees (a FIPS-mode OpenSSL refuses MD5, for one). Backend says which.
//
// PSS, unhashed digests and any other option go to crypto/rsa.
func NewRSAKey(key *rsa.PrivateKey) crypto.Signer {
	k, err := newLibcryptoKey(key)
	if err != nil {
		return goKey{key, "go crypto/rsa (" + err.Error() + ")"}
	}
	for _, h := range []crypto.Hash{crypto.MD5, crypto.SHA256} {
		if err := agree(k, key, h); err != nil {
			k.free()
			return goKey{key, "go crypto/rsa (libcrypto " + err.Error() + ")"}
		}
	}
	return k
}

// Backend names the implementation behind a key from NewRSAKey, for logs and bench reports.
func Backend(k crypto.Signer) string {
	if b, ok := k.(interface{ backend() string }); ok {
		return b.backend()
	}
	return "go crypto/rsa"
}

// goKey is crypto/rsa, with the reason libcrypto is not used.
type goKey struct {
	*rsa.PrivateKey
	why string
}

func (k goKey) backend() string { return k.why }

// agree checks that libcrypto's signature of a probe digest is the one crypto/rsa makes.
func agree(k crypto.Signer, key *rsa.PrivateKey, h crypto.Hash) error {
	d := h.New()
	io.WriteString(d, "soapgate libcrypto probe")
	sum := d.Sum(nil)
	got, err := k.Sign(rand.Reader, sum, h)
	if err != nil {
		return fmt.Errorf("%v: %w", h, err)
	}
	want, err := rsa.SignPKCS1v15(nil, key, h, sum)
	if err != nil {
		return fmt.Errorf("%v: crypto/rsa: %w", h, err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%v: signature differs from crypto/rsa", h)
	}
	return nil
}
