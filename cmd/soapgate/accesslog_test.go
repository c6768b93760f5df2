package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServe_AccessLinesInBatches: a real serve process writes its access lines in batches
// (obs.BatchWriter), and that loses and reorders nothing. A line reaches standard error with
// no traffic after it; a failed login's WARN line goes out with every access line before it,
// after them; a graceful stop leaves every line written.
func TestServe_AccessLinesInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, writeConfig(t, ""), "SOAPGATE_DATABASE_PATH="+filepath.Join(t.TempDir(), "log.db"))
	ts := &testServer{URL: p.url}
	lines := func(s string) int { return strings.Count(p.log.String(), s) }
	const access = "msg=request"

	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "batch-0"))
	waitFor(t, "the access line of a lone request", func() bool { return lines(access) == 1 })

	const n = 50
	for range n {
		ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "batch-1"))
	}
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "batch-1", "password", "not-the-password"))
	const failed = "level=WARN msg=request"
	waitFor(t, "the failed login's access line", func() bool { return lines(failed) == 1 })
	log := p.log.String()
	if got := strings.Count(log, access); got != n+2 {
		t.Fatalf("%d access lines once the WARN line is out, want %d:\n%s", got, n+2, log)
	}
	if warn, last := strings.Index(log, failed), strings.LastIndex(log, "level=INFO msg=request"); warn < last {
		t.Fatalf("an access line after the WARN line that came after it:\n%s", log)
	}

	for range n {
		ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "batch-2"))
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	if got := lines(access); got != 2*n+2 {
		t.Fatalf("%d access lines after a graceful stop, want %d", got, 2*n+2)
	}
	all := strings.Split(strings.TrimSpace(p.log.String()), "\n")
	if last := all[len(all)-1]; !strings.Contains(last, "shutdown complete") {
		t.Fatalf("the log does not end with the shutdown line: %q", last)
	}
}
