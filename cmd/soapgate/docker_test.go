package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// dockerfile is what TestDeployment reads from ../../Dockerfile.
type dockerfile struct {
	build                string            // the go build command of the build stage
	copies               [][2]string       // runtime stage COPY source → destination (sources in the repository)
	env                  map[string]string // runtime ENV
	volume, user, expose string
	cmd, entrypoint      []string
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines, drop comments.
	var lines []string
	cur := ""
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		if s := strings.TrimSpace(cur + l); s != "" {
			lines = append(lines, s)
		}
		cur = ""
	}
	d := dockerfile{env: map[string]string{}}
	stage := 0
	jsonArray := func(s string) []string {
		var out []string
		if err := yaml.Unmarshal([]byte(s), &out); err != nil {
			t.Fatalf("Dockerfile: %q is not a JSON array: %v", s, err)
		}
		return out
	}
	for _, l := range lines {
		instr, arg, _ := strings.Cut(l, " ")
		arg = strings.TrimSpace(arg)
		switch strings.ToUpper(instr) {
		case "FROM":
			stage++
		case "RUN":
			if stage == 1 && strings.Contains(arg, "go build") {
				d.build = arg
			}
		case "COPY":
			if stage == 2 && !strings.HasPrefix(arg, "--from") {
				f := strings.Fields(arg)
				d.copies = append(d.copies, [2]string{f[0], f[1]})
			}
		case "ENV":
			for _, kv := range strings.Fields(arg) {
				k, v, _ := strings.Cut(kv, "=")
				d.env[k] = v
			}
		case "VOLUME":
			d.volume = arg
		case "USER":
			d.user = arg
		case "EXPOSE":
			d.expose = arg
		case "CMD":
			d.cmd = jsonArray(arg)
		case "ENTRYPOINT":
			d.entrypoint = jsonArray(arg)
		}
	}
	if stage != 2 {
		t.Fatalf("Dockerfile has %d stages, want 2 (build, runtime)", stage)
	}
	return d
}

// TestDeployment checks what no Docker engine can check here: the Dockerfile's build command
// builds (run as written, in the repository as the build context), its runtime stage lays out
// a sandbox that serves from /data as a non-root user, docker-compose.yml's commands and
// config work with that layout, and the systemd unit is valid.
func TestDeployment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary as the Dockerfile does")
	}
	d := parseDockerfile(t, "../../Dockerfile")
	if d.user == "" || strings.HasPrefix(d.user, "root") || strings.HasPrefix(d.user, "0") {
		t.Errorf("Dockerfile runs as %q, want a non-root user", d.user)
	}
	if d.volume != "/data" || !strings.HasPrefix(d.env["SOAPGATE_DATABASE_PATH"], "/data/") {
		t.Errorf("VOLUME %q, SOAPGATE_DATABASE_PATH %q: the database must live in the /data volume", d.volume, d.env["SOAPGATE_DATABASE_PATH"])
	}
	if !strings.Contains(d.build, "CGO_ENABLED=1") || !strings.Contains(d.build, "-o /out/soapgate") {
		t.Fatalf("build command %q: want a cgo build to /out/soapgate", d.build)
	}

	// The build command, as written, in the repository (the build context is copied to WORKDIR).
	out := t.TempDir()
	bin := filepath.Join(out, "soapgate")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "bash", "-c", strings.Replace(d.build, "/out/soapgate", bin, 1))
	build.Dir = "../.."
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the Dockerfile's build command failed: %v\n%s", err, b)
	}

	// The runtime image's files, under img/.
	img := t.TempDir()
	at := func(p string) string { return filepath.Join(img, p) }
	for _, c := range d.copies {
		if err := os.MkdirAll(filepath.Dir(at(c[1])), 0o755); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command("cp", "-r", filepath.Join("../..", c[0]), at(c[1])).CombinedOutput(); err != nil {
			t.Fatalf("COPY %s %s: %v %s", c[0], c[1], err, b)
		}
	}
	os.MkdirAll(at(d.volume), 0o755)
	env := cleanEnv()
	for k, v := range d.env {
		if strings.HasPrefix(v, "/") {
			v = at(v)
		}
		if k == "SOAPGATE_LISTEN" {
			if _, port, _ := net.SplitHostPort(v); port != d.expose {
				t.Errorf("SOAPGATE_LISTEN %s does not listen on the EXPOSEd port %s", v, d.expose)
			}
			v = "127.0.0.1:" + freePort(t)
		}
		env = append(env, k+"="+v)
	}
	run := func(args ...string) *exec.Cmd {
		for i, a := range args {
			if strings.HasPrefix(a, "/etc/") || strings.HasPrefix(a, "/data") {
				args[i] = at(a)
			}
		}
		if len(d.entrypoint) != 1 || d.entrypoint[0] != "soapgate" {
			t.Fatalf("ENTRYPOINT %v, want [soapgate]", d.entrypoint)
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env, cmd.Dir = env, at(d.volume)
		return cmd
	}

	t.Run("image default command serves the sandbox", func(t *testing.T) {
		cmd := run(d.cmd...)
		logs := tempFile(t)
		cmd.Stdout, cmd.Stderr = logs, logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
		var base string
		for _, kv := range cmd.Env {
			if v, ok := strings.CutPrefix(kv, "SOAPGATE_LISTEN="); ok {
				base = "http://" + v
			}
		}
		waitFor(t, "the image's command to serve", func() bool {
			res, err := http.Get(base + "/healthz")
			if err == nil {
				res.Body.Close()
			}
			return err == nil && res.StatusCode == 200
		})
		v := url.Values{}
		for k, val := range card("ordernumber", "docker-1") {
			v.Set(k, val)
		}
		res, err := http.PostForm(base+"/pay/silentpay.cfm", v)
		if err != nil {
			t.Fatal(err)
		}
		doc := etreeRead(t, res)
		if got := text(t, doc, "//orderstate"); got != "Approved" {
			t.Errorf("a sandbox payment in the image layout: %s", got)
		}
		if _, err := os.Stat(at(d.env["SOAPGATE_DATABASE_PATH"])); err != nil {
			t.Errorf("the database is not in the volume: %v\n%s", err, readFile(t, logs.Name()))
		}
	})

	t.Run("docker-compose", func(t *testing.T) {
		var compose struct {
			Services map[string]struct {
				Build   any
				Image   string
				Command []string
				Volumes []string
			}
			Volumes map[string]any
		}
		b, err := os.ReadFile("../../docker-compose.yml")
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &compose); err != nil {
			t.Fatal(err)
		}
		gw, sink := compose.Services["gateway"], compose.Services["merchant-sink"]
		if gw.Command == nil || sink.Command == nil {
			t.Fatalf("docker-compose.yml needs the services gateway and merchant-sink with commands: %+v", compose.Services)
		}
		for _, v := range gw.Volumes {
			name, target, _ := strings.Cut(v, ":")
			if _, ok := compose.Volumes[name]; !ok || target != d.volume {
				t.Errorf("gateway volume %q: want a named volume on %s", v, d.volume)
			}
		}
		// The gateway's configuration, checked by the binary in the image layout.
		args := append([]string{"config", "check"}, gw.Command[1:]...)
		cc := run(args...)
		outB, err := cc.CombinedOutput()
		if err != nil || gw.Command[0] != "serve" {
			t.Fatalf("gateway command %v: config check: %v\n%s", gw.Command, err, outB)
		}
		// Its merchant notifies the sink service on the port the sink listens on.
		var listen string
		for i, a := range sink.Command {
			if a == "--listen" && i+1 < len(sink.Command) {
				listen = sink.Command[i+1]
			}
		}
		_, sinkPort, _ := net.SplitHostPort(listen)
		if want := "url: http://merchant-sink:" + sinkPort + "/"; !strings.Contains(string(outB), want) {
			t.Errorf("the gateway's configuration does not send notifications to the sink (%s):\n%s", want, outB)
		}
		// The sink's command line starts a listener (on a free port here).
		sinkArgs := append([]string(nil), sink.Command...)
		for i := range sinkArgs {
			if i > 0 && sinkArgs[i-1] == "--listen" {
				sinkArgs[i] = "127.0.0.1:" + freePort(t)
				listen = sinkArgs[i]
			}
		}
		sc := run(sinkArgs...)
		logs := tempFile(t)
		sc.Stdout, sc.Stderr = logs, logs
		if err := sc.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { sc.Process.Kill(); sc.Wait() }()
		waitFor(t, "the sink to listen", func() bool {
			if sc.ProcessState != nil {
				return true
			}
			c, err := net.Dial("tcp", listen)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		if s := readFile(t, logs.Name()); !strings.Contains(s, "signature: true") {
			t.Errorf("merchant-sink as composed: %s", s)
		}
	})

	t.Run("systemd unit", func(t *testing.T) {
		unit := map[string]string{}
		f, err := os.Open("../../docs/soapgate.service")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
				unit[k] = v
			}
		}
		if u := unit["User"]; u == "" || u == "root" {
			t.Errorf("User=%q, want a system user", u)
		}
		exe := strings.Fields(unit["ExecStart"])
		if len(exe) < 4 || exe[1] != "serve" || exe[2] != "--config" {
			t.Fatalf("ExecStart=%q", unit["ExecStart"])
		}
		if d, err := time.ParseDuration(strings.TrimSuffix(unit["TimeoutStopSec"], "s") + "s"); err != nil || d <= 20*time.Second {
			t.Errorf("TimeoutStopSec=%q: must exceed serve's 20 s graceful shutdown", unit["TimeoutStopSec"])
		}
		if !regexp.MustCompile(`^/var/lib/soapgate/`).MatchString(strings.TrimPrefix(unit["Environment"], "SOAPGATE_DATABASE_PATH=")) {
			t.Errorf("Environment=%q: the database belongs in the StateDirectory", unit["Environment"])
		}
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze not installed")
		}
		// Verify with this build as the binary (the installed path does not exist here).
		text := strings.ReplaceAll(strings.Join(lines, "\n"), exe[0], bin)
		p := filepath.Join(t.TempDir(), "soapgate.service")
		os.WriteFile(p, []byte(text), 0o644)
		if b, err := exec.Command(analyze, "verify", p).CombinedOutput(); err != nil || len(strings.TrimSpace(string(b))) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, b)
		}
	})
}
