package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"

	"soapgate/gateway"
	"soapgate/signer"
)

// Response formats of the Format parameter (Assist).
const (
	formatCSV  = 1
	formatXML  = 3
	formatSOAP = 4
	formatJSON = 5
)

// shape is how one service's answer is laid out in each format (contract section 4).
type shape struct {
	name        string   // JSON key, and the XML/CSV service name
	soapElement string   // the response element in the SOAP Body
	soapInner   string   // element under it that carries the codes (orderresult), or ""
	soapOrders  string   // wrapper around the orders in SOAP ("orders" for charge and rp)
	xmlOrders   string   // wrapper around the orders in the XML format
	fields      []string // order fields, for the CSV header of an empty list
	jsonList    bool     // orderresult: {"orderresult":{"orders":[...]}}
	jsonCancel  bool     // wscancel: {"wscancel":{"order":{...},"checkdata":null}}
}

// reply is what a handler hands to the writer.
type reply struct {
	shape   *shape
	records []record
}

func writeXMLText(b *bytes.Buffer, s string) { xml.EscapeText(b, []byte(s)) }

func writeFields(b *bytes.Buffer, elem string, fields []kv) {
	b.WriteString("<" + elem + ">")
	for _, f := range fields {
		b.WriteString("<" + f.k + ">")
		writeXMLText(b, f.v)
		b.WriteString("</" + f.k + ">")
	}
}

// writeOrders writes the order elements (with operations, if any) of a reply.
func writeOrders(b *bytes.Buffer, recs []record, wrapper string) {
	if wrapper != "" {
		b.WriteString("<" + wrapper + ">")
	}
	for _, r := range recs {
		writeFields(b, "order", r.fields)
		for _, op := range r.ops {
			writeFields(b, "operation", op)
			b.WriteString("</operation>")
		}
		b.WriteString("</order>")
	}
	if wrapper != "" {
		b.WriteString("</" + wrapper + ">")
	}
}

func codeAttrs(b *bytes.Buffer, first, second, count int) {
	b.WriteString(` firstcode="` + strconv.Itoa(first) + `" secondcode="` + strconv.Itoa(second) + `" count="` + strconv.Itoa(count) + `"`)
}

func envelopeNS(v12 bool) string {
	if v12 {
		return nsSOAP12
	}
	return nsSOAP11
}

func soapOpen(b *bytes.Buffer, v12 bool) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<soap:Envelope xmlns:soap="` + envelopeNS(v12) + `"><soap:Body>`)
}

func soapClose(b *bytes.Buffer) { b.WriteString("</soap:Body></soap:Envelope>") }

func soapContentType(v12 bool) string {
	if v12 {
		return "application/soap+xml; charset=utf-8"
	}
	return "text/xml; charset=utf-8"
}

// encodeSOAP writes a SOAP answer; a non-zero code gives an empty list with the codes
// (the form-post convention; SOAP requests get a Fault instead, see encodeFault).
func encodeSOAP(b *bytes.Buffer, v12 bool, s *shape, recs []record, first, second int) {
	soapOpen(b, v12)
	soapPayload(b, s, recs, first, second, "")
	soapClose(b)
}

// soapPayload writes the Body's element; id, when set, is its Id attribute (for XML-DSig).
func soapPayload(b *bytes.Buffer, s *shape, recs []record, first, second int, id string) {
	b.WriteString(`<ws:` + s.soapElement + ` xmlns:ws="` + nsWS + `"`)
	if id != "" {
		b.WriteString(` Id="` + id + `"`)
	}
	if s.soapInner != "" {
		b.WriteString("><" + s.soapInner)
	}
	codeAttrs(b, first, second, len(recs))
	b.WriteString(">")
	writeOrders(b, recs, s.soapOrders)
	if s.soapInner != "" {
		b.WriteString("</" + s.soapInner + ">")
	}
	b.WriteString("</ws:" + s.soapElement + ">")
}

// encodeSignedSOAP writes a SOAP answer whose payload element carries an enveloped XML-DSig
// signature (merchants with xmldsig).
func encodeSignedSOAP(b *bytes.Buffer, v12 bool, s *shape, recs []record, dsig *signer.XMLSigner) error {
	var payload bytes.Buffer
	soapPayload(&payload, s, recs, 0, 0, "soapgate-payload")
	signed, err := dsig.SignElement(payload.Bytes(), nsWS)
	if err != nil {
		return err
	}
	soapOpen(b, v12)
	b.Write(signed)
	soapClose(b)
	return nil
}

func encodeXML(b *bytes.Buffer, s *shape, recs []record, first, second int) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<result")
	codeAttrs(b, first, second, len(recs))
	b.WriteString(">")
	if len(recs) > 0 || first == 0 {
		writeOrders(b, recs, s.xmlOrders)
	}
	b.WriteString("</result>")
}

func encodeCSV(b *bytes.Buffer, s *shape, recs []record, first, second int) {
	w := csv.NewWriter(b)
	w.Comma = ';'
	if first != 0 {
		w.Write([]string{strconv.Itoa(first), strconv.Itoa(second)})
		w.Flush()
		return
	}
	w.Write(s.fields)
	for _, r := range recs {
		row := make([]string, len(r.fields))
		for i, f := range r.fields {
			row[i] = f.v
		}
		w.Write(row)
	}
	w.Flush()
}

// jsonObject writes {"k":"v",...} in field order, with the PHP SDK's checkdata and customer objects.
func jsonOrder(b *bytes.Buffer, r record) {
	b.WriteByte('{')
	for _, f := range r.fields {
		jsonKV(b, f.k, f.v)
		b.WriteByte(',')
	}
	b.WriteString(`"checkdata":{`)
	jsonKV(b, "packetdate", r.get("packetdate"))
	b.WriteByte(',')
	jsonKV(b, "signature", r.get("signature"))
	b.WriteByte(',')
	jsonKV(b, "checkvalue", r.get("checkvalue"))
	b.WriteString(`},"customer":{`)
	for i, f := range r.customer {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonKV(b, f.k, f.v)
	}
	b.WriteByte('}')
	if r.ops != nil {
		b.WriteString(`,"operations":[`)
		for i, op := range r.ops {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, f := range op {
				if j > 0 {
					b.WriteByte(',')
				}
				jsonKV(b, f.k, f.v)
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

func jsonKV(b *bytes.Buffer, k, v string) {
	jsonString(b, k)
	b.WriteByte(':')
	jsonString(b, v)
}

func jsonString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

func encodeJSON(b *bytes.Buffer, s *shape, recs []record) {
	b.WriteString(`{"` + s.name + `":`)
	switch {
	case s.jsonList:
		b.WriteString(`{"orders":[`)
		for i, r := range recs {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonOrder(b, r)
		}
		b.WriteString("]}")
	case len(recs) == 0:
		b.WriteString("null")
	case s.jsonCancel:
		b.WriteString(`{"order":`)
		jsonOrder(b, recs[len(recs)-1])
		b.WriteString(`,"checkdata":null}`)
	default:
		jsonOrder(b, recs[len(recs)-1]) // orderstate: the last attempt, which clients read
	}
	b.WriteString("}")
}

// jsonFault is the JSON error of contract section 4, with its HTTP status.
func encodeJSONFault(b *bytes.Buffer, e *gateway.Error) int {
	b.WriteString(`{"fault":{"faultcode":` + strconv.Itoa(e.First) + `,"faultstring":` + strconv.Itoa(e.Second) + `,"detail":`)
	jsonString(b, e.Message)
	b.WriteString("}}")
	switch {
	case e.First == 10 && e.Second == 100:
		return http.StatusUnauthorized
	case e.First == 2:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// encodeFault writes a SOAP Fault carrying the codes in detail, and returns the HTTP status.
func encodeFault(b *bytes.Buffer, v12 bool, e *gateway.Error) int {
	server := e.First == 2
	soapOpen(b, v12)
	if v12 {
		code := "soap:Sender"
		if server {
			code = "soap:Receiver"
		}
		b.WriteString(`<soap:Fault><soap:Code><soap:Value>` + code + `</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="en">`)
		writeXMLText(b, e.Message)
		b.WriteString(`</soap:Text></soap:Reason><soap:Detail>`)
	} else {
		code := "soap:Client"
		if server {
			code = "soap:Server"
		}
		b.WriteString(`<soap:Fault><faultcode>` + code + `</faultcode><faultstring>`)
		writeXMLText(b, e.Message)
		b.WriteString(`</faultstring><detail>`)
	}
	b.WriteString(`<ws:error xmlns:ws="` + nsWS + `" firstcode="` + strconv.Itoa(e.First) + `" secondcode="` + strconv.Itoa(e.Second) + `">`)
	writeXMLText(b, e.Message)
	b.WriteString(`</ws:error>`)
	if v12 {
		b.WriteString(`</soap:Detail></soap:Fault>`)
	} else {
		b.WriteString(`</detail></soap:Fault>`)
	}
	soapClose(b)
	if v12 && !server {
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
