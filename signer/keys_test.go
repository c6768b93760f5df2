package signer_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/signer"
)

// writeFile writes data into a file of a fresh temporary folder and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pemFile(t *testing.T, name, blockType string, der []byte) string {
	t.Helper()
	return writeFile(t, name, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

// ed25519Key is a fixed Ed25519 key pair, so that failures reproduce.
func ed25519Key() (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed([]byte("soapgate signer test seed 32byte"))
	return priv.Public().(ed25519.PublicKey), priv
}

func TestLoadPrivateKey(t *testing.T) {
	key := rsaKey(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv := ed25519Key()
	edPKCS8, err := x509.MarshalPKCS8PrivateKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		err  string // empty: loads the merchant key
	}{
		{"pkcs8", func(t *testing.T) string { return pemFile(t, "k.pem", "PRIVATE KEY", pkcs8) }, ""},
		{"pkcs1", func(t *testing.T) string {
			return pemFile(t, "k.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
		}, ""},
		{"fixture", func(*testing.T) string { return "../fixtures/keys/merchant-700001.key.pem" }, ""},
		{"weak 512-bit key", func(*testing.T) string { return "testdata/weak-512.key.pem" }, "too weak"},
		{"ed25519", func(t *testing.T) string { return pemFile(t, "k.pem", "PRIVATE KEY", edPKCS8) }, "not an RSA key"},
		{"public key", func(*testing.T) string { return "../fixtures/keys/merchant-700001.pub.pem" }, `"PUBLIC KEY" is not a private key`},
		{"corrupt", func(t *testing.T) string { return pemFile(t, "k.pem", "RSA PRIVATE KEY", []byte("junk")) }, "k.pem"},
		{"not PEM", func(t *testing.T) string { return writeFile(t, "k.pem", []byte("hello")) }, "no PEM data"},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.pem") }, "read key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := signer.LoadPrivateKey(tc.path(t))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Error("loaded another key")
			}
		})
	}
}

func TestLoadPublicKey(t *testing.T) {
	key := rsaKey(t)
	edPub, _ := ed25519Key()
	edPKIX, err := x509.MarshalPKIXPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		want any // nil: an error containing err
		err  string
	}{
		{"rsa PUBLIC KEY", func(*testing.T) string { return "../fixtures/keys/merchant-700001.pub.pem" }, &key.PublicKey, ""},
		{"RSA PUBLIC KEY", func(t *testing.T) string {
			return pemFile(t, "k.pem", "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey))
		}, &key.PublicKey, ""},
		{"certificate", func(*testing.T) string { return "../fixtures/keys/gateway.crt" }, gatewayPublicKey(t), ""},
		{"ed25519 PEM", func(t *testing.T) string { return pemFile(t, "k.pem", "PUBLIC KEY", edPKIX) }, edPub, ""},
		{"ed25519 raw base64", func(t *testing.T) string {
			return writeFile(t, "k.txt", []byte(base64.StdEncoding.EncodeToString(edPub)+"\n"))
		}, edPub, ""},
		{"weak rsa", func(*testing.T) string { return "testdata/weak-512.pub.pem" }, nil, "too weak"},
		{"weak rsa certificate", func(*testing.T) string { return "testdata/weak-512.crt" }, nil, "too weak"},
		{"base64 of 31 bytes", func(t *testing.T) string {
			return writeFile(t, "k.txt", []byte(base64.StdEncoding.EncodeToString(edPub[:31])))
		}, nil, "neither PEM nor a base64 Ed25519 key"},
		{"private key", func(*testing.T) string { return "../fixtures/keys/merchant-700001.key.pem" }, nil, `"PRIVATE KEY" is not a public key`},
		{"corrupt", func(t *testing.T) string { return pemFile(t, "k.pem", "PUBLIC KEY", []byte("junk")) }, nil, "k.pem"},
		{"corrupt certificate", func(t *testing.T) string { return pemFile(t, "k.pem", "CERTIFICATE", []byte("junk")) }, nil, "k.pem"},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.pem") }, nil, "read key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := signer.LoadPublicKey(tc.path(t))
			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(tc.want) {
				t.Errorf("loaded %T %v, want %T", got, got, tc.want)
			}
		})
	}
}

func gatewayPublicKey(t *testing.T) *rsa.PublicKey {
	t.Helper()
	cert, _, err := signer.LoadCertificate("../fixtures/keys/gateway.crt")
	if err != nil {
		t.Fatal(err)
	}
	return cert.PublicKey.(*rsa.PublicKey)
}

func TestLoadCertificate(t *testing.T) {
	t.Run("gateway", func(t *testing.T) {
		cert, certPEM, err := signer.LoadCertificate("../fixtures/keys/gateway.crt")
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(certPEM)
		if block == nil || string(block.Bytes) != string(cert.Raw) {
			t.Error("the PEM returned is not the certificate")
		}
	})
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		err  string
	}{
		{"a key", func(*testing.T) string { return "../fixtures/keys/gateway.key.pem" }, `"PRIVATE KEY" is not a certificate`},
		{"corrupt", func(t *testing.T) string { return pemFile(t, "c.pem", "CERTIFICATE", []byte("junk")) }, "c.pem"},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.pem") }, "read key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := signer.LoadCertificate(tc.path(t)); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestLoadPublicKey_MinimumBits: a key of exactly MinRSABits is accepted (the weak keys in
// testdata were made by openssl: Go no longer generates keys under 1024 bits).
func TestLoadPublicKey_MinimumBits(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.LoadPublicKey(pemFile(t, "k.pem", "PUBLIC KEY", der)); err != nil {
		t.Errorf("a %d-bit key (the minimum) is refused: %v", signer.MinRSABits, err)
	}
}
