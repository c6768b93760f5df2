// Orchestration: run every scenario, compute the ratios, write the report.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"soapgate/signer"
)

type ratio struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Valid  bool    `json:"valid"`
	Target string  `json:"target"`
	Pass   bool    `json:"pass"`
}

type report struct {
	Started     time.Time `json:"started"`
	URL         string    `json:"url"`
	Concurrency int       `json:"concurrency"`
	DurationSec float64   `json:"duration_s"`
	WarmupSec   float64   `json:"warmup_s"`
	NumCPU      int       `json:"num_cpu"`
	GoVersion   string    `json:"go_version"`
	RunID       string    `json:"run_id"`
	Scenarios   []*result `json:"scenarios"`
	Ratios      []ratio   `json:"ratios"`
	ServerPID   int       `json:"server_pid,omitempty"`
	PeakRSSKiB  int64     `json:"server_peak_rss_kib,omitempty"` // max VmRSS sampled under load
	HWMKiB      int64     `json:"server_vmhwm_kib,omitempty"`    // VmHWM after the load
	PlainRSSKiB int64     `json:"plain_peak_rss_kib,omitempty"`
	LoadBefore  string    `json:"loadavg_before,omitempty"`
	LoadAfter   string    `json:"loadavg_after,omitempty"`
	ExitCode    int       `json:"exit_code"`
}

func run(cfg config) int {
	rep := &report{
		Started:     time.Now().UTC(),
		URL:         cfg.url,
		Concurrency: cfg.conc,
		DurationSec: cfg.dur.Seconds(),
		WarmupSec:   cfg.warmup.Seconds(),
		NumCPU:      runtime.NumCPU(),
		GoVersion:   runtime.Version(),
		RunID:       strconv.FormatInt(time.Now().UnixNano(), 36) + strconv.FormatInt(int64(os.Getpid()), 36),
		ServerPID:   cfg.pid,
		LoadBefore:  loadavg(),
	}
	client := newClient(cfg.conc, cfg.timeout)
	var counter atomic.Int64
	byName := map[string]*result{}
	add := func(r result) *result {
		p := &r
		rep.Scenarios = append(rep.Scenarios, p)
		byName[r.Name] = p
		return p
	}
	fmt.Fprintf(os.Stderr, "loadgen: run %s, %d clients, %s per scenario, %d CPUs\n",
		rep.RunID, cfg.conc, cfg.dur, rep.NumCPU)

	// Every figure is compared with its baseline measured in turn with it: a group's
	// scenarios run a slice of the duration each, in turn, cfg.rounds times, so that load
	// from other work on the machine falls on both sides of each ratio alike.
	group := func(runs ...func(config) result) []*result {
		var out []*result
		for _, r := range interleaved(cfg, runs) {
			out = append(out, add(r))
		}
		return out
	}
	osBody := orderstateBody("bench-os-" + rep.RunID)
	httpRun := func(name, url string, pid int, body func(int64) []byte, check func(int, []byte) error, rate float64) func(config) result {
		return func(c config) result {
			return runHTTP(c, scenario{name: name, url: url, body: body, check: check, rate: rate}, &counter, pid)
		}
	}
	plainPID, plainURL := 0, ""
	child, err := startPlainChild()
	if err != nil {
		add(result{Name: "plain", Failed: err.Error()})
	} else {
		defer child.stop()
		plainPID, plainURL = child.cmd.Process.Pid, "http://"+child.addr+orderstatePath
	}
	plain := func(rate float64) func(config) result {
		name := "plain"
		if rate > 0 {
			name = "plain-half"
		}
		return httpRun(name, plainURL, plainPID, func(int64) []byte { return osBody }, checkFirstcodeZero, rate)
	}

	if cfg.url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: no -url, running the baselines only")
		if plainURL != "" {
			group(plain(0))
		}
		add(runSQLiteCommit(cfg))
	} else {
		overall := startRSSSampler(cfg.pid, 50*time.Millisecond)
		var plainRSS *rssSampler
		if plainPID > 0 {
			plainRSS = startRSSSampler(plainPID, 100*time.Millisecond)
		}

		want := func(group string) bool {
			return cfg.only == "" || slices.Contains(strings.Split(cfg.only, ","), group)
		}
		// a. orderstate and orderresult of one approved order, beside the plain handler.
		on := "bench-os-" + rep.RunID
		ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
		status, body, err := soapPost(ctx, client, cfg.url+silentpayPath, silentpayBody(on))
		cancel()
		if err == nil {
			err = checkApproved(status, body)
		}
		switch {
		case !want("reads"):
		case err != nil:
			add(result{Name: "orderstate", Failed: "setup silentpay " + on + ": " + err.Error()})
		case plainURL == "":
			add(result{Name: "orderstate", Failed: "no plain baseline"})
		default:
			rs := group(plain(0),
				httpRun("orderstate", cfg.url+orderstatePath, cfg.pid, func(int64) []byte { return osBody }, checkFirstcodeZero, 0),
				httpRun("orderresult", cfg.url+orderresultPath, cfg.pid, func(int64) []byte { return orderresultBody(on) }, checkFirstcodeZero, 0))
			// b. latency at half orderstate's rate, an open load, on both.
			if half := rs[1].RPS / 2; half > 0 && rs[1].Failed == "" {
				hs := group(httpRun("orderstate-half", cfg.url+orderstatePath, cfg.pid, func(int64) []byte { return osBody }, checkFirstcodeZero, half),
					plain(half))
				hs[0].Note = fmt.Sprintf("open load at %.0f req/s (half of orderstate), latency from the scheduled start", half)
				hs[1].Note = "the plain handler at orderstate-half's rate"
			}
		}
		if plainRSS != nil {
			rep.PlainRSSKiB = plainRSS.stop()
			child.stop()
		}

		// c. RSA: crypto/rsa against the server's signer, in this process.
		if want("sign") {
			if std, chosen, err := signKeys(cfg.keyPath); err != nil {
				add(result{Name: "sign-crypto-rsa", Failed: err.Error()})
			} else {
				rs := group(func(c config) result { return runSign(c, "sign-crypto-rsa", std) },
					func(c config) result { return runSign(c, "sign-chosen", chosen) })
				rs[0].Note = "RSA-2048 PKCS#1 v1.5 signatures/s with Go's crypto/rsa, all cores"
				rs[1].Note = "the same with the server's signer: " + signer.Backend(chosen)
			}
		}

		// d. silentpay (a new ordernumber per request) beside OpenSSL's own RSA-2048
		// signatures, its ceiling, and raw single-row SQLite commits.
		prefix := "bench-sp-" + rep.RunID + "-"
		if want("pay") {
			group(runOpenSSLSpeed,
				httpRun("silentpay", cfg.url+silentpayPath, cfg.pid,
					func(i int64) []byte { return silentpayBody(prefix + strconv.FormatInt(i, 10)) }, checkApproved, 0),
				runSQLiteCommit)
		}

		// e. page: payment-page payments, order.cfm → card submit → redirect (page.go).
		if want("page") {
			add(runPage(cfg, rep.RunID, &counter))
		}

		rep.PeakRSSKiB = overall.stop()
		if cfg.pid > 0 {
			if m, err := readProcMem(cfg.pid); err == nil {
				rep.HWMKiB = m.HWMKiB
				if m.RSSKiB > rep.PeakRSSKiB {
					rep.PeakRSSKiB = m.RSSKiB
				}
			} else {
				fmt.Fprintf(os.Stderr, "loadgen: reading /proc/%d/status: %v\n", cfg.pid, err)
			}
			if e, ok := overall.err.Load().(string); ok && rep.PeakRSSKiB == 0 {
				fmt.Fprintf(os.Stderr, "loadgen: RSS sampling failed: %s\n", e)
			}
		}
	}

	rep.LoadAfter = loadavg()

	// Ratios.
	ratioOf := func(name, a, b, target string, min float64) {
		ra, rb := byName[a], byName[b]
		rt := ratio{Name: name, Target: target}
		if ra != nil && rb != nil && ra.Failed == "" && rb.Failed == "" && rb.RPS > 0 {
			rt.Value = ra.RPS / rb.RPS
			rt.Valid = true
			rt.Pass = rt.Value >= min
		}
		rep.Ratios = append(rep.Ratios, rt)
	}
	ratioOf("orderstate/plain", "orderstate", "plain", fmt.Sprintf(">= %.2f", targetOrderstateVsPlain), targetOrderstateVsPlain)
	p99 := ratio{Name: "orderstate-half p99 ms", Target: fmt.Sprintf("< %.0f", targetHalfP99ms)}
	if r := byName["orderstate-half"]; r != nil && r.Failed == "" && r.OK > 0 {
		p99.Value, p99.Valid = r.P99ms, true
		p99.Pass = p99.Value < targetHalfP99ms
	}
	rep.Ratios = append(rep.Ratios, p99)
	p99p := ratio{Name: "p99 orderstate/plain @half", Target: "info"}
	if a, b := byName["orderstate-half"], byName["plain-half"]; a != nil && b != nil && a.Failed == "" && b.Failed == "" && b.P99 > 0 {
		p99p.Value, p99p.Valid, p99p.Pass = float64(a.P99)/float64(b.P99), true, true
	}
	rep.Ratios = append(rep.Ratios, p99p)
	ratioOf("orderresult/orderstate", "orderresult", "orderstate", fmt.Sprintf(">= %.2f", targetOrderresultVsState), targetOrderresultVsState)
	ratioOf("sign chosen/crypto-rsa", "sign-chosen", "sign-crypto-rsa", ">= 1.00", 1)
	ratioOf("silentpay/openssl-rsa2048", "silentpay", "openssl-rsa2048", fmt.Sprintf(">= %.2f", targetSilentpayVsRSA), targetSilentpayVsRSA)
	ratioOf("silentpay/sqlite-commit", "silentpay", "sqlite-commit", fmt.Sprintf(">= %.2f", targetSilentpayVsCommit), targetSilentpayVsCommit)
	// The same per CPU-second of the process doing the work (the server; the plain
	// handler's own process; openssl; loadgen itself for the sign scenarios): on a machine
	// shared with other work these hold where requests per second swing with the load.
	perCPU := func(r *result) float64 {
		switch {
		case r == nil || r.Failed != "":
			return 0
		case r.ServerCPU > 0:
			return float64(r.OK) / r.ServerCPU.Seconds()
		case strings.HasPrefix(r.Name, "sign-") && r.ClientCPU > 0:
			return float64(r.OK) / r.ClientCPU.Seconds()
		}
		return 0
	}
	cpuRatio := func(name, a, b string, min float64) {
		rt := ratio{Name: name, Target: fmt.Sprintf(">= %.2f", min)}
		if va, vb := perCPU(byName[a]), perCPU(byName[b]); va > 0 && vb > 0 {
			rt.Value, rt.Valid = va/vb, true
			rt.Pass = rt.Value >= min
		}
		rep.Ratios = append(rep.Ratios, rt)
	}
	cpuRatio("orderstate/plain per CPU-s", "orderstate", "plain", targetOrderstateVsPlain)
	cpuRatio("orderresult/orderstate per CPU-s", "orderresult", "orderstate", targetOrderresultVsState)
	cpuRatio("sign chosen/crypto-rsa per CPU-s", "sign-chosen", "sign-crypto-rsa", 1)
	// A payment's CPU against one signature's with the same signer: how much of a payment
	// is its RSA signature, whatever share of the machine the server got.
	cpuRatio("silentpay/sign-chosen per CPU-s", "silentpay", "sign-chosen", targetSilentpayVsRSA)

	rssPeak := max(rep.PeakRSSKiB, rep.HWMKiB)
	rss := ratio{Name: "peak server RSS MiB", Target: fmt.Sprintf("< %.0f", targetRSSMiB)}
	if rssPeak > 0 {
		rss.Value = float64(rssPeak) / 1024
		rss.Valid = true
		rss.Pass = rss.Value < targetRSSMiB
	}
	rep.Ratios = append(rep.Ratios, rss)

	// Exit status: errors only, never the targets.
	for _, r := range rep.Scenarios {
		if r.Failed != "" || r.errorRate() > maxErrorRate {
			rep.ExitCode = 1
		}
	}

	printReport(os.Stdout, rep)
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen: writing -json:", err)
			if rep.ExitCode == 0 {
				rep.ExitCode = 1
			}
		}
	}
	return rep.ExitCode
}
