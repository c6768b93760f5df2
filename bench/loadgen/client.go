// HTTP load driver: keep-alive clients posting SOAP 1.1 requests for a fixed duration.

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func newClient(conc int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy: nil, // never route the benchmark through an environment proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        4 * conc,
		MaxIdleConnsPerHost: 2 * conc,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// scenario describes one HTTP load: body(i) gives the i-th request body, check judges a
// response. With rate > 0 the load is open: requests are scheduled at rate per second
// whatever the answers take, and a latency counts from the scheduled start, so a server
// that falls behind shows it in p99 (no coordinated omission); the clients only carry them.
type scenario struct {
	name  string
	url   string
	body  func(i int64) []byte
	check func(status int, body []byte) error
	rate  float64
}

// soapPost sends one SOAP 1.1 request and returns status and the whole body.
func soapPost(ctx context.Context, client *http.Client, url string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("SOAPAction", `""`)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, b, err
	}
	return resp.StatusCode, b, nil
}

// drive runs sc with conc workers for dur, each on a keep-alive connection of its own
// (conn.go), and returns the measured result.
func drive(sc scenario, conc int, dur, timeout time.Duration, counter *atomic.Int64) result {
	res := result{Name: sc.name}
	var errs errSamples
	var ok, bad atomic.Int64
	lats := make([][]time.Duration, conc)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var ticks chan time.Time
	if sc.rate > 0 {
		ticks = make(chan time.Time, 1<<16)
		go schedule(ticks, sc.rate, start, deadline)
	}
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, err := newConn(sc.url, timeout)
			if err != nil {
				bad.Add(1)
				errs.add(err.Error())
				return
			}
			defer c.close()
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if ticks != nil {
					var open bool
					if t0, open = <-ticks; !open {
						break
					}
				}
				i := counter.Add(1)
				status, rb, err := c.post(sc.body(i))
				d := time.Since(t0)
				lat = append(lat, d)
				if err == nil {
					err = sc.check(status, rb)
				}
				if err != nil {
					bad.Add(1)
					errs.add(err.Error())
					continue
				}
				ok.Add(1)
			}
			lats[w] = lat
		}(w)
	}
	wg.Wait()
	res.collect(time.Since(start), ok.Load(), bad.Load(), lats, &errs)
	return res
}

// schedule sends the start time of each request of an open load at rate per second from
// start until deadline, then closes ticks. It sleeps between batches rather than per
// request: timers are coarser than the gaps at thousands of requests per second.
func schedule(ticks chan<- time.Time, rate float64, start, deadline time.Time) {
	defer close(ticks)
	gap := time.Duration(float64(time.Second) / rate)
	for next := start; next.Before(deadline); {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		for now := time.Now(); !next.After(now) && next.Before(deadline); next = next.Add(gap) {
			ticks <- next
		}
	}
}

// runHTTP runs an optional unmeasured warm-up, then the measured load; serverPID (when
// > 0) is the process whose CPU time is charged to the scenario.
func runHTTP(cfg config, sc scenario, counter *atomic.Int64, serverPID int) result {
	if cfg.warmup > 0 {
		fmt.Fprintf(os.Stderr, "  %s: warm-up %s\n", sc.name, cfg.warmup)
		drive(sc, cfg.conc, cfg.warmup, cfg.timeout, counter)
	}
	fmt.Fprintf(os.Stderr, "  %s: measuring %s with %d clients\n", sc.name, cfg.dur, cfg.conc)
	var r result
	measureCPU(&r, serverPID, func() { r = drive(sc, cfg.conc, cfg.dur, cfg.timeout, counter) })
	return r
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}
