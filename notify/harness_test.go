package notify_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/signer"
	"soapgate/store"
	"soapgate/wire"
)

// start is where every test's clock begins: whole seconds, so the store's millisecond
// times compare equal.
var start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fakeClock is a gateway.Clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t and returns it.
func (c *fakeClock) Set(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	return t
}

// orderFields are the order fields of a POST notification (wire order, docs/protocol.md#8-notifications).
var orderFields = []string{
	"merchant_id", "ordernumber", "billnumber", "testmode", "ordercomment", "orderamount", "ordercurrency",
	"amount", "currency", "firstname", "lastname", "middlename", "email", "orderdate", "orderstate",
	"responsecode", "message", "approvalcode", "meantypename", "meannumber", "cardholder", "operationtype",
	"operationdate", "packetdate", "recurringstate", "token", "customernumber", "checkvalue", "signature",
}

// request is one notification as the fake merchant received it.
type request struct {
	ContentType string
	SOAPAction  string
	Fields      map[string]string // the order's fields
	Operation   map[string]string // SOAP only
	Body        string
}

// merchantServer is a fake merchant: it records each notification and answers what reply
// says (an acknowledgement of everything by default).
type merchantServer struct {
	*httptest.Server

	mu    sync.Mutex
	got   []request
	reply func(n int, r request) (status int, body string) // n counts from 1
}

func newMerchantServer(t *testing.T, wrap ...func(http.Handler) http.Handler) *merchantServer {
	t.Helper()
	m := &merchantServer{}
	var h http.Handler = http.HandlerFunc(m.serve)
	for _, w := range wrap {
		h = w(h)
	}
	m.Server = httptest.NewServer(h)
	t.Cleanup(m.Close)
	return m
}

func (m *merchantServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := request{ContentType: r.Header.Get("Content-Type"), SOAPAction: r.Header.Get("SOAPAction"),
		Fields: map[string]string{}, Operation: map[string]string{}, Body: string(body)}
	if strings.HasPrefix(req.ContentType, "text/xml") {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(body); err == nil {
			if order := doc.FindElement("//PushPaymentResult/order"); order != nil {
				for _, el := range order.ChildElements() {
					switch el.Tag {
					case "operation":
						for _, f := range el.ChildElements() {
							req.Operation[f.Tag] = f.Text()
						}
					case "Signature":
					default:
						req.Fields[el.Tag] = el.Text()
					}
				}
			}
		}
	} else if v, err := url.ParseQuery(string(body)); err == nil {
		for k := range v {
			req.Fields[k] = v.Get(k)
		}
	}
	m.mu.Lock()
	m.got = append(m.got, req)
	n, reply := len(m.got), m.reply
	m.mu.Unlock()
	status, answer := http.StatusOK, ack(0, 0, req)
	if reply != nil {
		status, answer = reply(n, req)
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// requests returns what the merchant has received so far.
func (m *merchantServer) requests() []request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]request(nil), m.got...)
}

func (m *merchantServer) setReply(f func(n int, r request) (int, string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reply = f
}

// ack is the acknowledgement of r with the codes, in the shape of r's protocol.
func ack(first, second int, r request) string {
	a := notify.AckXML(first, second, r.Fields["billnumber"], r.Fields["packetdate"])
	if strings.HasPrefix(r.ContentType, "text/xml") {
		return soapEnvelope(`<ws:PushPaymentResultResponse xmlns:ws="http://www.paysecure.ru/ws/">` + a + `</ws:PushPaymentResultResponse>`)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>` + a
}

func soapEnvelope(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
		body + `</soap:Body></soap:Envelope>`
}

const soapFault = `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>unknown order</faultstring></soap:Fault>`

// gatewayKeys loads the gateway's signing key and certificate from the fixtures.
func gatewayKeys(t testing.TB) (*rsa.PrivateKey, *x509.Certificate, []byte) {
	t.Helper()
	key, err := signer.LoadPrivateKey("../fixtures/keys/gateway.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM, err := signer.LoadCertificate("../fixtures/keys/gateway.crt")
	if err != nil {
		t.Fatal(err)
	}
	return key, cert, certPEM
}

// fixture is a deliverer on a fake clock over a real store, sending to one merchant.
type fixture struct {
	t        *testing.T
	db       *store.DB
	clock    *fakeClock
	merchant *gateway.Merchant
	d        *notify.Deliverer
	orders   int
}

const merchantSecret = "s3cret"

// newFixture returns a deliverer for merchant 700001 whose notification URL is url.
func newFixture(t *testing.T, protocol, url string) *fixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "soapgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, _, certPEM := gatewayKeys(t)
	dsig, err := signer.NewXMLSigner(key, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	m := &gateway.Merchant{ID: "700001", Secret: merchantSecret, ResponseSecurity: "both",
		Notify: gateway.NotifyConfig{URL: url, Protocol: protocol}}
	clock := &fakeClock{now: start}
	return &fixture{t: t, db: db, clock: clock, merchant: m, d: &notify.Deliverer{
		Store: db, Merchants: gateway.NewMerchants([]*gateway.Merchant{m}), Clock: clock,
		Message: notify.Message{Wire: wire.Mapping{Signer: signer.New(key)}, DSig: dsig},
		Client:  &http.Client{Timeout: 5 * time.Second},
		Logger:  discardLogger(),
	}}
}

// newOrder stores an order of the merchant and returns its id and billnumber.
func (f *fixture) newOrder() (int64, string) {
	f.t.Helper()
	f.orders++
	o := &gateway.Order{BillNumber: fmt.Sprintf("%016d", 5000000000000000+f.orders), MerchantID: f.merchant.ID,
		OrderNumber: fmt.Sprintf("A-%d", f.orders), Amount: 10000, Currency: "RUB", State: gateway.StateApproved,
		Created: f.clock.Now(), Updated: f.clock.Now(), LastSeq: 1}
	if err := f.db.Update(context.Background(), func(tx gateway.Tx) error { return tx.InsertOrder(o) }); err != nil {
		f.t.Fatal(err)
	}
	return o.ID, o.BillNumber
}

// queue writes a notification of an operation on the order, due now, as the gateway does
// on a state change: the payment is operation 1, a cancel any later one.
func (f *fixture) queue(merchantID string, orderID int64, bill string, seq int, event gateway.Event) int64 {
	f.t.Helper()
	state, opType := gateway.StateApproved, gateway.OpPayment
	if event == gateway.EventCancel {
		state, opType = gateway.StateCanceled, gateway.OpCancel
	}
	now := f.clock.Now()
	order := gateway.Order{ID: orderID, BillNumber: bill, MerchantID: merchantID, OrderNumber: fmt.Sprintf("A-%d", orderID),
		Amount: 10000, Currency: "RUB", TestMode: true, State: state, Created: start, Updated: now, LastSeq: seq,
		Customer: gateway.Customer{FirstName: "Ivan", LastName: "Petrov <&>", Email: "ivan@example.com"},
		Card:     gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA", ExpMonth: "12", ExpYear: "2030", Holder: "IVAN PETROV"}}
	op := gateway.Operation{ID: int64(seq), OrderID: orderID, Seq: seq, Type: opType, State: gateway.OpSuccess,
		Amount: 10000, Currency: "RUB", ResponseCode: "AS000", Message: "Approved", ApprovalCode: "123456", Created: now}
	n := &gateway.Notification{MerchantID: merchantID, OrderID: orderID, BillNumber: op.ExtBillNumber(&order), Event: event,
		State: gateway.NotifyPending, NextAt: now, Created: now, Payload: gateway.Payload{Order: order, Op: op}}
	if err := f.db.Update(context.Background(), func(tx gateway.Tx) error { return tx.InsertNotification(n) }); err != nil {
		f.t.Fatal(err)
	}
	return n.ID
}

// payment queues the payment notification of a new order and returns its id.
func (f *fixture) payment() int64 {
	f.t.Helper()
	id, bill := f.newOrder()
	return f.queue(f.merchant.ID, id, bill, 1, gateway.EventPayment)
}

// runDue runs the deliverer for the clock's time, as the test clock's moves do.
func (f *fixture) runDue() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.d.RunDue(ctx, f.clock.Now()); err != nil {
		f.t.Fatalf("RunDue: %v", err)
	}
}

// notification reads a notification with its attempts.
func (f *fixture) notification(id int64) gateway.NotificationDetail {
	f.t.Helper()
	var out gateway.NotificationDetail
	err := f.db.View(context.Background(), func(tx gateway.Tx) error {
		n, err := tx.NotificationByID(id)
		if err != nil {
			return err
		}
		all, err := tx.NotificationsOfOrder(n.OrderID)
		for _, d := range all {
			if d.ID == id {
				out = d
			}
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// lastAttempt is the notification's latest delivery attempt.
func (f *fixture) lastAttempt(id int64) gateway.DeliveryAttempt {
	f.t.Helper()
	n := f.notification(id)
	if len(n.AttemptLog) == 0 {
		f.t.Fatalf("notification %d has no attempts", id)
	}
	return n.AttemptLog[len(n.AttemptLog)-1]
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// refusedURL is the address of a server that has just closed: connecting is refused.
func refusedURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func billnumbers(rs []request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Fields["billnumber"])
	}
	return out
}

func containsAll(got, want []string) bool {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

// waitFor polls cond until it holds, failing after a deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is an io.Writer safe for a server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// discardLogger keeps the deliverer quiet.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
