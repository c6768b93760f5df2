package wire_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/signer"
	"soapgate/wire"
)

func TestPolicy(t *testing.T) {
	m := &gateway.Merchant{RequestSignature: "required", PublicKey: "key", Secret: "s", CheckvalueNoSeparator: true}
	p := wire.Policy(m)
	if p.Signature != "required" || p.PublicKey != "key" || p.Secret != "s" || !p.NoSeparator {
		t.Errorf("Policy = %+v", p)
	}
}

func TestGuard(t *testing.T) {
	pub, err := signer.LoadPublicKey(filepath.Join(keysDir, "merchant-700001.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := signer.LoadPrivateKey(filepath.Join(keysDir, "merchant-700001.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(x string) string {
		sum := md5.Sum([]byte(x))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(sig)
	}
	base := map[string]string{"merchant_id": "700001", "ordernumber": "A-1", "orderamount": "100.00", "ordercurrency": "RUB"}
	const x = "700001;A-1;100.00;RUB"
	good, other := sign(x), sign("700001;A-1;999.00;RUB")
	for _, tc := range []struct {
		name   string
		policy string
		s      *wire.Signed
		extra  map[string]string
		want   string // "" passes, else first/second
	}{
		{"required, signed", "required", wire.PaymentSigned, map[string]string{"signature": good}, ""},
		{"required, unsigned", "required", wire.PaymentSigned, nil, "5/150"},
		{"required, wrong X", "required", wire.PaymentSigned, map[string]string{"signature": other}, "5/150"},
		{"required, garbage", "required", wire.PaymentSigned, map[string]string{"signature": "!!"}, "5/150"},
		{"optional, unsigned", "optional", wire.PaymentSigned, nil, ""},
		{"optional, signed", "optional", wire.PaymentSigned, map[string]string{"signature": good}, ""},
		{"optional, bad", "optional", wire.PaymentSigned, map[string]string{"signature": other}, "5/150"},
		{"off, bad signature ignored", "off", wire.PaymentSigned, map[string]string{"signature": other}, ""},
		{"checkvalue good", "optional", wire.PaymentSigned, map[string]string{"checkvalue": handCheckvalue("demo-secret", x)}, ""},
		{"checkvalue lower case", "off", wire.PaymentSigned, map[string]string{"checkvalue": strings.ToLower(handCheckvalue("demo-secret", x))}, ""},
		{"checkvalue bad", "optional", wire.PaymentSigned, map[string]string{"checkvalue": "00"}, "5/158"},
		{"checkvalue without separators refused", "optional", wire.PaymentSigned,
			map[string]string{"checkvalue": handCheckvalue("demo-secret", "700001A-1100.00RUB")}, "5/158"},
		{"rp X: amount and currency", "required", rpSigned(),
			map[string]string{"amount": "5.00", "currency": "USD", "signature": sign("700001;A-1;5.00;USD")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &gateway.Merchant{ID: "700001", Secret: "demo-secret", RequestSignature: tc.policy, PublicKey: pub}
			params := map[string]string{}
			for k, v := range base {
				params[k] = v
			}
			for k, v := range tc.extra {
				params[k] = v
			}
			err := wire.Guard(m, tc.s, func(k string) string { return params[k] })
			got := ""
			if err != nil {
				e := gateway.AsError(err)
				got = strconv.Itoa(e.First) + "/" + strconv.Itoa(e.Second)
			}
			if got != tc.want {
				t.Errorf("Guard = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
	t.Run("no separator allowed", func(t *testing.T) {
		m := &gateway.Merchant{ID: "700001", Secret: "demo-secret", RequestSignature: "off", CheckvalueNoSeparator: true}
		params := map[string]string{"checkvalue": handCheckvalue("demo-secret", "700001A-1100.00RUB")}
		for k, v := range base {
			params[k] = v
		}
		if err := wire.Guard(m, wire.PaymentSigned, func(k string) string { return params[k] }); err != nil {
			t.Errorf("Guard = %v, want the separator-less checkvalue accepted", err)
		}
	})
}

// rpSigned is the payment's X over amount and currency instead of orderamount and ordercurrency.
func rpSigned() *wire.Signed {
	s := *wire.PaymentSigned
	s.Amount, s.Currency = "amount", "currency"
	return &s
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:4321", "192.0.2.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"unix-socket", "unix-socket"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got := wire.ClientIP(r); got != tc.want {
			t.Errorf("ClientIP(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}
