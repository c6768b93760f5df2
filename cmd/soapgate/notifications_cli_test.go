package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/config"
	"soapgate/notify"
)

var spaces = regexp.MustCompile(`[ \t]+`)

// cli runs the soapgate command line in-process and returns its output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestNotificationsCLI drives `soapgate notifications list | show | replay` against the
// database of a running server: filters, every attempt with its status, reply and error,
// and a replay that the server sends and that keeps the history.
func TestNotificationsCLI(t *testing.T) {
	rc := newReceiver(t)
	// The first notification of cli-1 is refused with a reply that tries to drive the
	// operator's terminal; everything else is acknowledged.
	var refused atomic.Bool
	rc.reply = func(n int, f map[string]string) (int, string) {
		if f["ordernumber"] == "cli-1" && refused.CompareAndSwap(false, true) {
			return 403, "forbidden \x1b[2J\x1b[31mred"
		}
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cli-1"))
	bill1 := text(t, doc, "//order/billnumber")
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cli-2"))
	bill2 := text(t, doc, "//order/billnumber")
	rc.wait(t, 2)
	waitFor(t, "both attempts to be recorded", func() bool {
		out, _ := cli(t, "notifications", "list", "--config", testConfig, "--state", "pending")
		return !strings.Contains(out, bill1) && !strings.Contains(out, bill2)
	})

	out, err := cli(t, "notifications", "list", "--config", testConfig, "--merchant", "700001", "--ordernumber", "cli-1")
	if err != nil || !strings.Contains(out, bill1) || strings.Contains(out, bill2) || !strings.Contains(out, "rejected") {
		t.Fatalf("list --ordernumber cli-1: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--merchant", "700002"}, {"--state", "failed"}, {"--since", "2099-01-01"}} {
		out, err := cli(t, append([]string{"notifications", "list", "--config", testConfig}, args...)...)
		if err != nil || strings.Contains(out, bill1) || strings.Contains(out, bill2) {
			t.Errorf("list %v lists what it should not: %v\n%s", args, err, out)
		}
	}
	if _, err := cli(t, "notifications", "list", "--config", testConfig, "--since", "yesterday"); err == nil {
		t.Error("--since yesterday was accepted")
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+700001\s+cli-1\s`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no id in\n%s", out)
	}

	out, err = cli(t, "notifications", "show", id[1], "--config", testConfig)
	if err != nil {
		t.Fatal(err)
	}
	out = spaces.ReplaceAllString(out, " ")
	for _, want := range []string{"state rejected", "billnumber " + bill1, "checkvalue ", "signature ", "ordernumber cli-1", "orderstate Approved",
		"403", `"HTTP 403 Forbidden"`, `"forbidden \x1b[2J\x1b[31mred"`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Errorf("show wrote a raw escape character from the merchant's reply:\n%q", out)
	}

	// A replay is sent by the running server and keeps the history.
	if out, err := cli(t, "notifications", "replay", id[1], "--config", testConfig); err != nil || !strings.Contains(out, "queued") {
		t.Fatalf("replay: %v %s", err, out)
	}
	rc.wait(t, 3)
	waitFor(t, "the replay to be recorded", func() bool {
		out, _ = cli(t, "notifications", "show", id[1], "--config", testConfig)
		out = spaces.ReplaceAllString(out, " ")
		return strings.Contains(out, "state delivered")
	})
	if !strings.Contains(out, "attempts 2") || !strings.Contains(out, "replayed after attempt 1") || !regexp.MustCompile(`(?m)^ 2 [0-9. :]+ 200 delivered`).MatchString(out) {
		t.Fatalf("after the replay:\n%s", out)
	}

	// Unknown ids and missing databases are errors; a missing database is not created.
	if _, err := cli(t, "notifications", "show", "99999", "--config", testConfig); err == nil {
		t.Error("show of an unknown id succeeded")
	}
	missing := filepath.Join(t.TempDir(), "nope", "missing.db")
	t.Setenv("SOAPGATE_DATABASE_PATH", missing)
	t.Setenv("SOAPGATE_DATABASE_DRIVER", "sqlite") // a missing file: in the PostgreSQL pass too
	for _, args := range [][]string{{"list"}, {"show", "1"}, {"replay", "1"}} {
		_, err := cli(t, append(append([]string{"notifications"}, args...), "--config", testConfig)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("%v on a missing database: %v", args, err)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing database was created: %v", err)
	}
}

// TestNotify_RetentionPrunes: a due job deletes delivered notifications (and their attempts)
// once gateway.notify_retention has passed since their delivery; pending and failed ones stay.
func TestNotify_RetentionPrunes(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		if f["ordernumber"] == "ret-2" {
			return 500, "down"
		}
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false), func(c *config.Config) { c.Gateway.NotifyRetention = 24 * time.Hour })
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "ret-1"))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "ret-2"))
	rc.wait(t, 2)
	states := func() map[string]string {
		ns, err := listAll(ts)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, n := range ns {
			out[n.Payload.Order.OrderNumber] = string(n.State)
		}
		return out
	}
	waitFor(t, "ret-1 to be delivered", func() bool { return states()["ret-1"] == "delivered" })
	ts.advance(t, "23h")
	if got := states(); got["ret-1"] != "delivered" || got["ret-2"] == "" {
		t.Fatalf("before the retention passed: %v", got)
	}
	ts.advance(t, "2h")
	if got := states(); got["ret-1"] != "" || got["ret-2"] == "" {
		t.Fatalf("after the retention passed: %v, want ret-1 pruned and ret-2 kept", got)
	}
}
