package signer_test

import (
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/signer"
)

func xmlSigner(t testing.TB) *signer.XMLSigner {
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile("../fixtures/keys/gateway.crt")
	if err != nil {
		t.Fatal(err)
	}
	s, err := signer.NewXMLSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func orderIn(t testing.TB, doc string) *etree.Element {
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	return d.FindElement("//order")
}

func TestXMLSigner_SignAndVerify(t *testing.T) {
	s := xmlSigner(t)
	cert, _, _ := signer.LoadCertificate("../fixtures/keys/gateway.crt")
	signed, err := s.SignElement([]byte(`<order Id="n-1"><ordernumber>A</ordernumber><amount>1.00</amount></order>`), "")
	if err != nil {
		t.Fatal(err)
	}
	env := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ws:PushPaymentResult xmlns:ws="http://www.paysecure.ru/ws/">` +
		string(signed) + `</ws:PushPaymentResult></soap:Body></soap:Envelope>`
	got, err := signer.VerifyElement(orderIn(t, env), cert)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.FindElement("amount").Text() != "1.00" {
		t.Fatal("verified tree differs")
	}
	sig := string(signed[strings.Index(string(signed), "<ds:Signature") : strings.Index(string(signed), "</ds:Signature>")+len("</ds:Signature>")])
	for name, doc := range map[string]string{
		"tampered":      strings.Replace(env, "<amount>1.00<", "<amount>9.00<", 1),
		"duplicate Id":  strings.Replace(env, "<amount>", `<x Id="n-1"/><amount>`, 1),
		"wrapped":       `<order Id="n-2"><amount>9.00</amount><wrap>` + strings.Replace(string(signed), sig, "", 1) + `</wrap>` + sig + `</order>`,
		"two sigs":      strings.Replace(env, "</order>", sig+"</order>", 1),
		"no signature":  `<order Id="n-1"><amount>1.00</amount></order>`,
		"sig elsewhere": `<order Id="n-1"><amount>1.00</amount><x>` + sig + `</x></order>`,
	} {
		if _, err := signer.VerifyElement(orderIn(t, doc), cert); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if _, err := s.SignElement([]byte(`<order><a/></order>`), ""); err == nil {
		t.Error("signed an element without Id")
	}
}

// FuzzVerifyElement: arbitrary documents never verify and never panic.
func FuzzVerifyElement(f *testing.F) {
	cert, _, _ := signer.LoadCertificate("../fixtures/keys/gateway.crt")
	s := xmlSigner(f)
	signed, _ := s.SignElement([]byte(`<order Id="a"><x>1</x></order>`), "")
	f.Add(string(signed))
	f.Add(`<order Id="a"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></order>`)
	f.Fuzz(func(t *testing.T, doc string) {
		d := etree.NewDocument()
		if d.ReadFromString(doc) != nil || d.Root() == nil {
			return
		}
		el, err := signer.VerifyElement(d.Root(), cert)
		if err == nil && doc != string(signed) && el.FindElement("x") != nil && el.FindElement("x").Text() != "1" {
			t.Fatalf("a changed document verified: %s", doc)
		}
	})
}
