package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/server"
	"soapgate/signer"
)

func TestServer_WSDL(t *testing.T) {
	ts := newTestServer(t)
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, path := range []string{
		"/orderstate/orderstate.cfm?wsdl", "/orderstate/orderstate.wsdl", "/orderresult/orderresult.cfm?WSDL",
		"/charge/charge.wsdl", "/cancel/wscancel.wsdl", "/cancel/cancel.cfm?wsdl", "/recurrent/rp.wsdl",
		"/pay/silentpay.cfm?wsdl", "/pay/tokenpay.wsdl", "/scheduler/scheduler.cfm?wsdl",
	} {
		t.Run(path, func(t *testing.T) {
			res := ts.do(t, http.MethodGet, path, "", "")
			if got, want := res.Status, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if got, want := res.Header.Get("Content-Type"), "text/xml; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			doc := parseXML(t, res.Body)
			if got, want := find(t, doc, "/definitions").SelectAttrValue("targetNamespace", ""), "http://www.paysecure.ru/ws/"; got != want {
				t.Errorf("targetNamespace = %q, want %q", got, want)
			}
			addrs := doc.FindElements("//service/port/address")
			if len(addrs) == 0 {
				t.Fatal("no soap:address")
			}
			for _, a := range addrs {
				loc := a.SelectAttrValue("location", "")
				if !strings.HasPrefix(loc, "http://"+host+"/") {
					t.Errorf("soap:address = %q, want the request's host %s", loc, host)
				}
			}
			if strings.Contains(res.Body, "127.0.0.1:8080") {
				t.Errorf("the WSDL still names the default address")
			}
		})
	}
	t.Run("Host header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/charge/charge.wsdl", nil)
		req.Host = "pay.example.com:8443"
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		doc := etree.NewDocument()
		if _, err := doc.ReadFrom(res.Body); err != nil {
			t.Fatal(err)
		}
		if got, want := doc.FindElement("//service/port/address").SelectAttrValue("location", ""), "http://pay.example.com:8443/charge/charge.cfm"; got != want {
			t.Errorf("soap:address = %q, want %q", got, want)
		}
	})
	t.Run("no WSDL for JSON-only services", func(t *testing.T) {
		if got, want := ts.do(t, http.MethodGet, "/pay/oneclick/v1/token.cfm?wsdl", "", "").Status, http.StatusMethodNotAllowed; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
}

func TestServer_Routes(t *testing.T) {
	ts := newTestServer(t)
	t.Run("gateway.crt", func(t *testing.T) {
		res := ts.do(t, http.MethodGet, "/keys/gateway.crt", "", "")
		want, err := os.ReadFile(filepath.Join(keysDir, "gateway.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK || res.Body != string(want) {
			t.Errorf("status %d, body %q", res.Status, res.Body)
		}
		if got, want := res.Header.Get("Content-Type"), "application/x-pem-file"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		res := ts.do(t, http.MethodGet, "/healthz", "", "")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"status":"ok"`) {
			t.Errorf("healthz = %d %q", res.Status, res.Body)
		}
	})
	t.Run("method not allowed", func(t *testing.T) {
		res := ts.do(t, http.MethodPut, "/orderstate/orderstate.cfm", "text/xml", "")
		if got, want := res.Status, http.StatusMethodNotAllowed; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := res.Header.Get("Allow"), "GET, POST"; got != want {
			t.Errorf("Allow = %q, want %q", got, want)
		}
	})
	t.Run("admin unknown path", func(t *testing.T) {
		if got, want := ts.do(t, http.MethodGet, "/admin/other", "", "").Status, http.StatusNotFound; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
}

func TestServer_AdminClock(t *testing.T) {
	t.Run("without a token", func(t *testing.T) {
		ts := newTestServer(t, func(s *server.Server) { s.AdminToken = "" })
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if got, want := ts.do(t, m, "/admin/clock", "application/json", `{"advance":"1h"}`).Status, http.StatusNotFound; got != want {
				t.Errorf("%s status = %d, want %d", m, got, want)
			}
		}
	})
	t.Run("real clock", func(t *testing.T) {
		ts := newTestServer(t, func(s *server.Server) { s.TestClock = nil })
		if got, want := ts.do(t, http.MethodGet, "/admin/clock", "", "").Status, http.StatusNotFound; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})

	ts := newTestServer(t)
	admin := func(method, body, token string) response {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+"/admin/clock", strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, res.Body); err != nil {
			t.Fatal(err)
		}
		return response{Status: res.StatusCode, Header: res.Header, Body: b.String()}
	}
	t.Run("wrong token", func(t *testing.T) {
		res := admin(http.MethodGet, "", "nope")
		if got, want := res.Status, http.StatusUnauthorized; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("no WWW-Authenticate")
		}
	})
	before := ts.gw.Clock.Now()
	for _, tc := range []struct {
		name, method, body string
		status             int
	}{
		{"read", http.MethodGet, "", http.StatusOK},
		{"advance hours", http.MethodPost, `{"advance":"2h"}`, http.StatusOK},
		{"advance days", http.MethodPost, `{"advance":"3d"}`, http.StatusOK},
		{"set", http.MethodPost, `{"set":"2099-01-01T00:00:00Z"}`, http.StatusOK},
		{"backwards", http.MethodPost, `{"set":"2000-01-01T00:00:00Z"}`, http.StatusBadRequest},
		{"both", http.MethodPost, `{"set":"2099-01-01T00:00:00Z","advance":"1h"}`, http.StatusBadRequest},
		{"not JSON", http.MethodPost, `advance`, http.StatusBadRequest},
		{"bad duration", http.MethodPost, `{"advance":"soon"}`, http.StatusBadRequest},
		{"DELETE", http.MethodDelete, "", http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := admin(tc.method, tc.body, adminToken).Status, tc.status; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
		})
	}
	if got, want := ts.gw.Clock.Now().Format("2006-01-02"), "2099-01-01"; got != want {
		t.Errorf("clock = %s, want %s (was %s)", got, want, before)
	}
}

func TestServer_Limits(t *testing.T) {
	ts := newTestServer(t, func(s *server.Server) { s.MaxBody = 2048; s.MaxDepth = 8 })
	t.Run("body over MaxBody", func(t *testing.T) {
		body := envelope(false, "orderstate", creds("700001", "ordernumber", strings.Repeat("x", 4096)))
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", body)
		if got, want := res.Status, http.StatusRequestEntityTooLarge; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
	t.Run("nesting over MaxDepth", func(t *testing.T) {
		deep := strings.Repeat("<a>", 10) + "1" + strings.Repeat("</a>", 10)
		body := strings.Replace(envelope(false, "orderstate", creds("700001")), "<login>", deep+"<login>", 1)
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", body)
		if got, want := faultCodes(t, parseXML(t, res.Body)), "1/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}

// TestServer_Malformed: requests that are not well-formed SOAP are 1/1.
func TestServer_Malformed(t *testing.T) {
	ts := newTestServer(t)
	const env11 = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">`
	for name, body := range map[string]string{
		"not well-formed":        env11 + `<soap:Body><ws:orderstate xmlns:ws="http://www.paysecure.ru/ws/"><merchant_id>1</ws:orderstate>`,
		"DTD":                    `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>` + env11 + `<soap:Body><orderstate><login>&e;</login></orderstate></soap:Body></soap:Envelope>`,
		"no Envelope":            `<orderstate><merchant_id>700001</merchant_id></orderstate>`,
		"two Bodies":             env11 + `<soap:Body><orderstate/></soap:Body><soap:Body><orderstate/></soap:Body></soap:Envelope>`,
		"two Body children":      env11 + `<soap:Body><orderstate/><orderstate/></soap:Body></soap:Envelope>`,
		"empty Body":             env11 + `<soap:Body></soap:Body></soap:Envelope>`,
		"stray element":          env11 + `<soap:Other/><soap:Body><orderstate/></soap:Body></soap:Envelope>`,
		"processing instruction": env11 + `<?php echo 1; ?><soap:Body><orderstate/></soap:Body></soap:Envelope>`,
		"invalid UTF-8":          env11 + "<soap:Body><orderstate><login>\xff</login></orderstate></soap:Body></soap:Envelope>",
		"other charset":          `<?xml version="1.0" encoding="windows-1251"?>` + env11 + `<soap:Body><orderstate/></soap:Body></soap:Envelope>`,
		"unknown operation":      envelope(false, "orderstatus", creds("700001", "ordernumber", "X")),
		"mismatched end tag":     env11 + `<soap:Body><orderstate><login>x</password></orderstate></soap:Body></soap:Envelope>`,
		"unclosed Envelope":      env11 + `<soap:Body><orderstate><login>x</login></orderstate></soap:Body>`,
		"Body of another NS":     env11 + `<x:Body xmlns:x="urn:other"><orderstate/></x:Body></soap:Envelope>`,
		"undeclared prefix":      `<s:Envelope><s:Body><orderstate/></s:Body></s:Envelope>`,
	} {
		t.Run(name, func(t *testing.T) {
			res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml; charset=utf-8", body)
			if got, want := res.Status, http.StatusInternalServerError; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			doc := parseXML(t, res.Body)
			if got, want := faultCodes(t, doc), "1/1"; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
			if got, want := text(t, doc, "//Fault/faultcode"), "soap:Client"; got != want {
				t.Errorf("faultcode = %q, want %q", got, want)
			}
		})
	}
	t.Run("XML without a content type is SOAP", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "", envelope(false, "orderstate", creds("700001", "ordernumber", "none")))
		if got, want := faultCodes(t, parseXML(t, res.Body)), "10/201"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("SOAP 1.2 envelope under text/xml answers 1.2", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", envelope(true, "orderstat", creds("700001")))
		if got, want := res.Status, http.StatusBadRequest; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := text(t, parseXML(t, res.Body), "//Fault/Code/Value"), "soap:Sender"; got != want {
			t.Errorf("code = %q, want %q", got, want)
		}
	})
	t.Run("JSON not an object", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/json", `[1,2]`)
		if got, want := res.Status, http.StatusBadRequest; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := jsonFault(decodeJSON(t, res.Body)), "1/1"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
	t.Run("JSON invalid UTF-8", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/json", "{\"login\":\"\xff\"}")
		if got, want := jsonFault(decodeJSON(t, res.Body)), "1/1"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
	t.Run("form invalid UTF-8", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/x-www-form-urlencoded", "login=\xff&format=1")
		if got, want := codesOf(find(t, parseXML(t, res.Body), "/result")), "1/1/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("form not url-encoded", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/x-www-form-urlencoded", "login=%zz")
		if got, want := codesOf(find(t, parseXML(t, res.Body), "/result")), "1/1/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("JSON types", func(t *testing.T) {
		// Numbers, booleans, null and nested objects are read as their text.
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/json",
			`{"merchant":{"merchant_id":700001,"login":"demo_login","password":"demo_password1"},"ordernumber":null,"x":[1],"y":true}`)
		if got, want := jsonFault(decodeJSON(t, res.Body)), "5/107"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
}

// TestServer_XMLDSig: a merchant with xmldsig gets SOAP answers whose payload carries an
// enveloped signature that verifies with the gateway certificate.
func TestServer_XMLDSig(t *testing.T) {
	ts := newTestServer(t)
	for _, v12 := range []bool{false, true} {
		name := map[bool]string{false: "SOAP 1.1", true: "SOAP 1.2"}[v12]
		t.Run(name, func(t *testing.T) {
			ct := map[bool]string{false: "text/xml", true: "application/soap+xml"}[v12]
			res := ts.post(t, "/pay/silentpay.cfm", ct, envelope(v12, "silentpay", cardPay("700004", "DS-"+name)))
			if got, want := res.Status, http.StatusOK; got != want {
				t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
			}
			doc := parseXML(t, res.Body)
			payload := find(t, doc, "//silentpayResponse")
			if got, want := payload.SelectAttrValue("Id", ""), "soapgate-payload"; got != want {
				t.Errorf("Id = %q, want %q", got, want)
			}
			verified, err := signer.VerifyElement(payload, ts.cert)
			if err != nil {
				t.Fatalf("signature does not verify: %v\n%s", err, res.Body)
			}
			f := childMap(verified.SelectElement("order"))
			if got, want := f["orderstate"], "Approved"; got != want {
				t.Errorf("orderstate = %q, want %q", got, want)
			}
			ts.verifySeal(t, "700004", replyX("700004", f), f["checkvalue"], f["signature"])

			// Tampering breaks it.
			tampered := find(t, parseXML(t, res.Body), "//silentpayResponse")
			tampered.SelectElement("order").SelectElement("amount").SetText("1.00")
			if _, err := signer.VerifyElement(tampered, ts.cert); err == nil {
				t.Errorf("a tampered payload verifies")
			}
		})
	}
	t.Run("other merchants are not signed", func(t *testing.T) {
		res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "DS-N"))
		if strings.Contains(res.Body, "SignedInfo") {
			t.Errorf("answer to a merchant without xmldsig is signed")
		}
	})
	t.Run("errors are not signed", func(t *testing.T) {
		res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700004", "DS-E", "orderamount", "x"))
		if got, want := faultCodes(t, doc), "5/108"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if strings.Contains(res.Body, "SignedInfo") {
			t.Errorf("a fault is signed")
		}
	})
}

// TestRecoverer: a panic becomes a 500 and a log line; http.ErrAbortHandler passes through.
func TestRecoverer(t *testing.T) {
	var log strings.Builder
	h := server.Recoverer(slog.New(slog.NewTextHandler(&log, nil)), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Errorf("status = %d, want %d", got, want)
	}
	if !strings.Contains(log.String(), "boom") {
		t.Errorf("log = %q, want the panic", log.String())
	}
	abort := server.Recoverer(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/x", nil))
}

// TestServer_Parameters: a POST reads its body only, card data never comes from a URL, and a
// parameter given twice with different values is refused (5/110) in every transport.
func TestServer_Parameters(t *testing.T) {
	ts := newTestServer(t)
	ts.pay(t, "700001", "PA-1")
	t.Run("POST ignores the query", func(t *testing.T) {
		body := url.Values{"merchant_id": {"700001"}, "login": {"demo_login"}, "password": {"demo_password1"}, "format": {"1"}}
		res := ts.post(t, "/orderstate/orderstate.cfm?ordernumber=PA-1", "application/x-www-form-urlencoded", body.Encode())
		if got, want := strings.TrimSpace(res.Body), "5;107"; got != want {
			t.Errorf("answer = %q, want %q (ordernumber only in the URL)", got, want)
		}
	})
	t.Run("card data in the URL of a form post", func(t *testing.T) {
		v := url.Values{}
		for k, val := range cardPay("700001", "PA-3") {
			if k != "cardnumber" {
				v.Set(k, val)
			}
		}
		res := ts.post(t, "/pay/silentpay.cfm?cardnumber=4111111111111111", "application/x-www-form-urlencoded", v.Encode())
		if got, want := codesOf(find(t, parseXML(t, res.Body), "/result")), "5/110/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("card data in the URL of a form post with Format=1", func(t *testing.T) {
		v := url.Values{}
		for k, val := range cardPay("700001", "PA-4", "format", "1") {
			if k != "cardnumber" {
				v.Set(k, val)
			}
		}
		res := ts.post(t, "/pay/silentpay.cfm?cardnumber=4111111111111111", "application/x-www-form-urlencoded", v.Encode())
		if got, want := strings.TrimSpace(res.Body), "5;110"; got != want {
			t.Errorf("answer = %q, want %q", got, want)
		}
	})
	t.Run("card data in the URL of a SOAP call", func(t *testing.T) {
		res := ts.post(t, "/pay/silentpay.cfm?CardNumber=4111111111111111", "text/xml", envelope(false, "silentpay", cardPay("700001", "PA-2")))
		if got, want := faultCodes(t, parseXML(t, res.Body)), "5/110"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("form twice", func(t *testing.T) {
		body := "merchant_id=700001&login=demo_login&password=demo_password1&ordernumber=PA-1&OrderNumber=PA-2&format=1"
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/x-www-form-urlencoded", body)
		if got, want := strings.TrimSpace(res.Body), "5;110"; got != want {
			t.Errorf("answer = %q, want %q in the asked format", got, want)
		}
	})
	t.Run("JSON twice", func(t *testing.T) {
		res := ts.post(t, "/orderstate/orderstate.cfm", "application/json",
			`{"merchant_id":"700001","login":"demo_login","password":"demo_password1","ordernumber":"PA-1","OrderNumber":"PA-2"}`)
		if got, want := jsonFault(decodeJSON(t, res.Body)), "5/110"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
	t.Run("SOAP twice", func(t *testing.T) {
		body := strings.Replace(envelope(false, "orderstate", creds("700001", "ordernumber", "PA-1")),
			"<ordernumber>", "<OrderNumber>PA-2</OrderNumber><ordernumber>", 1)
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", body)
		if got, want := faultCodes(t, parseXML(t, res.Body)), "5/110"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("SOAP twice, same value", func(t *testing.T) {
		body := strings.Replace(envelope(false, "orderstate", creds("700001", "ordernumber", "PA-1")),
			"<ordernumber>", "<ordernumber>PA-1</ordernumber><ordernumber>", 1)
		res := ts.post(t, "/orderstate/orderstate.cfm", "text/xml", body)
		if got, want := res.Status, http.StatusOK; got != want {
			t.Errorf("status = %d, want %d: %s", got, want, res.Body)
		}
	})
}
