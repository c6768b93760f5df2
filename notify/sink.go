package notify

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"soapgate/signer"
)

// Sink is a merchant-side receiver for integrators: it takes POST and SOAP notifications,
// checks the checkvalue (with the secret word), the RSA signature and any XML-DSig (with the
// gateway certificate), prints each, and acknowledges it — or refuses it on a bad check.
//
// Given the certificate, the sink is strict, as a merchant should be: a POST without a
// signature and a SOAP notification without XML-DSig are refused like forged ones, unless
// AllowUnsigned or AllowNoXMLDSig relax that explicitly.
type Sink struct {
	Secret         string            // the merchant's secret word; empty: checkvalue not checked
	Cert           *x509.Certificate // the gateway certificate; nil: signatures not checked
	AllowUnsigned  bool              // with Cert: accept a POST without a signature field
	AllowNoXMLDSig bool              // with Cert: accept a SOAP notification without XML-DSig
	Out            io.Writer

	mu sync.Mutex
}

// Received is one notification as the sink read it.
type Received struct {
	Protocol string            // post | soap
	Fields   map[string]string // the order's fields
	XMLDSig  bool              // an enveloped signature was present and verified
	Problem  string            // why it was refused; empty when acknowledged
	First    int               // the refusal's firstcode/secondcode
	Second   int
}

func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "POST a notification", http.StatusBadRequest)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	soap := ct == "text/xml" || ct == "application/soap+xml" || bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))
	rec := s.Check(body, soap)
	s.print(rec)
	first, second := rec.First, rec.Second
	if soap {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="%s"><soap:Body><ws:PushPaymentResultResponse xmlns:ws="%s">%s</ws:PushPaymentResultResponse></soap:Body></soap:Envelope>`,
			nsSOAP11, nsWS, AckXML(first, second, rec.Fields["billnumber"], rec.Fields["packetdate"]))
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+AckXML(first, second, rec.Fields["billnumber"], rec.Fields["packetdate"]))
}

// AckXML is the acknowledgement element of docs/protocol.md#8-notifications.
func AckXML(first, second int, billNumber, packetDate string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<pushpaymentresult firstcode="%d" secondcode="%d"><order><billnumber>`, first, second)
	xmlEscape(&b, billNumber)
	b.WriteString("</billnumber><packetdate>")
	xmlEscape(&b, packetDate)
	b.WriteString("</packetdate></order></pushpaymentresult>")
	return b.String()
}

func xmlEscape(b *bytes.Buffer, s string) {
	etreeEscape := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	b.WriteString(etreeEscape.Replace(s))
}

// Check reads and verifies one notification body.
func (s *Sink) Check(body []byte, soap bool) Received {
	rec := Received{Protocol: "post", Fields: map[string]string{}}
	if soap {
		rec.Protocol = "soap"
		if err := s.readSOAP(body, &rec); err != nil {
			rec.Problem, rec.First, rec.Second = err.Error(), 1, 1
			return rec
		}
	} else {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			rec.Problem, rec.First, rec.Second = "not a form: "+err.Error(), 1, 1
			return rec
		}
		for k := range v {
			rec.Fields[strings.ToLower(k)] = v.Get(k)
		}
	}
	f := rec.Fields
	x := f["merchant_id"] + f["ordernumber"] + f["amount"] + f["currency"] + f["orderstate"]
	if s.Secret != "" && !signer.CheckvalueEqual(f["checkvalue"], signer.Checkvalue(s.Secret, x)) {
		rec.Problem, rec.First, rec.Second = "checkvalue does not match", 5, 158
		return rec
	}
	switch {
	case s.Cert != nil && rec.Protocol == "soap" && !rec.XMLDSig && !s.AllowNoXMLDSig:
		rec.Problem, rec.First, rec.Second = "no XML-DSig signature (the merchant's xmldsig is off? start the sink with --allow-no-xmldsig)", 5, 150
		return rec
	case s.Cert != nil && rec.Protocol == "post" && f["signature"] == "" && !s.AllowUnsigned:
		rec.Problem, rec.First, rec.Second = "no signature (response_security md5? start the sink with --allow-unsigned)", 5, 150
		return rec
	}
	if s.Cert != nil && f["signature"] != "" {
		pub, ok := s.Cert.PublicKey.(*rsa.PublicKey)
		raw, err := base64.StdEncoding.DecodeString(f["signature"])
		sum := md5.Sum([]byte(x))
		if !ok || err != nil || rsa.VerifyPKCS1v15(pub, crypto.MD5, sum[:], raw) != nil {
			rec.Problem, rec.First, rec.Second = "signature does not verify with the gateway certificate", 5, 150
		}
	}
	return rec
}

// readSOAP finds PushPaymentResult > order, verifies its XML-DSig when one is present, and
// reads the fields from the verified tree only.
func (s *Sink) readSOAP(body []byte, rec *Received) error {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(body); err != nil {
		return fmt.Errorf("not XML: %v", err)
	}
	order := doc.FindElement("//PushPaymentResult/order")
	if order == nil {
		return fmt.Errorf("no PushPaymentResult/order element")
	}
	if order.FindElement("./Signature") != nil {
		if s.Cert == nil {
			return fmt.Errorf("an XML-DSig signature came, but no certificate was given to check it")
		}
		verified, err := signer.VerifyElement(order, s.Cert)
		if err != nil {
			return fmt.Errorf("XML-DSig does not verify: %v", err)
		}
		order, rec.XMLDSig = verified, true
	}
	for _, el := range order.ChildElements() {
		if el.Tag != "operation" && el.Tag != "Signature" {
			rec.Fields[strings.ToLower(el.Tag)] = el.Text()
		}
	}
	return nil
}

func (s *Sink) print(rec Received) {
	if s.Out == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := rec.Fields
	verdict := "ACK"
	if rec.Problem != "" {
		verdict = fmt.Sprintf("REFUSED %d/%d: %s", rec.First, rec.Second, rec.Problem)
	}
	dsig := ""
	if rec.XMLDSig {
		dsig = " xmldsig=ok"
	}
	fmt.Fprintf(s.Out, "%s %s ordernumber=%s billnumber=%s operationtype=%s orderstate=%s amount=%s %s responsecode=%s%s -> %s\n",
		f["packetdate"], rec.Protocol, f["ordernumber"], f["billnumber"], f["operationtype"], f["orderstate"],
		f["amount"], f["currency"], f["responsecode"], dsig, verdict)
}
