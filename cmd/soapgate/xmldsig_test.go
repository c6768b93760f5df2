package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hooklift/gowsdl/soap"

	"soapgate/config"
	"soapgate/generated/orderstate"
	"soapgate/signer"
)

func withXMLDSig(merchant string) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Merchants {
			if c.Merchants[i].ID == merchant {
				c.Merchants[i].Notify.XMLDSig = true
			}
		}
	}
}

// TestXMLDSig_SignedSOAPResponses checks the enveloped signature on the payload element of
// a SOAP answer with xmlsec1, that a tampered copy fails, and that the generated client still
// reads a signed answer.
func TestXMLDSig_SignedSOAPResponses(t *testing.T) {
	ts := startServerWith(t, filepath.Join(t.TempDir(), "x.db"), withXMLDSig("700001"))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dsig-1"))
	res, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "dsig-1"))
	payload := doc.FindElement("//Body/orderstateResponse")
	if res.Status != 200 || payload == nil || payload.SelectAttrValue("Id", "") == "" || payload.FindElement("./Signature") == nil {
		t.Fatalf("signed answer: %d %s", res.Status, res.Body)
	}
	cert, _, _ := signer.LoadCertificate("../../fixtures/keys/gateway.crt")
	verified, err := signer.VerifyElement(payload, cert)
	if err != nil {
		t.Fatalf("goxmldsig: %v", err)
	}
	if verified.FindElement(".//orderstate").Text() != "Approved" {
		t.Fatal("the verified tree lost the order")
	}
	// The generated client reads the signed answer (the WSDL declares Id and the signature).
	client := orderstate.NewOrderStatePortType(soap.NewClient(ts.URL + "/orderstate/orderstate.cfm"))
	out, err := client.Orderstate(&orderstate.Orderstate{Merchant_id: "700001", Login: "demo_login", Password: "demo_password1", Ordernumber: "dsig-1"})
	if err != nil || len(out.Order) != 1 || out.Order[0].Orderstate != "Approved" {
		t.Fatalf("generated client on a signed answer: %v %+v", err, out)
	}
	// Errors are plain faults; other merchants get unsigned answers.
	if res, _ := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "none")); strings.Contains(res.Body, "Signature") {
		t.Fatal("a fault was signed")
	}

	if _, err := exec.LookPath("xmlsec1"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmlsec1 is not installed")
		}
		t.Skip("xmlsec1 not installed")
	}
	verify := func(body string) error {
		f := filepath.Join(t.TempDir(), "r.xml")
		os.WriteFile(f, []byte(body), 0o600)
		out, err := exec.Command("xmlsec1", "--verify", "--pubkey-cert-pem", "../../fixtures/keys/gateway.crt",
			"--id-attr:Id", "http://www.paysecure.ru/ws/:orderstateResponse", f).CombinedOutput()
		if err != nil {
			return &exec.ExitError{Stderr: out}
		}
		return nil
	}
	if err := verify(res.Body); err != nil {
		t.Fatalf("xmlsec1 rejects the signed answer: %s", err.(*exec.ExitError).Stderr)
	}
	if err := verify(strings.Replace(res.Body, "<orderstate>Approved<", "<orderstate>Declined<", 1)); err == nil {
		t.Fatal("xmlsec1 accepted a tampered answer")
	}
}
