package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

func printTable(w io.Writer, sizes []*size, names []string, cfg config, loadBefore, loadAfter string) {
	fmt.Fprintf(w, "\nsoapgate bench-scale — median per request, %d rounds × %d requests per size, sizes measured in turn\n",
		cfg.rounds, cfg.batch)
	fmt.Fprintf(w, "machine: %d CPUs, %s, %s; load average before %s, after %s\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), loadBefore, loadAfter)
	base := sizes[0]
	fmt.Fprintf(w, "%-38s", "orders")
	for _, s := range sizes {
		fmt.Fprintf(w, " %10s", power(s.n))
	}
	for _, s := range sizes[1:] {
		fmt.Fprintf(w, " %11s", power(s.n)+"/"+power(base.n))
	}
	fmt.Fprintln(w)
	row := func(name string, val func(*size) float64, format func(float64) string) {
		fmt.Fprintf(w, "%-38s", name)
		for _, s := range sizes {
			fmt.Fprintf(w, " %10s", format(val(s)))
		}
		for _, s := range sizes[1:] {
			if b := val(base); b > 0 {
				fmt.Fprintf(w, " %11.2f", val(s)/b)
			} else {
				fmt.Fprintf(w, " %11s", "-")
			}
		}
		fmt.Fprintln(w)
	}
	durf := func(v float64) string { return fmtDur(time.Duration(v)) }
	for _, name := range names {
		row(name, func(s *size) float64 { return float64(median(s.lat[name])) }, durf)
	}
	row("CSV of every order, per row", func(s *size) float64 { return float64(s.csvTime) / float64(max(s.csvRows, 1)) }, durf)
	row("CSV of every order, server RSS growth", func(s *size) float64 { return float64(max(s.rssPeak-s.rssBefore, 0)) / 1024 },
		func(v float64) string { return fmt.Sprintf("%.1fMiB", v) })
	row("seed (SQL, one transaction)", func(s *size) float64 { return float64(s.seedTime) }, durf)
	fmt.Fprintln(w, "  (requests over HTTP on loopback from one client, one at a time; \"in process\": the store call alone;")
	fmt.Fprintln(w, "   CSV RSS growth: highest resident memory of the server during the export minus before it)")
}
