// The printed report.

package main

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fms", ms(d))
	default:
		return d.Round(time.Millisecond).String()
	}
}

func printReport(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\nsoapgate bench — %d clients, %gs per scenario (+%gs warm-up), %d CPUs, %s\n",
		rep.Concurrency, rep.DurationSec, rep.WarmupSec, rep.NumCPU, rep.GoVersion)
	if rep.URL != "" {
		fmt.Fprintf(w, "server %s", rep.URL)
		if rep.ServerPID > 0 {
			fmt.Fprintf(w, " (pid %d)", rep.ServerPID)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-14s %10s %11s %10s %10s %10s  %s\n", "scenario", "requests", "req/s", "p50", "p99", "max", "errors")
	fmt.Fprintf(w, "%-14s %10s %11s %10s %10s %10s  %s\n", "--------", "--------", "-----", "---", "---", "---", "------")
	for _, r := range rep.Scenarios {
		if r.Failed != "" {
			fmt.Fprintf(w, "%-14s FAILED: %s\n", r.Name, r.Failed)
			continue
		}
		errCol := strconv.FormatInt(r.Errors, 10)
		if r.Errors > 0 {
			errCol += fmt.Sprintf(" (%.2f%%)", 100*r.errorRate())
		}
		fmt.Fprintf(w, "%-14s %10d %11.1f %10s %10s %10s  %s\n", r.Name, r.Requests, r.RPS, fmtDur(r.P50), fmtDur(r.P99), fmtDur(r.Max), errCol)
	}
	fmt.Fprintln(w, "  (req/s counts successful requests; sqlite-commit: commits/s, one goroutine)")
	for _, r := range rep.Scenarios {
		if r.Note != "" {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-14s %10s %11s %10s %10s %10s\n", "cpu", "server", "server/req", "loadgen", "other", "iowait")
	for _, r := range rep.Scenarios {
		if r.Failed != "" || r.Elapsed <= 0 {
			continue
		}
		srv, per := "-", "-"
		if r.ServerCPU > 0 {
			srv = fmt.Sprintf("%.0f%%", 100*r.ServerCPU.Seconds()/r.Elapsed.Seconds())
			if r.Requests > 0 {
				per = fmtDur(r.ServerCPU / time.Duration(r.Requests))
			}
		}
		pct := func(d time.Duration) string {
			return fmt.Sprintf("%.0f%%", 100*d.Seconds()/r.Elapsed.Seconds())
		}
		other, iow := "-", "-"
		if r.SystemCPU > 0 {
			other = pct(max(0, r.SystemCPU-r.ServerCPU-r.ClientCPU))
			iow = pct(r.IOWait)
		}
		fmt.Fprintf(w, "%-14s %10s %11s %10s %10s %10s\n", r.Name, srv, per, pct(r.ClientCPU), other, iow)
	}
	fmt.Fprintf(w, "  (%% of one core over the measured phase, %d CPUs = %d%%; other = every other process on the machine)\n",
		rep.NumCPU, 100*rep.NumCPU)
	fmt.Fprintln(w, "  (server is the process doing the work, the plain handler's for plain*; openssl-rsa2048 has no CPU row;")
	fmt.Fprintln(w, "   the sign-* scenarios sign inside loadgen)")
	if rep.LoadBefore != "" {
		fmt.Fprintf(w, "  load average before %s, after %s\n", rep.LoadBefore, rep.LoadAfter)
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-34s %9s  %-8s %s\n", "ratio", "value", "target", "")
	for _, rt := range rep.Ratios {
		if !rt.Valid {
			fmt.Fprintf(w, "%-34s %9s  %-8s %s\n", rt.Name, "n/a", rt.Target, "n/a")
			continue
		}
		verdict := "BELOW"
		if rt.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "%-34s %9.2f  %-8s %s\n", rt.Name, rt.Value, rt.Target, verdict)
	}
	if rep.PeakRSSKiB > 0 || rep.HWMKiB > 0 {
		fmt.Fprintf(w, "  server RSS: peak VmRSS sampled under load %.1f MiB, VmHWM %.1f MiB\n",
			float64(rep.PeakRSSKiB)/1024, float64(rep.HWMKiB)/1024)
	}
	if rep.PlainRSSKiB > 0 {
		fmt.Fprintf(w, "  plain baseline process peak RSS %.1f MiB\n", float64(rep.PlainRSSKiB)/1024)
	}
	fmt.Fprintln(w, "  (targets are informational; exit status reflects errors only)")

	var anyErr bool
	for _, r := range rep.Scenarios {
		if len(r.ErrorSamples) == 0 {
			continue
		}
		if !anyErr {
			fmt.Fprintln(w, "\nerrors:")
			anyErr = true
		}
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(w, "  %s: %s\n", r.Name, e)
		}
	}
	for _, r := range rep.Scenarios {
		if r.Failed != "" || r.errorRate() > maxErrorRate {
			fmt.Fprintf(w, "\nFAIL: %s ", r.Name)
			if r.Failed != "" {
				fmt.Fprintf(w, "could not run: %s\n", r.Failed)
			} else {
				fmt.Fprintf(w, "error rate %.2f%% > %.0f%%\n", 100*r.errorRate(), 100*maxErrorRate)
			}
		}
	}
}
