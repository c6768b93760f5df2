package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/notify"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/soapgate once per test run, for tests that need a real process to kill.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "soapgate-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "soapgate")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is the soapgate binary serving a config on a free port.
type process struct {
	cmd *exec.Cmd
	url string
	log *logBuffer // its standard output and error (ops_test.go)
}

func startProcess(t testing.TB, cfgPath string, env ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{cmd: exec.Command(binary(t), "serve", "--config", cfgPath), url: "http://" + addr, log: &logBuffer{}}
	p.cmd.Env = append(os.Environ(), append(env, "SOAPGATE_LISTEN="+addr)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(p.url + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
	}
	t.Fatalf("server did not become healthy:\n%s", p.log)
	return nil
}

// writeConfig writes a copy of testConfig with merchant 700001 notifying url, keys by
// absolute path.
func writeConfig(t testing.TB, url string) string {
	t.Helper()
	data, err := os.ReadFile(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := filepath.Abs("../../fixtures/keys")
	s := strings.ReplaceAll(string(data), "../../../fixtures/keys/", keys+"/")
	s = strings.Replace(s, `url: ""`, `url: "`+url+`"`, 1)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNotify_SurvivesKill9 kills the server with a notification pending and checks that the
// restarted server delivers it.
func TestNotify_SurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	rc := newReceiver(t)
	var mu sync.Mutex
	up := false
	rc.reply = func(n int, f map[string]string) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			return 503, "down"
		}
		return 200, notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
	}
	cfg := writeConfig(t, rc.URL)
	env := []string{"SOAPGATE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "k.db"), "SOAPGATE_CLOCK=test", "SOAPGATE_ADMIN_TOKEN=tok"}
	p := startProcess(t, cfg, env...)
	ts := &testServer{URL: p.url}
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "kill-1"))
	bill := text(t, doc, "//order/billnumber")
	rc.wait(t, 1)
	// Kill once the failed attempt is recorded: an attempt in flight at the kill would be
	// repeated only after its claim's lease ran out.
	waitFor(t, "the failed attempt to be recorded", func() bool {
		list := exec.Command(binary(t), "notifications", "list", "--state", "pending", "--config", cfg)
		list.Env = append(os.Environ(), env...)
		out, _ := list.CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 7 && f[3] == bill && f[6] == "1" {
				return true
			}
		}
		return false
	})
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	p.cmd.Wait()
	mu.Lock()
	up = true
	mu.Unlock()

	p = startProcess(t, cfg, env...)
	ts = &testServer{URL: p.url}
	ts.advance(t, "1m")
	if got := rc.wait(t, 2)[1]["billnumber"]; got != bill {
		t.Fatalf("after restart the receiver got %s, want %s", got, bill)
	}
	list := exec.Command(binary(t), "notifications", "list", "--state", "delivered", "--config", cfg)
	list.Env = append(os.Environ(), env...)
	out, err := list.CombinedOutput()
	if err != nil || !strings.Contains(string(out), bill) || !strings.Contains(string(out), "delivered") {
		t.Fatalf("notifications list: %v\n%s", err, out)
	}
}
