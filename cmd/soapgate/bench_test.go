package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"soapgate/internal/pgtest"
)

// The benchmarks run on the store of the pass: SQLite, or PostgreSQL with
// SOAPGATE_TEST_STORE=postgres (make bench runs both, PostgreSQL with fsync on). The
// ...ThreeProcesses variants run three gateways on one PostgreSQL database behind a
// round-robin client, in this one process (so on the same cores as one).

// BenchmarkOrderState_SOAP reads an order's state over SOAP from the real server on loopback.
func BenchmarkOrderState_SOAP(b *testing.B) {
	benchOrderState(b, []*testServer{startServer(b)})
}

func BenchmarkOrderState_SOAP_ThreeProcesses(b *testing.B) {
	benchOrderState(b, threeOnPostgres(b))
}

// threeOnPostgres starts three gateways on one PostgreSQL database.
func threeOnPostgres(b *testing.B) []*testServer {
	if !pgtest.Postgres() {
		b.Skip("several processes need PostgreSQL (SOAPGATE_TEST_STORE=postgres)")
	}
	path := filepath.Join(b.TempDir(), "shared.db")
	return []*testServer{startServerAt(b, path), startServerAt(b, path), startServerAt(b, path)}
}

// perSecond reports the benchmark's operations per second of wall time.
func perSecond(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

func benchOrderState(b *testing.B, servers []*testServer) {
	servers[0].soap(b, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "bench-1"))
	body := envelope("orderstate", with("ordernumber", "bench-1"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8) // 8 clients per core: enough to keep every store's commits shared
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ts := servers[next.Add(1)%int64(len(servers))]
			res, err := client.Post(ts.URL+"/orderstate/orderstate.cfm", "text/xml", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(data), "Approved") {
				b.Fatalf("%d %s", res.StatusCode, data)
			}
		}
	})
	perSecond(b, "reads/s")
}

// BenchmarkSilentpay_SOAP pays over SOAP: two durable commits and one RSA signature each.
func BenchmarkSilentpay_SOAP(b *testing.B) {
	benchSilentpay(b, []*testServer{startServer(b)})
}

func BenchmarkSilentpay_SOAP_ThreeProcesses(b *testing.B) {
	benchSilentpay(b, threeOnPostgres(b))
}

func benchSilentpay(b *testing.B, servers []*testServer) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			ts := servers[i%int64(len(servers))]
			body := envelope("silentpay", card("ordernumber", "bp-"+itoa(i)))
			res, err := client.Post(ts.URL+"/pay/silentpay.cfm", "text/xml", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
	perSecond(b, "payments/s")
}

func itoa(n int64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			break
		}
	}
	return string(buf[i:])
}
