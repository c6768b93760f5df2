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

// parseSOAP reads an envelope strictly: no DTD or entities, bounded depth, one Body with one
// child. The child's descendants become parameters by their lowercase local names; nested
// elements are flattened so a client's wrapper element does not hide its fields.
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

func parseSOAP(body []byte, maxDepth int) (*soapRequest, error) {
	if !utf8.Valid(body) {
		return nil, malformed("request is not valid UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.CharsetReader = func(charset string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return r, nil
		}
		return nil, errors.New("only UTF-8 is accepted")
	}
	req := &soapRequest{params: wire.Params{}}
	var (
		// RawToken, not Token: no namespace maps and copies per element. What Token adds is
		// done here where it matters: the Envelope's and Body's namespaces are resolved from
		// the xmlns declarations in scope (only those two elements' namespaces are read), and
		// each end element must match its start.
		stack     []xml.Name // open elements, names as written (prefix in Space)
		envDecls  []xml.Attr // the Envelope's attributes, for prefixes declared there
		bodies    int
		children  int // elements directly inside Body
		text      strings.Builder
		leafStart = -1 // depth of the element whose text we collect
	)
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
			depth := len(stack)
			if depth >= maxDepth {
				return nil, malformed("XML is nested deeper than %d levels", maxDepth)
			}
			switch {
			case depth == 0:
				envDecls = t.Attr
				ns := namespaceOf(t.Name.Space, t.Attr, nil)
				if t.Name.Local != "Envelope" || (ns != nsSOAP11 && ns != nsSOAP12) {
					return nil, malformed("not a SOAP request: the root element must be a SOAP 1.1 or 1.2 Envelope")
				}
				req.v12 = ns == nsSOAP12
			case depth == 1:
				envNS := nsSOAP11
				if req.v12 {
					envNS = nsSOAP12
				}
				if namespaceOf(t.Name.Space, t.Attr, envDecls) != envNS || (t.Name.Local != "Body" && t.Name.Local != "Header") {
					return nil, malformed("unexpected element %s in Envelope", t.Name.Local)
				}
				if t.Name.Local == "Body" {
					if bodies++; bodies > 1 {
						return nil, malformed("Envelope has more than one Body")
					}
				}
			case depth == 2 && stack[1].Local == "Body":
				if children++; children > 1 {
					return nil, malformed("Body has more than one element")
				}
				req.operation = t.Name.Local
			case depth >= 3 && stack[1].Local == "Body":
				leafStart = depth
				text.Reset()
			}
			stack = append(stack, t.Name)
		case xml.CharData:
			if leafStart >= 0 {
				text.Write(t)
			}
		case xml.EndElement:
			depth := len(stack) - 1
			if depth < 0 || stack[depth] != t.Name {
				return nil, malformed("request is not well-formed XML: element <%s> closed by </%s>", qname(stack, depth), t.Name.Local)
			}
			if leafStart == depth {
				if err := req.params.Set(t.Name.Local, text.String()); err != nil {
					return req, err
				}
				leafStart = -1
			} else if leafStart >= 0 && depth < leafStart {
				leafStart = -1
			}
			stack = stack[:depth]
		}
	}
	if len(stack) != 0 {
		return nil, malformed("request is not well-formed XML: unexpected end of input")
	}
	if bodies == 0 || req.operation == "" {
		return nil, malformed("SOAP Body is missing or empty")
	}
	return req, nil
}
