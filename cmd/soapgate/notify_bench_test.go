package main

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/notify"
	"soapgate/signer"
	"soapgate/store"
)

// The notification scenario of `make bench` (issue 14): the server binary drains a backlog of
// notifications to a local acknowledging sink, and a healthy merchant's notifications go out
// beside a merchant whose endpoint black-holes. Figures are reported beside baselines
// measured in the same run: the sink's own rate for a plain client, and the healthy
// merchant's delay without the black hole.

// benchBacklog is how many notifications the drain scenario queues (BENCH_NOTIFY_BACKLOG).
func benchBacklog() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_NOTIFY_BACKLOG")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// ackSink acknowledges every notification and counts them.
type ackSink struct {
	*httptest.Server
	n       atomic.Int64
	arrived func(fields url.Values)
}

func newAckSink(tb testing.TB) *ackSink {
	s := &ackSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if s.arrived != nil {
			s.arrived(r.PostForm)
		}
		s.n.Add(1)
		io.WriteString(w, notify.AckXML(0, 0, r.PostForm.Get("billnumber"), r.PostForm.Get("packetdate")))
	}))
	tb.Cleanup(s.Close)
	return s
}

// queueBacklog writes n orders of merchant 700001, each with its payment notification due,
// straight into a fresh database, as a burst of payments would leave them.
func queueBacklog(tb testing.TB, path string, n int) {
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Second)
	for done := 0; done < n; {
		batch := min(1000, n-done)
		err := db.Update(context.Background(), func(tx gateway.Tx) error {
			for i := done; i < done+batch; i++ {
				o := &gateway.Order{BillNumber: fmt.Sprintf("%016d", 6000000000000000+i), MerchantID: "700001",
					OrderNumber: fmt.Sprintf("bench-%d", i), Amount: 10000, Currency: "RUB", TestMode: true,
					State: gateway.StateApproved, Created: now, Updated: now, LastSeq: 1,
					Customer: gateway.Customer{FirstName: "Ivan", LastName: "Ivanov", Email: "ivan@example.com"},
					Card:     gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA", ExpMonth: "12", ExpYear: "2030", Holder: "IVAN IVANOV", Ref: "tp_ok_1"}}
				if err := tx.InsertOrder(o); err != nil {
					return err
				}
				op := gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment, State: gateway.OpSuccess, Amount: 10000,
					Currency: "RUB", ResponseCode: "AS000", Message: "Approved", ApprovalCode: "123456", Created: now}
				if err := tx.InsertOperation(&op); err != nil {
					return err
				}
				nt := &gateway.Notification{MerchantID: "700001", OrderID: o.ID, BillNumber: op.ExtBillNumber(o), Event: gateway.EventPayment,
					State: gateway.NotifyPending, NextAt: now, Created: now, Payload: gateway.Payload{Order: *o, Op: op}}
				if err := tx.InsertNotification(nt); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		done += batch
	}
}

// procMemKiB reads a field of /proc/pid/status (VmHWM: peak RSS) in KiB; 0 where there is none.
func procMemKiB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// sinkBaseline is how many POSTs per second the sink takes from a plain client with the
// deliverer's concurrency, sending a notification-sized form: the ceiling of any deliverer.
func sinkBaseline(tb testing.TB, sink *ackSink, d time.Duration) float64 {
	form := url.Values{}
	for _, f := range postFields {
		form.Set(f, strings.Repeat("x", 12))
	}
	body := form.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: notify.DefaultConcurrency}}
	var n atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for range notify.DefaultConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				res, err := client.Post(sink.URL, "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					tb.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// BenchmarkNotify_DrainBacklog: the server starts on a database holding a backlog of due
// notifications and drains it to a local acknowledging sink. Reports deliveries/s, the drain
// time, the server's peak RSS, and deliveries/s as a share of the sink's plain-client rate.
func BenchmarkNotify_DrainBacklog(b *testing.B) {
	for _, security := range []string{"md5", "both"} {
		b.Run("response_security="+security, func(b *testing.B) {
			n := benchBacklog()
			if security != "md5" {
				// One RSA signature per notification bounds this run: a fifth of the
				// backlog measures it as well, in a fifth of the time.
				n = max(n/5, 1)
			}
			for range b.N {
				sink := newAckSink(b)
				base := sinkBaseline(b, sink, 2*time.Second)
				sink.n.Store(0)
				dbPath := filepath.Join(b.TempDir(), "drain.db")
				queueBacklog(b, dbPath, n)
				cfg := writeConfig(b, sink.URL)
				setMerchantKey(b, cfg, "response_security: both", "response_security: "+security)
				start := time.Now()
				p := startProcess(b, cfg, "SOAPGATE_DATABASE_PATH="+dbPath)
				for sink.n.Load() < int64(n) {
					time.Sleep(20 * time.Millisecond)
				}
				drain := time.Since(start)
				rss := procMemKiB(p.cmd.Process.Pid, "VmHWM")
				p.cmd.Process.Kill()
				p.cmd.Wait()
				rate := float64(n) / drain.Seconds()
				b.ReportMetric(rate, "deliveries/s")
				b.ReportMetric(drain.Seconds(), "drain-s")
				b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
				b.ReportMetric(base, "sink-baseline/s")
				b.ReportMetric(rate/base, "ratio-to-sink")
			}
		})
	}
}

// setMerchantKey rewrites the first occurrence of old in the config file (merchant 700001's).
func setMerchantKey(tb testing.TB, cfg, old, new string) {
	b, err := os.ReadFile(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkNotify_HealthyBesideBlackHole: merchant 700002 pays one order after another while
// merchant 700001's endpoint accepts connections and never answers, with a backlog of 300
// notifications; reports the p99 delay from the payment's answer (its commit) to the
// notification's arrival, beside the same measure without the black hole.
func BenchmarkNotify_HealthyBesideBlackHole(b *testing.B) {
	key, err := signer.LoadPrivateKey("../../fixtures/keys/merchant-700002.key.pem")
	if err != nil {
		b.Fatal(err)
	}
	const payments = 200
	measure := func(hole bool) time.Duration {
		sink := newAckSink(b)
		var mu sync.Mutex
		arrived := map[string]time.Time{}
		sink.arrived = func(f url.Values) {
			mu.Lock()
			arrived[f.Get("ordernumber")] = time.Now()
			mu.Unlock()
		}
		dbPath := filepath.Join(b.TempDir(), "fair.db")
		holeURL := "http://127.0.0.1:9/" // nothing listens: refused at once
		if hole {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			var held []net.Conn
			var hmu sync.Mutex
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					hmu.Lock()
					held = append(held, c)
					hmu.Unlock()
				}
			}()
			b.Cleanup(func() {
				ln.Close()
				hmu.Lock()
				defer hmu.Unlock()
				for _, c := range held {
					c.Close()
				}
			})
			holeURL = "http://" + ln.Addr().String() + "/"
			queueBacklog(b, dbPath, 300)
		}
		cfg := writeConfig(b, holeURL)
		setMerchantKey(b, cfg, `url: ""`, `url: "`+sink.URL+`"`) // 700002's
		p := startProcess(b, cfg, "SOAPGATE_DATABASE_PATH="+dbPath)
		answered := map[string]time.Time{}
		for i := range payments {
			num := fmt.Sprintf("healthy-%d", i)
			sum := md5.Sum([]byte("700002;" + num + ";100.00;RUB"))
			sig, err := rsa.SignPKCS1v15(nil, key, crypto.MD5, sum[:])
			if err != nil {
				b.Fatal(err)
			}
			v := url.Values{}
			for k, val := range card("ordernumber", num, "signature", base64.StdEncoding.EncodeToString(sig)) {
				v.Set(k, val)
			}
			v.Set("merchant_id", "700002")
			v.Set("login", "other_login")
			v.Set("password", "other_password2")
			res, err := http.PostForm(p.url+"/pay/silentpay.cfm", v)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			answered[num] = time.Now()
			time.Sleep(5 * time.Millisecond) // one payment after another, as a shop's traffic
		}
		for sink.n.Load() < payments {
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		var delays []time.Duration
		for num, at := range answered {
			delays = append(delays, max(arrived[num].Sub(at), 0))
		}
		slices.Sort(delays)
		return delays[len(delays)*99/100]
	}
	for range b.N {
		base := measure(false)
		withHole := measure(true)
		b.ReportMetric(float64(withHole.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(base.Microseconds())/1000, "p99-baseline-ms")
	}
}
