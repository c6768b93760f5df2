package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/config"
)

// The start-up integrity check as a chain of trust (store/integrity.go): a clean stop leaves
// PATH.checked, the next start skips the full quick_check when the file is exactly as it
// records; a crash, a change to the file or an unreadable marker brings the full check back.

// fillAndStop starts the gateway on path, pays enough orders that the file has many pages
// (the last one holding only orders), and stops it cleanly.
func fillAndStop(t *testing.T, path string) {
	t.Helper()
	ts := startServerAt(t, path)
	for i := range 40 {
		ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", fmt.Sprintf("chk-%d", i), "ordercomment", strings.Repeat("x", 500)))
	}
	ts.Stop()
	if _, err := os.Stat(path + ".checked"); err != nil {
		t.Fatalf("no marker after a clean stop: %v", err)
	}
}

// startBanner starts the gateway in-process on path, returns its start-up banner's
// "integrity" value and stops it cleanly.
func startBanner(t *testing.T, path string) string {
	t.Helper()
	ts, logs := startLoggedAt(t, path, nil)
	waitFor(t, "the start-up banner", func() bool { return len(logs.find(t, "msg", "soapgate started")) > 0 })
	if _, err := os.Stat(path + ".checked"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the marker is still there while serving (%v)", err)
	}
	ts.Stop()
	return fmt.Sprint(logs.one(t, "msg", "soapgate started")["integrity"])
}

// openAppOn opens (and closes) the app with the test config on the database at path, as
// serve would, and returns what Open said.
func openAppOn(t *testing.T, path string) error {
	t.Helper()
	t.Setenv("SOAPGATE_DATABASE_PATH", path)
	cfg, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	app, err := Open(cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		app.Close()
	}
	return err
}

// openDamaged opens the app on path as serve would and wants the damaged-file refusal, found
// by (the check that reported it: "PRAGMA quick_check", or "sqlite" for a header SQLite
// itself refuses).
func openDamaged(t *testing.T, path, by string) {
	t.Helper()
	err := openAppOn(t, path)
	if err == nil {
		t.Fatal("a damaged database file started")
	}
	for _, want := range []string{path, "is damaged", by, "restore it from a backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in: %v", want, err)
		}
	}
	t.Log(err)
}

// TestStart_IntegrityBanner: the banner says how the file was trusted: the full quick_check
// on a first start, the marker after a clean stop, the full check again when the marker is
// garbage or database.startup_check is always.
func TestStart_IntegrityBanner(t *testing.T) {
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "banner.db")
	for _, step := range []struct {
		name, prepare, env string
		want               []string
	}{
		{"first start", "", "", []string{"full quick_check passed in ", "no marker of a clean stop"}},
		{"after a clean stop", "", "", []string{"unchanged since clean stop at ", "last full quick_check "}},
		{"again", "", "", []string{"unchanged since clean stop at "}},
		{"garbage marker", "garbage", "", []string{"full quick_check passed in ", "not a soapgate marker"}},
		{"startup_check: always", "", "always", []string{"full quick_check passed in ", "database.startup_check is always"}},
		{"auto again", "", "auto", []string{"unchanged since clean stop at "}},
	} {
		if step.prepare == "garbage" {
			if err := os.WriteFile(path+".checked", []byte("size=1 mtime=yesterday"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if step.env != "" {
			t.Setenv("SOAPGATE_DATABASE_STARTUP_CHECK", step.env)
		}
		got := startBanner(t, path)
		for _, want := range step.want {
			if !strings.Contains(got, want) {
				t.Errorf("%s: banner integrity=%q, want %q in it", step.name, got, want)
			}
		}
		t.Logf("%s: integrity=%q", step.name, got)
	}
}

// TestStart_FullCheckAfterKill9: a real serve process trusts the marker of the clean stop
// before it and removes it; killed with SIGKILL it cannot write another, so bytes damaged
// after the kill are found by the full check at the next start.
func TestStart_FullCheckAfterKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "killed.db")
	fillAndStop(t, path)

	p := startProcess(t, writeConfig(t, ""), "SOAPGATE_DATABASE_PATH="+path)
	if _, err := os.Stat(path + ".checked"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the marker is still there while serve runs (%v)", err)
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	if log := p.log.String(); !strings.Contains(log, `integrity="unchanged since clean stop at `) {
		t.Fatalf("the killed serve did not start from the marker:\n%s", log)
	}
	if _, err := os.Stat(path + ".checked"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a marker after kill -9 (%v)", err)
	}
	corruptBytes(t, path, func(n int) int { return n - 4096 + 8 }, func(n int) int { return n })
	openDamaged(t, path, "PRAGMA quick_check")
}

// TestDBCheck: `soapgate db check` runs the full quick_check on demand: a healthy file
// passes (its marker kept), a damaged one exits non-zero with serve's message and loses its
// marker; with no PATH it checks database.path of the configuration.
func TestDBCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "check.db")
	fillAndStop(t, path)

	out, err := runCLI(t, "db", "check", path)
	if err != nil || !strings.Contains(out, path+": PRAGMA quick_check ok") {
		t.Fatalf("healthy file: %v\n%s", err, out)
	}
	if _, err := os.Stat(path + ".checked"); err != nil {
		t.Fatalf("db check removed the marker of a healthy file: %v", err)
	}
	t.Setenv("SOAPGATE_DATABASE_PATH", path)
	if out, err := runCLI(t, "db", "check", "--config", testConfig); err != nil || !strings.Contains(out, "quick_check ok") {
		t.Fatalf("db check --config: %v\n%s", err, out)
	}

	corruptBytes(t, path, func(n int) int { return n - 4096 + 8 }, func(n int) int { return n })
	cmd := exec.Command(binary(t), "db", "check", path)
	b, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("damaged file: exit %v\n%s", err, b)
	}
	for _, want := range []string{path, "is damaged", "PRAGMA quick_check", "restore it from a backup"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %q in: %s", want, b)
		}
	}
	if _, err := os.Stat(path + ".checked"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the marker of a damaged file survived db check (%v)", err)
	}
	if _, err := runCLI(t, "db", "check", filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Error("db check of a missing file passed")
	}
	openDamaged(t, path, "PRAGMA quick_check")
}
