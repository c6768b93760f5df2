//go:build linux

// Readers of /proc and of loadgen's own resource usage (Linux only; proc_other.go stubs them).

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// readProcMem reads VmRSS and VmHWM of process pid.
func readProcMem(pid int) (procMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMem{}, err
	}
	return parseProcStatus(string(b))
}

// readProcCPU is the user+system CPU time of process pid.
func readProcCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
}

// readSystemCPU reads the machine-wide CPU time.
func readSystemCPU() (sysCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return sysCPU{}, err
	}
	return parseSystemStat(string(b))
}

// loadavg returns the first three fields of /proc/loadavg, or "" when unreadable.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// selfCPU is loadgen's own user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processAlive reports whether process pid still exists (signal 0).
func processAlive(pid int) error {
	return syscall.Kill(pid, 0)
}
