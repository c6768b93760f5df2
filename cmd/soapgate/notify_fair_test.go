package main

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/notify"
)

// blackHole is a merchant endpoint that accepts connections and never answers, until it is
// healed; then it acknowledges every notification on the connections it accepts from then on.
type blackHole struct {
	ln       net.Listener
	URL      string
	mu       sync.Mutex
	open     int // connections held open now
	most     int // the most held open at once since reset
	accepted int
	healed   bool
	served   chan net.Conn
	closed   chan struct{}
	held     []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln, URL: "http://" + ln.Addr().String() + "/notify", served: make(chan net.Conn), closed: make(chan struct{})}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		fmt.Fprint(w, notify.AckXML(0, 0, r.PostForm.Get("billnumber"), r.PostForm.Get("packetdate")))
	})}
	go srv.Serve(chanListener{b})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.accepted++
			if b.healed {
				b.mu.Unlock()
				select {
				case b.served <- c:
				case <-b.closed:
					c.Close()
				}
				continue
			}
			b.open++
			b.most = max(b.most, b.open)
			b.held = append(b.held, c)
			b.mu.Unlock()
			go func() { // the hole: read whatever comes, answer nothing, note the close
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						break
					}
				}
				b.mu.Lock()
				b.open--
				b.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		close(b.closed)
		ln.Close()
		srv.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.held {
			c.Close()
		}
	})
	return b
}

func (b *blackHole) stats() (open, most, accepted int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open, b.most, b.accepted
}

func (b *blackHole) resetMost() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.most = b.open
}

func (b *blackHole) heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.healed = true
}

// chanListener hands the http.Server the connections a healed black hole accepts.
type chanListener struct{ b *blackHole }

func (l chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.b.served:
		return c, nil
	case <-l.b.closed:
		return nil, net.ErrClosed
	}
}
func (l chanListener) Close() error   { return nil }
func (l chanListener) Addr() net.Addr { return l.b.ln.Addr() }

// TestNotify_BlackHoleBesideHealthyMerchant: merchant 700001's endpoint accepts and never
// answers, with 300 notifications queued; merchant 700002's notification still goes out at
// once, while the black hole's backlog waits. The black hole holds at most PerMerchant
// connections, and once its attempts keep failing only one probe at a time, on the probe's
// own schedule, the other notifications keeping their attempts; when it answers again the
// backlog drains.
func TestNotify_BlackHoleBesideHealthyMerchant(t *testing.T) {
	hole := newBlackHole(t)
	healthy := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", hole.URL, "post", false), notifyTo("700002", healthy.URL, "post", false),
		func(c *config.Config) { c.Gateway.NotifyTimeout = time.Second })
	const backlog = 300
	var wg sync.WaitGroup
	for c := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < backlog; i += 6 {
				if res := ts.form(t, "/pay/silentpay.cfm", card("ordernumber", fmt.Sprintf("hole-%d", i))); res.Status != 200 {
					t.Errorf("payment %d: %d", i, res.Status)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "the black hole to take a connection", func() bool { _, _, accepted := hole.stats(); return accepted > 0 })

	// The healthy merchant's notification goes out while the black hole's backlog waits.
	p := card("ordernumber", "healthy-1", "signature", opensslSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;healthy-1;100.00;RUB", 1))
	p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
	if res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p); res.Status != 200 {
		t.Fatalf("700002 payment: %s", res.Body)
	}
	if got := healthy.wait(t, 1)[0]["ordernumber"]; got != "healthy-1" {
		t.Fatalf("healthy merchant got %s", got)
	}
	if waiting := untried(t, ts, "700001"); waiting < backlog-notify.DefaultPerMerchant {
		t.Fatalf("only %d of the black hole's notifications were still untried when the healthy one went out", waiting)
	}

	// The first attempts time out; from then on the black hole is only probed.
	waitFor(t, "the first attempts to the black hole to fail", func() bool { return tried(t, ts, "700001") >= notify.DefaultProbeAfter })
	waitFor(t, "the black hole's connections to close", func() bool { open, _, _ := hole.stats(); return open == 0 })
	_, most, before := hole.stats()
	if most > notify.DefaultPerMerchant {
		t.Fatalf("the black hole held %d connections at once, want at most %d", most, notify.DefaultPerMerchant)
	}
	// A connection closes before its attempt's outcome is committed: wait until every
	// connection so far (each one notification's first attempt: no retry is due before the
	// clock moves) is recorded.
	waitFor(t, "every attempt so far to be recorded", func() bool { return tried(t, ts, "700001") == before })
	triedBefore := tried(t, ts, "700001")
	hole.resetMost()
	ts.advance(t, "1m") // the probe's retry is due: one attempt, one connection
	_, most, after := hole.stats()
	if after-before != 1 || most > 1 {
		t.Fatalf("a move made %d connections to the failing merchant (%d at once), want one probe", after-before, most)
	}
	if got := tried(t, ts, "700001"); got != triedBefore {
		t.Fatalf("%d notifications tried after the probe, want still %d: the others wait with their attempts unspent", got, triedBefore)
	}

	// It answers again: the probe is delivered and the backlog drains.
	hole.heal()
	ts.advance(t, "5m")
	ns, err := listAll(ts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.MerchantID == "700001" && n.State != gateway.NotifyDelivered {
			t.Fatalf("after the merchant answered, notification %d is %s after %d attempts", n.ID, n.State, n.Attempts)
		}
	}
}

// untried counts a merchant's pending notifications without any attempt.
func untried(t *testing.T, ts *testServer, merchant string) int {
	t.Helper()
	ns, err := listAll(ts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.MerchantID == merchant && x.State == gateway.NotifyPending && x.Attempts == 0 {
			n++
		}
	}
	return n
}

// tried counts a merchant's notifications with at least one attempt recorded.
func tried(t *testing.T, ts *testServer, merchant string) int {
	t.Helper()
	ns, err := listAll(ts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.MerchantID == merchant && x.Attempts > 0 {
			n++
		}
	}
	return n
}
