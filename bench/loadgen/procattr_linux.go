//go:build linux

package main

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes the baseline process die with loadgen.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
