package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"soapgate/config"
)

// TestHealth_ReadyAndDrain checks /healthz (alive, with the build) and /readyz, the start-up
// banner, and a graceful shutdown with a payment in flight (its body still arriving):
// /readyz (on metrics.listen, which outlives the main listener) answers 503 "shutting down"
// until the payment has finished, and the log says what shutdown waited for.
func TestHealth_ReadyAndDrain(t *testing.T) {
	ts, logs := startLogged(t, func(c *config.Config) { c.Metrics.Listen = "127.0.0.1:0" })
	ops := "http://" + ts.app.OpsAddr().String()

	code, h := getJSON(t, ts.URL+"/healthz")
	if code != 200 || h["status"] != "ok" || h["version"] == nil || h["go"] != runtime.Version() {
		t.Fatalf("/healthz: %d %v", code, h)
	}
	if code, r := getJSON(t, ts.URL+"/readyz"); code != 200 || r["status"] != "ready" {
		t.Fatalf("/readyz: %d %v", code, r)
	}
	abs, _ := filepath.Abs(ts.DBPath)
	banner := logs.one(t, "msg", "soapgate started")
	for k, want := range map[string]string{"url": ts.URL, "database": abs, "payment_page": ts.URL + "/pay/order.cfm",
		"monitor": ts.URL + "/monitor/", "metrics": ops + "/metrics", "clock": "real", "integrity": "full quick_check passed in ",
		"merchants": "700001 (Demo Shop), 700002 (Other Shop)", "version": "soapgate " + fmt.Sprint(h["version"])} {
		if got := fmt.Sprint(banner[k]); !strings.HasPrefix(got, want) {
			t.Errorf("banner %s = %q, want %q", k, got, want)
		}
	}

	// A payment whose body is still arriving is in flight until the test sends the rest.
	body := envelope("silentpay", card("ordernumber", "drain-1"))
	pr, pw := io.Pipe()
	slow := make(chan response, 1)
	go func() {
		res, err := http.Post(ts.URL+"/pay/silentpay.cfm", "text/xml; charset=utf-8", pr)
		if err != nil {
			slow <- response{Body: err.Error()}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		slow <- response{Status: res.StatusCode, Body: string(b)}
	}()
	io.WriteString(pw, body[:len(body)/2])
	waitFor(t, "the payment in flight", func() bool {
		return scrapeMetrics(t, ops+"/metrics").value("soapgate_requests_in_flight") == 1
	})
	ts.cancel()
	var reason any
	waitFor(t, "/readyz to answer 503 while draining", func() bool {
		code, r := getJSON(t, ops+"/readyz")
		reason = r["reason"]
		return code == 503
	})
	if reason != "shutting down" {
		t.Errorf("/readyz reason while draining: %v", reason)
	}
	io.WriteString(pw, body[len(body)/2:])
	pw.Close()
	if res := <-slow; res.Status != 200 || !strings.Contains(res.Body, "<responsecode>AS000</responsecode>") {
		t.Fatalf("the payment in flight was cut off by shutdown: %d\n%s", res.Status, res.Body)
	}
	if err := <-ts.done; err != nil {
		t.Fatal(err)
	}
	ts.app.Close()
	ts.app = nil
	logs.one(t, "msg", "shutting down: /readyz answers 503, waiting for requests in flight", "in_flight", "1")
	logs.one(t, "msg", "shutdown: requests in flight finished")
	logs.one(t, "msg", "shutdown: serving stopped")
	logs.one(t, "msg", "shutdown complete: database closed, queued writes committed")
}

// TestHealth_DatabaseGone: a closed database makes /healthz and /readyz answer 503.
func TestHealth_DatabaseGone(t *testing.T) {
	ts := startServer(t)
	ts.app.DB.Close()
	if code, h := getJSON(t, ts.URL+"/healthz"); code != 503 || h["status"] != "unavailable" {
		t.Errorf("/healthz without a database: %d %v", code, h)
	}
	if code, r := getJSON(t, ts.URL+"/readyz"); code != 503 || r["status"] != "not ready" {
		t.Errorf("/readyz without a database: %d %v", code, r)
	}
}

// TestStart_Refusals: a damaged database file, an unwritable database folder and a test
// clock nobody can move each stop the start with a message saying so.
func TestStart_Refusals(t *testing.T) {
	// Half the file overwritten fails as soon as SQLite opens it; the last page (orders
	// grow at the end of the file) overwritten past its header is found by quick_check.
	// Both stop the start with the same advice. The clean stop before leaves a marker of the
	// file's state (store/integrity.go); the damage changes the file's ctime, which user space
	// cannot set back, so the marker vouches for nothing even with the mtime put back.
	for _, damage := range []struct {
		name         string
		from, to     func(size int) int
		by           string
		restoreMtime bool
	}{
		{"half the file", func(n int) int { return n / 2 }, func(n int) int { return n - 4096 }, "damaged", false},
		{"last page", func(n int) int { return n - 4096 + 8 }, func(n int) int { return n }, "quick_check", false},
		{"last page, mtime set back", func(n int) int { return n - 4096 + 8 }, func(n int) int { return n }, "quick_check", true},
	} {
		t.Run("damaged database: "+damage.name, func(t *testing.T) {
			sqliteOnly(t)
			path := filepath.Join(t.TempDir(), "damaged.db")
			ts := startServerAt(t, path)
			for i := range 40 {
				ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", fmt.Sprintf("dmg-%d", i), "ordercomment", strings.Repeat("x", 500)))
			}
			ts.Stop()
			if _, err := os.Stat(path + ".checked"); err != nil {
				t.Fatalf("no marker after a clean stop: %v", err)
			}
			before, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			corruptBytes(t, path, damage.from, damage.to)
			if damage.restoreMtime {
				if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
					t.Fatal(err)
				}
			}
			openDamaged(t, path, damage.by) // integrity_test.go
		})
	}
	t.Run("database folder not writable", func(t *testing.T) {
		// Root writes anywhere a file's mode allows nothing; /sys refuses file creation to
		// everyone, root included.
		paths := []string{"/sys/soapgate-test.db", "/sys/soapgate-test/new-folder/soapgate.db"}
		if os.Geteuid() != 0 {
			dir := filepath.Join(t.TempDir(), "ro")
			if err := os.Mkdir(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, filepath.Join(dir, "soapgate.db"))
		}
		for _, p := range paths {
			if _, err := os.Stat("/sys"); err != nil && strings.HasPrefix(p, "/sys/") {
				continue
			}
			err := openAppOn(t, p) // integrity_test.go
			if err == nil {
				t.Fatalf("%s: started", p)
			}
			if !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s: %v", p, err)
			}
		}
	})
	t.Run("test clock without admin token", func(t *testing.T) {
		t.Setenv("SOAPGATE_CLOCK", "test")
		t.Setenv("SOAPGATE_ADMIN_TOKEN", "")
		err := openAppOn(t, filepath.Join(t.TempDir(), "c.db"))
		if err == nil {
			t.Fatal("clock: test without admin.token started")
		}
		if !strings.Contains(err.Error(), "admin.token") {
			t.Errorf("test clock without a token: %v", err)
		}
	})
}

// corruptBytes overwrites the file's bytes [from, to) with a pattern, as a bad disk or a
// torn copy would.
func corruptBytes(t *testing.T, path string, from, to func(size int) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 8*4096 {
		t.Fatalf("database of %d bytes is too small to damage usefully", len(b))
	}
	for i := from(len(b)); i < to(len(b)); i++ {
		b[i] = byte(0xA5 ^ i)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestVersion: `soapgate version` and `--version` print the build's version, VCS revision
// and Go version.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(binary(t), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		outs = append(outs, strings.TrimSpace(string(out)))
	}
	if outs[0] != outs[1] {
		t.Errorf("version %q, --version %q", outs[0], outs[1])
	}
	if !strings.HasPrefix(outs[0], "soapgate ") || !strings.HasSuffix(outs[0], runtime.Version()) {
		t.Errorf("version: %q", outs[0])
	}
	// The revision and time are the build's own: whatever `go version -m` reads from the
	// binary is what it prints. (Go stamps them when it builds in a git checkout; not in a
	// git worktree, nor with -buildvcs=false.)
	info, err := exec.Command("go", "version", "-m", binary(t)).Output()
	if err != nil {
		t.Fatal(err)
	}
	stamped := false
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "build" && (strings.HasPrefix(f[1], "vcs.revision=") || strings.HasPrefix(f[1], "vcs.time=")) {
			stamped = true
			k, v, _ := strings.Cut(f[1], "=")
			if want := map[string]string{"vcs.revision": "revision ", "vcs.time": "built from "}[k] + v; !strings.Contains(outs[0], want) {
				t.Errorf("version %q does not say %q", outs[0], want)
			}
		}
	}
	if !stamped {
		t.Log("this build carries no VCS information; only the format was checked")
	}
}
