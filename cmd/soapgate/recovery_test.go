package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRecovery_InterruptedConfirmAndCancelSettledOnRestart kills the server (SIGKILL) while a
// confirm and a cancel on the slow card wait for the acquirer, after both were committed In
// Process. The restarted server settles them with the processor before it serves: the order
// states and operations are as if the requests had finished, and a client that retries reads
// the outcome instead of moving money again.
func TestRecovery_InterruptedConfirmAndCancelSettledOnRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; the slow card takes 5 s per call")
	}
	cfg := writeConfig(t, "")
	env := []string{"SOAPGATE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "r.db")}
	p := startProcess(t, cfg, env...)
	ts := &testServer{URL: p.url}

	// Two two-stage payments on the slow card, authorised in parallel (5 s).
	bills := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, num := range []string{"rec-confirm", "rec-cancel"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := ts.post(t, "/pay/silentpay.cfm", "text/xml", envelope("silentpay",
				card("ordernumber", num, "delay", "1", "cardnumber", slowCard)))
			mu.Lock()
			defer mu.Unlock()
			a := answerOf(res.Body)
			if !strings.HasPrefix(a, "Delayed ") {
				t.Errorf("payment %s answered %s", num, a)
				return
			}
			bills[num] = strings.TrimSuffix(strings.TrimPrefix(a, "Delayed "), ".1")
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	confirmBill, cancelBill := bills["rec-confirm"], bills["rec-cancel"]

	// Both requests die with the process; their answers never come.
	for path, body := range map[string]string{
		"/charge/charge.cfm":   envelope("charge", with("billnumber", confirmBill, "amount", "40.00", "currency", "RUB")),
		"/cancel/wscancel.cfm": envelope("WSCancelRequestParams", with("billnumber", cancelBill)),
	} {
		go func() {
			if res, err := http.Post(ts.URL+path, "text/xml", strings.NewReader(body)); err == nil {
				res.Body.Close()
			}
		}()
	}
	waitFor(t, "the confirm and the cancel to be In Process", func() bool {
		return opState(t, ts, confirmBill, confirmBill+".2") == "In Process" && opState(t, ts, cancelBill, cancelBill+".2") == "In Process"
	})
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startProcess(t, cfg, env...)
	ts = &testServer{URL: p.url}
	for _, c := range []struct{ bill, state string }{{confirmBill, "PartialDelayed"}, {cancelBill, "Canceled"}} {
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", c.bill))
		if got := text(t, doc, "//order/orderstate"); got != c.state {
			t.Errorf("after restart %s is %s, want %s", c.bill, got, c.state)
		}
		if got := opState(t, ts, c.bill, c.bill+".2"); got != "Success" {
			t.Errorf("after restart the interrupted operation %s.2 is %q, want Success", c.bill, got)
		}
	}
	// The client retries: the cancel answers the settled one, the confirm takes only what is left.
	res := ts.post(t, "/cancel/wscancel.cfm", "text/xml", envelope("WSCancelRequestParams", with("billnumber", cancelBill)))
	if got, want := answerOf(res.Body), "Canceled "+cancelBill+".2"; got != want {
		t.Errorf("cancel retried after restart: %s, want %s", got, want)
	}
	res = ts.post(t, "/charge/charge.cfm", "text/xml", envelope("charge", with("billnumber", confirmBill, "amount", "60.01", "currency", "RUB")))
	if got := answerOf(res.Body); got != "10/203" {
		t.Errorf("confirming more than is left after the settled confirm: %s, want 10/203", got)
	}
	if !strings.Contains(p.log.String(), "settled interrupted operation") {
		t.Errorf("the restart did not log the settlement:\n%s", p.log)
	}
}

// TestRecovery_PagePaymentSettledAsOfItsCard kills the server (SIGKILL) while a payment-page
// card waits for the acquirer. The page was opened in the last half hour of a month and the
// card, which expires with that month, is submitted ten minutes into the next: the acquirer
// declines it there. The restarted server asks the acquirer about the time the card was
// given, not the time the page was opened, so it records the decline the acquirer made.
func TestRecovery_PagePaymentSettledAsOfItsCard(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; the slow card takes 5 s per call")
	}
	cfg := writeConfig(t, "")
	env := []string{"SOAPGATE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "r.db"), "SOAPGATE_CLOCK=test", "SOAPGATE_ADMIN_TOKEN=tok"}
	p := startProcess(t, cfg, env...)
	ts := &testServer{URL: p.url}
	setClock := func(at time.Time) {
		t.Helper()
		if code, out := ts.admin(t, "POST", `{"set":"`+at.Format(time.RFC3339)+`"}`, "tok"); code != 200 {
			t.Fatalf("set the clock to %s: %d %v", at, code, out)
		}
	}
	_, out := ts.admin(t, "GET", "", "tok")
	now, err := time.Parse(time.RFC3339, out["now"])
	if err != nil {
		t.Fatalf("the test clock: %v %v", out, err)
	}
	monthEnd := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	setClock(monthEnd.Add(-30 * time.Minute))
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "rec-page")
	setClock(monthEnd.Add(10 * time.Minute))

	form := url.Values{"token": {match(t, reToken, w.get(page).Body)}, "CardNumber": {slowCard}, "CVC2": {"123"},
		"ExpireMonth": {strconv.Itoa(int(now.Month()))}, "ExpireYear": {strconv.Itoa(now.Year())}, "Cardholder": {"IVAN IVANOV"}}
	go func() { // its answer never comes: the process dies first
		if res, err := w.c.PostForm(ts.URL+page, form); err == nil {
			res.Body.Close()
		}
	}()
	waitFor(t, "the card on the order, at the acquirer", func() bool {
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "rec-page"))
		m := doc.FindElement("//operation/meannumber")
		return m != nil && m.Text() != "" && text(t, doc, "//order/orderstate") == "In Process"
	})
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startProcess(t, cfg, env...)
	ts = &testServer{URL: p.url}
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "rec-page"))
	if got := text(t, doc, "//order/orderstate"); got != "Declined" {
		t.Fatalf("after restart the page payment is %s (response code %s), want Declined: the card had expired when it was given",
			got, text(t, doc, "//operation/responsecode"))
	}
}
