package wire

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"soapgate/gateway"
)

// Params are a request's parameters by lowercase name (names match case-insensitively in
// every transport), each with the one value the client sent.
type Params map[string]string

// Get returns a parameter by its lowercase name.
func (p Params) Get(name string) string { return p[name] }

// Set records a parameter. The same name again, in any letter case or transport, with
// another value is refused with 5/110 naming it: which of two amounts or merchants counts
// must never be left to chance.
func (p Params) Set(name, value string) error {
	key := strings.ToLower(name)
	value = trimValue(key, value)
	if old, ok := p[key]; ok && old != value {
		return gateway.Invalid(gateway.CodeParam, "parameter %s is given twice with different values", key)
	}
	p[key] = value
	return nil
}

// SetValues records url-encoded parameters (a form body or a query).
func (p Params) SetValues(v url.Values) error {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, val := range v[k] {
			if err := p.Set(k, val); err != nil {
				return err
			}
		}
	}
	return nil
}

// trimValue trims spaces around a value, except a Signature's: Assist's PHP SDK sends
// Ed25519 signatures as 64 raw bytes, which may begin or end with a space byte.
func trimValue(key, v string) string {
	if key == "signature" && len(v) == 64 {
		return v
	}
	return strings.TrimSpace(v)
}

func malformed(format string, args ...any) error { return gateway.Errorf(1, 1, format, args...) }

// SetJSON records the members of a JSON object; nested objects give their members (token.cfm
// sends {"merchant":{"merchant_id":…}}), scalars their literal text, arrays their JSON text.
// A key repeated with another value, in one object or across them, is refused like a form's.
// The body is read once, as a stream of tokens.
func (p Params) SetJSON(body []byte, maxDepth int) error {
	if !utf8.Valid(body) {
		return malformed("request is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return malformed("request is not a JSON object")
	}
	return p.object(d, body, 0, maxDepth)
}

// object reads the members of an object whose '{' has been read, up to its '}'.
func (p Params) object(d *json.Decoder, body []byte, depth, maxDepth int) error {
	if depth > maxDepth {
		return malformed("JSON is nested deeper than %d levels", maxDepth)
	}
	seen := map[string]string{} // lowercase key → the value's JSON text, within this object
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return malformed("request is not a JSON object: %v", err)
		}
		key := t.(string) // inside an object, the decoder yields keys as strings
		start := d.InputOffset()
		var text string
		if nextByte(body, start) == '{' && !opaque(key) {
			d.Token() // the '{'
			if err := p.object(d, body, depth+1, maxDepth); err != nil {
				return err
			}
			text = string(body[start:d.InputOffset()])
		} else {
			var v json.RawMessage
			if err := d.Decode(&v); err != nil {
				return malformed("request is not a JSON object: %v", err)
			}
			if text = string(v); len(v) > 0 {
				if err := p.Set(key, scalarText(v)); err != nil {
					return err
				}
			}
		}
		k := strings.ToLower(key)
		if old, ok := seen[k]; ok && old != text {
			return gateway.Invalid(gateway.CodeParam, "parameter %s is given twice with different values", k)
		}
		seen[k] = text
	}
	if _, err := d.Token(); err != nil { // the '}'
		return malformed("request is not a JSON object: %v", err)
	}
	return nil
}

// opaque names the members whose object value is one parameter, its JSON text, rather than
// members of their own: tokenpay's PaymentToken and the receipt's ChequeItems, which JSON
// clients send as objects and form clients as JSON strings.
func opaque(key string) bool {
	return strings.EqualFold(key, "paymenttoken") || strings.EqualFold(key, "chequeitems")
}

// nextByte is the first byte at or after off that is not white space or a ':'.
func nextByte(b []byte, off int64) byte {
	for i := int(off); i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ':':
			continue
		}
		return b[i]
	}
	return 0
}

// scalarText is a member's value as a parameter: a string's text, a number's or boolean's
// literal, "" for null, and an array's (or an opaque object's: tokenpay's PaymentToken,
// ChequeItems) compact JSON text: a PaymentToken sent as an object means what its text means
// as a string, and its members must not become parameters of their own (a CustomerNumber
// would join the Signature's X; a line's "amount" would clash with the order's).
func scalarText(v json.RawMessage) string {
	switch v[0] {
	case '"':
		var s string
		json.Unmarshal(v, &s)
		return s
	case 'n':
		return ""
	case '[', '{':
		var b bytes.Buffer
		json.Compact(&b, v)
		return b.String()
	}
	return string(v)
}
