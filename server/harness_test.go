package server_test

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/server"
	"soapgate/signer"
	"soapgate/store"
	"soapgate/wire"
)

// The merchants of the test server. 700001 signs optionally and gets both checkvalue and
// signature; 700002 must sign its payments and gets only a signature; 700003 gets only a
// checkvalue; 700004 gets XML-DSig signed SOAP answers.
const (
	keysDir    = "../fixtures/keys"
	adminToken = "admin-secret"
)

var merchantLogins = map[string][2]string{
	"700001": {"demo_login", "demo_password1"},
	"700002": {"other_login", "other_password2"},
	"700003": {"md5_login", "md5_password3"},
	"700004": {"dsig_login", "dsig_password4"},
}

// testServer is a real gateway on a SQLite store in a temporary folder, behind server.Server
// on an httptest server.
type testServer struct {
	*httptest.Server
	gw        *gateway.Gateway
	merchants map[string]*gateway.Merchant
	cert      *x509.Certificate
	key700002 *rsa.PrivateKey
}

type option func(*server.Server)

func newTestServer(t testing.TB, opts ...option) *testServer {
	t.Helper()
	key, err := signer.LoadPrivateKey(filepath.Join(keysDir, "gateway.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM, err := signer.LoadCertificate(filepath.Join(keysDir, "gateway.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pub1, err := signer.LoadPublicKey(filepath.Join(keysDir, "merchant-700001.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := signer.LoadPublicKey(filepath.Join(keysDir, "merchant-700002.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	priv2, err := signer.LoadPrivateKey(filepath.Join(keysDir, "merchant-700002.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "soapgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock, err := gateway.NewTestClock(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	merchant := func(id, secret, reqSig, respSec string, pub any) *gateway.Merchant {
		lp := merchantLogins[id]
		return &gateway.Merchant{ID: id, Name: "Shop " + id, Login: lp[0], Password: lp[1], Secret: secret,
			PublicKey: pub, RequestSignature: reqSig, ResponseSecurity: respSec, Currency: "RUB", TestMode: true,
			Notify: gateway.NotifyConfig{Protocol: "post", Events: map[gateway.Event]bool{}}}
	}
	ms := []*gateway.Merchant{
		merchant("700001", "demo-secret", "optional", "both", pub1),
		merchant("700002", "other-secret", "required", "rsa", pub2),
		merchant("700003", "md5-secret", "off", "md5", nil),
		merchant("700004", "dsig-secret", "off", "both", nil),
	}
	ms[3].Notify.XMLDSig = true
	byID := map[string]*gateway.Merchant{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	logger := slog.New(slog.DiscardHandler)
	proc := processor.Test{}
	gw := &gateway.Gateway{Store: db, Processor: proc, Clock: clock, Merchants: gateway.NewMerchants(ms),
		Logger: logger, Jobs: &gateway.Jobs{}}
	dsig, err := signer.NewXMLSigner(key, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Gateway: gw, Wire: wire.Mapping{Signer: signer.New(key), Acquirer: proc},
		DSig: dsig, CertPEM: certPEM, Ping: db.Ping, Logger: logger, AdminToken: adminToken, TestClock: clock}
	for _, o := range opts {
		o(srv)
	}
	h, err := srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &testServer{Server: hs, gw: gw, merchants: byID, cert: cert, key700002: priv2}
}

// params are request parameters; the merchant's credentials are added by creds.
type params map[string]string

func creds(id string, kv ...string) params {
	lp := merchantLogins[id]
	p := params{"merchant_id": id, "login": lp[0], "password": lp[1]}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

func (p params) with(kv ...string) params {
	out := params{}
	for k, v := range p {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// cardPay is a silentpay request of merchant id for an approved one-stage payment.
func cardPay(id, orderNumber string, kv ...string) params {
	return creds(id, "ordernumber", orderNumber, "orderamount", "100.00", "ordercurrency", "RUB",
		"cardnumber", "4111111111111111", "expiremonth", "12", "expireyear", "2030", "cvc2", "123",
		"cardholder", "IVAN IVANOV", "lastname", "Ivanov", "firstname", "Ivan", "middlename", "Petrovich",
		"email", "ivan@example.com").with(kv...)
}

// envelope builds a SOAP request (1.1 or 1.2) with params as unqualified children, sorted.
func envelope(v12 bool, element string, p params) string {
	ns := "http://schemas.xmlsoap.org/soap/envelope/"
	if v12 {
		ns = "http://www.w3.org/2003/05/soap-envelope"
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="` + ns + `"><soap:Body>`)
	b.WriteString(`<ws:` + element + ` xmlns:ws="http://www.paysecure.ru/ws/">`)
	for _, k := range keys {
		b.WriteString("<" + k + ">")
		_ = xmlEscape(&b, p[k])
		b.WriteString("</" + k + ">")
	}
	b.WriteString(`</ws:` + element + `></soap:Body></soap:Envelope>`)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	_, err := r.WriteString(b, s)
	return err
}

// response is an HTTP answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (ts *testServer) do(t testing.TB, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (ts *testServer) post(t testing.TB, path, contentType, body string) response {
	t.Helper()
	return ts.do(t, http.MethodPost, path, contentType, body)
}

// soap posts a SOAP 1.1 request and parses the answer.
func (ts *testServer) soap(t testing.TB, path, element string, p params) (response, *etree.Document) {
	t.Helper()
	res := ts.post(t, path, "text/xml; charset=utf-8", envelope(false, element, p))
	return res, parseXML(t, res.Body)
}

// soap12 posts a SOAP 1.2 request and parses the answer.
func (ts *testServer) soap12(t testing.TB, path, element string, p params) (response, *etree.Document) {
	t.Helper()
	res := ts.post(t, path, "application/soap+xml; charset=utf-8", envelope(true, element, p))
	return res, parseXML(t, res.Body)
}

// form posts an url-encoded form.
func (ts *testServer) form(t testing.TB, path string, p params) response {
	t.Helper()
	v := url.Values{}
	for k, val := range p {
		v.Set(k, val)
	}
	return ts.post(t, path, "application/x-www-form-urlencoded", v.Encode())
}

// json posts a JSON body and decodes the answer.
func (ts *testServer) json(t testing.TB, path string, body any) (response, any) {
	t.Helper()
	enc, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	res := ts.post(t, path, "application/json", string(enc))
	return res, decodeJSON(t, res.Body)
}

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, s)
	}
	return v
}

func parseXML(t testing.TB, s string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, s)
	}
	return doc
}

// find returns the element at an etree path, failing the test when there is none.
func find(t testing.TB, doc *etree.Document, path string) *etree.Element {
	t.Helper()
	el := doc.FindElement(path)
	if el == nil {
		s, _ := doc.WriteToString()
		t.Fatalf("no %s in\n%s", path, s)
	}
	return el
}

func text(t testing.TB, doc *etree.Document, path string) string {
	t.Helper()
	return find(t, doc, path).Text()
}

// codesOf reads firstcode/secondcode/count of an element.
func codesOf(el *etree.Element) string {
	return el.SelectAttrValue("firstcode", "?") + "/" + el.SelectAttrValue("secondcode", "?") + "/" + el.SelectAttrValue("count", "?")
}

// childNames lists the element names of an element's children, in order.
func childNames(el *etree.Element) []string {
	var out []string
	for _, c := range el.ChildElements() {
		out = append(out, c.Tag)
	}
	return out
}

// childMap maps an element's children to their text.
func childMap(el *etree.Element) map[string]string {
	m := map[string]string{}
	for _, c := range el.ChildElements() {
		m[c.Tag] = c.Text()
	}
	return m
}

// wireFields derives, from a type gowsdl generated, the names of its string child elements in
// declaration order: the order the WSDL's sequence gives and the server must follow.
func wireFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("xml"), ",")
		if f.Name == "XMLName" || name == "" || name == "-" || strings.Contains(opts, "attr") || strings.Contains(opts, "any") {
			continue
		}
		if f.Type.Kind() == reflect.String {
			out = append(out, name)
		}
	}
	return out
}

// faultCodes reads firstcode/secondcode from a SOAP Fault's detail.
func faultCodes(t testing.TB, doc *etree.Document) string {
	t.Helper()
	el := find(t, doc, "//Fault//error")
	return el.SelectAttrValue("firstcode", "?") + "/" + el.SelectAttrValue("secondcode", "?")
}

// jsonFault reads "faultcode/faultstring" of a JSON fault.
func jsonFault(v any) string {
	m, _ := v.(map[string]any)
	f, _ := m["fault"].(map[string]any)
	if f == nil {
		return "<no fault>"
	}
	return jsonNum(f["faultcode"]) + "/" + jsonNum(f["faultstring"])
}

func jsonNum(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case string:
		return n
	}
	return "?"
}

// obj digs into nested JSON objects by key.
func obj(t testing.TB, v any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("not an object at %q: %v", k, v)
		}
		v = m[k]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object at %v: %v", keys, v)
	}
	return m
}

// signRequest signs X with merchant 700002's key as `openssl dgst -md5 -sign` does.
func (ts *testServer) signRequest(t testing.TB, x string) string {
	t.Helper()
	sum := md5.Sum([]byte(x))
	sig, err := rsa.SignPKCS1v15(rand.Reader, ts.key700002, crypto.MD5, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// verifySeal checks an answer's checkvalue and signature over X per the merchant's
// response_security, the signature with the gateway certificate.
func (ts *testServer) verifySeal(t testing.TB, merchantID, x, checkvalue, signature string) {
	t.Helper()
	m := ts.merchants[merchantID]
	wantCV := ""
	if m.ResponseSecurity != "rsa" {
		wantCV = signer.Checkvalue(m.Secret, x)
	}
	if got, want := checkvalue, wantCV; got != want {
		t.Errorf("checkvalue = %q, want %q (X %q)", got, want, x)
	}
	if m.ResponseSecurity == "md5" {
		if signature != "" {
			t.Errorf("signature = %q, want none for md5", signature)
		}
		return
	}
	raw, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		t.Fatalf("signature %q is not BASE64: %v", signature, err)
	}
	sum := md5.Sum([]byte(x))
	if err := rsa.VerifyPKCS1v15(ts.cert.PublicKey.(*rsa.PublicKey), crypto.MD5, sum[:], raw); err != nil {
		t.Errorf("signature over %q does not verify with gateway.crt: %v", x, err)
	}
}

// pay makes an approved silentpay over SOAP and returns the order's billnumber (without .1).
func (ts *testServer) pay(t testing.TB, id, orderNumber string, kv ...string) string {
	t.Helper()
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay(id, orderNumber, kv...))
	if res.Status != 200 {
		t.Fatalf("silentpay %s: %d %s", orderNumber, res.Status, res.Body)
	}
	return strings.TrimSuffix(text(t, doc, "//silentpayResponse/order/billnumber"), ".1")
}

// csvRows reads a CSV answer (';'-separated).
func csvRows(t testing.TB, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("answer is not CSV: %v\n%s", err, s)
	}
	return rows
}

// csvRecord maps a CSV row by the header.
func csvRecord(header, row []string) map[string]string {
	m := map[string]string{}
	for i, h := range header {
		if i < len(row) {
			m[h] = row[i]
		}
	}
	return m
}

// checkJSONKeys checks that a JSON record has every field of the generated type, as a string.
func checkJSONKeys(t testing.TB, o map[string]any, typ reflect.Type) {
	t.Helper()
	for _, k := range wireFields(typ) {
		v, ok := o[k]
		if !ok {
			t.Errorf("%s: key %q missing", typ, k)
			continue
		}
		if _, ok := v.(string); !ok {
			t.Errorf("%s: %q = %v, want a string", typ, k, v)
		}
	}
}

// checkJSONOrder checks an order in JSON: every field, and the checkdata and customer objects.
func checkJSONOrder(t testing.TB, o map[string]any, typ reflect.Type) {
	t.Helper()
	checkJSONKeys(t, o, typ)
	cd := obj(t, o, "checkdata")
	for _, k := range []string{"packetdate", "signature", "checkvalue"} {
		if got, want := cd[k], o[k]; got != want {
			t.Errorf("checkdata.%s = %v, want %v", k, got, want)
		}
	}
	cust := obj(t, o, "customer")
	if got, want := len(cust), len(wire.CustomerKeys); got != want {
		t.Errorf("customer has %d keys, want %d", got, want)
	}
	for _, k := range wire.CustomerKeys {
		if _, ok := cust[k].(string); !ok {
			t.Errorf("customer.%s = %v, want a string", k, cust[k])
		}
	}
}
