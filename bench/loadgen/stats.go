// Results: one scenario's counts, latencies and CPU use.

package main

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// result is one scenario's outcome.
type result struct {
	Name         string        `json:"name"`
	Requests     int64         `json:"requests"` // completed attempts (ok + errors)
	OK           int64         `json:"ok"`
	Errors       int64         `json:"errors"`
	Elapsed      time.Duration `json:"-"`
	ElapsedSec   float64       `json:"elapsed_s"`
	RPS          float64       `json:"per_second"` // successful requests (or commits) per second
	P50          time.Duration `json:"-"`
	P99          time.Duration `json:"-"`
	P50ms        float64       `json:"p50_ms"`
	P99ms        float64       `json:"p99_ms"`
	ErrorSamples []string      `json:"error_samples,omitempty"`
	Note         string        `json:"note,omitempty"`
	Failed       string        `json:"failed,omitempty"` // the scenario could not run
	PeakRSSKiB   int64         `json:"peak_rss_kib,omitempty"`
	// CPU time used during the measured phase by the server process (the plain
	// baseline's own process for plain; none for sqlite-commit) and by loadgen itself.
	ServerCPU    time.Duration `json:"-"`
	ClientCPU    time.Duration `json:"-"`
	ServerCPUSec float64       `json:"server_cpu_s,omitempty"`
	ClientCPUSec float64       `json:"client_cpu_s,omitempty"`
	// Whole machine over the measured phase (from /proc/stat): busy CPU time of every
	// process, and time CPUs sat idle waiting for I/O.
	SystemCPU    time.Duration   `json:"-"`
	IOWait       time.Duration   `json:"-"`
	SystemCPUSec float64         `json:"system_cpu_s,omitempty"`
	IOWaitSec    float64         `json:"iowait_s,omitempty"`
	Max          time.Duration   `json:"-"`
	MaxMs        float64         `json:"max_ms"`
	lat          []time.Duration // every latency, sorted (kept to merge interleaved slices)
}

// measureCPU charges the machine's CPU use during fn to r.
func measureCPU(r *result, serverPID int, fn func()) {
	srv0, srvErr := readProcCPU(serverPID)
	cli0 := selfCPU()
	sys0, sysErr := readSystemCPU()
	fn()
	r.ClientCPU = selfCPU() - cli0
	r.ClientCPUSec = r.ClientCPU.Seconds()
	if serverPID > 0 && srvErr == nil {
		if srv1, err := readProcCPU(serverPID); err == nil {
			r.ServerCPU = srv1 - srv0
			r.ServerCPUSec = r.ServerCPU.Seconds()
		}
	}
	if sysErr == nil {
		if sys1, err := readSystemCPU(); err == nil {
			r.SystemCPU = sys1.busy - sys0.busy
			r.IOWait = sys1.iowait - sys0.iowait
			r.SystemCPUSec = r.SystemCPU.Seconds()
			r.IOWaitSec = r.IOWait.Seconds()
		}
	}
}

// collect records a finished run: its time, counts, every worker's latencies and error samples.
func (r *result) collect(elapsed time.Duration, ok, bad int64, lats [][]time.Duration, errs *errSamples) {
	r.Elapsed, r.OK, r.Errors = elapsed, ok, bad
	r.Requests = ok + bad
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	r.finish(all)
	r.ErrorSamples = errs.samples()
}

func (r *result) finish(lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.lat = lat
	r.P50 = percentile(lat, 50)
	r.P99 = percentile(lat, 99)
	r.P50ms = ms(r.P50)
	r.P99ms = ms(r.P99)
	if n := len(lat); n > 0 {
		r.Max = lat[n-1]
		r.MaxMs = ms(r.Max)
	}
	r.ElapsedSec = r.Elapsed.Seconds()
	if r.Elapsed > 0 {
		r.RPS = float64(r.OK) / r.Elapsed.Seconds()
	}
}

func (r *result) errorRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.Requests)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the p-th percentile (nearest rank) of an ascending slice; 0 when empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

// errSamples keeps the first few distinct error messages of a scenario.
type errSamples struct {
	mu   sync.Mutex
	seen map[string]int
	list []string
}

func (e *errSamples) add(msg string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen == nil {
		e.seen = map[string]int{}
	}
	if _, ok := e.seen[msg]; ok {
		e.seen[msg]++
		return
	}
	if len(e.list) < 8 {
		e.seen[msg] = 1
		e.list = append(e.list, msg)
	}
}

func (e *errSamples) samples() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.list))
	for _, m := range e.list {
		if c := e.seen[m]; c > 1 {
			out = append(out, fmt.Sprintf("%s (×%d)", m, c))
		} else {
			out = append(out, m)
		}
	}
	return out
}
