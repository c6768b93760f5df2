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
