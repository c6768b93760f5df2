package notify

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"reflect"
	"strconv"

	"soapgate/gateway"
	"soapgate/generated/notification"
	"soapgate/signer"
	"soapgate/wire"
)

// Namespaces of the SOAP notification (wsdl/notification.wsdl).
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWS     = "http://www.paysecure.ru/ws/"
)

// Message makes what a notification sends (docs/protocol.md#8-notifications): the
// fields package wire maps from the frozen payload, laid out as notification.wsdl declares
// them (gowsdl's notification.Order and notification.Operation), sealed per the merchant's
// response_security, and for merchants with xmldsig signed with XML-DSig.
type Message struct {
	Wire wire.Mapping
	DSig *signer.XMLSigner // nil: no XML-DSig
}

var (
	orderFields, _     = wire.XMLFields(reflect.TypeFor[notification.Order]())
	operationFields, _ = wire.XMLFields(reflect.TypeFor[notification.Operation]())
)

// CheckWSDL reports whether the mapping fills every field notification.wsdl declares.
func CheckWSDL() error {
	if err := wire.Check(reflect.TypeFor[notification.Order]()); err != nil {
		return err
	}
	return wire.Check(reflect.TypeFor[notification.Operation]())
}

// build returns the request body and its content type. X = merchant_id + ordernumber +
// amount + currency + orderstate, the amount being the operation's.
func (mg Message) build(m *gateway.Merchant, n *gateway.Notification, packetDate string) (body []byte, contentType string, err error) {
	r := n.Payload.Reply()
	f := mg.Wire.Reply(m, r)
	if err := mg.Wire.Seal(m, &f, wire.ReplyX, packetDate); err != nil {
		return nil, "", err
	}
	order := wire.Project(new(notification.Order), &f)
	if m.Notify.Protocol != "soap" {
		return postBody(order), "application/x-www-form-urlencoded", nil
	}
	of := mg.Wire.Operation(r.Order, r.Op)
	order.Operation = []*notification.Operation{wire.Project(new(notification.Operation), &of)}
	order.Id = "notification-" + strconv.FormatInt(n.ID, 10)
	body, err = mg.soapBody(m, order)
	return body, "text/xml; charset=utf-8", err
}

// postBody is the form of a POST notification: every field of the order, lowercase, empty
// when it has no value.
func postBody(o *notification.Order) []byte {
	v := reflect.ValueOf(o).Elem()
	form := url.Values{}
	for _, f := range orderFields {
		if f.Kind == wire.Text {
			form.Set(f.Name, v.Field(f.Index).String())
		}
	}
	return []byte(form.Encode())
}

// soapBody is a PushPaymentResult envelope; with xmldsig the order element is signed.
func (mg Message) soapBody(m *gateway.Merchant, o *notification.Order) ([]byte, error) {
	var order bytes.Buffer
	order.WriteString(`<order Id="` + o.Id + `">`)
	writeText(&order, orderFields, reflect.ValueOf(o).Elem())
	for _, op := range o.Operation {
		order.WriteString("<operation>")
		writeText(&order, operationFields, reflect.ValueOf(op).Elem())
		order.WriteString("</operation>")
	}
	order.WriteString("</order>")
	payload := order.Bytes()
	if m.Notify.XMLDSig && mg.DSig != nil {
		signed, err := mg.DSig.SignElement(payload, nsWS)
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

// writeText writes the text fields of v, every one present, in the WSDL's order.
func writeText(b *bytes.Buffer, fields []wire.XMLField, v reflect.Value) {
	for _, f := range fields {
		if f.Kind != wire.Text {
			continue
		}
		b.WriteString("<" + f.Name + ">")
		xml.EscapeText(b, []byte(v.Field(f.Index).String()))
		b.WriteString("</" + f.Name + ">")
	}
}

// Fields returns the order fields a notification sends, in the WSDL's order, as an attempt
// stamped packetDate sends them (for an operator's view: `soapgate notifications show`).
func (mg Message) Fields(m *gateway.Merchant, n *gateway.Notification, packetDate string) ([][2]string, error) {
	f := mg.Wire.Reply(m, n.Payload.Reply())
	if err := mg.Wire.Seal(m, &f, wire.ReplyX, packetDate); err != nil {
		return nil, err
	}
	v := reflect.ValueOf(wire.Project(new(notification.Order), &f)).Elem()
	var out [][2]string
	for _, fl := range orderFields {
		if fl.Kind == wire.Text {
			out = append(out, [2]string{fl.Name, v.Field(fl.Index).String()})
		}
	}
	return out, nil
}
