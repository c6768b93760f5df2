package main

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkOrderState_SOAP reads an order's state over SOAP from the real server on loopback.
func BenchmarkOrderState_SOAP(b *testing.B) {
	ts := startServer(b)
	ts.soap(b, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "bench-1"))
	body := envelope("orderstate", with("ordernumber", "bench-1"))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
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
}

// BenchmarkSilentpay_SOAP pays over SOAP: two durable commits and one RSA signature each.
func BenchmarkSilentpay_SOAP(b *testing.B) {
	ts := startServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := envelope("silentpay", card("ordernumber", "bp-"+itoa(n.Add(1))))
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
