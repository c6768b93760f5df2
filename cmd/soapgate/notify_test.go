package main

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/signer"
)

// receiver is a merchant's notification endpoint in a test: it records each request and
// answers as reply says (by default an acknowledgement echoing billnumber and packetdate).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []string
	ctypes  []string
	reply   func(n int, fields map[string]string) (int, string)
	arrived chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{arrived: make(chan struct{}, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fields := readFields(string(body))
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(body))
		rc.ctypes = append(rc.ctypes, r.Header.Get("Content-Type"))
		n, reply := len(rc.bodies), rc.reply
		rc.mu.Unlock()
		status, out := 200, notify.AckXML(0, 0, fields["billnumber"], fields["packetdate"])
		if reply != nil {
			status, out = reply(n, fields)
		}
		w.WriteHeader(status)
		io.WriteString(w, out)
		rc.arrived <- struct{}{}
	}))
	t.Cleanup(rc.Close)
	return rc
}

// readFields reads a POST form, or the order element of a SOAP notification, flatly.
func readFields(body string) map[string]string {
	out := map[string]string{}
	if strings.HasPrefix(body, "<") {
		doc := parseXMLString(body)
		if order := doc.FindElement("//PushPaymentResult/order"); order != nil {
			for _, el := range order.ChildElements() {
				out[el.Tag] = el.Text()
			}
		}
		return out
	}
	v, _ := url.ParseQuery(body)
	for k := range v {
		out[k] = v.Get(k)
	}
	return out
}

// wait blocks until the receiver has n requests, or fails after a generous bound.
func (rc *receiver) wait(t *testing.T, n int) []map[string]string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.bodies)
		rc.mu.Unlock()
		if got >= n {
			break
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d notifications, want %d", got, n)
		}
	}
	return rc.all()
}

func (rc *receiver) all() []map[string]string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]map[string]string, len(rc.bodies))
	for i, b := range rc.bodies {
		out[i] = readFields(b)
	}
	return out
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.bodies)
}

// notifyTo points a merchant's notifications at url.
func notifyTo(merchant, url, protocol string, xmldsig bool) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Merchants {
			if c.Merchants[i].ID == merchant {
				c.Merchants[i].Notify.URL, c.Merchants[i].Notify.Protocol, c.Merchants[i].Notify.XMLDSig = url, protocol, xmldsig
			}
		}
	}
}

func testClockServer(t *testing.T, configure ...func(*config.Config)) *testServer {
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	return startServerWith(t, filepath.Join(t.TempDir(), "n.db"), func(c *config.Config) {
		for _, f := range configure {
			f(c)
		}
	})
}

func (ts *testServer) advance(t *testing.T, d string) {
	t.Helper()
	if code, out := ts.admin(t, "POST", `{"advance":"`+d+`"}`, "tok"); code != 200 {
		t.Fatalf("advance %s: %d %v", d, code, out)
	}
}

func (ts *testServer) notifications(t *testing.T, merchant, bill string) []gateway.NotificationDetail {
	t.Helper()
	m := ts.app.Gateway.Merchants.Get(merchant)
	ns, err := ts.app.Gateway.OrderNotifications(context.Background(), m, bill)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

var postFields = strings.Fields(`merchant_id ordernumber billnumber testmode ordercomment orderamount ordercurrency
	amount currency firstname lastname middlename email orderdate orderstate responsecode message approvalcode
	meantypename meannumber cardholder operationtype operationdate packetdate recurringstate token customernumber
	checkvalue signature`)

func TestNotify_PostDeliveredOnceWithChecks(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-1", "ordercomment", "a & b"))
	bill := text(t, doc, "//order/billnumber")
	got := rc.wait(t, 1)[0]
	rc.mu.Lock()
	raw, ctype := rc.bodies[0], rc.ctypes[0]
	rc.mu.Unlock()
	if ctype != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ctype)
	}
	v, _ := url.ParseQuery(raw)
	for _, f := range postFields {
		if _, ok := v[f]; !ok {
			t.Errorf("field %s is missing", f)
		}
	}
	if got["billnumber"] != bill || got["orderstate"] != "Approved" || got["amount"] != "100.00" || got["operationtype"] != "100" ||
		got["ordercomment"] != "a & b" || got["meannumber"] != "411111******1111" || got["responsecode"] != "AS000" {
		t.Errorf("fields = %v", got)
	}
	x := "700001n-1100.00RUBApproved"
	if got["checkvalue"] != signer.Checkvalue("demo-secret", x) {
		t.Errorf("checkvalue %s", got["checkvalue"])
	}
	cert, _, _ := signer.LoadCertificate("../../fixtures/keys/gateway.crt")
	sig, _ := base64.StdEncoding.DecodeString(got["signature"])
	sum := md5.Sum([]byte(x))
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.MD5, sum[:], sig); err != nil {
		t.Errorf("signature: %v", err)
	}
	ts.advance(t, "5h")
	if n := rc.count(); n != 1 {
		t.Fatalf("%d deliveries of one acknowledged notification", n)
	}
	ns := ts.notifications(t, "700001", bill)
	if len(ns) != 1 || ns[0].State != gateway.NotifyDelivered || len(ns[0].AttemptLog) != 1 || ns[0].AttemptLog[0].HTTPStatus != 200 {
		t.Fatalf("outbox = %+v", ns)
	}
}

func TestNotify_RetriedUntilAcknowledged(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		if n <= 2 {
			return 503, "busy"
		}
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-2"))
	bill := text(t, doc, "//order/billnumber")
	rc.wait(t, 1)
	ts.advance(t, "30s") // not yet due
	if n := rc.count(); n != 1 {
		t.Fatalf("%d attempts before the first retry was due", n)
	}
	ts.advance(t, "30s") // 1 minute after the first
	rc.wait(t, 2)
	ts.advance(t, "5m")
	rc.wait(t, 3)
	ts.advance(t, "6h")
	if n := rc.count(); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	ns := ts.notifications(t, "700001", bill)
	var outcomes []string
	for _, a := range ns[0].AttemptLog {
		outcomes = append(outcomes, fmt.Sprintf("%d:%s", a.HTTPStatus, a.Outcome))
	}
	if ns[0].State != gateway.NotifyDelivered || strings.Join(outcomes, " ") != "503:retry 503:retry 200:delivered" {
		t.Fatalf("state %s, attempts %v", ns[0].State, outcomes)
	}
}

func TestNotify_RefusalIsNotRetried(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		return 200, notify.AckXML(5, 158, f["billnumber"], f["packetdate"])
	}
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-3"))
	bill := text(t, doc, "//order/billnumber")
	rc.wait(t, 1)
	ts.advance(t, "6h")
	if n := rc.count(); n != 1 {
		t.Fatalf("%d attempts of a refused notification", n)
	}
	ns := ts.notifications(t, "700001", bill)
	if ns[0].State != gateway.NotifyRejected {
		t.Fatalf("state %s", ns[0].State)
	}
	// Replayed by hand, it is sent again.
	rc.reply = nil
	if err := ts.app.Gateway.ReplayNotification(context.Background(), ts.app.Gateway.Merchants.Get("700001"), ns[0].ID); err != nil {
		t.Fatal(err)
	}
	rc.wait(t, 2)
	// Another merchant cannot replay it.
	if err := ts.app.Gateway.ReplayNotification(context.Background(), ts.app.Gateway.Merchants.Get("700002"), ns[0].ID); gateway.AsError(err).Second != 201 {
		t.Fatalf("replay by another merchant: %v", err)
	}
}

func TestNotify_GivesUpAfterEightAttempts(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(int, map[string]string) (int, string) { return 500, "down" }
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-4"))
	rc.wait(t, 1)
	for _, d := range []string{"1m", "5m", "15m", "30m", "60m", "60m", "60m", "60m", "5h"} {
		ts.advance(t, d)
	}
	if n := rc.count(); n != 8 {
		t.Fatalf("%d attempts, want 8", n)
	}
	ns := ts.notifications(t, "700001", text(t, doc, "//order/billnumber"))
	if ns[0].State != gateway.NotifyFailed || ns[0].Attempts != 8 {
		t.Fatalf("state %s after %d attempts", ns[0].State, ns[0].Attempts)
	}
}

func TestNotify_PerOrderOrdering(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		if n == 1 {
			return 503, "busy"
		}
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-5", "delay", "1"))
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	rc.wait(t, 1)
	ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", bill))
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill))
	// Run the deliverer over what is queued now, as the background loop does after these
	// commits (a clock move runs it to the end before it answers); the payment's retry is not
	// due for a minute, so nothing of the order may go out.
	ts.advance(t, "1s")
	if n := rc.count(); n != 1 {
		t.Fatalf("a later notification of the order went out while the payment's was pending (%d)", n)
	}
	ts.advance(t, "1m")
	var seq []string
	for _, f := range rc.wait(t, 4) {
		seq = append(seq, f["operationtype"]+":"+f["orderstate"])
	}
	if got := strings.Join(seq, " "); got != "100:Delayed 100:Delayed 200:Approved 300:Canceled" {
		t.Fatalf("delivery order %s", got)
	}
}

func TestNotify_SlowMerchantDoesNotBlockOthers(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t)
	slow.reply = func(n int, f map[string]string) (int, string) {
		<-release
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	fast := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", slow.URL, "post", false), notifyTo("700002", fast.URL, "post", false))
	defer close(release)
	for i := 0; i < 6; i++ {
		ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", fmt.Sprintf("slow-%d", i)))
	}
	p := card("ordernumber", "fast-1", "signature", opensslSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;fast-1;100.00;RUB", 1))
	p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
	if res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p); res.Status != 200 {
		t.Fatalf("700002 payment: %s", res.Body)
	}
	if got := fast.wait(t, 1)[0]["ordernumber"]; got != "fast-1" {
		t.Fatalf("fast merchant got %s", got)
	}
	if n := slow.count(); n > notify.DefaultPerMerchant {
		t.Fatalf("the slow merchant holds %d deliveries at once", n)
	}
}

// TestNotify_SOAPWithXMLDSig checks a SOAP notification's enveloped signature with xmlsec1
// (a verifier nobody here wrote), and that a tampered copy fails.
func TestNotify_SOAPWithXMLDSig(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "soap", true))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "n-6"))
	got := rc.wait(t, 1)[0]
	rc.mu.Lock()
	body, ctype := rc.bodies[0], rc.ctypes[0]
	rc.mu.Unlock()
	if !strings.HasPrefix(ctype, "text/xml") || got["orderstate"] != "Approved" || got["ordernumber"] != "n-6" {
		t.Fatalf("SOAP notification %s: %v", ctype, got)
	}
	cert, _, _ := signer.LoadCertificate("../../fixtures/keys/gateway.crt")
	order := parseXMLString(body).FindElement("//PushPaymentResult/order")
	if _, err := signer.VerifyElement(order, cert); err != nil {
		t.Fatalf("goxmldsig does not verify our signature: %v", err)
	}
	sink := &notify.Sink{Secret: "demo-secret", Cert: cert}
	if rec := sink.Check([]byte(body), true); rec.Problem != "" || !rec.XMLDSig {
		t.Fatalf("sink: %+v", rec)
	}
	tampered := strings.Replace(body, "<amount>100.00</amount>", "<amount>1.00</amount>", 1)
	if rec := sink.Check([]byte(tampered), true); rec.Problem == "" {
		t.Fatal("the sink accepted a tampered notification")
	}
	if _, err := exec.LookPath("xmlsec1"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmlsec1 is not installed")
		}
		t.Skip("xmlsec1 not installed")
	}
	dir := t.TempDir()
	verify := func(doc string) error {
		f := filepath.Join(dir, "n.xml")
		os.WriteFile(f, []byte(doc), 0o600)
		out, err := exec.Command("xmlsec1", "--verify", "--pubkey-cert-pem", "../../fixtures/keys/gateway.crt",
			"--id-attr:Id", "order", f).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	if err := verify(body); err != nil {
		t.Fatalf("xmlsec1 rejects the signature: %v", err)
	}
	if err := verify(tampered); err == nil {
		t.Fatal("xmlsec1 accepted a tampered notification")
	}
}

func TestNotify_MerchantSinkAcknowledges(t *testing.T) {
	cert, _, _ := signer.LoadCertificate("../../fixtures/keys/gateway.crt")
	var out strings.Builder
	var mu sync.Mutex
	sink := httptest.NewServer(&notify.Sink{Secret: "demo-secret", Cert: cert, Out: lockedWriter{&mu, &out}})
	defer sink.Close()
	ts := testClockServer(t, notifyTo("700001", sink.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "sink-1", "delay", "1"))
	bill := text(t, doc, "//order/billnumber")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if ns := ts.notifications(t, "700001", bill); len(ns) == 1 && ns[0].State == gateway.NotifyDelivered {
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(out.String(), "ordernumber=sink-1") || !strings.Contains(out.String(), "-> ACK") {
				t.Fatalf("sink printed %q", out.String())
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the sink's acknowledgement was not recorded as delivered")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
