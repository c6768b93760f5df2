package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/notify"
)

// flappingSink is a merchant endpoint that answers about half the notifications with 503
// and acknowledges the rest, and keeps, per billnumber and operationtype, every attempt's
// packetdate and how often it acknowledged.
type flappingSink struct {
	*httptest.Server
	mu       sync.Mutex
	rnd      *rand.Rand
	attempts map[string][]time.Time // key → packetdates, in arrival order
	acks     map[string]int
	afterAck map[string]int // attempts that arrived after the key was acknowledged
}

func newFlappingSink(t *testing.T) *flappingSink {
	s := &flappingSink{rnd: rand.New(rand.NewPCG(14, 14)), attempts: map[string][]time.Time{}, acks: map[string]int{}, afterAck: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v, _ := url.ParseQuery(string(body))
		key := v.Get("billnumber") + "/" + v.Get("operationtype")
		packet, err := time.Parse("02.01.2006 15:04:05", v.Get("packetdate"))
		if err != nil {
			w.WriteHeader(400)
			return
		}
		s.mu.Lock()
		if s.acks[key] > 0 {
			s.afterAck[key]++
		}
		s.attempts[key] = append(s.attempts[key], packet)
		// Half fail, but never more than four in a row: every notification must get through
		// within its eight attempts.
		fail := len(s.attempts[key]) < 5 && s.rnd.IntN(2) == 0
		if !fail {
			s.acks[key]++
		}
		s.mu.Unlock()
		if fail {
			w.WriteHeader(503)
			io.WriteString(w, "busy")
			return
		}
		io.WriteString(w, notify.AckXML(0, 0, v.Get("billnumber"), v.Get("packetdate")))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *flappingSink) acked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acks)
}

// TestNotify_ClaimedOnceUnderClockMoves reproduces the double send: the background loop and
// test-clock moves (two dispatchers) deliver to a merchant that fails half the time while
// payments and refunds run. Every (billnumber, operationtype) must be acknowledged exactly
// once, nothing may arrive after its acknowledgement, and no attempt may come earlier than
// its retry interval after the previous one.
func TestNotify_ClaimedOnceUnderClockMoves(t *testing.T) {
	sink := newFlappingSink(t)
	ts := testClockServer(t, notifyTo("700001", sink.URL, "post", false))
	const clients, payments = 8, 8
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() { // clock moves while the background loop delivers
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ts.advance(t, "1m")
			}
		}()
	}
	var pay sync.WaitGroup
	for c := range clients {
		pay.Add(1)
		go func() {
			defer pay.Done()
			for i := range payments {
				_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", fmt.Sprintf("claim-%d-%d", c, i)))
				if i%2 == 0 { // a refund: a second notification on the order
					bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
					ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill))
				}
			}
		}()
	}
	pay.Wait()
	const want = clients*payments + clients*payments/2
	deadline := time.Now().Add(60 * time.Second)
	for sink.acked() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sink.acked() < want {
		var b strings.Builder
		ns, _ := listAll(ts)
		for _, n := range ns {
			fmt.Fprintf(&b, "%d %s %s %d next=%s claim=%v\n", n.ID, n.BillNumber, n.State, n.Attempts, n.NextAt, n.Claim)
		}
		buf := make([]byte, 4<<20)
		os.WriteFile("/tmp/claims-stack.txt", buf[:runtime.Stack(buf, true)], 0o600)
		t.Fatalf("acked %d of %d\n%s", sink.acked(), want, b.String())
	}
	close(stop)
	wg.Wait()
	// Later moves send nothing more.
	for range 3 {
		ts.advance(t, "2h")
	}
	retries := notify.DefaultRetries
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for key, n := range sink.acks {
		if n != 1 {
			t.Errorf("%s acknowledged %d times", key, n)
		}
	}
	for key, n := range sink.afterAck {
		t.Errorf("%s sent %d times after its acknowledgement", key, n)
	}
	for key, at := range sink.attempts {
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < retries[i-1] {
				t.Errorf("%s: attempt %d came %s after attempt %d, before its interval %s", key, i+1, gap, i, retries[i-1])
			}
		}
	}
	if len(sink.acks) != want {
		t.Errorf("%d notifications acknowledged, want %d", len(sink.acks), want)
	}
}

func listAll(ts *testServer) ([]*gateway.Notification, error) {
	var ns []*gateway.Notification
	err := ts.app.Gateway.Store.View(context.Background(), func(tx gateway.Tx) (err error) {
		ns, err = tx.ListNotifications(gateway.NotificationFilter{}, 1000)
		return err
	})
	return ns, err
}
