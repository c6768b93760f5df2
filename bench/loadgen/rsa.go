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
	// -elapsed: signatures per second of wall time, as every other figure here (by default
	// openssl divides by its CPU time, which on a busy machine says what it would do alone).
	secs := max(1, int(cfg.dur.Round(time.Second)/time.Second))
	args := []string{"speed", "-elapsed", "-multi", strconv.Itoa(runtime.NumCPU()), "-seconds", strconv.Itoa(secs), "rsa2048"}
	fmt.Fprintf(os.Stderr, "  %s: openssl %s\n", r.Name, strings.Join(args, " "))
	var out bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		r.Failed = fmt.Sprintf("openssl speed: %v: %s", err, snippet(out.Bytes()))
		return r
	}
	signs, ok := parseOpenSSLSpeed(out.Bytes())
	if !ok {
		r.Failed = "openssl speed: no 'rsa 2048 bits' line: " + snippet(out.Bytes())
		return r
	}
	// Only the signing phase counts (a verify phase of the same length follows it).
	r.Elapsed = time.Duration(secs) * time.Second
	r.OK = int64(signs * float64(secs))
	r.Requests = r.OK
	r.finish(nil)
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

// runSign signs MD5 digests with key on every core for the measured duration, in this
// process: crypto/rsa against the key the server signs with (signer.NewRSAKey).
func runSign(cfg config, name string, key crypto.Signer) result {
	r := result{Name: name}
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
