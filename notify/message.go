package notify

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strconv"

	"soapgate/gateway"
	"soapgate/signer"
)

// Namespaces of the SOAP notification (wsdl/notification.wsdl).
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWS     = "http://www.paysecure.ru/ws/"
)

// Checks is what signs a notification: the merchant's checkvalue salt and the gateway's key.
type Checks struct {
	Signer *signer.Signer    // RSA/MD5 signature; nil: none
	DSig   *signer.XMLSigner // XML-DSig for merchants with xmldsig; nil: none
}

// fields returns the order fields of a notification as sent: the frozen payload plus
// packetdate, checkvalue and signature (per the merchant's response_security).
// X = merchant_id + ordernumber + amount + currency + orderstate (contract section 4).
func (c Checks) fields(m *gateway.Merchant, n *gateway.Notification, packetDate string) ([]gateway.Field, error) {
	p := n.Payload
	x := m.ID + p.Get("ordernumber") + p.Get("amount") + p.Get("currency") + p.Get("orderstate")
	var checkvalue, signature string
	if m.ResponseSecurity != "rsa" {
		checkvalue = signer.Checkvalue(m.Secret, x)
	}
	if m.ResponseSecurity != "md5" && c.Signer != nil {
		var err error
		if signature, err = c.Signer.Sign(x); err != nil {
			return nil, err
		}
	}
	out := make([]gateway.Field, 0, len(p.Order)+3)
	for _, f := range p.Order {
		out = append(out, f)
		if f.Name == "operationdate" {
			out = append(out, gateway.Field{Name: "packetdate", Value: packetDate})
		}
	}
	return append(out, gateway.Field{Name: "checkvalue", Value: checkvalue}, gateway.Field{Name: "signature", Value: signature}), nil
}

// postBody is the form of a POST notification: every field, lowercase, empty when it has no value.
func postBody(fields []gateway.Field) []byte {
	v := url.Values{}
	for _, f := range fields {
		v.Set(f.Name, f.Value)
	}
	return []byte(v.Encode())
}

// soapBody is a PushPaymentResult envelope; with xmldsig the order element is signed.
func (c Checks) soapBody(m *gateway.Merchant, n *gateway.Notification, fields []gateway.Field) ([]byte, error) {
	var order bytes.Buffer
	order.WriteString(`<order Id="notification-` + strconv.FormatInt(n.ID, 10) + `">`)
	writeFields(&order, fields)
	order.WriteString("<operation>")
	writeFields(&order, n.Payload.Operation)
	order.WriteString("</operation></order>")
	payload := order.Bytes()
	if m.Notify.XMLDSig && c.DSig != nil {
		signed, err := c.DSig.SignElement(payload, nsWS)
		if err != nil {
			return nil, err
		}
		payload = signed
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soap:Envelope xmlns:soap="` + nsSOAP11 + `"><soap:Body><ws:PushPaymentResult xmlns:ws="` + nsWS + `">`)
	b.Write(payload)
	b.WriteString(`</ws:PushPaymentResult></soap:Body></soap:Envelope>`)
	return b.Bytes(), nil
}

func writeFields(b *bytes.Buffer, fields []gateway.Field) {
	for _, f := range fields {
		b.WriteString("<" + f.Name + ">")
		xml.EscapeText(b, []byte(f.Value))
		b.WriteString("</" + f.Name + ">")
	}
}
