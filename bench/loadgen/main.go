// Command loadgen is soapgate's benchmark harness (make bench / scripts/bench.sh).
//
// It drives the running server over SOAP 1.1 with concurrent keep-alive clients and
// measures, in the same run and on the same machine, two baselines:
//
//   - plain:         a plain net/http handler in a separate process (this binary started
//     with -serve-plain) that reads the body and writes a fixed ~400-byte
//     XML reply; driven with the same client, body and concurrency as
//     orderstate.
//   - sqlite-commit: raw single-row commits into a temporary SQLite file (WAL,
//     synchronous=FULL, one INSERT per transaction, one goroutine).
//
// Then it runs the server scenarios orderstate and silentpay and prints requests/s and
// p50/p99 latency for each, with the ratios orderstate/plain and
// silentpay/sqlite-commit and the server's peak RSS, each beside its target. The targets
// are informational: the exit status is non-zero only when a scenario fails to run or
// more than 1 % of its requests fail.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// Targets from the issue (2-core machine). Informational only.
const (
	targetOrderstateVsPlain = 0.40  // orderstate req/s ≥ 40 % of plain req/s
	targetSilentpayVsCommit = 2.0   // silentpay payments/s ≥ 2 × single-row FULL commits/s
	targetRSSMiB            = 100.0 // server RSS under load < 100 MiB
	maxErrorRate            = 0.01  // > 1 % failed requests in a scenario → exit 1
)

// Sandbox fixtures (CONTRACT.md section 1 and 6).
const (
	merchantID = "700001"
	login      = "demo_login"
	password   = "demo_password1"
	cardNumber = "4111111111111111"

	orderstatePath = "/orderstate/orderstate.cfm"
	silentpayPath  = "/pay/silentpay.cfm"
	soapEnvNS      = "http://schemas.xmlsoap.org/soap/envelope/"
	wsNS           = "http://www.paysecure.ru/ws/"
	contentType    = "text/xml; charset=utf-8"
)

// plainReply is the baseline handler's fixed answer: an orderstateResponse-shaped
// envelope of about 400 bytes.
const plainReply = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
	`<ws:orderstateResponse xmlns:ws="http://www.paysecure.ru/ws/" firstcode="0" secondcode="0" count="1">` +
	`<order><ordernumber>bench-os</ordernumber><billnumber>5400000000000001</billnumber>` +
	`<orderamount>10.00</orderamount><ordercurrency>RUB</ordercurrency><orderstate>Approved</orderstate>` +
	`</order></ws:orderstateResponse></soap:Body></soap:Envelope>`

type config struct {
	url       string
	conc      int
	dur       time.Duration
	warmup    time.Duration
	pid       int
	jsonOut   string
	sqliteDir string
	timeout   time.Duration
}

func main() {
	var cfg config
	var servePlain, waitHealthz string
	var freePort bool
	flag.StringVar(&cfg.url, "url", "", "soapgate base URL, e.g. http://127.0.0.1:18080 (empty: run only the baselines)")
	flag.IntVar(&cfg.conc, "c", 32, "concurrent clients per HTTP scenario")
	flag.DurationVar(&cfg.dur, "d", 10*time.Second, "measured duration per scenario")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured warm-up before each HTTP scenario (0 disables)")
	flag.IntVar(&cfg.pid, "pid", 0, "server pid: sample VmRSS/VmHWM from /proc/<pid>/status under load")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&cfg.sqliteDir, "sqlite-dir", "", "directory for the sqlite-commit scenario's temporary database (default: a new temp dir); use the server database's filesystem")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "per-request timeout")
	flag.StringVar(&servePlain, "serve-plain", "", "internal: serve the plain baseline handler on ADDR and print its address")
	flag.StringVar(&waitHealthz, "wait-healthz", "", "helper: poll BASEURL/healthz until HTTP 200 (bounded by -timeout), then exit 0")
	flag.BoolVar(&freePort, "free-port", false, "helper: print a free TCP port on 127.0.0.1 and exit")
	flag.Parse()

	switch {
	case servePlain != "":
		if err := runPlainServer(servePlain); err != nil {
			fmt.Fprintln(os.Stderr, "serve-plain:", err)
			os.Exit(1)
		}
		return
	case freePort:
		p, err := pickFreePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, "free-port:", err)
			os.Exit(1)
		}
		fmt.Println(p)
		return
	case waitHealthz != "":
		if err := waitHealthy(waitHealthz, cfg.timeout, cfg.pid); err != nil {
			fmt.Fprintln(os.Stderr, "wait-healthz:", err)
			os.Exit(1)
		}
		return
	}
	if cfg.conc < 1 || cfg.dur <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -c must be ≥ 1 and -d > 0")
		os.Exit(2)
	}
	cfg.url = strings.TrimRight(cfg.url, "/")
	os.Exit(run(cfg))
}

// ---------------------------------------------------------------------------
// Results

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
	SystemCPU    time.Duration `json:"-"`
	IOWait       time.Duration `json:"-"`
	SystemCPUSec float64       `json:"system_cpu_s,omitempty"`
	IOWaitSec    float64       `json:"iowait_s,omitempty"`
	Max          time.Duration `json:"-"`
	MaxMs        float64       `json:"max_ms"`
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

func (r *result) finish(lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
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

// ---------------------------------------------------------------------------
// HTTP load driver

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
// response.
type scenario struct {
	name  string
	url   string
	body  func(i int64) []byte
	check func(status int, body []byte) error
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

// drive runs sc with conc workers for dur and returns the measured result.
func drive(client *http.Client, sc scenario, conc int, dur time.Duration, counter *atomic.Int64) result {
	res := result{Name: sc.name}
	var errs errSamples
	var ok, bad atomic.Int64
	lats := make([][]time.Duration, conc)
	ctx := context.Background()
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				i := counter.Add(1)
				body := sc.body(i)
				t0 := time.Now()
				status, rb, err := soapPost(ctx, client, sc.url, body)
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
	res.Elapsed = time.Since(start)
	res.OK, res.Errors = ok.Load(), bad.Load()
	res.Requests = res.OK + res.Errors
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	res.finish(all)
	res.ErrorSamples = errs.samples()
	return res
}

// runHTTP runs an optional unmeasured warm-up, then the measured load; serverPID (when
// > 0) is the process whose CPU time is charged to the scenario.
func runHTTP(cfg config, client *http.Client, sc scenario, counter *atomic.Int64, serverPID int) result {
	if cfg.warmup > 0 {
		fmt.Fprintf(os.Stderr, "  %s: warm-up %s\n", sc.name, cfg.warmup)
		drive(client, sc, cfg.conc, cfg.warmup, counter)
	}
	fmt.Fprintf(os.Stderr, "  %s: measuring %s with %d clients\n", sc.name, cfg.dur, cfg.conc)
	var r result
	measureCPU(&r, serverPID, func() { r = drive(client, sc, cfg.conc, cfg.dur, counter) })
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

// ---------------------------------------------------------------------------
// SOAP bodies and checks

func envelope(inner string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="` + soapEnvNS + `"><soapenv:Body>` + inner +
		`</soapenv:Body></soapenv:Envelope>`)
}

func orderstateBody(ordernumber string) []byte {
	return envelope(`<ws:orderstate xmlns:ws="` + wsNS + `">` +
		`<merchant_id>` + merchantID + `</merchant_id>` +
		`<login>` + login + `</login>` +
		`<password>` + password + `</password>` +
		`<ordernumber>` + ordernumber + `</ordernumber>` +
		`</ws:orderstate>`)
}

func silentpayBody(ordernumber string) []byte {
	return envelope(`<ws:silentpay xmlns:ws="` + wsNS + `">` +
		`<merchant_id>` + merchantID + `</merchant_id>` +
		`<login>` + login + `</login>` +
		`<password>` + password + `</password>` +
		`<ordernumber>` + ordernumber + `</ordernumber>` +
		`<orderamount>10.00</orderamount>` +
		`<ordercurrency>RUB</ordercurrency>` +
		`<cardnumber>` + cardNumber + `</cardnumber>` +
		`<expiremonth>12</expiremonth>` +
		`<expireyear>2030</expireyear>` +
		`<cvc2>123</cvc2>` +
		`<cardholder>BENCH TESTER</cardholder>` +
		`<lastname>Tester</lastname>` +
		`<firstname>Bench</firstname>` +
		`<email>bench@example.com</email>` +
		`</ws:silentpay>`)
}

func checkFirstcodeZero(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	if !bytes.Contains(body, []byte(`firstcode="0"`)) {
		return fmt.Errorf(`no firstcode="0": %s`, snippet(body))
	}
	return nil
}

func checkApproved(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	if !bytes.Contains(body, []byte(`<orderstate>Approved</orderstate>`)) {
		return fmt.Errorf("no <orderstate>Approved</orderstate>: %s", snippet(body))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Plain baseline (separate process)

func runPlainServer(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	reply := []byte(plainReply)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.Write(reply)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// The parent reads this line to learn the port.
	fmt.Printf("listening %s\n", ln.Addr())
	os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-sig:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// plainChild is the running baseline process.
type plainChild struct {
	cmd  *exec.Cmd
	addr string
}

func startPlainChild() (*plainChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve-plain", "127.0.0.1:0")
	cmd.Stderr = os.Stderr
	setParentDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("baseline process did not report its address (got %q)", l)
		}
		return &plainChild{cmd: cmd, addr: addr}, nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("baseline process did not start within 10s")
	}
}

func (p *plainChild) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// ---------------------------------------------------------------------------
// SQLite baseline

func runSQLiteCommit(cfg config) result {
	res := result{Name: "sqlite-commit"}
	dir := cfg.sqliteDir
	if dir == "" {
		d, err := os.MkdirTemp("", "loadgen-sqlite-")
		if err != nil {
			res.Failed = err.Error()
			return res
		}
		defer os.RemoveAll(d)
		dir = d
	}
	path := filepath.Join(dir, fmt.Sprintf("loadgen-commit-%d.db", os.Getpid()))
	defer func() {
		for _, suf := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suf)
		}
	}()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000")
	if err != nil {
		res.Failed = err.Error()
		return res
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)

	var jm string
	var syncMode int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&jm); err != nil {
		res.Failed = err.Error()
		return res
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&syncMode); err != nil {
		res.Failed = err.Error()
		return res
	}
	if !strings.EqualFold(jm, "wal") || syncMode != 2 {
		res.Failed = fmt.Sprintf("pragmas not applied: journal_mode=%s synchronous=%d (want wal, 2=FULL)", jm, syncMode)
		return res
	}
	res.Note = fmt.Sprintf("journal_mode=%s synchronous=FULL, db in %s", jm, dir)
	if _, err := db.Exec(`CREATE TABLE commits (
		id INTEGER PRIMARY KEY,
		ordernumber TEXT NOT NULL,
		amount INTEGER NOT NULL,
		state TEXT NOT NULL,
		payload TEXT NOT NULL,
		created_at TEXT NOT NULL)`); err != nil {
		res.Failed = err.Error()
		return res
	}
	payload := strings.Repeat("x", 200)
	var errs errSamples
	lat := make([]time.Duration, 0, 1<<14)
	fmt.Fprintf(os.Stderr, "  sqlite-commit: measuring %s, one goroutine\n", cfg.dur)
	var start time.Time
	measureCPU(&res, 0, func() {
		start = time.Now()
		deadline := start.Add(cfg.dur)
		for i := 0; time.Now().Before(deadline); i++ {
			t0 := time.Now()
			err := func() error {
				tx, err := db.Begin()
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO commits (ordernumber, amount, state, payload, created_at) VALUES (?, ?, ?, ?, ?)`,
					"commit-"+strconv.Itoa(i), 1000, "Approved", payload, t0.UTC().Format(time.RFC3339Nano)); err != nil {
					tx.Rollback()
					return err
				}
				return tx.Commit()
			}()
			lat = append(lat, time.Since(t0))
			if err != nil {
				res.Errors++
				errs.add(err.Error())
			} else {
				res.OK++
			}
		}
		res.Elapsed = time.Since(start)
	})
	res.Requests = res.OK + res.Errors
	res.finish(lat)
	res.ErrorSamples = errs.samples()
	return res
}

// ---------------------------------------------------------------------------
// Server RSS

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

func readProcMem(pid int) (procMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procMem{}, err
	}
	return parseProcStatus(string(b))
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

func readProcCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStat(string(b))
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

func readSystemCPU() (sysCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return sysCPU{}, err
	}
	return parseSystemStat(string(b))
}

// loadavg returns the first three fields of /proc/loadavg, or "" when unreadable.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// selfCPU is loadgen's own user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ---------------------------------------------------------------------------
// Helpers for scripts/bench.sh

func pickFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls base/healthz until 200 or timeout; when pid > 0 it gives up as soon
// as that process is gone.
func waitHealthy(base string, timeout time.Duration, pid int) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	url := strings.TrimRight(base, "/") + "/healthz"
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if pid > 0 {
			if err := syscall.Kill(pid, 0); err != nil {
				return fmt.Errorf("server process %d is gone (%v); last: %s", pid, err, last)
			}
		}
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, snippet(b))
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not 200 within %s; last: %s", url, timeout, last)
}

// ---------------------------------------------------------------------------
// Orchestration

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

	// a. plain net/http baseline in its own process, same client/body/concurrency as orderstate.
	osBody := orderstateBody("bench-os-" + rep.RunID)
	if child, err := startPlainChild(); err != nil {
		add(result{Name: "plain", Failed: err.Error()})
	} else {
		s := startRSSSampler(child.cmd.Process.Pid, 100*time.Millisecond)
		r := runHTTP(cfg, client, scenario{
			name:  "plain",
			url:   "http://" + child.addr + orderstatePath,
			body:  func(int64) []byte { return osBody },
			check: checkFirstcodeZero,
		}, &counter, child.cmd.Process.Pid)
		rep.PlainRSSKiB = s.stop()
		r.PeakRSSKiB = rep.PlainRSSKiB
		child.stop()
		add(r)
	}
	client.CloseIdleConnections()

	// b. raw SQLite single-row commits.
	add(runSQLiteCommit(cfg))

	// c., d. the server.
	if cfg.url == "" {
		fmt.Fprintln(os.Stderr, "loadgen: no -url, skipping orderstate, silentpay and page")
	} else {
		overall := startRSSSampler(cfg.pid, 50*time.Millisecond)

		// c. orderstate: one approved payment first.
		on := "bench-os-" + rep.RunID
		ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
		status, body, err := soapPost(ctx, client, cfg.url+silentpayPath, silentpayBody(on))
		cancel()
		if err == nil {
			err = checkApproved(status, body)
		}
		if err != nil {
			add(result{Name: "orderstate", Failed: "setup silentpay " + on + ": " + err.Error()})
		} else {
			s := startRSSSampler(cfg.pid, 50*time.Millisecond)
			r := runHTTP(cfg, client, scenario{
				name:  "orderstate",
				url:   cfg.url + orderstatePath,
				body:  func(int64) []byte { return osBody },
				check: checkFirstcodeZero,
			}, &counter, cfg.pid)
			r.PeakRSSKiB = s.stop()
			add(r)
		}

		// d. silentpay: a new ordernumber per request.
		prefix := "bench-sp-" + rep.RunID + "-"
		s := startRSSSampler(cfg.pid, 50*time.Millisecond)
		r := runHTTP(cfg, client, scenario{
			name:  "silentpay",
			url:   cfg.url + silentpayPath,
			body:  func(i int64) []byte { return silentpayBody(prefix + strconv.FormatInt(i, 10)) },
			check: checkApproved,
		}, &counter, cfg.pid)
		r.PeakRSSKiB = s.stop()
		add(r)

		// e. page: payment-page payments, order.cfm → card submit → redirect (page.go).
		add(runPage(cfg, rep.RunID, &counter))

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
	ratioOf("silentpay/sqlite-commit", "silentpay", "sqlite-commit", fmt.Sprintf(">= %.2f", targetSilentpayVsCommit), targetSilentpayVsCommit)
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
	if rep.LoadBefore != "" {
		fmt.Fprintf(w, "  load average before %s, after %s\n", rep.LoadBefore, rep.LoadAfter)
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-26s %9s  %-8s %s\n", "ratio", "value", "target", "")
	for _, rt := range rep.Ratios {
		if !rt.Valid {
			fmt.Fprintf(w, "%-26s %9s  %-8s %s\n", rt.Name, "n/a", rt.Target, "n/a")
			continue
		}
		verdict := "BELOW"
		if rt.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "%-26s %9.2f  %-8s %s\n", rt.Name, rt.Value, rt.Target, verdict)
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
