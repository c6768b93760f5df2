package signer

import (
	"crypto"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// VerifyRequest checks a merchant's request Signature over x. Clients in the wild differ, so
// each form of docs/protocol.md#5-operations is accepted:
//  1. RSA PKCS#1 v1.5 over MD5(x)                          (openssl dgst -md5 -sign)
//  2. RSA PKCS#1 v1.5 with MD5 over hex(MD5(x))            (PHP openssl_sign(md5($x), …, 'md5'))
//  3. RSA PKCS#1 v1.5 with SHA-1 over the raw MD5(x) bytes (PHP openssl_sign(md5($x, true), …))
//  4. Ed25519 over hex(MD5(x)), raw 64 bytes or BASE64     (Assist PHP SDK SignHelper)
func VerifyRequest(pub any, x, sig string) bool {
	sum := md5.Sum([]byte(x))
	hexSum := hex.EncodeToString(sum[:])
	switch k := pub.(type) {
	case *rsa.PublicKey:
		raw, ok := decodeBase64(sig)
		if !ok {
			return false
		}
		if rsa.VerifyPKCS1v15(k, crypto.MD5, sum[:], raw) == nil {
			return true
		}
		h2 := md5.Sum([]byte(hexSum))
		if rsa.VerifyPKCS1v15(k, crypto.MD5, h2[:], raw) == nil {
			return true
		}
		h3 := sha1.Sum(sum[:])
		return rsa.VerifyPKCS1v15(k, crypto.SHA1, h3[:], raw) == nil
	case ed25519.PublicKey:
		raw := []byte(sig)
		if len(raw) != ed25519.SignatureSize {
			var ok bool
			if raw, ok = decodeBase64(sig); !ok || len(raw) != ed25519.SignatureSize {
				return false
			}
		}
		return ed25519.Verify(k, []byte(hexSum), raw)
	}
	return false
}

// decodeBase64 accepts standard or URL-safe BASE64, padded or not, with stray whitespace
// (form posts turn '+' into ' ' when the client forgot to URL-encode).
func decodeBase64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			return raw, true
		}
	}
	return nil, false
}

// CheckvalueEqual compares a checkvalue a client sent with the expected one, ignoring case,
// in constant time.
func CheckvalueEqual(sent, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToUpper(strings.TrimSpace(sent))), []byte(want)) == 1
}
