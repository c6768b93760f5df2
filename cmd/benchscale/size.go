package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"soapgate/gateway"
	"soapgate/store"
)

// size is one seeded database and the server running on it.
type size struct {
	n        int
	day      time.Time
	dir, db  string
	seedTime time.Duration
	cmd      *exec.Cmd
	base     string
	client   *http.Client
	store    *store.DB
	lat      map[string][]time.Duration
	paid     int // silentpay orders made

	csvRows      int
	csvTime      time.Duration
	rssBefore    int64 // KiB, server VmRSS before the whole export
	rssPeak      int64 // KiB, highest VmRSS sampled during it
	csvBytes     int64
	serverLogErr string
}

func (s *size) start(ctx context.Context, cfg config, env ...string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.OpenFile(s.dir+"/server.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	s.base = "http://" + addr
	cmd := exec.Command(cfg.bin, "serve", "--config", cfg.config)
	// Retention 0: the seeded history reaches back further than notify_retention, and its
	// pruning would run beside (and change) what is measured.
	cmd.Env = append(os.Environ(), "SOAPGATE_LISTEN="+addr, "SOAPGATE_DATABASE_PATH="+s.db, "SOAPGATE_GATEWAY_NOTIFY_RETENTION=0")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := &http.Client{Timeout: 2 * time.Second}
	for deadline := t0.Add(60 * time.Second); time.Now().Before(deadline); {
		select {
		case err := <-exited:
			s.cmd = nil
			return 0, fmt.Errorf("server exited: %v (log in %s/server.log)", err, s.dir)
		default:
		}
		res, err := c.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				d := time.Since(t0)
				// Keep the exit channel for stop.
				go func() { <-exited }()
				jar, _ := cookiejar.New(nil)
				s.client = &http.Client{Jar: jar, Timeout: 5 * time.Minute,
					Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
				return d, nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, errors.New("no /healthz 200 within 60s")
}

// lastBanner is the last start-up banner in the server's log.
func (s *size) lastBanner() string {
	b, _ := os.ReadFile(s.dir + "/server.log")
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "soapgate started") {
			return lines[i]
		}
	}
	return ""
}

func (s *size) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	s.cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 200; i++ { // up to 10 s for a graceful stop
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		s.cmd.Process.Kill()
	}
	s.cmd = nil
	if s.client != nil {
		s.client.CloseIdleConnections()
	}
}

// timed runs one request and returns its latency and body.
func (s *size) timed(ctx context.Context, method, path, contentType, body string) (time.Duration, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	t0 := time.Now()
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s %s: HTTP %d: %.300s", method, path, res.StatusCode, b)
	}
	return d, b, err
}

const credentials = `<merchant_id>700001</merchant_id><login>demo_login</login><password>demo_password1</password>`

func soap(op, inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
		`<soapenv:Body><ws:` + op + ` xmlns:ws="http://www.paysecure.ru/ws/">` + credentials + inner +
		`</ws:` + op + `></soapenv:Body></soapenv:Envelope>`
}

// allTime widens orderstate's and orderresult's date window (three days by default) to
// every seeded order.
const allTime = `<startyear>2000</startyear>`

func (s *size) soapCall(ctx context.Context, path, op, inner, want string) (time.Duration, error) {
	d, b, err := s.timed(ctx, http.MethodPost, path, "text/xml; charset=utf-8", soap(op, inner))
	if err == nil && !bytes.Contains(b, []byte(want)) {
		err = fmt.Errorf("%s: answer lacks %q: %.300s", op, want, b)
	}
	return d, err
}

func (s *size) pick(rng *rand.Rand) int { return 1 + rng.IntN(s.n) }

func bill(i int) string { return fmt.Sprintf("%016d", 4000000000000000+i) }

func (s *size) orderstate(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
	i := s.pick(rng)
	return s.soapCall(ctx, "/orderstate/orderstate.cfm", "orderstate",
		`<ordernumber>scale-`+strconv.Itoa(i)+`</ordernumber>`+allTime, "<billnumber>"+bill(i))
}

// silentpay pays a new order: its duplicate check reads the orders of that ordernumber, and
// the writes go to tables of every size.
func (s *size) silentpay(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	s.paid++
	return s.soapCall(ctx, "/pay/silentpay.cfm", "silentpay", `<ordernumber>pay-`+strconv.Itoa(s.paid)+`</ordernumber>`+
		`<orderamount>10.00</orderamount><ordercurrency>RUB</ordercurrency><cardnumber>4111111111111111</cardnumber>`+
		`<expiremonth>12</expiremonth><expireyear>2030</expireyear><cvc2>123</cvc2><cardholder>IVAN PETROV</cardholder>`+
		`<lastname>Petrov</lastname><firstname>Ivan</firstname><email>ivan@example.com</email>`, "<orderstate>Approved</orderstate>")
}

func (s *size) orderresultBill(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
	i := s.pick(rng)
	return s.soapCall(ctx, "/orderresult/orderresult.cfm", "orderresult",
		`<billnumber>`+bill(i)+`</billnumber>`+allTime, "<ordernumber>scale-"+strconv.Itoa(i)+"<")
}

func (s *size) orderresultOne(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
	i := s.pick(rng)
	return s.soapCall(ctx, "/orderresult/orderresult.cfm", "orderresult",
		`<ordernumber>scale-`+strconv.Itoa(i)+`</ordernumber>`+allTime, "<billnumber>"+bill(i))
}

func (s *size) orderresultDay(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	y, m, d := s.day.Date()
	w := fmt.Sprintf(`<startyear>%d</startyear><startmonth>%d</startmonth><startday>%d</startday><starthour>0</starthour><startmin>0</startmin>`+
		`<endyear>%d</endyear><endmonth>%d</endmonth><endday>%d</endday><endhour>23</endhour><endmin>59</endmin>`, y, m, d, y, m, d)
	dur, b, err := s.timed(ctx, http.MethodPost, "/orderresult/orderresult.cfm", "text/xml; charset=utf-8", soap("orderresult", w))
	if err == nil {
		if n := bytes.Count(b, []byte("<ordernumber>")); n != windowOrders {
			err = fmt.Errorf("a day's orderresult answered %d orders, want %d", n, windowOrders)
		}
	}
	return dur, err
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (s *size) signIn(ctx context.Context) error {
	_, b, err := s.timed(ctx, http.MethodGet, "/monitor/", "", "")
	if err != nil {
		return err
	}
	m := reCSRF.FindSubmatch(b)
	if m == nil {
		return errors.New("no CSRF token on the sign-in page")
	}
	form := url.Values{"login": {"demo_login"}, "password": {"demo_password1"}, "csrf": {string(m[1])}}
	_, b, err = s.timed(ctx, http.MethodPost, "/monitor/signin", "application/x-www-form-urlencoded", form.Encode())
	if err == nil && !bytes.Contains(b, []byte("<tr data-billnumber=")) {
		err = fmt.Errorf("sign-in did not reach the order list: %.300s", b)
	}
	return err
}

func (s *size) monitorPage(ctx context.Context, path string) (time.Duration, error) {
	d, b, err := s.timed(ctx, http.MethodGet, path, "", "")
	if err == nil {
		if n := bytes.Count(b, []byte("<tr data-billnumber=")); n != 50 {
			err = fmt.Errorf("%s: %d rows, want 50", path, n)
		}
	}
	return d, err
}

func (s *size) monitorFirst(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	return s.monitorPage(ctx, "/monitor/orders")
}

// monitorDeep opens the page that follows a random order of the older half, as its next
// link would (the key of the row above it).
func (s *size) monitorDeep(ctx context.Context, rng *rand.Rand) (time.Duration, error) {
	old := s.n - windowOrders
	i := old/2 + rng.IntN(old/2)
	created := s.day.UnixMilli() - int64(old-i+1)*10000
	return s.monitorPage(ctx, "/monitor/orders?before="+strconv.FormatInt(created, 10)+"."+strconv.Itoa(i)+"&page=2")
}

func (s *size) csvDay(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	d := s.day.Format("2006-01-02")
	dur, b, err := s.timed(ctx, http.MethodGet, "/monitor/orders.csv?from="+d+"&to="+d, "", "")
	if err == nil {
		if n := bytes.Count(b, []byte("\r\n")); n != windowOrders+1 {
			err = fmt.Errorf("a day's CSV has %d lines, want %d", n, windowOrders+1)
		}
	}
	return dur, err
}

func (s *size) dueNotifications(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	t0 := time.Now()
	err := s.store.View(ctx, func(tx gateway.Tx) error {
		now := time.Now()
		ns, err := tx.DueNotifications("700001", now, now, 64)
		if err == nil && len(ns) != 0 {
			err = fmt.Errorf("%d notifications due, want none", len(ns))
		}
		return err
	})
	return time.Since(t0), err
}

func (s *size) dueSchedule(ctx context.Context, _ *rand.Rand) (time.Duration, error) {
	t0 := time.Now()
	err := s.store.View(ctx, func(tx gateway.Tx) error {
		_, err := tx.NextDueSchedule(time.Now())
		if errors.Is(err, gateway.ErrNoRows) {
			return nil
		} else if err == nil {
			return errors.New("a schedule is due, want none")
		}
		return err
	})
	return time.Since(t0), err
}

// csvAll downloads the export of every order, reading it as it streams, while sampling the
// server's resident memory.
func (s *size) csvAll(ctx context.Context) error {
	pid := s.cmd.Process.Pid
	s.rssBefore = vmRSS(pid)
	var peak atomic.Int64
	peak.Store(s.rssBefore)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				if v := vmRSS(pid); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/monitor/orders.csv", nil)
	res, err := s.client.Do(req)
	if err != nil {
		close(done)
		return err
	}
	defer res.Body.Close()
	r := bufio.NewReaderSize(res.Body, 1<<16)
	rows := -1 // the header
	var n int64
	for {
		line, err := r.ReadSlice('\n')
		n += int64(len(line))
		if len(line) > 0 {
			rows++
		}
		if err == io.EOF {
			break
		} else if err != nil && err != bufio.ErrBufferFull {
			close(done)
			return err
		}
	}
	s.csvTime = time.Since(t0)
	close(done)
	s.rssPeak, s.csvRows, s.csvBytes = peak.Load(), rows, n
	if rows != s.n+s.paid {
		return fmt.Errorf("export has %d rows, want %d", rows, s.n+s.paid)
	}
	return nil
}

// vmRSS is a process's resident memory in KiB (0 when unreadable).
func vmRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
