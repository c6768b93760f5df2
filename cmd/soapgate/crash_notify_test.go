package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/notify"
)

// TestNotify_Kill9DuringBurst kills the server with SIGKILL while it delivers a burst of
// notifications, restarts it on the same database, and checks that nothing is lost and that
// the only notifications sent twice are those whose attempt was in flight at the kill: every
// request the merchant received is a recorded attempt, except at most one per attempt that
// can have been in flight (notify_concurrency).
func TestNotify_Kill9DuringBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	rc := newReceiver(t)
	rc.arrived = make(chan struct{}, 10000)
	rc.reply = func(n int, f map[string]string) (int, string) {
		time.Sleep(5 * time.Millisecond) // keep attempts in flight
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	cfg := writeConfig(t, rc.URL)
	env := []string{"SOAPGATE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "burst.db"), "SOAPGATE_GATEWAY_NOTIFY_TIMEOUT=2s"}
	p := startProcess(t, cfg, env...)
	const payments = 240
	bills := make(chan string, payments)
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < payments; i += 8 {
				v := url.Values{}
				for k, val := range card("ordernumber", fmt.Sprintf("burst-%d", i), "format", "3") {
					v.Set(k, val)
				}
				res, err := http.PostForm(p.url+"/pay/silentpay.cfm", v)
				if err != nil {
					continue // the kill: this payment may or may not have committed
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 || !strings.Contains(string(b), "AS000") {
					continue
				}
				_, body, _ := strings.Cut(string(b), "<billnumber>")
				bill, _, _ := strings.Cut(body, "</billnumber>")
				bills <- bill
			}
		}()
	}
	waitFor(t, "deliveries to be under way", func() bool { return rc.count() >= payments/4 })
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	wg.Wait()
	close(bills)
	sentBeforeKill := rc.count()

	p = startProcess(t, cfg, env...)
	recorded := func() map[string][2]string {
		list := exec.Command(binary(t), "notifications", "list", "--limit", "100000", "--config", cfg)
		list.Env = append(os.Environ(), env...)
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("notifications list: %v\n%s", err, out)
		}
		got := map[string][2]string{}
		for _, line := range strings.Split(string(out), "\n")[1:] {
			if f := strings.Fields(line); len(f) >= 7 {
				got[f[3]] = [2]string{f[5], f[6]} // state, attempts
			}
		}
		return got
	}
	waitFor(t, "every notification to be delivered after the restart", func() bool {
		got := recorded()
		for _, v := range got {
			if v[0] != "delivered" {
				return false
			}
		}
		return len(got) > 0
	})
	got := recorded()
	// Nothing lost: every payment answered before the kill has its notification delivered.
	for bill := range bills {
		if got[bill][0] != "delivered" {
			t.Errorf("%s: notification %v after the restart", bill, got[bill])
		}
	}
	// Duplicates only for attempts in flight: each request the merchant got is a recorded
	// attempt, but for one per attempt in flight at the kill.
	sent := map[string]int{}
	for _, f := range rc.all() {
		sent[f["billnumber"]]++
	}
	unrecorded := 0
	for bill, n := range sent {
		attempts, _ := strconv.Atoi(got[bill][1])
		switch extra := n - attempts; {
		case extra == 1:
			unrecorded++
		case extra != 0:
			t.Errorf("%s: the merchant got %d requests, %d attempts recorded", bill, n, attempts)
		}
	}
	if unrecorded > notify.DefaultConcurrency {
		t.Errorf("%d requests without a recorded attempt, more than the %d that can be in flight", unrecorded, notify.DefaultConcurrency)
	}
	t.Logf("%d requests before the kill, %d notifications, %d sent again after the kill", sentBeforeKill, len(got), unrecorded)
}
