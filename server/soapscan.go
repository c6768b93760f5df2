package server

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"
)

// scanSOAP reads the envelopes SOAP clients send without encoding/xml, whose decoding was
// a third of an orderstate request's CPU (about 40 allocations for four parameters). It
// takes only a plain subset of XML: an optional UTF-8 declaration, elements with ASCII
// names and quoted attributes, text without references, comments, no CDATA, DOCTYPE or
// processing instructions, no carriage returns. On anything else, and on every error, it
// reports ok=false and parseSOAP hands the body to encoding/xml, which reads the rest of XML
// and words every refusal: scanSOAP never refuses and never accepts what encoding/xml would
// refuse. FuzzScanSOAP holds it to that, and to the same request as encoding/xml's.
func scanSOAP(body []byte, maxDepth int) (req *soapRequest, ok bool) {
	b := newSOAPBuilder(maxDepth)
	var stack [16][]byte
	open := stack[:0] // raw names of the open elements, as written
	i := skipSpace(body, 0)
	if bytes.HasPrefix(body[i:], []byte("<?xml")) {
		end := bytes.Index(body[i:], []byte("?>"))
		if end < 0 || !plainDeclaration(body[i+len("<?xml"):i+end]) {
			return nil, false
		}
		i = skipSpace(body, i+end+len("?>"))
	}
	rooted := false
	for i < len(body) {
		lt := bytes.IndexByte(body[i:], '<')
		if lt < 0 {
			lt = len(body) - i
		}
		if text := body[i : i+lt]; len(text) > 0 {
			if len(open) == 0 {
				if skipSpace(text, 0) != len(text) {
					return nil, false // text outside the root
				}
			} else {
				if !plainText(text, false) {
					return nil, false
				}
				b.chars(text)
			}
		}
		i += lt
		if i >= len(body) {
			break
		}
		if i+1 >= len(body) {
			return nil, false
		}
		switch body[i+1] {
		case '/':
			name, n := scanName(body, i+2)
			j := skipSpace(body, n)
			if name == nil || j >= len(body) || body[j] != '>' || len(open) == 0 || !bytes.Equal(open[len(open)-1], name) {
				return nil, false
			}
			open = open[:len(open)-1]
			if !b.endRaw(len(open), name) {
				return nil, false
			}
			i = j + 1
		case '!':
			// A comment (SoapUI writes <!--Optional:--> before fields); CDATA and DTDs are
			// left to encoding/xml.
			end := -1
			if bytes.HasPrefix(body[i:], []byte("<!--")) {
				end = bytes.Index(body[i+4:], []byte("-->"))
			}
			if end < 0 || !plainComment(body[i+4:i+4+end]) {
				return nil, false
			}
			i += 4 + end + 3
		case '?':
			return nil, false
		default:
			if len(open) == 0 && rooted {
				return nil, false // a second root
			}
			rooted = true
			name, next, selfClosing, ok := scanStart(b, body, i, len(open))
			if !ok {
				return nil, false
			}
			if selfClosing {
				if !b.endRaw(len(open), name) {
					return nil, false
				}
			} else {
				open = append(open, name)
			}
			i = next
		}
	}
	if !rooted || len(open) != 0 {
		return nil, false
	}
	req, err := b.done()
	return req, err == nil
}

// scanStart reads the start tag at body[i] (its '<') of an element at depth and hands it to
// b: names and attributes are turned into strings only down to the operation's element,
// the only ones the builder reads. It returns the element's name as written and the offset
// after the tag.
func scanStart(b *soapBuilder, body []byte, i, depth int) (raw []byte, next int, selfClosing, ok bool) {
	raw, j := scanName(body, i+1)
	if raw == nil {
		return nil, 0, false, false
	}
	var name xml.Name
	var attrs []xml.Attr
	keep := depth <= 2
	if keep {
		if name, ok = splitName(raw); !ok {
			return nil, 0, false, false
		}
	} else if !plainName(raw) {
		return nil, 0, false, false
	}
	for {
		k := skipSpace(body, j)
		if k >= len(body) {
			return nil, 0, false, false
		}
		switch {
		case body[k] == '>':
			next = k + 1
		case body[k] == '/' && k+1 < len(body) && body[k+1] == '>':
			next, selfClosing = k+2, true
		case k == j:
			return nil, 0, false, false // an attribute must follow whitespace
		default:
			an, m := scanName(body, k)
			if an == nil || m >= len(body) || body[m] != '=' || m+1 >= len(body) {
				return nil, 0, false, false
			}
			q := body[m+1]
			if q != '"' && q != '\'' {
				return nil, 0, false, false
			}
			vEnd := bytes.IndexByte(body[m+2:], q)
			if vEnd < 0 {
				return nil, 0, false, false
			}
			value := body[m+2 : m+2+vEnd]
			if !plainText(value, true) {
				return nil, 0, false, false
			}
			if !plainName(an) {
				return nil, 0, false, false
			}
			if keep {
				attrName, _ := splitName(an)
				attrs = append(attrs, xml.Attr{Name: attrName, Value: string(value)})
			}
			j = m + 2 + vEnd + 1
			continue
		}
		break
	}
	if b.start(depth, name, attrs) != nil {
		return nil, 0, false, false
	}
	return raw, next, selfClosing, true
}

// endRaw closes the element at depth whose name is raw, as written.
func (b *soapBuilder) endRaw(depth int, raw []byte) bool {
	local := ""
	if b.collects(depth) {
		n, _ := splitName(raw)
		local = n.Local
	}
	return b.end(depth, local) == nil
}

// scanName reads an ASCII XML name at body[i]; nil when there is none, or when a non-ASCII
// byte follows (a name encoding/xml may read further than this does).
func scanName(body []byte, i int) ([]byte, int) {
	j := i
	for j < len(body) {
		c := body[j]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == ':' ||
			j > i && ('0' <= c && c <= '9' || c == '-' || c == '.') {
			j++
			continue
		}
		if c >= utf8.RuneSelf {
			return nil, i
		}
		break
	}
	if j == i {
		return nil, i
	}
	return body[i:j], j
}

// splitName splits prefix:local as encoding/xml's RawToken does; names it would refuse or
// take whole (more than one colon, an empty side) are left to it.
func splitName(raw []byte) (xml.Name, bool) {
	if !plainName(raw) {
		return xml.Name{}, false
	}
	if c := bytes.IndexByte(raw, ':'); c >= 0 {
		return xml.Name{Space: string(raw[:c]), Local: string(raw[c+1:])}, true
	}
	return xml.Name{Local: string(raw)}, true
}

// plainName reports whether splitName would take raw, without building its strings.
func plainName(raw []byte) bool {
	c := bytes.IndexByte(raw, ':')
	return c < 0 || c > 0 && c < len(raw)-1 && bytes.IndexByte(raw[c+1:], ':') < 0
}

// plainText reports whether p is text encoding/xml would return as it stands: no
// references, markup or "]]>", no carriage return (XML turns CR LF into LF), only characters
// XML allows; in an attribute value (attr) no tab or line feed either.
func plainText(p []byte, attr bool) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&', c == '<', c == '\r':
				return false
			case c == '\t', c == '\n':
				if attr {
					return false
				}
			case c < 0x20:
				return false
			case c == ']' && bytes.HasPrefix(p[i:], []byte("]]>")):
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if !(r >= 0x80 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
		i += n
	}
	return true
}

// plainComment reports whether a comment's text is one encoding/xml skips as it stands:
// no "--" inside or before the closing "-->", no carriage return or control character.
func plainComment(p []byte) bool {
	if bytes.Contains(p, []byte("--")) || bytes.HasSuffix(p, []byte("-")) {
		return false
	}
	for _, c := range p {
		if c == '\r' || c < 0x20 && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}

// plainDeclaration reports whether the XML declaration's content (after "<?xml") is
// version 1.0 with UTF-8 or no encoding, written plainly enough that encoding/xml reads the
// same from it.
func plainDeclaration(p []byte) bool {
	if len(p) == 0 || skipSpace(p, 0) == 0 {
		return false
	}
	for i := skipSpace(p, 0); i < len(p); i = skipSpace(p, i) {
		name, j := scanName(p, i)
		if name == nil || j+1 >= len(p) || p[j] != '=' || (p[j+1] != '"' && p[j+1] != '\'') {
			return false
		}
		end := bytes.IndexByte(p[j+2:], p[j+1])
		if end < 0 {
			return false
		}
		value := string(p[j+2 : j+2+end])
		switch string(name) {
		case "version":
			if value != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(value, "utf-8") && !strings.EqualFold(value, "utf8") {
				return false
			}
		case "standalone":
			if value != "yes" && value != "no" {
				return false
			}
		default:
			return false
		}
		i = j + 2 + end + 1
		if i < len(p) && skipSpace(p, i) == i {
			return false // pseudo-attributes are separated by whitespace
		}
	}
	return true
}

// skipSpace returns the offset of the first byte at or after i that is not XML whitespace
// (carriage returns excepted: they are left to encoding/xml).
func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n') {
		i++
	}
	return i
}
