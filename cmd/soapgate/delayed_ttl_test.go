package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
)

// delayedPay makes a two-stage payment and returns its billnumber (without the suffix).
func delayedPay(t *testing.T, ts *testServer, num string) string {
	t.Helper()
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", num, "delay", "1"))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "Delayed" {
		t.Fatalf("two-stage payment %s: %s", num, res.Body)
	}
	return strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
}

func lastState(t *testing.T, ts *testServer, num string) string {
	t.Helper()
	s := orderStates(t, ts, num)
	return s[len(s)-1]
}

// TestDelayedTTL_UnconfirmedTwoStageIsVoided: a Delayed order older than gateway.delayed_ttl
// (7 days by default) is voided by the due job, a PartialDelayed one has its unconfirmed rest
// released, each with a cancel notification and an operation 300 made through the cancel
// path; younger and one-stage orders are left alone; the monitor shows when each Delayed
// order expires.
func TestDelayedTTL_UnconfirmedTwoStageIsVoided(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	t0 := clockNow(t, ts)
	billA := delayedPay(t, ts, "ttl-a")
	billB := delayedPay(t, ts, "ttl-b")
	if res, _ := ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", billB, "amount", "40.00", "currency", "RUB")); res.Status != 200 {
		t.Fatalf("partial confirm: %s", res.Body)
	}
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "ttl-one"))
	waitNotes(t, rc, 4) // two payments, a confirm, a one-stage payment
	ts.advance(t, "72h")
	delayedPay(t, ts, "ttl-c")
	waitNotes(t, rc, 5)

	// The monitor shows when each Delayed order will be voided: 7 days after it was made.
	w := newWebClient(t, ts)
	w.signIn("demo_login", "demo_password1")
	wantA := t0.Add(7 * 24 * time.Hour).Format("02.01.2006 15:04:05")
	page := w.get("/monitor/orders/" + billA)
	if got := match(t, regexp.MustCompile(`id="delayed-expires">([^<]+)<`), page.Body); got != wantA+" GMT" {
		t.Errorf("order page: expires %q, want %q", got, wantA+" GMT")
	}
	list := w.get("/monitor/orders")
	rows := regexp.MustCompile(`(?s)<tr data-billnumber="(\d+)" data-state="([^"]+)">(.*?)</tr>`).FindAllStringSubmatch(list.Body, -1)
	seen := 0
	for _, r := range rows {
		hasExpiry := strings.Contains(r[3], `class="expires`)
		delayed := r[2] == "Delayed" || r[2] == "PartialDelayed"
		if hasExpiry != delayed {
			t.Errorf("list row %s (%s): expiry shown %v", r[1], r[2], hasExpiry)
		}
		if r[1] == billA && !strings.Contains(r[3], wantA) {
			t.Errorf("list row of A does not show %s:\n%s", wantA, r[3])
		}
		if delayed {
			seen++
		}
	}
	if seen != 3 {
		t.Errorf("list shows %d two-stage orders waiting, want 3", seen)
	}

	// One second before A's and B's time nothing is voided.
	ts.advance(t, (4*24*time.Hour - time.Second).String())
	if a, b := lastState(t, ts, "ttl-a"), lastState(t, ts, "ttl-b"); a != "Delayed" || b != "PartialDelayed" {
		t.Fatalf("before the TTL: %s %s", a, b)
	}
	ts.advance(t, "1s")
	for num, want := range map[string]string{"ttl-a": "Canceled", "ttl-b": "Approved", "ttl-c": "Delayed", "ttl-one": "Approved"} {
		if got := lastState(t, ts, num); got != want {
			t.Errorf("%s after the TTL: %s, want %s", num, got, want)
		}
	}
	// B keeps what was confirmed; the rest was released through a cancel operation.
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", billB))
	ops := doc.FindElements("//order/operation")
	if len(ops) != 3 || field(ops[2], "operationtype") != "300" || field(ops[2], "operationstate") != "Success" || field(ops[2], "amount") != "60.00" {
		s, _ := doc.WriteToString()
		t.Errorf("B's operations:\n%s", s)
	}
	// Notifications are told apart by billnumber: a merchant may receive one twice
	// (docs/protocol.md#81-when).
	got := waitNotes(t, rc, 7)
	if got[billA+".2"] != "300 Canceled" || got[billB+".3"] != "300 Approved" {
		t.Errorf("cancel notifications: %v", got)
	}
	// Once voided, the order shows no expiry and cannot be confirmed.
	if page := w.get("/monitor/orders/" + billA); strings.Contains(page.Body, `id="delayed-expires"`) {
		t.Error("a Canceled order still shows an expiry")
	}
	if res, doc := ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", billA)); res.Status == 200 || faultCodes(t, doc) != "10/202" {
		t.Errorf("confirm after the void: %s", res.Body)
	}

	// C, made three days later, goes three days later; nothing is voided twice.
	ts.advance(t, "72h")
	if got := lastState(t, ts, "ttl-c"); got != "Canceled" {
		t.Errorf("ttl-c: %s", got)
	}
	waitNotes(t, rc, 8)
	ts.advance(t, "24h")
	var bills []string
	for _, ns := range [][]gateway.NotificationDetail{ts.notifications(t, "700001", billA), ts.notifications(t, "700001", billB)} {
		for _, n := range ns {
			bills = append(bills, n.BillNumber)
		}
	}
	if len(bills) != 5 { // A: payment, void; B: payment, confirm, release
		t.Errorf("notifications of A and B: %v", bills)
	}
}

// waitNotes waits until the receiver has heard of n distinct operations and returns each
// one's "operationtype orderstate" by billnumber.
func waitNotes(t *testing.T, rc *receiver, n int) map[string]string {
	t.Helper()
	got := map[string]string{}
	waitFor(t, "notifications", func() bool {
		for _, f := range rc.all() {
			got[f["billnumber"]] = f["operationtype"] + " " + f["orderstate"]
		}
		return len(got) >= n
	})
	return got
}

// TestDelayedTTL_ConfiguredKey: gateway.delayed_ttl set (here through its SOAPGATE_ variable)
// replaces the 7 days.
func TestDelayedTTL_ConfiguredKey(t *testing.T) {
	t.Setenv("SOAPGATE_GATEWAY_DELAYED_TTL", "36h")
	ts := startRecurring(t)
	delayedPay(t, ts, "ttl-k")
	advance(t, ts, "35h")
	if got := lastState(t, ts, "ttl-k"); got != "Delayed" {
		t.Fatalf("after 35h: %s", got)
	}
	advance(t, ts, "1h")
	if got := lastState(t, ts, "ttl-k"); got != "Canceled" {
		t.Fatalf("after 36h: %s", got)
	}
}

// TestDelayedTTL_VoidLeavesWhatWasConfirmedMeanwhile: the void job lists three Delayed orders
// past the TTL and voids them one by one. The first is on the slow card and waits 5 s at the
// acquirer; meanwhile the merchant confirms the other two over HTTP. Those stay Approved with
// nothing refunded and no operation added: the void refuses an order that is no longer
// Delayed when its turn comes, where a plain cancel would refund what was just charged.
func TestDelayedTTL_VoidLeavesWhatWasConfirmedMeanwhile(t *testing.T) {
	if testing.Short() {
		t.Skip("the slow card takes 5 s per call")
	}
	ts := testClockServer(t)
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "race-1", "delay", "1", "cardnumber", slowCard))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "Delayed" {
		t.Fatalf("two-stage payment on the slow card: %s", res.Body)
	}
	slow := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	confirmed := []string{delayedPay(t, ts, "race-2"), delayedPay(t, ts, "race-3")}

	moved := make(chan string, 1)
	go func() { // the clock move answers once the void job has run
		req, _ := http.NewRequest("POST", ts.URL+"/admin/clock", strings.NewReader(`{"advance":"169h"}`))
		req.Header.Set("Authorization", "Bearer tok")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			moved <- err.Error()
			return
		}
		res.Body.Close()
		moved <- res.Status
	}()
	waitFor(t, "the void of the slow order at the acquirer", func() bool { return opState(t, ts, slow, slow+".2") == "In Process" })
	for _, bill := range confirmed {
		if res, doc := ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", bill)); res.Status != 200 || text(t, doc, "//order/orderstate") != "Approved" {
			t.Fatalf("confirm of %s while the job voids: %s", bill, res.Body)
		}
	}
	if status := <-moved; status != "200 OK" {
		t.Fatalf("the clock move: %s", status)
	}
	if got := lastState(t, ts, "race-1"); got != "Canceled" {
		t.Errorf("the slow order after the job: %s, want Canceled", got)
	}
	for i, bill := range confirmed {
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
		if state, ops := text(t, doc, "//order/orderstate"), len(doc.FindElements("//order/operation")); state != "Approved" || ops != 2 {
			t.Errorf("race-%d, confirmed during the job: %s with %d operations, want Approved with 2 (payment, confirm)", i+2, state, ops)
		}
	}
}
