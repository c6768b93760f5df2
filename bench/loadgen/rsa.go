// RSA baselines: what the machine can sign, beside what the server pays per payment.

package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/md5"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"soapgate/signer"
)

// runOpenSSLSpeed runs `openssl speed -multi NCPU -seconds S rsa2048`: RSA-2048 signatures
// per second on every core by OpenSSL itself, the ceiling for silentpay (one signature per
// approved payment).
func runOpenSSLSpeed(cfg config) result {
	r := result{Name: "openssl-rsa2048"}
	path, err := exec.LookPath("openssl")
	if err != nil {
		r.Failed = "openssl not installed"
		return r
	}
	secs := max(1, int(cfg.dur.Round(time.Second)/time.Second))
	args := []string{"speed", "-multi", strconv.Itoa(runtime.NumCPU()), "-seconds", strconv.Itoa(secs), "rsa2048"}
	fmt.Fprintf(os.Stderr, "  %s: openssl %s\n", r.Name, strings.Join(args, " "))
	var out bytes.Buffer
	var cmdState *os.ProcessState
	measureCPU(&r, 0, func() {
		start := time.Now()
		cmd := exec.Command(path, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err = cmd.Run()
		r.Elapsed = time.Since(start)
		cmdState = cmd.ProcessState
	})
	if err != nil {
		r.Failed = fmt.Sprintf("openssl speed: %v: %s", err, snippet(out.Bytes()))
		return r
	}
	signs, ok := parseOpenSSLSpeed(out.Bytes())
	if !ok {
		r.Failed = "openssl speed: no 'rsa 2048 bits' line: " + snippet(out.Bytes())
		return r
	}
	r.RPS = signs
	r.OK = int64(signs * float64(secs))
	// openssl's own CPU time, its forked workers included (wait4 adds the children it reaped):
	// the per-CPU-second ratio compares against it.
	r.ServerCPU = cmdCPU(cmdState)
	r.ServerCPUSec = r.ServerCPU.Seconds()
	r.Requests = r.OK
	r.ElapsedSec = r.Elapsed.Seconds()
	r.Note = "signatures/s of `openssl " + strings.Join(args, " ") + "` (all cores, OpenSSL's own loop)"
	return r
}

// parseOpenSSLSpeed reads sign/s from the summary line
// "rsa 2048 bits 0.000187s 0.000010s   5336.0  97123.3" (sign, verify, sign/s, verify/s).
func parseOpenSSLSpeed(out []byte) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 7 && f[0] == "rsa" && f[1] == "2048" && f[2] == "bits" {
			v, err := strconv.ParseFloat(f[5], 64)
			return v, err == nil && v > 0
		}
	}
	return 0, false
}

func cmdCPU(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// runSign signs MD5 digests with key on every core for the measured duration, in this
// process: crypto/rsa against the key the server signs with (signer.NewRSAKey).
func runSign(cfg config, name string, key crypto.Signer, note string) result {
	r := result{Name: name, Note: note}
	fmt.Fprintf(os.Stderr, "  %s: measuring %s on %d goroutines\n", name, cfg.dur, runtime.NumCPU())
	var ok, bad atomic.Int64
	var errs errSamples
	measureCPU(&r, 0, func() {
		start := time.Now()
		deadline := start.Add(cfg.dur)
		var wg sync.WaitGroup
		for g := 0; g < runtime.NumCPU(); g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					sum := md5.Sum([]byte("700001;bench-" + strconv.Itoa(g) + "-" + strconv.Itoa(i) + ";10.00;RUB;Approved"))
					if _, err := key.Sign(nil, sum[:], crypto.MD5); err != nil {
						bad.Add(1)
						errs.add(err.Error())
						continue
					}
					ok.Add(1)
				}
			}(g)
		}
		wg.Wait()
		r.collect(time.Since(start), ok.Load(), bad.Load(), nil, &errs)
	})
	return r
}

// signKeys loads the gateway key for the sign scenarios.
func signKeys(path string) (std, chosen crypto.Signer, err error) {
	key, err := signer.LoadPrivateKey(path)
	if err != nil {
		return nil, nil, err
	}
	return key, signer.NewRSAKey(key), nil
}
