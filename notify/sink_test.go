package notify_test

import (
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/notify"
	"soapgate/signer"
)

// sinkFields are the fields of a notification the sink checks, with a good checkvalue and
// an RSA signature by the gateway's key.
func sinkFields(t *testing.T) [][2]string {
	t.Helper()
	key, _, _ := gatewayKeys(t)
	fields := [][2]string{
		{"merchant_id", "700001"}, {"ordernumber", "A-1"}, {"billnumber", "5000000000000001.1"},
		{"amount", "100.00"}, {"currency", "RUB"}, {"orderstate", "Approved"}, {"operationtype", "100"},
		{"responsecode", "AS000"}, {"packetdate", "01.03.2026 10:00:00"},
	}
	x := "700001" + "A-1" + "100.00" + "RUB" + "Approved"
	sum := md5.Sum([]byte(x))
	raw, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.MD5, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return append(fields, [2]string{"checkvalue", signer.Checkvalue(merchantSecret, x)},
		[2]string{"signature", base64.StdEncoding.EncodeToString(raw)})
}

// with returns fields with one value replaced.
func with(fields [][2]string, name, value string) [][2]string {
	out := append([][2]string(nil), fields...)
	for i := range out {
		if out[i][0] == name {
			out[i][1] = value
		}
	}
	return out
}

func formOf(fields [][2]string) string {
	v := url.Values{}
	for _, f := range fields {
		v.Set(f[0], f[1])
	}
	return v.Encode()
}

// orderXML is the order element of a SOAP notification, with its operation.
func orderXML(fields [][2]string) string {
	var b strings.Builder
	b.WriteString(`<order Id="notification-1">`)
	for _, f := range fields {
		b.WriteString("<" + f[0] + ">")
		xml.EscapeText(&b, []byte(f[1]))
		b.WriteString("</" + f[0] + ">")
	}
	b.WriteString(`<operation><billnumber>5000000000000001.1</billnumber></operation></order>`)
	return b.String()
}

func pushPaymentResult(order string) string {
	return soapEnvelope(`<ws:PushPaymentResult xmlns:ws="http://www.paysecure.ru/ws/">` + order + `</ws:PushPaymentResult>`)
}

// signedOrder is orderXML with an enveloped XML-DSig by the gateway.
func signedOrder(t *testing.T, fields [][2]string) string {
	t.Helper()
	key, _, certPEM := gatewayKeys(t)
	s, err := signer.NewXMLSigner(key, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignElement([]byte(orderXML(fields)), "")
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// sinkAck is what the sink answered.
type sinkAck struct {
	status        int
	envelope      bool // inside PushPaymentResultResponse
	first, second string
	bill, packet  string
}

func postToSink(t *testing.T, url, contentType, body string) sinkAck {
	t.Helper()
	res, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := sinkAck{status: res.StatusCode}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(reply); err != nil {
		return a
	}
	a.envelope = doc.FindElement("//PushPaymentResultResponse/pushpaymentresult") != nil
	if p := doc.FindElement("//pushpaymentresult"); p != nil {
		a.first, a.second = p.SelectAttrValue("firstcode", ""), p.SelectAttrValue("secondcode", "")
		if e := p.FindElement("order/billnumber"); e != nil {
			a.bill = e.Text()
		}
		if e := p.FindElement("order/packetdate"); e != nil {
			a.packet = e.Text()
		}
	}
	return a
}

func TestSink_ServeHTTP(t *testing.T) {
	_, cert, _ := gatewayKeys(t)
	good := sinkFields(t)
	const form, textXML = "application/x-www-form-urlencoded", "text/xml; charset=utf-8"
	for _, tc := range []struct {
		name          string
		secret        string
		cert          *x509.Certificate
		contentType   string
		body          string
		first, second string
		printed       string
	}{
		{"post", merchantSecret, cert, form, formOf(good), "0", "0", "post ordernumber=A-1"},
		{"post checkvalue in lower case", merchantSecret, cert, form,
			formOf(with(good, "checkvalue", strings.ToLower(signer.Checkvalue(merchantSecret, "700001A-1100.00RUBApproved")))), "0", "0", "-> ACK"},
		{"post bad checkvalue", merchantSecret, cert, form,
			formOf(with(good, "amount", "1.00")), "5", "158", "REFUSED 5/158: checkvalue does not match"},
		{"post bad checkvalue, no secret", "", cert, form,
			formOf(with(good, "checkvalue", "00")), "0", "0", "-> ACK"},
		{"post bad signature", merchantSecret, cert, form,
			formOf(with(good, "signature", base64.StdEncoding.EncodeToString(make([]byte, 256)))), "5", "150", "REFUSED 5/150"},
		{"post signature not base64", merchantSecret, cert, form,
			formOf(with(good, "signature", "!!!")), "5", "150", "REFUSED 5/150"},
		{"post no signature", merchantSecret, cert, form,
			formOf(with(good, "signature", "")), "5", "150", "REFUSED 5/150: no signature"},
		{"post no signature, allowed", merchantSecret, cert, form,
			formOf(with(good, "signature", "")), "0", "0", "-> ACK"},
		{"post bad signature, no certificate", merchantSecret, nil, form,
			formOf(with(good, "signature", "AAAA")), "0", "0", "-> ACK"},
		{"post not a form", merchantSecret, nil, form, "a=%zz", "1", "1", "REFUSED 1/1: not a form"},
		{"soap", merchantSecret, cert, textXML,
			pushPaymentResult(orderXML(good)), "5", "150", "REFUSED 5/150: no XML-DSig"},
		{"soap without xmldsig, allowed", merchantSecret, cert, textXML,
			pushPaymentResult(orderXML(good)), "0", "0", "soap ordernumber=A-1"},
		{"soap bad checkvalue", merchantSecret, cert, textXML,
			pushPaymentResult(orderXML(with(good, "orderstate", "Declined"))), "5", "158", "REFUSED 5/158"},
		{"soap xmldsig", merchantSecret, cert, textXML,
			pushPaymentResult(signedOrder(t, good)), "0", "0", "xmldsig=ok -> ACK"},
		{"soap xmldsig tampered", merchantSecret, cert, textXML,
			strings.Replace(pushPaymentResult(signedOrder(t, good)), "<responsecode>AS000<", "<responsecode>AS100<", 1),
			"1", "1", "REFUSED 1/1: XML-DSig does not verify"},
		{"soap xmldsig, no certificate", merchantSecret, nil, textXML,
			pushPaymentResult(signedOrder(t, good)), "1", "1", "no certificate was given"},
		{"soap without content type", merchantSecret, nil, "application/octet-stream",
			"\n  " + pushPaymentResult(orderXML(good)), "0", "0", "soap ordernumber=A-1"},
		{"soap not XML", merchantSecret, nil, textXML, "<order>", "1", "1", "REFUSED 1/1: not XML"},
		{"soap no order", merchantSecret, nil, textXML,
			soapEnvelope(`<ws:PushPaymentResult xmlns:ws="http://www.paysecure.ru/ws/"/>`), "1", "1", "no PushPaymentResult/order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &syncBuffer{}
			allowed := strings.HasSuffix(tc.name, ", allowed")
			sink := &notify.Sink{Secret: tc.secret, Cert: tc.cert, Out: out, AllowUnsigned: allowed, AllowNoXMLDSig: allowed}
			srv := httptest.NewServer(sink)
			t.Cleanup(srv.Close)
			a := postToSink(t, srv.URL, tc.contentType, tc.body)
			if got, want := a.status, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := a.first+"/"+a.second, tc.first+"/"+tc.second; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
			soap := strings.HasPrefix(tc.name, "soap")
			if got, want := a.envelope, soap; got != want {
				t.Errorf("acknowledgement in a SOAP envelope = %v, want %v", got, want)
			}
			if tc.first == "0" {
				if a.bill != "5000000000000001.1" || a.packet != "01.03.2026 10:00:00" {
					t.Errorf("acknowledgement echoes %q/%q, want the billnumber and packetdate sent", a.bill, a.packet)
				}
			}
			if got := out.String(); !strings.Contains(got, tc.printed) {
				t.Errorf("printed %q, want it to contain %q", got, tc.printed)
			}
		})
	}
}

func TestSink_ServeHTTP_NotPost(t *testing.T) {
	srv := httptest.NewServer(&notify.Sink{})
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got, want := res.StatusCode, http.StatusBadRequest; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
}

func TestSink_Check(t *testing.T) {
	_, cert, _ := gatewayKeys(t)
	good := sinkFields(t)
	s := &notify.Sink{Secret: merchantSecret, Cert: cert}

	t.Run("xmldsig", func(t *testing.T) {
		rec := s.Check([]byte(pushPaymentResult(signedOrder(t, good))), true)
		if rec.Problem != "" || !rec.XMLDSig || rec.Protocol != "soap" {
			t.Fatalf("Check = %+v, want a verified SOAP notification", rec)
		}
		for _, f := range good {
			if got, want := rec.Fields[f[0]], f[1]; got != want {
				t.Errorf("%s = %q, want %q", f[0], got, want)
			}
		}
		if _, ok := rec.Fields["operation"]; ok {
			t.Error("the operation element is read as an order field")
		}
	})

	t.Run("xmldsig wrapped", func(t *testing.T) {
		// The signed order moved aside and a forged one put where the sink reads: refused.
		signed := signedOrder(t, good)
		forged := strings.Replace(orderXML(with(good, "amount", "1.00")), "</order>", "<x>"+signed+"</x></order>", 1)
		rec := s.Check([]byte(pushPaymentResult(forged)), true)
		if rec.Problem == "" || rec.XMLDSig {
			t.Errorf("Check = %+v, want a refusal", rec)
		}
	})

	t.Run("post keys in upper case", func(t *testing.T) {
		body := strings.Replace(formOf(good), "ordernumber=", "OrderNumber=", 1)
		rec := s.Check([]byte(body), false)
		if got, want := rec.Fields["ordernumber"], "A-1"; got != want {
			t.Errorf("ordernumber = %q, want %q", got, want)
		}
		if rec.Problem != "" {
			t.Errorf("Problem = %q, want none", rec.Problem)
		}
	})
}

func TestAckXML(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		first, second             int
		billNumber, packetDate    string
		wantBill, wantPacket, raw string
	}{
		{"ack", 0, 0, "5000000000000001.1", "01.03.2026 10:00:00", "5000000000000001.1", "01.03.2026 10:00:00",
			`<pushpaymentresult firstcode="0" secondcode="0"><order><billnumber>5000000000000001.1</billnumber><packetdate>01.03.2026 10:00:00</packetdate></order></pushpaymentresult>`},
		{"escaped", 5, 158, `1<2&3>`, "", `1<2&3>`, "",
			`<pushpaymentresult firstcode="5" secondcode="158"><order><billnumber>1&lt;2&amp;3&gt;</billnumber><packetdate></packetdate></order></pushpaymentresult>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := notify.AckXML(tc.first, tc.second, tc.billNumber, tc.packetDate)
			if got != tc.raw {
				t.Errorf("AckXML = %s, want %s", got, tc.raw)
			}
			var v struct {
				First  int    `xml:"firstcode,attr"`
				Second int    `xml:"secondcode,attr"`
				Bill   string `xml:"order>billnumber"`
				Packet string `xml:"order>packetdate"`
			}
			if err := xml.Unmarshal([]byte(got), &v); err != nil {
				t.Fatal(err)
			}
			if v.First != tc.first || v.Second != tc.second || v.Bill != tc.wantBill || v.Packet != tc.wantPacket {
				t.Errorf("read back %+v", v)
			}
		})
	}
}
