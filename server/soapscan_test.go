package server

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// clientEnvelopes are orderstate calls as SOAP toolkits write them.
var clientEnvelopes = map[string]string{
	"PHP SoapClient": `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://www.paysecure.ru/ws/"><SOAP-ENV:Body><ns1:orderstate><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>A-1</ordernumber></ns1:orderstate></SOAP-ENV:Body></SOAP-ENV:Envelope>
`,
	"python zeep": `<?xml version='1.0' encoding='utf-8'?>
<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:orderstate xmlns:ns0="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>A-1</ordernumber></ns0:orderstate></soap-env:Body></soap-env:Envelope>`,
	"gSOAP": `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:ws="http://www.paysecure.ru/ws/"><SOAP-ENV:Body><ws:orderstate><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>A-1</ordernumber></ws:orderstate></SOAP-ENV:Body></SOAP-ENV:Envelope>
`,
	"node soap": `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="http://www.paysecure.ru/ws/"><soap:Body><tns:orderstate><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>A-1</ordernumber></tns:orderstate></soap:Body></soap:Envelope>`,
	"SoapUI, indented, with its comments": `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://www.paysecure.ru/ws/">
   <soapenv:Header/>
   <soapenv:Body>
      <ws:orderstate>
         <!--Optional:-->
         <merchant_id>700001</merchant_id>
         <login>demo_login</login>
         <password>demo_password1</password>
         <ordernumber>A-1</ordernumber>
      </ws:orderstate>
   </soapenv:Body>
</soapenv:Envelope>`,
	"SOAP 1.2, default namespace, Cyrillic text": `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><orderstate xmlns="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>Заказ №1</ordernumber><comment/></orderstate></Body></Envelope>`,
}

// TestScanSOAP_ClientEnvelopes: what SOAP toolkits send takes the fast path, and means what
// encoding/xml reads in it.
func TestScanSOAP_ClientEnvelopes(t *testing.T) {
	for name, env := range clientEnvelopes {
		fast, ok := scanSOAP([]byte(env), DefaultMaxDepth)
		if !ok {
			t.Errorf("%s: left to encoding/xml", name)
			continue
		}
		slow, err := decodeSOAP([]byte(env), DefaultMaxDepth)
		if err != nil {
			t.Fatalf("%s: encoding/xml refuses it: %v", name, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: scanned %+v, encoding/xml read %+v", name, fast, slow)
		}
		if fast.operation != "orderstate" || fast.params["merchant_id"] != "700001" || fast.params["ordernumber"] == "" {
			t.Errorf("%s: %+v", name, fast)
		}
	}
}

// TestScanSOAP_LeavesTheRest: XML outside the plain subset goes to encoding/xml, which
// accepts or refuses it as before.
func TestScanSOAP_LeavesTheRest(t *testing.T) {
	base := clientEnvelopes["PHP SoapClient"]
	for name, env := range map[string]string{
		"entity reference":     strings.Replace(base, "A-1", "A&amp;1", 1),
		"character reference":  strings.Replace(base, "A-1", "A&#49;", 1),
		"CDATA":                strings.Replace(base, "A-1", "<![CDATA[A-1]]>", 1),
		"CR LF":                strings.ReplaceAll(base, "\n", "\r\n"),
		"DOCTYPE":              strings.Replace(base, "\n", `<!DOCTYPE x [<!ENTITY a "b">]>`, 1),
		"processing instr.":    strings.Replace(base, "<merchant_id>", "<?php x?><merchant_id>", 1),
		"latin1 declaration":   strings.Replace(base, "UTF-8", "ISO-8859-1", 1),
		"XML 1.1":              strings.Replace(base, `version="1.0"`, `version="1.1"`, 1),
		"non-ASCII name":       strings.Replace(base, "<login>demo_login</login>", "<логин>x</логин>", 1),
		"unclosed":             strings.TrimSuffix(strings.TrimSpace(base), "</SOAP-ENV:Envelope>"),
		"mismatched end":       strings.Replace(base, "</login>", "</logon>", 1),
		"not SOAP":             `<a><b>1</b></a>`,
		"two Bodies":           strings.Replace(base, "</SOAP-ENV:Body>", "</SOAP-ENV:Body><SOAP-ENV:Body><x/></SOAP-ENV:Body>", 1),
		"text after the root":  base + "junk",
		"dash ending comment":  strings.Replace(base, "<login>", "<!-- x---><login>", 1),
		"unquoted attribute":   strings.Replace(base, `xmlns:ns1="http://www.paysecure.ru/ws/"`, `xmlns:ns1=x`, 1),
		"attributes unspaced":  strings.Replace(base, `" xmlns:ns1`, `"xmlns:ns1`, 1),
		"repeated parameter":   strings.Replace(base, "</login>", "</login><login>other</login>", 1),
		"too deep for a limit": base,
	} {
		depth := DefaultMaxDepth
		if name == "too deep for a limit" {
			depth = 3
		}
		if _, ok := scanSOAP([]byte(env), depth); ok {
			t.Errorf("%s: taken by the fast path", name)
		}
	}
}

// FuzzScanSOAP: whatever the fast path takes, encoding/xml takes too, with the same meaning.
func FuzzScanSOAP(f *testing.F) {
	for _, env := range clientEnvelopes {
		f.Add(env, uint8(DefaultMaxDepth))
	}
	f.Add(`<?xml version="1.0" standalone="yes"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body a='1' b="2"><op><w><x>1</x><y/></w>text</op></s:Body></s:Envelope>`, uint8(5))
	f.Fuzz(func(t *testing.T, env string, depth uint8) {
		body := []byte(env)
		if !utf8.Valid(body) {
			return // parseSOAP refuses these before either reader
		}
		fast, ok := scanSOAP(body, int(depth))
		if !ok {
			return
		}
		slow, err := decodeSOAP(body, int(depth))
		if err != nil {
			t.Fatalf("the fast path took what encoding/xml refuses (%v):\n%q", err, env)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("scanned %+v, encoding/xml read %+v:\n%q", fast, slow, env)
		}
	})
}

// BenchmarkParseSOAP_Readers: the fast path and encoding/xml on the same envelopes, in one
// run (compare ns/op and allocs/op).
func BenchmarkParseSOAP_Readers(b *testing.B) {
	for _, name := range []string{"PHP SoapClient", "SoapUI, indented, with its comments"} {
		env := []byte(clientEnvelopes[name])
		b.Run("scan/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := scanSOAP(env, DefaultMaxDepth); !ok {
					b.Fatal("left to encoding/xml")
				}
			}
		})
		b.Run("encoding-xml/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeSOAP(env, DefaultMaxDepth); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestScanSOAP_Subset: the declarations, texts and attribute values the fast path takes, and
// the ones it leaves to encoding/xml; both ways the answer is encoding/xml's.
func TestScanSOAP_Subset(t *testing.T) {
	env := func(decl, text, attr string) string {
		return decl + `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><op a="` + attr +
			`"><login>` + text + `</login></op></s:Body></s:Envelope>`
	}
	for _, tc := range []struct {
		name, body string
		fast       bool
	}{
		{"no declaration", env("", "l", "v"), true},
		{"standalone", env(`<?xml version="1.0" encoding="utf8" standalone="no"?>`, "l", "v"), true},
		{"declaration without version", env(`<?xml encoding="UTF-8"?>`, "l", "v"), true},
		{"empty declaration", env(`<?xml?>`, "l", "v"), false},
		{"xml-ish target", env(`<?xmlfoo version="1.0"?>`, "l", "v"), false},
		{"spaces around =", env(`<?xml version = "1.0"?>`, "l", "v"), false},
		{"unknown pseudo-attribute", env(`<?xml version="1.0" foo="bar"?>`, "l", "v"), false},
		{"pseudo-attributes unspaced", env(`<?xml version="1.0"encoding="UTF-8"?>`, "l", "v"), false},
		{"standalone maybe", env(`<?xml version="1.0" standalone="maybe"?>`, "l", "v"), false},
		{"unclosed declaration", `<?xml version="1.0"`, false},
		{"tab and newline in text", env("", "a\tb\nc", "v"), true},
		{"> in text and attribute", env("", "a>b", "x>y"), true},
		{"DEL and Cyrillic", env("", "a\x7fЖ", "Ж"), true},
		{"control character", env("", "a\x01b", "v"), false},
		{"U+FFFE", env("", "a\uFFFEb", "v"), false},
		{"]]> in text", env("", "a]]>b", "v"), false},
		{"tab in an attribute", env("", "l", "a\tb"), false},
		{"< in an attribute", env("", "l", "a<b"), false},
		{"digit starting a name", strings.Replace(env("", "l", "v"), "<login>l</login>", "<1x>l</1x>", 1), false},
		{"two colons in a name", strings.Replace(env("", "l", "v"), "<login>l</login>", "<a:b:c>l</a:b:c>", 1), false},
		{"self-closing root", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fast, ok := scanSOAP([]byte(tc.body), DefaultMaxDepth)
			if ok != tc.fast {
				t.Fatalf("fast path took it: %v, want %v", ok, tc.fast)
			}
			slow, err := decodeSOAP([]byte(tc.body), DefaultMaxDepth)
			if ok && (err != nil || !reflect.DeepEqual(fast, slow)) {
				t.Fatalf("scanned %+v, encoding/xml: %+v %v", fast, slow, err)
			}
		})
	}
}
