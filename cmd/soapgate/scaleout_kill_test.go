package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"soapgate/internal/pgtest"
	"soapgate/processor"
)

// TestScaleOut_KilledProcessWorkIsSettledByAnother runs two gateway processes on one
// PostgreSQL database, kills one with -9 while it has a payment and a confirm in flight (the
// slow card holds each processor call for 5 s), and shows the survivor settle both with the
// processor, without any restart, once the dead process's leases are gone and the grace has
// passed; the merchant is notified of both.
func TestScaleOut_KilledProcessWorkIsSettledByAnother(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("several processes need PostgreSQL: this test runs in the PostgreSQL pass (SOAPGATE_TEST_STORE=postgres; make test)")
	}
	if testing.Short() {
		t.Skip("waits for the settlement grace")
	}
	rc := newReceiver(t)
	cfg := writeConfig(t, rc.URL)
	env := []string{"SOAPGATE_DATABASE_DRIVER=postgres", "SOAPGATE_DATABASE_URL=" + pgtest.NewDatabase(t)}
	a, b := startProcess(t, cfg, env...), startProcess(t, cfg, env...)
	ta, tb := &testServer{URL: a.url}, &testServer{URL: b.url}

	// A two-stage payment on the slow card, made by B.
	_, doc := tb.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "k-auth", "delay", "1", "cardnumber", processor.SlowCard))
	if s := text(t, doc, "//order/orderstate"); s != "Delayed" {
		t.Fatalf("slow two-stage payment is %s", s)
	}
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")

	// A takes a new payment and a confirm, and dies while the acquirer holds both.
	for _, req := range []struct{ path, body string }{
		{"/pay/silentpay.cfm", envelope("silentpay", card("ordernumber", "k-pay", "cardnumber", processor.SlowCard))},
		{"/charge/charge.cfm", envelope("charge", with("billnumber", bill, "amount", "40.00", "currency", "RUB"))},
	} {
		go func() {
			if res, err := http.Post(ta.URL+req.path, "text/xml", strings.NewReader(req.body)); err == nil {
				res.Body.Close() // answered only if A finished first: the test then fails below
			}
		}()
	}
	waitFor(t, "A's payment and confirm in flight", func() bool {
		return orderStateOf(t, tb, "k-pay") == "In Process" && opState(t, tb, bill, bill+".2") == "In Process"
	})
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()

	// B settles both: the grace (gateway.SettleGrace) plus the acquirer's 5 s per call.
	waitLong(t, "B to settle the killed process's payment and confirm", func() bool {
		return orderStateOf(t, tb, "k-pay") == "Approved" && opState(t, tb, bill, bill+".2") == "Success"
	})
	_, doc = tb.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "k-auth"))
	if s := text(t, doc, "//order/orderstate"); s != "PartialDelayed" {
		t.Fatalf("after the settled confirm k-auth is %s, want PartialDelayed", s)
	}
	waitLong(t, "notifications of the settled payment and confirm", func() bool {
		var pay, confirm bool
		for _, f := range rc.all() {
			pay = pay || (f["ordernumber"] == "k-pay" && f["orderstate"] == "Approved")
			confirm = confirm || (f["billnumber"] == bill+".2" && f["orderstate"] == "PartialDelayed")
		}
		return pay && confirm
	})
	// Settled once: one payment under the ordernumber, the confirm made once.
	_, doc = tb.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	if ops := doc.FindElements("//operation"); len(ops) != 2 {
		t.Fatalf("%d operations on %s, want the payment and one confirm", len(ops), bill)
	}
}

// orderStateOf is the state of the only order under an ordernumber, or "" when there is none.
func orderStateOf(t *testing.T, ts *testServer, num string) string {
	t.Helper()
	res, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", num))
	if res.Status != 200 {
		return ""
	}
	if el := doc.FindElement("//order/orderstate"); el != nil {
		return el.Text()
	}
	return ""
}

// waitLong is waitFor with room for a wait the design sets (a grace period, a slow acquirer).
// A state, when given, is reported on failure.
func waitLong(t *testing.T, what string, cond func() bool, state ...*string) {
	t.Helper()
	deadline := time.Now().Add(3 * waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			if len(state) > 0 {
				t.Fatalf("timed out waiting for %s: %s", what, *state[0])
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
