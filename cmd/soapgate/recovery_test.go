package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
