// Server RSS and CPU: parsers of the /proc files (portable, so their tests run anywhere)
// and the RSS sampler. The readers themselves are in proc_linux.go (stubs in proc_other.go).

package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// procMem holds the memory fields read from /proc/<pid>/status, in KiB.
type procMem struct {
	RSSKiB int64 // VmRSS
	HWMKiB int64 // VmHWM: peak resident set size
}

// parseProcStatus reads VmRSS and VmHWM from the text of /proc/<pid>/status.
func parseProcStatus(s string) (procMem, error) {
	var m procMem
	var haveRSS bool
	for _, line := range strings.Split(s, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			return m, fmt.Errorf("%s: no value", key)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("%s: %w", key, err)
		}
		if len(f) > 1 {
			switch strings.ToLower(f[1]) {
			case "kb":
			case "mb":
				n *= 1024
			default:
				return m, fmt.Errorf("%s: unknown unit %q", key, f[1])
			}
		}
		if key == "VmRSS" {
			m.RSSKiB, haveRSS = n, true
		} else {
			m.HWMKiB = n
		}
	}
	if !haveRSS {
		return m, errors.New("no VmRSS line (kernel thread or exited process?)")
	}
	return m, nil
}

// rssSampler polls a process's VmRSS while a scenario runs and keeps the peak.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	peak  atomic.Int64
	err   atomic.Value // string
}

func startRSSSampler(pid int, every time.Duration) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	if pid <= 0 {
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			m, err := readProcMem(pid)
			if err != nil {
				s.err.Store(err.Error())
			} else if m.RSSKiB > s.peak.Load() {
				s.peak.Store(m.RSSKiB)
			}
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() int64 {
	select {
	case <-s.stopc:
	default:
		close(s.stopc)
	}
	<-s.done
	return s.peak.Load()
}

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on Linux).
const clockTicks = 100

// parseProcStat returns utime+stime from the text of /proc/<pid>/stat.
func parseProcStat(s string) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may contain spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no ')' in stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat has %d fields after the name, want ≥ 13", len(f))
	}
	ut, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	st, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// sysCPU is the machine-wide CPU time from the first line of /proc/stat.
type sysCPU struct {
	busy   time.Duration // user nice system irq softirq steal
	iowait time.Duration
}

// parseSystemStat reads the aggregate "cpu" line of /proc/stat.
func parseSystemStat(s string) (sysCPU, error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return sysCPU{}, fmt.Errorf("unexpected /proc/stat first line %q", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return sysCPU{}, fmt.Errorf("/proc/stat field %d: %w", i+1, err)
		}
		v[i] = n
	}
	// user nice system idle iowait irq softirq steal
	busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
	return sysCPU{
		busy:   time.Duration(busy) * time.Second / clockTicks,
		iowait: time.Duration(v[4]) * time.Second / clockTicks,
	}, nil
}
