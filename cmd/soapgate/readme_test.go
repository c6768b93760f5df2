package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeBlock is a shell block of README.md marked <!-- readme-test expect="…" … -->.
type readmeBlock struct {
	Line   int      // where the block starts in README.md
	Body   string   // the commands, as written
	Expect []string // text its output must contain
}

var (
	readmeMarker = regexp.MustCompile(`^<!-- readme-test((?:\s+expect="(?:[^"\\]|\\.)*")*)\s*-->$`)
	readmeExpect = regexp.MustCompile(`expect="((?:[^"\\]|\\.)*)"`)
)

// readmeBlocks returns README's marked shell blocks in order. A marker must be followed by a
// ```sh block; a malformed marker is an error rather than a silently skipped block.
func readmeBlocks(readme []byte) ([]readmeBlock, error) {
	var out []readmeBlock
	lines := strings.Split(string(readme), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "<!-- readme-test") {
			continue
		}
		m := readmeMarker.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("README.md:%d: malformed marker %q", i+1, line)
		}
		b := readmeBlock{Line: i + 2}
		for _, e := range readmeExpect.FindAllStringSubmatch(m[1], -1) {
			b.Expect = append(b.Expect, strings.ReplaceAll(e[1], `\"`, `"`))
		}
		if i+1 >= len(lines) || lines[i+1] != "```sh" {
			return nil, fmt.Errorf("README.md:%d: a readme-test marker must be followed by a ```sh block", i+1)
		}
		var body []string
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		b.Body = strings.Join(body, "\n")
		out = append(out, b)
	}
	return out, nil
}

// TestReadme runs README.md's marked shell blocks with bash, in order and in one shell (a
// block may use a variable an earlier one set), in a copy of the repository's files as a
// fresh clone has them, against the sandbox served as `make run` serves it. The only change
// made to the commands: the ports 80xx become free ports, so that the test runs beside
// anything else on the machine.
func TestReadme(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the README's walkthroughs")
	}
	for _, tool := range []string{"bash", "curl", "sed", "openssl", "xmlsec1", "make", "git", "base64", "date"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed to run the README", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(readme)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 5 {
		t.Fatalf("README.md has %d marked blocks; the curl, SOAP, openssl, CLI, notification and test-clock walkthroughs are expected", len(blocks))
	}
	clone := cloneWorkingCopy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	// Quick start: `make build`, then what `make run` serves, on a free port.
	ports := map[string]string{}
	port := func(p string) string {
		if ports[p] == "" {
			ports[p] = freePort(t)
		}
		return ports[p]
	}
	env := cleanEnv()
	if out, err := shellCommand(ctx, clone, env, "make build").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	mainURL := "http://127.0.0.1:" + port("8080")
	srv := shellCommand(ctx, clone, append(env, "SOAPGATE_LISTEN=127.0.0.1:"+port("8080")), "exec bin/soapgate serve --config config.yaml")
	var srvLog bytes.Buffer
	srv.Stdout, srv.Stderr = &srvLog, &srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killGroup(srv) })
	waitFor(t, "the sandbox to answer /healthz", func() bool {
		res, err := http.Get(mainURL + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	})

	// One script: a marker line on stdout and stderr before each block splits the output.
	hostPort := regexp.MustCompile(`127\.0\.0\.1:(80\d\d)`)
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range blocks {
		// The newline first: an answer printed without one would swallow the marker.
		fmt.Fprintf(&script, "printf '\\n@@block %d@@\\n'; printf '\\n@@block %d@@\\n' >&2\n", i, i)
		script.WriteString(hostPort.ReplaceAllStringFunc(b.Body, func(s string) string {
			return "127.0.0.1:" + port(s[len("127.0.0.1:"):])
		}))
		script.WriteString("\n")
	}
	fmt.Fprintf(&script, "printf '\\n@@block %d@@\\n'\n", len(blocks))
	sh := shellCommand(ctx, clone, env, script.String())
	// Files, not buffers: the background jobs the README starts keep the script's output
	// open after it ends, which a pipe would wait for.
	stdoutF, stderrF := tempFile(t), tempFile(t)
	sh.Stdout, sh.Stderr = stdoutF, stderrF
	runErr := sh.Run()
	// Background jobs the README starts (sink, second gateways) live in the script's group.
	t.Cleanup(func() { killGroup(sh) })
	stdout, stderr := readFile(t, stdoutF.Name()), readFile(t, stderrF.Name())
	outs, errs := splitBlocks(stdout, len(blocks)+1), splitBlocks(stderr, len(blocks)+1)
	for i, b := range blocks {
		where := fmt.Sprintf("README.md:%d", b.Line)
		for _, want := range b.Expect {
			if !strings.Contains(outs[i]+errs[i], want) {
				t.Errorf("%s: output lacks %q:\n%s\nstderr:\n%s", where, want, outs[i], errs[i])
			}
		}
		// Nothing alarming on standard error (xmlsec1's certificate complaints, curl errors).
		sc := bufio.NewScanner(strings.NewReader(errs[i]))
		for sc.Scan() {
			if l := sc.Text(); regexp.MustCompile(`(?i)\b(error|warning|fail(ed|ure)?)\b`).MatchString(l) {
				t.Errorf("%s: standard error says %q", where, l)
			}
		}
	}
	if runErr != nil {
		failed := len(blocks) - 1
		for i := range blocks {
			if !strings.Contains(stdout, fmt.Sprintf("@@block %d@@", i+1)) {
				failed = i
				break
			}
		}
		t.Fatalf("README.md:%d: the block failed: %v\nstdout:\n%s\nstderr:\n%s", blocks[failed].Line, runErr, outs[failed], errs[failed])
	}
	if s := srvLog.String(); regexp.MustCompile(`level=(ERROR|WARN)`).MatchString(s) {
		t.Errorf("the sandbox logged errors or warnings while the README ran:\n%s", s)
	}

	t.Run("services table", func(t *testing.T) {
		paths := readmeServicePaths(t, readme)
		for _, must := range []string{"/orderstate/orderstate.cfm", "/orderresult/orderresult.cfm", "/charge/charge.cfm",
			"/cancel/wscancel.cfm", "/pay/silentpay.cfm", "/recurrent/rp.cfm", "/pay/tokenpay.cfm", "/scheduler/scheduler.cfm",
			"/pay/oneclick/v1/token.cfm", "/pay/oneclick/v1/rem_token.cfm", "/pay/order.cfm", "/pay/payrequest.cfm", "/monitor/"} {
			if !paths[must] {
				t.Errorf("the Services table does not list %s", must)
			}
		}
		for p := range paths {
			base, req := mainURL, func(r *http.Request) {}
			if strings.HasPrefix(p, "/admin/") { // served only on the test clock, behind the token
				base = "http://127.0.0.1:" + port("8083")
				req = func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") }
			}
			r, _ := http.NewRequest("GET", base+p, nil)
			req(r)
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusNotFound {
				t.Errorf("the Services table lists %s, but GET %s is 404", p, p)
			}
		}
	})
}

// readmeServicePaths returns the paths in the README's Services table.
func readmeServicePaths(t *testing.T, readme []byte) map[string]bool {
	t.Helper()
	_, sec, ok := strings.Cut(string(readme), "\n## Services\n")
	if !ok {
		t.Fatal("README.md has no Services section")
	}
	paths := map[string]bool{}
	code := regexp.MustCompile("`(/[^`<> ]*)`")
	for _, line := range strings.Split(sec, "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### ") {
			break
		}
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) { // the path column
			paths[m[1]] = true
		}
	}
	if len(paths) == 0 {
		t.Fatal("no paths found in the README's Services table")
	}
	return paths
}

func splitBlocks(s string, n int) []string {
	out := make([]string, n)
	cur := -1
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, "@@block ") {
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "@@block "), "@@")); err == nil && i < n {
				cur = i
				continue
			}
		}
		if cur >= 0 {
			out[cur] += line
		}
	}
	return out
}

// cloneWorkingCopy copies the files a clone would have (tracked, plus new files not ignored,
// as they are in the working copy) into a temporary folder.
func cloneWorkingCopy(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not in a git working copy: %v", err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join("../..", f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() { // deleted in the working copy, or a link
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// cleanEnv is the test's environment without SOAPGATE_* variables: the README's commands
// run as in a fresh shell.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOAPGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

// shellCommand runs script with bash in dir, in its own process group so that whatever it
// starts in the background can be stopped with it.
func shellCommand(ctx context.Context, dir string, env []string, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// killGroup stops a shellCommand and everything it started.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		if cmd.ProcessState == nil {
			cmd.Wait()
		}
	}
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
