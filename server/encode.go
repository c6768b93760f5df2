package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"reflect"
	"strconv"

	"soapgate/gateway"
	"soapgate/signer"
	"soapgate/wire"
)

// Response formats of the Format parameter (Assist; docs/protocol.md#2-services-and-transports).
const (
	formatCSV  = 1
	formatXML  = 3
	formatSOAP = 4
	formatJSON = 5
)

// jsonStyle is how a service's answer looks in JSON: the shapes Assist's PHP SDK reads
// (docs/protocol.md#4-responses).
type jsonStyle int

const (
	jsonLast   jsonStyle = iota // {"name": {the last record}}, null when none; a flat answer is its own record
	jsonOrders                  // {"name": {"orders": [order, ...]}}
	jsonCancel                  // {"name": {"order": {the order}, "checkdata": null}}
	jsonItems                   // {"name": {"<record element>": [{fields}, ...]}}
)

// jsonListKeys renames nested lists in JSON: orderresult's operations.
var jsonListKeys = map[string]string{"operation": "operations"}

// answer is a successful call's result, ready for any format.
type answer struct {
	op        *operation
	v         reflect.Value // the generated response struct (not a pointer)
	records   []reflect.Value
	customers []wire.Customer // JSON "customer" objects, aligned with records when sealed
}

// codes are the firstcode, secondcode and count attributes.
type codes struct{ first, second, count int }

// writeXMLText writes s escaped as xml.EscapeText does. Most wire values are plain ASCII
// with nothing to escape; those are copied as they are, without the []byte copy (one
// allocation per field of every answer) that xml.EscapeText needs.
func writeXMLText(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '&' || c == '<' || c == '>' {
			xml.EscapeText(b, []byte(s))
			return
		}
	}
	b.WriteString(s)
}

func (c codes) write(b *bytes.Buffer) {
	b.WriteString(` firstcode="` + strconv.Itoa(c.first) + `" secondcode="` + strconv.Itoa(c.second) + `" count="` + strconv.Itoa(c.count) + `"`)
}

// xmlWriter writes a generated value as its WSDL says: every declared element present, empty
// ones too, in the declared order. An error answer (non-zero codes) carries only the elements
// that hold the codes and the wrappers around where the records would be.
type xmlWriter struct {
	b     *bytes.Buffer
	codes codes
	empty bool
}

func (w *xmlWriter) elem(p *elemPlan, name string, v reflect.Value) {
	w.b.WriteString("<" + name)
	if p.codes {
		w.codes.write(w.b)
	}
	w.b.WriteByte('>')
	w.children(p, v)
	w.b.WriteString("</" + name + ">")
}

func (w *xmlWriter) children(p *elemPlan, v reflect.Value) {
	for _, f := range p.fields {
		switch f.Kind {
		case wire.Text:
			if w.empty {
				continue
			}
			w.b.WriteString("<" + f.Name + ">")
			if v.IsValid() {
				writeXMLText(w.b, v.Field(f.Index).String())
			}
			w.b.WriteString("</" + f.Name + ">")
		case wire.Elem:
			w.elem(p.child[f.Index], f.Name, follow(v, []int{f.Index}))
		case wire.List:
			if !v.IsValid() || w.empty {
				continue
			}
			list := v.Field(f.Index)
			for i := 0; i < list.Len(); i++ {
				if e := list.Index(i); !e.IsNil() {
					w.elem(p.child[f.Index], f.Name, e.Elem())
				}
			}
		}
	}
}

// soapPayload writes the Body's element; id, when set, is its Id attribute (for XML-DSig).
func soapPayload(b *bytes.Buffer, rp *respPlan, v reflect.Value, c codes, id string) {
	w := &xmlWriter{b: b, codes: c, empty: c.first != 0}
	root := rp.root
	b.WriteString(`<ws:` + root.name + ` xmlns:ws="` + root.ns + `"`)
	if id != "" {
		b.WriteString(` Id="` + id + `"`)
	}
	if root.codes {
		c.write(b)
	}
	b.WriteByte('>')
	w.children(root, v)
	b.WriteString("</ws:" + root.name + ">")
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

// encodeSOAP writes a SOAP answer; non-zero codes give the empty answer that form posts with
// Format=4 get (SOAP requests get a Fault instead, see encodeFault).
func encodeSOAP(b *bytes.Buffer, v12 bool, rp *respPlan, v reflect.Value, c codes) {
	soapOpen(b, v12)
	soapPayload(b, rp, v, c, "")
	soapClose(b)
}

// encodeSignedSOAP writes a SOAP answer whose payload element carries an enveloped XML-DSig
// signature (merchants with xmldsig).
func encodeSignedSOAP(b *bytes.Buffer, v12 bool, rp *respPlan, v reflect.Value, c codes, dsig *signer.XMLSigner) error {
	var payload bytes.Buffer
	soapPayload(&payload, rp, v, c, "soapgate-payload")
	signed, err := dsig.SignElement(payload.Bytes(), rp.root.ns)
	if err != nil {
		return err
	}
	soapOpen(b, v12)
	b.Write(signed)
	soapClose(b)
	return nil
}

// encodeXML writes Format=3: the carrier's content under a result root.
func encodeXML(b *bytes.Buffer, op *operation, v reflect.Value, c codes) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<result")
	c.write(b)
	b.WriteByte('>')
	if c.first == 0 {
		rp := op.resp
		w := &xmlWriter{b: b, codes: c}
		if op.xmlWrap != "" {
			b.WriteString("<" + op.xmlWrap + ">")
		}
		carrier := rp.root
		if len(rp.carrier) > 0 {
			carrier = rp.root.child[rp.carrier[0]]
		}
		w.children(carrier, follow(v, rp.carrier))
		if op.xmlWrap != "" {
			b.WriteString("</" + op.xmlWrap + ">")
		}
	}
	b.WriteString("</result>")
}

// encodeCSV writes Format=1: a header of the record's fields and one line per record; an
// error is the single line firstcode;secondcode.
func encodeCSV(b *bytes.Buffer, rp *respPlan, recs []reflect.Value, c codes) {
	w := csv.NewWriter(b)
	w.Comma = ';'
	if c.first != 0 {
		w.Write([]string{strconv.Itoa(c.first), strconv.Itoa(c.second)})
		w.Flush()
		return
	}
	var header []string
	var index []int
	for _, f := range rp.record.fields {
		if f.Kind == wire.Text {
			header, index = append(header, f.Name), append(index, f.Index)
		}
	}
	w.Write(header)
	row := make([]string, len(index))
	for _, r := range recs {
		for i, idx := range index {
			row[i] = r.Field(idx).String()
		}
		w.Write(row)
	}
	w.Flush()
}

func jsonString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}

func jsonKV(b *bytes.Buffer, k, v string) {
	jsonString(b, k)
	b.WriteByte(':')
	jsonString(b, v)
}

// jsonRecord writes a record's text fields in order; an order also gets the PHP SDK's
// checkdata and customer objects, and its operations as "operations".
func jsonRecord(b *bytes.Buffer, p *elemPlan, v reflect.Value, cust *wire.Customer) {
	b.WriteByte('{')
	n := 0
	sep := func() {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
	}
	var packet, sig, cv string
	for _, f := range p.fields {
		if f.Kind != wire.Text {
			continue
		}
		val := v.Field(f.Index).String()
		switch f.Name {
		case "packetdate":
			packet = val
		case "signature":
			sig = val
		case "checkvalue":
			cv = val
		}
		sep()
		jsonKV(b, f.Name, val)
	}
	if p.sealed {
		sep()
		b.WriteString(`"checkdata":{`)
		jsonKV(b, "packetdate", packet)
		b.WriteByte(',')
		jsonKV(b, "signature", sig)
		b.WriteByte(',')
		jsonKV(b, "checkvalue", cv)
		b.WriteString(`},"customer":{`)
		var c wire.Customer
		if cust != nil {
			c = *cust
		}
		for i, k := range wire.CustomerKeys {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonKV(b, k, c[i])
		}
		b.WriteByte('}')
	}
	for _, f := range p.fields {
		if f.Kind != wire.List {
			continue
		}
		key := f.Name
		if k, ok := jsonListKeys[key]; ok {
			key = k
		}
		sep()
		jsonString(b, key)
		b.WriteString(":[")
		list := v.Field(f.Index)
		for i := 0; i < list.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonRecord(b, p.child[f.Index], list.Index(i).Elem(), nil)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

func encodeJSON(b *bytes.Buffer, a *answer) {
	op, rp := a.op, a.op.resp
	cust := func(i int) *wire.Customer {
		if i < len(a.customers) {
			return &a.customers[i]
		}
		return nil
	}
	b.WriteString(`{"` + op.name + `":`)
	switch {
	case op.json == jsonOrders:
		b.WriteString(`{"orders":[`)
		for i, r := range a.records {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonRecord(b, rp.record, r, cust(i))
		}
		b.WriteString("]}")
	case op.json == jsonItems:
		b.WriteString(`{"` + rp.record.name + `":[`)
		for i, r := range a.records {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonRecord(b, rp.record, r, nil)
		}
		b.WriteString("]}")
	case len(a.records) == 0:
		b.WriteString("null")
	case op.json == jsonCancel:
		b.WriteString(`{"order":`)
		jsonRecord(b, rp.record, a.records[len(a.records)-1], cust(len(a.records)-1))
		b.WriteString(`,"checkdata":null}`)
	default: // the last record, which clients read (orderstate lists every attempt)
		jsonRecord(b, rp.record, a.records[len(a.records)-1], cust(len(a.records)-1))
	}
	b.WriteString("}")
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
