package notify_test

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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/signer"
)

func TestDeliverer_RunDue_Post(t *testing.T) {
	_, cert, _ := gatewayKeys(t)
	for _, security := range []string{"md5", "rsa", "both"} {
		t.Run(security, func(t *testing.T) {
			m := newMerchantServer(t)
			f := newFixture(t, "post", m.URL)
			f.merchant.ResponseSecurity = security
			id := f.payment()
			f.runDue()

			got := m.requests()
			if got, want := len(got), 1; got != want {
				t.Fatalf("requests = %d, want %d", got, want)
			}
			r := got[0]
			if got, want := r.ContentType, "application/x-www-form-urlencoded"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			form, err := url.ParseQuery(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range orderFields {
				if _, ok := form[name]; !ok {
					t.Errorf("field %s missing", name)
				}
			}
			if got, want := len(form), len(orderFields); got != want {
				t.Errorf("fields = %d, want %d", got, want)
			}
			if got, want := r.Fields["packetdate"], gateway.FormatDate(start); got != want {
				t.Errorf("packetdate = %q, want %q", got, want)
			}
			if got, want := r.Fields["lastname"], "Petrov <&>"; got != want {
				t.Errorf("lastname = %q, want %q", got, want)
			}
			x := r.Fields["merchant_id"] + r.Fields["ordernumber"] + r.Fields["amount"] + r.Fields["currency"] + r.Fields["orderstate"]
			checkvalue, signature := r.Fields["checkvalue"], r.Fields["signature"]
			if security == "rsa" {
				if checkvalue != "" {
					t.Errorf("checkvalue = %q with response_security rsa, want empty", checkvalue)
				}
			} else if got, want := checkvalue, signer.Checkvalue(merchantSecret, x); got != want {
				t.Errorf("checkvalue = %q, want %q", got, want)
			}
			if security == "md5" {
				if signature != "" {
					t.Errorf("signature = %q with response_security md5, want empty", signature)
				}
			} else {
				raw, err := base64.StdEncoding.DecodeString(signature)
				sum := md5.Sum([]byte(x))
				if err != nil || rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.MD5, sum[:], raw) != nil {
					t.Errorf("signature %q does not verify over %q (%v)", signature, x, err)
				}
			}

			n := f.notification(id)
			if got, want := n.State, gateway.NotifyDelivered; got != want {
				t.Errorf("state = %s, want %s", got, want)
			}
			if got, want := n.Attempts, 1; got != want {
				t.Errorf("attempts = %d, want %d", got, want)
			}
			if got, want := len(n.AttemptLog), 1; got != want {
				t.Fatalf("attempt log = %d, want %d", got, want)
			}
			a := n.AttemptLog[0]
			if a.Outcome != "delivered" || a.HTTPStatus != 200 || !a.At.Equal(start) || a.Error != "" {
				t.Errorf("attempt = %+v, want delivered, 200 at %s", a, start)
			}
			if !strings.Contains(a.Excerpt, "pushpaymentresult") {
				t.Errorf("excerpt = %q, want the start of the reply", a.Excerpt)
			}
		})
	}
}

func TestDeliverer_RunDue_SOAP(t *testing.T) {
	for _, xmldsig := range []bool{false, true} {
		t.Run(fmt.Sprintf("xmldsig=%v", xmldsig), func(t *testing.T) {
			m := newMerchantServer(t)
			f := newFixture(t, "soap", m.URL)
			f.merchant.Notify.XMLDSig = xmldsig
			f.d.Message.Wire.Acquirer = acquirer{}
			id := f.payment()
			f.runDue()

			got := m.requests()
			if got, want := len(got), 1; got != want {
				t.Fatalf("requests = %d, want %d", got, want)
			}
			r := got[0]
			if got, want := r.ContentType, "text/xml; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
			if got, want := r.SOAPAction, `"http://www.paysecure.ru/ws/PushPaymentResult"`; got != want {
				t.Errorf("SOAPAction = %q, want %q", got, want)
			}
			for _, name := range orderFields {
				if _, ok := r.Fields[name]; !ok {
					t.Errorf("order field %s missing", name)
				}
			}
			if got, want := r.Fields["lastname"], "Petrov <&>"; got != want {
				t.Errorf("lastname = %q, want %q", got, want)
			}
			if got, want := r.Operation["operationstate"], "Success"; got != want {
				t.Errorf("operation/operationstate = %q, want %q", got, want)
			}
			if got, want := r.Operation["billnumber"], r.Fields["billnumber"]; got != want {
				t.Errorf("operation/billnumber = %q, want %q", got, want)
			}
			for name, want := range map[string]string{"issuebank": "TEST BANK", "bankcountry": "RU",
				"processingname": "test acquirer", "meannumber": "411111******1111"} {
				if got := r.Operation[name]; got != want {
					t.Errorf("operation/%s = %q, want %q", name, got, want)
				}
			}
			if got, want := strings.Contains(r.Body, "<ds:Signature"), xmldsig; got != want {
				t.Errorf("XML-DSig present = %v, want %v", got, want)
			}
			if got, want := f.notification(id).State, gateway.NotifyDelivered; got != want {
				t.Errorf("state = %s, want %s", got, want)
			}
		})
	}
}

// acquirer tells the issuer of every card, as the test processor does.
type acquirer struct{}

func (acquirer) Issuer(gateway.Card) (bank, country string) { return "TEST BANK", "RU" }
func (acquirer) ProcessingName() string                     { return "test acquirer" }

// TestDeliverer_RunDue_Sink delivers to the merchant sink, which checks the checkvalue,
// the RSA signature and the XML-DSig the deliverer puts on each notification.
func TestDeliverer_RunDue_Sink(t *testing.T) {
	_, cert, _ := gatewayKeys(t)
	for _, tc := range []struct {
		protocol string
		xmldsig  bool
		secret   string
		state    gateway.NotificationState
		out      string
	}{
		{"post", false, merchantSecret, gateway.NotifyDelivered, "post ordernumber="},
		{"soap", false, merchantSecret, gateway.NotifyRejected, "REFUSED 5/150: no XML-DSig"},
		{"soap", true, merchantSecret, gateway.NotifyDelivered, "xmldsig=ok -> ACK"},
		{"post", false, "another secret", gateway.NotifyRejected, "REFUSED 5/158: checkvalue does not match"},
		{"soap", true, "another secret", gateway.NotifyRejected, "REFUSED 5/158"},
	} {
		t.Run(fmt.Sprintf("%s xmldsig=%v secret=%s", tc.protocol, tc.xmldsig, tc.secret), func(t *testing.T) {
			out := &syncBuffer{}
			srv := httptest.NewServer(&notify.Sink{Secret: tc.secret, Cert: cert, Out: out})
			t.Cleanup(srv.Close)
			f := newFixture(t, tc.protocol, srv.URL)
			f.merchant.Notify.XMLDSig = tc.xmldsig
			id := f.payment()
			f.runDue()
			if got, want := f.notification(id).State, tc.state; got != want {
				t.Errorf("state = %s, want %s (attempt %+v)", got, want, f.lastAttempt(id))
			}
			if got := out.String(); !strings.Contains(got, tc.out) {
				t.Errorf("sink printed %q, want it to contain %q", got, tc.out)
			}
		})
	}
}

func TestDeliverer_RunDue_Rejected(t *testing.T) {
	for _, tc := range []struct {
		name     string
		protocol string
		reply    func(r request) (int, string)
		err      string
	}{
		{"non-zero codes", "post", func(r request) (int, string) { return 200, ack(5, 158, r) }, "refused with 5/158"},
		{"soap non-zero codes", "soap", func(r request) (int, string) { return 200, ack(1, 2, r) }, "refused with 1/2"},
		{"zero first code only", "post", func(r request) (int, string) { return 200, ack(0, 5, r) }, "refused with 0/5"},
		{"soap fault", "soap", func(r request) (int, string) { return 500, soapEnvelope(soapFault) }, "SOAP Fault"},
		{"soap fault with 200", "soap", func(r request) (int, string) { return 200, soapEnvelope(soapFault) }, "SOAP Fault"},
		{"http 400", "post", func(r request) (int, string) { return 400, "bad request" }, "HTTP 400 Bad Request"},
		{"http 404", "soap", func(r request) (int, string) { return 404, "not found" }, "HTTP 404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMerchantServer(t)
			m.setReply(func(_ int, r request) (int, string) { return tc.reply(r) })
			f := newFixture(t, tc.protocol, m.URL)
			var counted []string // what /metrics is told, once the attempt is recorded
			f.d.Counted = func(outcome string) { counted = append(counted, outcome) }
			id := f.payment()
			f.runDue()
			if !slices.Equal(counted, []string{"rejected"}) {
				t.Errorf("attempts counted %v, want [rejected]", counted)
			}
			n := f.notification(id)
			if got, want := n.State, gateway.NotifyRejected; got != want {
				t.Fatalf("state = %s, want %s", got, want)
			}
			if got, want := n.Attempts, 1; got != want {
				t.Errorf("attempts = %d, want %d", got, want)
			}
			a := f.lastAttempt(id)
			if got, want := a.Outcome, "rejected"; got != want {
				t.Errorf("outcome = %q, want %q", got, want)
			}
			if got, want := a.Error, tc.err; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}

			// Not retried, however long one waits.
			f.clock.Set(start.Add(24 * time.Hour))
			f.runDue()
			if got, want := len(m.requests()), 1; got != want {
				t.Errorf("requests after a day = %d, want %d", got, want)
			}
		})
	}
}

func TestDeliverer_RunDue_Retried(t *testing.T) {
	// hang answers only when the client has gone (or the test ends): the deliverer's timeout
	// ends the attempt. The body is read first, so that the server notices the client leave.
	hang := func(release <-chan struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc // nil: connection refused (or hang, for "timeout")
		status  int
		err     string
	}{
		{"http 500", reply(500, "oops"), 500, "HTTP 500 Internal Server Error"},
		{"http 503", reply(503, ""), 503, "HTTP 503 Service Unavailable"},
		{"http 502 with an ack", func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			w.WriteHeader(502)
			io.WriteString(w, notify.AckXML(0, 0, r.PostForm.Get("billnumber"), r.PostForm.Get("packetdate")))
		}, 502, "HTTP 502 Bad Gateway"},
		{"http 408", reply(408, ""), 408, "HTTP 408 Request Timeout"},
		{"http 429", reply(429, ""), 429, "HTTP 429 Too Many Requests"},
		{"no ack", reply(200, "OK"), 200, "the reply is not a pushpaymentresult acknowledgement"},
		{"empty reply", reply(200, ""), 200, "the reply is not a pushpaymentresult acknowledgement"},
		{"html", reply(200, "<html><body>Thanks!</body></html>"), 200, "the reply is not a pushpaymentresult acknowledgement"},
		{"dtd", reply(200, `<!DOCTYPE x [<!ENTITY a "b">]><pushpaymentresult firstcode="0" secondcode="0"/>`), 200,
			"the reply is not a pushpaymentresult acknowledgement"},
		{"wrong echo", reply(200, notify.AckXML(0, 0, "1.1", "01.01.2000 00:00:00")), 200, `the acknowledgement echoes "1.1"/"01.01.2000 00:00:00"`},
		{"timeout", nil, 0, "Client.Timeout exceeded"},
		{"connection refused", nil, 0, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, handler := refusedURL(t), tc.handler
			if tc.name == "timeout" {
				release := make(chan struct{})
				handler = hang(release)
				defer close(release) // before the server's Close, which waits for handlers
			}
			if handler != nil {
				srv := httptest.NewServer(handler)
				t.Cleanup(srv.Close)
				u = srv.URL
			}
			f := newFixture(t, "post", u)
			if tc.name == "timeout" {
				f.d.Client = &http.Client{Timeout: 100 * time.Millisecond}
			}
			id := f.payment()
			f.runDue()
			n := f.notification(id)
			if got, want := n.State, gateway.NotifyPending; got != want {
				t.Fatalf("state = %s, want %s", got, want)
			}
			if got, want := n.Attempts, 1; got != want {
				t.Errorf("attempts = %d, want %d", got, want)
			}
			if got, want := n.NextAt, start.Add(notify.DefaultRetries[0]); !got.Equal(want) {
				t.Errorf("next at = %s, want %s", got, want)
			}
			a := f.lastAttempt(id)
			if got, want := a.Outcome, "retry"; got != want {
				t.Errorf("outcome = %q, want %q", got, want)
			}
			if got, want := a.HTTPStatus, tc.status; got != want {
				t.Errorf("http status = %d, want %d", got, want)
			}
			if !strings.Contains(a.Error, tc.err) {
				t.Errorf("error = %q, want it to contain %q", a.Error, tc.err)
			}
		})
	}
}

// TestDeliverer_RunDue_Schedule follows a notification the merchant never acknowledges
// through every retry of the default policy, moving the clock to each due time.
func TestDeliverer_RunDue_Schedule(t *testing.T) {
	m := newMerchantServer(t)
	m.setReply(func(int, request) (int, string) { return 503, "" })
	f := newFixture(t, "soap", m.URL)
	id := f.payment()
	due := start
	for i := 0; i <= len(notify.DefaultRetries); i++ {
		if i > 0 {
			// A second early, nothing goes.
			f.clock.Set(due.Add(-time.Second))
			f.runDue()
			if got, want := len(m.requests()), i; got != want {
				t.Fatalf("requests a second before attempt %d = %d, want %d", i+1, got, want)
			}
		}
		f.clock.Set(due)
		f.runDue()
		if got, want := len(m.requests()), i+1; got != want {
			t.Fatalf("requests after attempt %d = %d, want %d", i+1, got, want)
		}
		n := f.notification(id)
		if got, want := n.Attempts, i+1; got != want {
			t.Fatalf("attempts = %d, want %d", got, want)
		}
		if i == len(notify.DefaultRetries) {
			break
		}
		if got, want := n.State, gateway.NotifyPending; got != want {
			t.Fatalf("state after attempt %d = %s, want %s", i+1, got, want)
		}
		due = due.Add(notify.DefaultRetries[i])
		if got, want := n.NextAt, due; !got.Equal(want) {
			t.Fatalf("next at after attempt %d = %s, want %s", i+1, got, want)
		}
	}
	n := f.notification(id)
	if got, want := n.State, gateway.NotifyFailed; got != want {
		t.Fatalf("state after the last attempt = %s, want %s", got, want)
	}
	if got, want := n.Attempts, 8; got != want {
		t.Errorf("attempts = %d, want %d", got, want)
	}
	if elapsed := due.Sub(start); elapsed > 4*time.Hour {
		t.Errorf("the last attempt came %s after the first, want within 4h", elapsed)
	}
	for i, a := range n.AttemptLog {
		want := "retry"
		if i == len(n.AttemptLog)-1 {
			want = "failed"
		}
		if a.Outcome != want || a.HTTPStatus != 503 {
			t.Errorf("attempt %d = %+v, want %s after HTTP 503", i+1, a, want)
		}
	}
	f.clock.Set(due.Add(24 * time.Hour))
	f.runDue()
	if got, want := len(m.requests()), 8; got != want {
		t.Errorf("requests after giving up = %d, want %d", got, want)
	}
}

func TestDeliverer_RunDue_RecoversAfterRetry(t *testing.T) {
	m := newMerchantServer(t)
	m.setReply(func(n int, r request) (int, string) {
		if n == 1 {
			return 500, "down"
		}
		return 200, ack(0, 0, r)
	})
	f := newFixture(t, "post", m.URL)
	f.d.Retries = []time.Duration{30 * time.Second}
	id := f.payment()
	f.runDue()
	f.clock.Set(start.Add(30 * time.Second))
	f.runDue()
	n := f.notification(id)
	if got, want := n.State, gateway.NotifyDelivered; got != want {
		t.Fatalf("state = %s, want %s", got, want)
	}
	if got, want := n.Attempts, 2; got != want {
		t.Errorf("attempts = %d, want %d", got, want)
	}
	got := m.requests()
	if len(got) != 2 || got[1].Fields["packetdate"] != gateway.FormatDate(start.Add(30*time.Second)) {
		t.Errorf("second attempt's packetdate = %q, want the time of that attempt", got[len(got)-1].Fields["packetdate"])
	}
}

// TestDeliverer_RunDue_OrderKept: an order's cancel is never sent before its payment, even
// while the payment is being retried; other orders are not held up.
func TestDeliverer_RunDue_OrderKept(t *testing.T) {
	m := newMerchantServer(t)
	var paymentTries int
	m.setReply(func(_ int, r request) (int, string) {
		if strings.HasSuffix(r.Fields["billnumber"], "0001.1") {
			if paymentTries++; paymentTries == 1 {
				return 503, ""
			}
		}
		return 200, ack(0, 0, r)
	})
	f := newFixture(t, "post", m.URL)
	orderA, billA := f.newOrder()
	payment := f.queue(f.merchant.ID, orderA, billA, 1, gateway.EventPayment)
	cancel := f.queue(f.merchant.ID, orderA, billA, 2, gateway.EventCancel)
	other := f.payment()

	f.runDue()
	if got, want := billnumbers(m.requests()), []string{billA + ".1"}; !containsAll(got, want) || len(got) != 2 {
		t.Fatalf("first pass sent %v, want the payment of %s and the other order's", got, billA)
	}
	for _, r := range m.requests() {
		if r.Fields["billnumber"] == billA+".2" {
			t.Fatal("the cancel went before its payment was delivered")
		}
	}
	if got, want := f.notification(cancel).Attempts, 0; got != want {
		t.Errorf("cancel attempts = %d, want %d", got, want)
	}
	if got, want := f.notification(other).State, gateway.NotifyDelivered; got != want {
		t.Errorf("other order's state = %s, want %s", got, want)
	}

	// One retry interval later, the payment goes, then its cancel in the same pass.
	f.clock.Set(start.Add(notify.DefaultRetries[0]))
	f.runDue()
	var ofA []string
	for _, b := range billnumbers(m.requests()) {
		if strings.HasPrefix(b, billA) {
			ofA = append(ofA, b)
		}
	}
	if got, want := strings.Join(ofA, " "), billA+".1 "+billA+".1 "+billA+".2"; got != want {
		t.Errorf("order %s sent %s, want %s", billA, got, want)
	}
	for _, id := range []int64{payment, cancel} {
		if got, want := f.notification(id).State, gateway.NotifyDelivered; got != want {
			t.Errorf("notification %d state = %s, want %s", id, got, want)
		}
	}
}

func TestDeliverer_RunDue_NoURL(t *testing.T) {
	m := newMerchantServer(t)
	f := newFixture(t, "post", m.URL)
	gone := f.payment()
	orderID, bill := f.newOrder()
	unknown := f.queue("799999", orderID, bill, 1, gateway.EventPayment)
	f.merchant.Notify.URL = "" // the merchant stopped listening after the notification was queued
	f.runDue()
	for _, id := range []int64{gone, unknown} {
		n := f.notification(id)
		if got, want := n.State, gateway.NotifyFailed; got != want {
			t.Errorf("notification %d state = %s, want %s", id, got, want)
		}
		if a := f.lastAttempt(id); a.Outcome != "failed" || !strings.Contains(a.Error, "no notification URL") {
			t.Errorf("notification %d attempt = %+v, want failed for want of a URL", id, a)
		}
	}
	if got := len(m.requests()); got != 0 {
		t.Errorf("requests = %d, want 0", got)
	}
}

func TestDeliverer_RunDue_BadURL(t *testing.T) {
	f := newFixture(t, "post", "http://[::1]:namedport/")
	id := f.payment()
	f.runDue()
	if got, want := f.notification(id).State, gateway.NotifyFailed; got != want {
		t.Errorf("state = %s, want %s", got, want)
	}
}

// TestDeliverer_RunDue_Excerpt: a long or broken reply is kept as a short valid excerpt.
func TestDeliverer_RunDue_Excerpt(t *testing.T) {
	body := strings.Repeat("é", 150) + "\xff\xfe" + strings.Repeat("x", 300)
	srv := httptest.NewServer(reply(500, body))
	t.Cleanup(srv.Close)
	f := newFixture(t, "post", srv.URL)
	id := f.payment()
	f.runDue()
	a := f.lastAttempt(id)
	if got, want := len(a.Excerpt), 200; got > want {
		t.Errorf("excerpt is %d bytes, want at most %d", got, want)
	}
	if got, want := a.Excerpt, strings.Repeat("é", 100); got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
}

// TestDeliverer_RunDue_PerMerchant: a merchant never holds more than PerMerchant
// deliveries at once; they all go in the end.
func TestDeliverer_RunDue_PerMerchant(t *testing.T) {
	var mu sync.Mutex
	var inflight, most int
	m := newMerchantServer(t, func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inflight++
			most = max(most, inflight)
			mu.Unlock()
			inner.ServeHTTP(w, r)
			mu.Lock()
			inflight--
			mu.Unlock()
		})
	})
	f := newFixture(t, "post", m.URL)
	f.d.PerMerchant = 2
	var ids []int64
	for range 6 {
		ids = append(ids, f.payment())
	}
	f.runDue()
	for _, id := range ids {
		if got, want := f.notification(id).State, gateway.NotifyDelivered; got != want {
			t.Errorf("notification %d state = %s, want %s", id, got, want)
		}
	}
	if most > 2 {
		t.Errorf("%d deliveries to one merchant at once, want at most 2", most)
	}
}

// TestDeliverer_Run: the background loop sends a notification as soon as its commit kicks
// it, and stops when its context ends.
func TestDeliverer_Run(t *testing.T) {
	m := newMerchantServer(t)
	f := newFixture(t, "post", m.URL)
	f.d.Kick = f.db.Outbox()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.d.Run(ctx)
	}()
	id := f.payment()
	waitFor(t, func() bool { return f.notification(id).State == gateway.NotifyDelivered })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got, want := len(m.requests()), 1; got != want {
		t.Errorf("requests = %d, want %d", got, want)
	}
}
