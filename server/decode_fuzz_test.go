package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"soapgate/gateway"
)

// FuzzDecode feeds arbitrary bodies to the request decoder in every transport: it must never
// panic, and every refusal must be a coded *gateway.Error (1/1 or 5/110), never a raw error.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>700001</merchant_id></ws:orderstate></soap:Body></soap:Envelope>`,
		`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`,
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header/><soap:Body><x><y><z>1</z></y></x></soap:Body></soap:Envelope>`,
		`Merchant_ID=700001&Format=5&OrderNumber=%D0%90`,
		`{"merchant":{"merchant_id":"700001"},"amount":1.5,"x":[1,2],"y":null}`,
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	types := []string{"text/xml", "application/soap+xml", "application/x-www-form-urlencoded", "application/json", ""}
	f.Fuzz(func(t *testing.T, body string, ct uint8) {
		r := httptest.NewRequest("POST", "/orderstate/orderstate.cfm?Format=1", strings.NewReader(body))
		r.Header.Set("Content-Type", types[int(ct)%len(types)])
		c, err := decode(r, []byte(body), DefaultMaxDepth)
		if c == nil {
			t.Fatal("decode returned no call")
		}
		if err != nil {
			e := gateway.AsError(err)
			if e == gateway.ErrInternal || (e.First != 1 && e.First != 5) {
				t.Fatalf("decode error is not a client error: %v", err)
			}
			return
		}
		if c.soap && c.operation == "" {
			t.Fatal("SOAP call without an operation")
		}
	})
}

// BenchmarkParseSOAP is the SOAP request parser alone, on orderstate's envelope.
func BenchmarkParseSOAP(b *testing.B) {
	env := []byte(`<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="http://www.paysecure.ru/ws/"><soapenv:Header/><soapenv:Body><ws:orderstate><merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password><ordernumber>bench-1</ordernumber></ws:orderstate></soapenv:Body></soapenv:Envelope>`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSOAP(env, DefaultMaxDepth); err != nil {
			b.Fatal(err)
		}
	}
}

// The namespaces of Envelope and Body are resolved from declarations on the element itself
// or on the Envelope: default namespaces, and a prefix (re)declared on Body, are SOAP too.
func TestParseSOAP_Namespaces(t *testing.T) {
	for name, body := range map[string]string{
		"default namespace":  `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><orderstate xmlns="urn:x"><login>l</login></orderstate></Body></Envelope>`,
		"prefix on Body":     `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><b:Body xmlns:b="http://www.w3.org/2003/05/soap-envelope"><orderstate><login>l</login></orderstate></b:Body></e:Envelope>`,
		"redeclared on Body": `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><orderstate><login>l</login></orderstate></s:Body></s:Envelope>`,
	} {
		req, err := parseSOAP([]byte(body), DefaultMaxDepth)
		if err != nil || req.operation != "orderstate" || req.params["login"] != "l" {
			t.Errorf("%s: %v %+v", name, err, req)
		}
	}
	if _, err := parseSOAP([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body xmlns:s="urn:other"><orderstate/></s:Body></s:Envelope>`), DefaultMaxDepth); err == nil {
		t.Error("a Body whose prefix is redeclared to another namespace was taken as SOAP's")
	}
}
