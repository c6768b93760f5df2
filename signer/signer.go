// Package signer computes what the gateway puts on the wire to be checked: MD5 checkvalues
// and RSA/MD5 signatures (docs/protocol.md#4-responses).
package signer

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Checkvalue is UPPER(MD5(UPPER(MD5hex(secret) + MD5hex(x)))), MD5hex lowercase hex.
// Every answer carries one, so it is built in place: hex digits are written upper case
// directly, and only the result is allocated.
func Checkvalue(secret, x string) string {
	var inner [4 * md5.Size]byte
	s := md5.Sum([]byte(secret))
	v := md5.Sum([]byte(x))
	upperHex(inner[:2*md5.Size], s[:])
	upperHex(inner[2*md5.Size:], v[:])
	out := md5.Sum(inner[:])
	var cv [2 * md5.Size]byte
	upperHex(cv[:], out[:])
	return string(cv[:])
}

// upperHex writes src in upper-case hex into dst, which holds 2*len(src) bytes.
func upperHex(dst, src []byte) {
	const digits = "0123456789ABCDEF"
	for i, b := range src {
		dst[2*i], dst[2*i+1] = digits[b>>4], digits[b&0x0f]
	}
}

// DefaultCacheSize bounds how many signatures Signer remembers.
const DefaultCacheSize = 1 << 16

// Signer signs X with the gateway's RSA key, PKCS#1 v1.5 over MD5. PKCS#1 v1.5 is
// deterministic, so a signature is computed once per distinct X (once per state change of an
// order) and answered from the cache on every read after that.
type Signer struct {
	key crypto.Signer // NewRSAKey: libcrypto when this build has it

	mu       sync.Mutex
	cache    map[string]string
	max      int
	computed atomic.Int64 // RSA operations done, for tests and metrics
}

// Computed is how many RSA signatures have been computed (cache misses).
func (s *Signer) Computed() int64 { return s.computed.Load() }

// New returns a Signer for the key.
func New(key *rsa.PrivateKey) *Signer {
	return &Signer{key: NewRSAKey(key), cache: make(map[string]string), max: DefaultCacheSize}
}

// Backend names the RSA implementation that signs (Backend of NewRSAKey).
func (s *Signer) Backend() string { return Backend(s.key) }

// Sign returns BASE64(RSASSA-PKCS1-v1_5(MD5(x))).
func (s *Signer) Sign(x string) (string, error) {
	s.mu.Lock()
	sig, ok := s.cache[x]
	s.mu.Unlock()
	if ok {
		return sig, nil
	}
	sum := md5.Sum([]byte(x))
	s.computed.Add(1)
	raw, err := s.key.Sign(rand.Reader, sum[:], crypto.MD5)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	sig = base64.StdEncoding.EncodeToString(raw)
	s.mu.Lock()
	if len(s.cache) >= s.max {
		for k := range s.cache { // evict an arbitrary tenth; map order is random
			delete(s.cache, k)
			if len(s.cache) < s.max*9/10 {
				break
			}
		}
	}
	s.cache[x] = sig
	s.mu.Unlock()
	return sig, nil
}

// MinRSABits is the weakest RSA key accepted (docs/protocol.md#511-request-signature-and-checkvalue: 1024 bits or more).
const MinRSABits = 1024

// LoadPrivateKey reads an RSA private key in PKCS#1 or PKCS#8 PEM.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a private key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an RSA key", path)
	}
	if rk.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("%s: RSA key of %d bits is too weak (at least %d)", path, rk.N.BitLen(), MinRSABits)
	}
	return rk, nil
}

// LoadPublicKey reads a merchant's public key: PEM "PUBLIC KEY" (RSA or Ed25519),
// "RSA PUBLIC KEY", a certificate, or the base64 of a raw 32-byte Ed25519 key.
func LoadPublicKey(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err == nil && len(raw) == 32 {
			return ed25519PublicKey(raw), nil
		}
		return nil, fmt.Errorf("%s: neither PEM nor a base64 Ed25519 key", path)
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("%s: PEM block %q is not a public key", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if rk, ok := key.(*rsa.PublicKey); ok && rk.N.BitLen() < MinRSABits {
		return nil, fmt.Errorf("%s: RSA key of %d bits is too weak (at least %d)", path, rk.N.BitLen(), MinRSABits)
	}
	return key, nil
}

// LoadCertificate reads a PEM certificate and returns its DER bytes and the parsed form.
func LoadCertificate(path string) (*x509.Certificate, []byte, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, nil, err
	}
	if block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: PEM block %q is not a certificate", path, block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return cert, pem.EncodeToMemory(block), nil
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New(path + ": no PEM data")
	}
	return block, nil
}
