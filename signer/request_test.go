package signer_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"soapgate/signer"
)

func TestCheckvalue_Vectors(t *testing.T) {
	// Computed outside Go: UPPER(MD5(UPPER(md5hex(secret) + md5hex(x)))) with md5sum and tr.
	for _, tc := range []struct{ secret, x, want string }{
		{"secret", "111111;100;100.0", "DBE8D1AB4F19A27D161999DC53293881"},
		{"s3cret", "700001;A-1;100.00;RUB", "433B770B29C31D76942C064DEC3E1774"},
		{"", "", "00D4C36433BC4719D88AB49FB1726E36"},
	} {
		t.Run(tc.secret+" "+tc.x, func(t *testing.T) {
			if got, want := signer.Checkvalue(tc.secret, tc.x), tc.want; got != want {
				t.Errorf("Checkvalue(%q, %q) = %s, want %s", tc.secret, tc.x, got, want)
			}
		})
	}
}

func TestCheckvalueEqual(t *testing.T) {
	want := signer.Checkvalue("s3cret", "x")
	for _, tc := range []struct {
		name, sent string
		ok         bool
	}{
		{"same", want, true},
		{"lower case", strings.ToLower(want), true},
		{"spaces around", " " + want + "\n", true},
		{"empty", "", false},
		{"prefix", want[:31], false},
		{"another", signer.Checkvalue("s3cret", "y"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := signer.CheckvalueEqual(tc.sent, want); got != tc.ok {
				t.Errorf("CheckvalueEqual(%q) = %v, want %v", tc.sent, got, tc.ok)
			}
		})
	}
}

func TestRequestX(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"all", map[string]string{"merchant_id": "700001", "ordernumber": "A-1", "orderamount": "100.00", "ordercurrency": "RUB"},
			"700001;A-1;100.00;RUB"},
		{"no currency", map[string]string{"merchant_id": "700001", "ordernumber": "A-1", "orderamount": "100.00"},
			"700001;A-1;100.00"},
		{"extras in order", map[string]string{"merchant_id": "1", "ordernumber": "2", "orderamount": "3", "ordercurrency": "RUB",
			"prepayment": "1", "customernumber": "C7", "disable3ds": "0", "ordermaxpoints": "50"},
			"1;2;3;RUB;50;C7;1"},
		{"nothing", map[string]string{}, ";;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := signer.RequestX(func(k string) string { return tc.params[k] }, "orderamount", "ordercurrency")
			if got, want := strings.Join(parts, ";"), tc.want; got != want {
				t.Errorf("RequestX = %q, want %q", got, want)
			}
		})
	}
}

// TestRequestPolicy_Check signs a request in each form merchants use and checks it under
// each policy, with keys loaded the way the configuration loads them.
func TestRequestPolicy_Check(t *testing.T) {
	key := rsaKey(t)
	rsaPub, err := signer.LoadPublicKey("../fixtures/keys/merchant-700001.pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv := ed25519Key()
	edPKIX, err := x509.MarshalPKIXPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	edPEM, err := signer.LoadPublicKey(pemFile(t, "ed.pem", "PUBLIC KEY", edPKIX))
	if err != nil {
		t.Fatal(err)
	}
	edRaw, err := signer.LoadPublicKey(writeFile(t, "ed.txt", []byte(base64.StdEncoding.EncodeToString(edPub))))
	if err != nil {
		t.Fatal(err)
	}

	const x = "700001;A-1;100.00;RUB"
	params := map[string]string{"merchant_id": "700001", "ordernumber": "A-1", "orderamount": "100.00", "ordercurrency": "RUB"}
	sum := md5.Sum([]byte(x))
	hexSum := hex.EncodeToString(sum[:])
	rsaSign := func(h crypto.Hash, digest []byte) string {
		raw, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(raw)
	}
	md5OfHex := md5.Sum([]byte(hexSum))
	sha1OfRaw := sha1.Sum(sum[:])
	pkcs1MD5 := rsaSign(crypto.MD5, sum[:])
	edSig := ed25519.Sign(edPriv, []byte(hexSum))
	other := rsaSign(crypto.MD5, func() []byte { s := md5.Sum([]byte(x + "0")); return s[:] }())
	checkvalue := signer.Checkvalue("s3cret", x)

	for _, tc := range []struct {
		name   string
		policy signer.RequestPolicy
		extra  map[string]string // signature, checkvalue, ...
		code   int
	}{
		{"pkcs1 md5", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub}, map[string]string{"signature": pkcs1MD5}, 0},
		{"pkcs1 md5 of md5 hex", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": rsaSign(crypto.MD5, md5OfHex[:])}, 0},
		{"pkcs1 sha1 of raw md5", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": rsaSign(crypto.SHA1, sha1OfRaw[:])}, 0},
		{"pkcs1 sha256 of x", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": func() string { s := sha256Sum(x); return rsaSign(crypto.SHA256, s) }()}, 150},
		{"pkcs1 url-safe unpadded", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(pkcs1MD5), "=")}, 0},
		{"pkcs1 wrapped lines", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": pkcs1MD5[:64] + "\r\n" + pkcs1MD5[64:]}, 0},
		{"ed25519 PEM key, base64 signature", signer.RequestPolicy{Signature: "required", PublicKey: edPEM},
			map[string]string{"signature": base64.StdEncoding.EncodeToString(edSig)}, 0},
		{"ed25519 raw key, base64 signature", signer.RequestPolicy{Signature: "required", PublicKey: edRaw},
			map[string]string{"signature": base64.StdEncoding.EncodeToString(edSig)}, 0},
		{"ed25519 raw key, raw signature", signer.RequestPolicy{Signature: "required", PublicKey: edRaw},
			map[string]string{"signature": string(edSig)}, 0},
		{"ed25519 over raw md5", signer.RequestPolicy{Signature: "required", PublicKey: edRaw},
			map[string]string{"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(edPriv, sum[:]))}, 150},
		{"ed25519 signature, rsa key", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"signature": base64.StdEncoding.EncodeToString(edSig)}, 150},
		{"rsa signature, ed25519 key", signer.RequestPolicy{Signature: "required", PublicKey: edPEM},
			map[string]string{"signature": pkcs1MD5}, 150},
		{"another x", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub}, map[string]string{"signature": other}, 150},
		{"not base64", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub}, map[string]string{"signature": "***"}, 150},
		{"required, none sent", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub}, nil, 150},
		{"optional, none sent", signer.RequestPolicy{Signature: "optional", PublicKey: rsaPub}, nil, 0},
		{"optional, a bad one sent", signer.RequestPolicy{Signature: "optional", PublicKey: rsaPub}, map[string]string{"signature": other}, 150},
		{"optional, sent without a key", signer.RequestPolicy{Signature: "optional"}, map[string]string{"signature": pkcs1MD5}, 150},
		{"off, a bad one sent", signer.RequestPolicy{Signature: "off", PublicKey: rsaPub}, map[string]string{"signature": other}, 0},
		{"checkvalue", signer.RequestPolicy{Signature: "off", Secret: "s3cret"}, map[string]string{"checkvalue": checkvalue}, 0},
		{"checkvalue lower case", signer.RequestPolicy{Signature: "off", Secret: "s3cret"},
			map[string]string{"checkvalue": strings.ToLower(checkvalue)}, 0},
		{"checkvalue with another secret", signer.RequestPolicy{Signature: "off", Secret: "other"}, map[string]string{"checkvalue": checkvalue}, 158},
		{"checkvalue without separators, refused", signer.RequestPolicy{Signature: "off", Secret: "s3cret"},
			map[string]string{"checkvalue": signer.Checkvalue("s3cret", "700001A-1100.00RUB")}, 158},
		{"checkvalue without separators, allowed", signer.RequestPolicy{Signature: "off", Secret: "s3cret", NoSeparator: true},
			map[string]string{"checkvalue": signer.Checkvalue("s3cret", "700001A-1100.00RUB")}, 0},
		{"good signature, bad checkvalue", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub, Secret: "s3cret"},
			map[string]string{"signature": pkcs1MD5, "checkvalue": "00"}, 158},
		{"signature over x with extras", signer.RequestPolicy{Signature: "required", PublicKey: rsaPub},
			map[string]string{"customernumber": "C7", "signature": pkcs1MD5}, 150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := func(k string) string {
				if v, ok := tc.extra[k]; ok {
					return v
				}
				return params[k]
			}
			code, msg := tc.policy.Check(get, "orderamount", "ordercurrency")
			if got, want := code, tc.code; got != want {
				t.Errorf("Check = %d (%s), want %d", got, msg, want)
			}
			if (code == 0) != (msg == "") {
				t.Errorf("Check = %d with message %q", code, msg)
			}
		})
	}
}

func sha256Sum(x string) []byte {
	s := sha256.Sum256([]byte(x))
	return s[:]
}

// BenchmarkCheckvalue is the checkvalue every answer carries, over a typical X.
func BenchmarkCheckvalue(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		signer.Checkvalue("s3cret", "700001;bench-1;1234567890123;Approved;100.00;RUB;2026.12.02 12:00:00")
	}
}
