package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAttack_SecondServeOnOneFile: two gateways on one SQLite file would each run the
// background work and each trust its own in-process locks. The second `serve` refuses to
// start and names the process that holds the file; after the first stops, it starts.
func TestAttack_SecondServeOnOneFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	cfg := writeConfig(t, "")
	first := startProcess(t, cfg, "SOAPGATE_DATABASE_PATH="+db)

	second := exec.Command(binary(t), "serve", "--config", cfg)
	second.Env = append(second.Environ(), "SOAPGATE_DATABASE_PATH="+db, "SOAPGATE_LISTEN=127.0.0.1:0")
	out, err := second.CombinedOutput()
	want := fmt.Sprintf("held by process %d", first.cmd.Process.Pid)
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("second serve on one file: err %v, output lacks %q:\n%s", err, want, out)
	}

	first.cmd.Process.Kill() // a kill -9 leaves no stale lock: the kernel drops it
	first.cmd.Wait()
	startProcess(t, cfg, "SOAPGATE_DATABASE_PATH="+db)
}
