// Interleaving: scenarios compared with each other run in turn, a slice at a time.

package main

import (
	"fmt"
	"os"
	"time"
)

// interleaved runs each scenario for cfg.dur/cfg.rounds, the scenarios in turn, cfg.rounds
// times (warm-up in the first round only), and returns each scenario's slices merged.
func interleaved(cfg config, runs []func(config) result) []result {
	rounds := max(cfg.rounds, 1)
	c := cfg
	c.dur = max(cfg.dur/time.Duration(rounds), time.Second)
	out := make([]result, len(runs))
	for round := 0; round < rounds; round++ {
		if rounds > 1 {
			fmt.Fprintf(os.Stderr, "  round %d of %d\n", round+1, rounds)
		}
		for i, run := range runs {
			r := run(c)
			if round == 0 {
				out[i] = r
			} else {
				out[i].merge(r)
			}
		}
		c.warmup = 0
	}
	return out
}

// merge adds another slice of the same scenario.
func (r *result) merge(o result) {
	if r.Failed != "" {
		return
	}
	if o.Failed != "" {
		r.Failed = o.Failed
		return
	}
	r.OK += o.OK
	r.Errors += o.Errors
	r.Requests += o.Requests
	r.Elapsed += o.Elapsed
	r.ServerCPU += o.ServerCPU
	r.ClientCPU += o.ClientCPU
	r.SystemCPU += o.SystemCPU
	r.IOWait += o.IOWait
	r.ServerCPUSec, r.ClientCPUSec = r.ServerCPU.Seconds(), r.ClientCPU.Seconds()
	r.SystemCPUSec, r.IOWaitSec = r.SystemCPU.Seconds(), r.IOWait.Seconds()
	r.PeakRSSKiB = max(r.PeakRSSKiB, o.PeakRSSKiB)
	for _, e := range o.ErrorSamples {
		if len(r.ErrorSamples) < 8 {
			r.ErrorSamples = append(r.ErrorSamples, e)
		}
	}
	lat := append(r.lat, o.lat...)
	maxLat := max(r.Max, o.Max)
	r.finish(lat)
	r.Max = max(r.Max, maxLat)
	r.MaxMs = ms(r.Max)
}
