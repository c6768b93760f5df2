package server

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"soapgate/gateway"
	"soapgate/wire"
)

// SOAP envelope namespaces.
const (
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsWS     = "http://www.paysecure.ru/ws/"
)

// DefaultMaxDepth is the deepest XML nesting accepted (docs/protocol.md#26-request-limits: 64 levels).
const DefaultMaxDepth = 64

// soapRequest is a decoded SOAP call: the Body's element and its parameters.
type soapRequest struct {
	v12       bool
	operation string      // local name of the Body's first child
	params    wire.Params // lowercase child names → text
}

func malformed(format string, args ...any) error {
	e := gateway.Errorf(1, 1, format, args...)
	return e
}

// namespaceOf resolves an element's prefix against the xmlns declarations of the element
// itself (attrs) and then of the Envelope (outer).
func namespaceOf(prefix string, attrs, outer []xml.Attr) string {
	for _, decls := range [2][]xml.Attr{attrs, outer} {
		for _, a := range decls {
			if (prefix == "" && a.Name.Space == "" && a.Name.Local == "xmlns") || (prefix != "" && a.Name.Space == "xmlns" && a.Name.Local == prefix) {
				return a.Value
			}
		}
	}
	return ""
}

func qname(stack []xml.Name, i int) string {
	if i < 0 {
		return ""
	}
	return stack[i].Local
}

// parseSOAP reads an envelope: first by scanSOAP (soapscan.go), which takes the plain XML
// that SOAP clients send without encoding/xml's cost, and otherwise, for anything outside
// that subset and for every error, by decodeSOAP on encoding/xml. Both feed one soapBuilder,
// so what an envelope means does not depend on which of them read it.
func parseSOAP(body []byte, maxDepth int) (*soapRequest, error) {
	if !utf8.Valid(body) {
		return nil, malformed("request is not valid UTF-8")
	}
	if req, ok := scanSOAP(body, maxDepth); ok {
		return req, nil
	}
	return decodeSOAP(body, maxDepth)
}

// soapBuilder turns the elements of an envelope, as a reader meets them, into a request.
type soapBuilder struct {
	req       *soapRequest
	maxDepth  int
	envDecls  []xml.Attr // the Envelope's attributes, for prefixes declared there
	bodyOpen  bool       // the element open at depth 1 is the Body
	bodies    int
	children  int // elements directly inside Body
	text      strings.Builder
	leafStart int // depth of the element whose text is collected, or -1
}

func newSOAPBuilder(maxDepth int) *soapBuilder {
	return &soapBuilder{req: &soapRequest{params: wire.Params{}}, maxDepth: maxDepth, leafStart: -1}
}

// start opens an element at depth (0 for the root). Only the Envelope's, the Body's and the
// operation's names and attributes are read; a reader may pass the zero Name and no
// attributes deeper down.
func (b *soapBuilder) start(depth int, name xml.Name, attrs []xml.Attr) error {
	if depth >= b.maxDepth {
		return malformed("XML is nested deeper than %d levels", b.maxDepth)
	}
	switch {
	case depth == 0:
		b.envDecls = attrs
		ns := namespaceOf(name.Space, attrs, nil)
		if name.Local != "Envelope" || (ns != nsSOAP11 && ns != nsSOAP12) {
			return malformed("not a SOAP request: the root element must be a SOAP 1.1 or 1.2 Envelope")
		}
		b.req.v12 = ns == nsSOAP12
	case depth == 1:
		envNS := nsSOAP11
		if b.req.v12 {
			envNS = nsSOAP12
		}
		if namespaceOf(name.Space, attrs, b.envDecls) != envNS || (name.Local != "Body" && name.Local != "Header") {
			return malformed("unexpected element %s in Envelope", name.Local)
		}
		b.bodyOpen = name.Local == "Body"
		if b.bodyOpen {
			if b.bodies++; b.bodies > 1 {
				return malformed("Envelope has more than one Body")
			}
		}
	case depth == 2 && b.bodyOpen:
		if b.children++; b.children > 1 {
			return malformed("Body has more than one element")
		}
		b.req.operation = name.Local
	case depth >= 3 && b.bodyOpen:
		b.leafStart = depth
		b.text.Reset()
	}
	return nil
}

// chars adds text inside the element open deepest.
func (b *soapBuilder) chars(p []byte) {
	if b.leafStart >= 0 {
		b.text.Write(p)
	}
}

// collects tells whether the element closing at depth is a parameter, whose local name end
// then needs.
func (b *soapBuilder) collects(depth int) bool { return b.leafStart == depth }

// end closes the element at depth; local is its local name when collects(depth).
func (b *soapBuilder) end(depth int, local string) error {
	if b.leafStart == depth {
		b.leafStart = -1
		return b.req.params.Set(local, b.text.String())
	}
	if b.leafStart >= 0 && depth < b.leafStart {
		b.leafStart = -1
	}
	return nil
}

func (b *soapBuilder) done() (*soapRequest, error) {
	if b.bodies == 0 || b.req.operation == "" {
		return nil, malformed("SOAP Body is missing or empty")
	}
	return b.req, nil
}

// decodeSOAP reads an envelope with encoding/xml, strictly: no DTD or entities, bounded
// depth, one Body with one child. The child's descendants become parameters by their
// lowercase local names; nested elements are flattened so a client's wrapper element does
// not hide its fields.
func decodeSOAP(body []byte, maxDepth int) (*soapRequest, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		return nil, errors.New("only UTF-8 is accepted")
	}
	b := newSOAPBuilder(maxDepth)
	// RawToken, not Token: no namespace maps and copies per element. What Token adds is
	// done here where it matters: the Envelope's and Body's namespaces are resolved from
	// the xmlns declarations in scope (only those two elements' namespaces are read), and
	// each end element must match its start.
	var stack []xml.Name // open elements, names as written (prefix in Space)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, malformed("request is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, malformed("DTDs and entity declarations are not accepted")
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, malformed("processing instructions are not accepted")
			}
		case xml.StartElement:
			if err := b.start(len(stack), t.Name, t.Attr); err != nil {
				return nil, err
			}
			stack = append(stack, t.Name)
		case xml.CharData:
			b.chars(t)
		case xml.EndElement:
			depth := len(stack) - 1
			if depth < 0 || stack[depth] != t.Name {
				return nil, malformed("request is not well-formed XML: element <%s> closed by </%s>", qname(stack, depth), t.Name.Local)
			}
			if err := b.end(depth, t.Name.Local); err != nil {
				return b.req, err
			}
			stack = stack[:depth]
		}
	}
	if len(stack) != 0 {
		return nil, malformed("request is not well-formed XML: unexpected end of input")
	}
	return b.done()
}
