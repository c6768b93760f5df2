package wire

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"sort"
	"strconv"
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
func (p Params) SetJSON(body []byte, maxDepth int) error {
	if !utf8.Valid(body) {
		return malformed("request is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return malformed("request is not a JSON object: %v", err)
	}
	if err := repeatedKeys(body); err != nil {
		return err
	}
	return p.flatten(v, 0, maxDepth)
}

func (p Params) flatten(v map[string]any, depth, maxDepth int) error {
	if depth > maxDepth {
		return malformed("JSON is nested deeper than %d levels", maxDepth)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var s string
		switch t := v[k].(type) {
		case string:
			s = t
		case json.Number:
			s = t.String()
		case bool:
			s = strconv.FormatBool(t)
		case nil:
		case map[string]any:
			if strings.EqualFold(k, "paymenttoken") {
				// tokenpay's PaymentToken sent as an object means what its JSON text means as
				// a string; its members must not become parameters of their own (a
				// CustomerNumber would join the Signature's X).
				enc, _ := json.Marshal(t)
				s = string(enc)
				break
			}
			if err := p.flatten(t, depth+1, maxDepth); err != nil {
				return err
			}
			continue
		default:
			enc, _ := json.Marshal(t)
			s = string(enc)
		}
		if err := p.Set(k, s); err != nil {
			return err
		}
	}
	return nil
}

// repeatedKeys finds a key given twice in one JSON object with different values, which
// decoding into a map would silently settle.
func repeatedKeys(body []byte) error {
	type object struct {
		seen map[string]string
		key  string // the member whose value is being read; "" between members
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var stack []*object
	containers := 0 // a container value is never equal to another
	value := func(v string) error {
		if len(stack) == 0 {
			return nil
		}
		top := stack[len(stack)-1]
		if top == nil || top.key == "" {
			return nil
		}
		k := strings.ToLower(top.key)
		if old, ok := top.seen[k]; ok && old != v {
			return gateway.Invalid(gateway.CodeParam, "parameter %s is given twice with different values", k)
		}
		top.seen[k], top.key = v, ""
		return nil
	}
	for {
		t, err := d.Token()
		if err == io.EOF || err != nil {
			return nil // the decoder has judged the syntax already
		}
		inObject := len(stack) > 0 && stack[len(stack)-1] != nil
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &object{seen: map[string]string{}})
			case '[':
				stack = append(stack, nil) // arrays hold no keys
			case '}', ']':
				stack = stack[:len(stack)-1]
				containers++
				if err := value("\x00" + strconv.Itoa(containers)); err != nil {
					return err
				}
			}
			continue
		case string:
			if inObject && stack[len(stack)-1].key == "" {
				stack[len(stack)-1].key = t
				continue
			}
			if err := value(t); err != nil {
				return err
			}
		default:
			if err := value(strings.TrimSpace(jsonText(t))); err != nil {
				return err
			}
		}
	}
}

func jsonText(t json.Token) string {
	b, _ := json.Marshal(t)
	return string(b)
}
