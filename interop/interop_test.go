// Package interop_test runs real third-party SOAP clients (python zeep, PHP SoapClient)
// against a freshly built soapgate binary. The clients are written against the
// protocol (docs/protocol.md), not against the code. See README.md in this folder.
package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	pythonBin      = "/usr/bin/python3" // Debian's python3 with python3-zeep (not pyenv's)
	healthzTimeout = 20 * time.Second
	stopTimeout    = 15 * time.Second
	scriptTimeout  = 3 * time.Minute
)

var (
	binPath  string // the soapgate binary TestMain built
	repoRoot string // the module root (the parent of interop/)
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	repoRoot = filepath.Dir(wd)
	dir, err := os.MkdirTemp("", "soapgate-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	binPath = filepath.Join(dir, "soapgate")
	build := exec.Command("go", "build", "-o", binPath, "./cmd/soapgate")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "interop: go build ./cmd/soapgate: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// syncBuffer collects the server's output from its two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type server struct {
	BaseURL string
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{}
	waitErr error
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer starts the built binary with the tests' own copy of the sandbox config
// (never the working copy's config.yaml, which the README has people edit) on a free port
// and an empty database in a temp dir, waits for GET /healthz to answer 200, and at
// cleanup stops it with SIGTERM, failing the test unless it exits cleanly.
func startServer(t *testing.T) *server {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dbPath := filepath.Join(t.TempDir(), "soapgate.db")

	cmd := exec.Command(binPath, "serve", "--config", filepath.Join(repoRoot, "cmd", "soapgate", "testdata", "config.yaml"))
	cmd.Dir = repoRoot
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOAPGATE_") { // keep the run hermetic
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "SOAPGATE_LISTEN="+addr, "SOAPGATE_DATABASE_PATH="+dbPath)
	out := &syncBuffer{}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binPath, err)
	}
	s := &server{BaseURL: "http://" + addr, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop(t) })

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(healthzTimeout)
	for {
		select {
		case <-s.done:
			t.Fatalf("soapgate exited before it was ready: %v\noutput:\n%s", s.waitErr, out)
		default:
		}
		resp, err := client.Get(s.BaseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /healthz not 200 within %v (last: %v)\noutput:\n%s", healthzTimeout, describe(resp, err), out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

func (s *server) stop(t *testing.T) {
	select {
	case <-s.done:
		t.Errorf("soapgate exited while the test ran: %v\noutput:\n%s", s.waitErr, s.out)
		return
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
		if s.waitErr != nil {
			t.Errorf("soapgate did not exit cleanly on SIGTERM: %v\noutput:\n%s", s.waitErr, s.out)
		}
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("soapgate did not exit within %v of SIGTERM\noutput:\n%s", stopTimeout, s.out)
	}
	if t.Failed() {
		t.Logf("server output:\n%s", s.out)
	}
}

// requireTool fails the test when CI is set and skips it otherwise, if the probe fails.
func requireTool(t *testing.T, what string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s not available (%s %s: %v): %s", what, name, strings.Join(args, " "), err,
		strings.TrimSpace(string(out)))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// runScript runs one client script against a fresh server and fails with its output.
func runScript(t *testing.T, name string, args ...string) {
	t.Helper()
	srv := startServer(t)
	prefix := fmt.Sprintf("%s-%d", strings.ToLower(t.Name()), time.Now().UnixNano())

	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append(args, srv.BaseURL, prefix)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s timed out after %v\nstdout:\n%s\nstderr:\n%s", args[len(args)-1], scriptTimeout,
			stdout.String(), stderr.String())
	}
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s\nstdout (JSON summary):\n%s", name, strings.Join(args, " "), err,
			stderr.String(), stdout.String())
	}
	t.Logf("%s summary:\n%s", args[len(args)-1], stdout.String())
}

func TestZeep(t *testing.T) {
	requireTool(t, "python zeep", pythonBin, "-c", "import zeep")
	runScript(t, pythonBin, "zeep_client.py")
}

func TestPHPSoapClient(t *testing.T) {
	requireTool(t, "php with the soap extension", "php", "-r",
		`if (!extension_loaded("soap") || !class_exists("SoapClient")) { fwrite(STDERR, "no soap extension\n"); exit(1); }`)
	runScript(t, "php", "php_client.php")
}
