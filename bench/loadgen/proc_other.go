//go:build !linux

// Stubs of the /proc readers where there is no /proc: loadgen still drives the server and
// reports requests/s and latency, without server RSS and CPU figures.

package main

import (
	"errors"
	"time"
)

var errNoProc = errors.New("no /proc on this system")

func readProcMem(pid int) (procMem, error)       { return procMem{}, errNoProc }
func readProcCPU(pid int) (time.Duration, error) { return 0, errNoProc }
func readSystemCPU() (sysCPU, error)             { return sysCPU{}, errNoProc }
func loadavg() string                            { return "" }
func selfCPU() time.Duration                     { return 0 }

// processAlive cannot tell here; -wait-healthz then waits for its timeout.
func processAlive(pid int) error { return nil }
