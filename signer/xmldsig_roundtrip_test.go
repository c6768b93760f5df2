package signer_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"soapgate/signer"
)

const roundTripOrder = `<order Id="notification-7"><billnumber>5000000000000001.1</billnumber>` +
	`<lastname>Petrov &amp; Sons &lt;Ltd&gt;</lastname><cardholder>ИВАН ПЕТРОВ</cardholder><amount>100.00</amount>` +
	`<operation><operationstate>Success</operationstate><amount>100.00</amount></operation></order>`

// envelope puts a signed order where a notification carries it.
func envelope(order string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		`<ws:PushPaymentResult xmlns:ws="http://www.paysecure.ru/ws/">` + order + `</ws:PushPaymentResult></soap:Body></soap:Envelope>`
}

func TestXMLSigner_SignElement_RoundTrip(t *testing.T) {
	cert, _, err := signer.LoadCertificate("../fixtures/keys/gateway.crt")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := xmlSigner(t).SignElement([]byte(roundTripOrder), "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(signed)
	for _, want := range []string{"http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		`URI="#notification-7"`, "<ds:X509Certificate>"} {
		if !strings.Contains(s, want) {
			t.Errorf("signature lacks %s", want)
		}
	}

	t.Run("verifies", func(t *testing.T) {
		el, err := signer.VerifyElement(orderIn(t, envelope(s)), cert)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{
			"lastname": "Petrov & Sons <Ltd>", "cardholder": "ИВАН ПЕТРОВ", "operation/operationstate": "Success",
		} {
			if e := el.FindElement(path); e == nil || e.Text() != want {
				t.Errorf("%s of the verified tree = %v, want %q", path, e, want)
			}
		}
	})

	value := func(tag string) string {
		i := strings.Index(s, "<ds:"+tag+">") + len("<ds:"+tag+">")
		return s[i : i+strings.Index(s[i:], "<")]
	}
	flip := func(v string) string { // another valid base64 string of the same length
		if v[0] == 'A' {
			return "B" + v[1:]
		}
		return "A" + v[1:]
	}
	for _, tc := range []struct {
		name string
		doc  string
	}{
		{"text changed", strings.Replace(s, "<amount>100.00</amount>", "<amount>900.00</amount>", 1)},
		{"operation changed", strings.Replace(s, "<operationstate>Success<", "<operationstate>Failed<", 1)},
		{"element added", strings.Replace(s, "<amount>", "<comment>x</comment><amount>", 1)},
		{"element removed", strings.Replace(s, "<billnumber>5000000000000001.1</billnumber>", "", 1)},
		{"whitespace added", strings.Replace(s, "<amount>", "\n<amount>", 1)},
		{"attribute added", strings.Replace(s, `<order Id="notification-7">`, `<order Id="notification-7" test="1">`, 1)},
		{"Id changed", strings.Replace(s, `<order Id="notification-7">`, `<order Id="notification-8">`, 1)},
		{"digest changed", strings.Replace(s, value("DigestValue"), flip(value("DigestValue")), 1)},
		{"signature value changed", strings.Replace(s, value("SignatureValue"), flip(value("SignatureValue")), 1)},
		{"signature removed", roundTripOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := signer.VerifyElement(orderIn(t, envelope(tc.doc)), cert); err == nil {
				t.Error("verified")
			}
		})
	}

	t.Run("another certificate", func(t *testing.T) {
		if _, err := signer.VerifyElement(orderIn(t, envelope(s)), selfSigned(t)); err == nil {
			t.Error("verified against a certificate that did not sign it")
		}
	})
}

// selfSigned is a fresh certificate for a fresh key.
func selfSigned(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "soapgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestNewXMLSigner(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signer.NewXMLSigner(key, []byte("not a certificate")); err == nil {
		t.Error("accepted a certificate that is not PEM")
	}
}

func TestXMLSigner_SignElement_Refused(t *testing.T) {
	s := xmlSigner(t)
	for name, element := range map[string]string{
		"not XML": "<order Id=",
		"no Id":   "<order><a/></order>",
		"empty":   "",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := s.SignElement([]byte(element), ""); err == nil {
				t.Error("signed")
			}
		})
	}
}

// TestXMLSigner_SignElement_XMLSec: the notification's signature verifies with xmlsec1, as
// merchants are told to check it.
func TestXMLSigner_SignElement_XMLSec(t *testing.T) {
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Skip("xmlsec1 not installed")
	}
	signed, err := xmlSigner(t).SignElement([]byte(roundTripOrder), "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"good":     envelope(string(signed)),
		"tampered": envelope(strings.Replace(string(signed), "<amount>100.00</amount>", "<amount>900.00</amount>", 1)),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".xml")
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmlsec, "--verify", "--id-attr:Id", "order",
				"--trusted-pem", "../fixtures/keys/gateway.crt", path).CombinedOutput()
			if got, want := err == nil, name == "good"; got != want {
				t.Errorf("xmlsec1 verified = %v, want %v:\n%s", got, want, out)
			}
		})
	}
}

func TestSigner_Computed(t *testing.T) {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	s := signer.New(key)
	done := make(chan string)
	for range 8 {
		go func() {
			sig, err := s.Sign("700001A-1100.00RUBApproved")
			if err != nil {
				t.Error(err)
			}
			done <- sig
		}()
	}
	first := <-done
	for range 7 {
		if got := <-done; got != first {
			t.Error("concurrent signatures of one X differ")
		}
	}
	if got := s.Computed(); got < 1 || got > 8 {
		t.Errorf("Computed = %d, want between 1 and 8", got)
	}
	before := s.Computed()
	s.Sign("700001A-1100.00RUBApproved")
	s.Sign("700001A-1100.00RUBCanceled")
	if got, want := s.Computed(), before+1; got != want {
		t.Errorf("Computed = %d, want %d: one new X, one cached", got, want)
	}
}
