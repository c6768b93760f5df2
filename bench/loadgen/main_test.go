package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	if got := percentile(nil, 50); got != 0 {
		t.Fatalf("empty: got %v, want 0", got)
	}
	one := []time.Duration{7 * time.Millisecond}
	if got := percentile(one, 99); got != 7*time.Millisecond {
		t.Fatalf("single: got %v", got)
	}
	// 1ms..100ms ascending: nearest rank.
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{0, 1 * time.Millisecond},
		{1, 1 * time.Millisecond},
		{50, 50 * time.Millisecond},
		{99, 99 * time.Millisecond},
		{99.5, 100 * time.Millisecond},
		{100, 100 * time.Millisecond},
	} {
		if got := percentile(lat, c.p); got != c.want {
			t.Errorf("p%v: got %v, want %v", c.p, got, c.want)
		}
	}
	// Ten values: p50 is the 5th, p99 the 10th.
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 1000}
	if got := percentile(ten, 50); got != 5 {
		t.Errorf("ten p50: got %v, want 5", got)
	}
	if got := percentile(ten, 99); got != 1000 {
		t.Errorf("ten p99: got %v, want 1000", got)
	}
}

const statusFixture = `Name:	soapgate
Umask:	0022
State:	S (sleeping)
Tgid:	4242
Pid:	4242
VmPeak:	 1259424 kB
VmSize:	 1259424 kB
VmLck:	       0 kB
VmPin:	       0 kB
VmHWM:	   61440 kB
VmRSS:	   48128 kB
RssAnon:	   30000 kB
RssFile:	   18128 kB
VmData:	  120000 kB
Threads:	9
`

func TestParseProcStatus(t *testing.T) {
	m, err := parseProcStatus(statusFixture)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSKiB != 48128 || m.HWMKiB != 61440 {
		t.Fatalf("got RSS %d HWM %d, want 48128 61440", m.RSSKiB, m.HWMKiB)
	}
	if _, err := parseProcStatus("Name:\tkthreadd\nState:\tS (sleeping)\n"); err == nil {
		t.Error("status without VmRSS: want an error")
	}
	if _, err := parseProcStatus("VmRSS:\tlots kB\n"); err == nil {
		t.Error("non-numeric VmRSS: want an error")
	}
}

func TestChecks(t *testing.T) {
	if err := checkFirstcodeZero(200, []byte(plainReply)); err != nil {
		t.Errorf("plain reply should pass the orderstate check: %v", err)
	}
	if err := checkFirstcodeZero(500, []byte(plainReply)); err == nil {
		t.Error("HTTP 500 should fail")
	}
	if err := checkApproved(200, []byte(`<order><orderstate>Declined</orderstate></order>`)); err == nil {
		t.Error("Declined should fail the silentpay check")
	}
	if n := len(plainReply); n < 350 || n > 500 {
		t.Errorf("plain reply is %d bytes, want about 400", n)
	}
}

func TestParseProcStat(t *testing.T) {
	// Name with spaces and a ')' inside; utime 250 and stime 50 ticks → 3 s.
	fixture := "4242 (soap gate) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 12345 1259424000 12032 18446744073709551615\n"
	got, err := parseProcStat(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if got != 3*time.Second {
		t.Fatalf("got %v, want 3s", got)
	}
	if _, err := parseProcStat("4242 (x) S 1 2"); err == nil {
		t.Error("short stat: want an error")
	}
}

func TestParseSystemStat(t *testing.T) {
	fixture := "cpu  1000 100 300 50000 200 10 20 30 0 0\ncpu0 500 50 150 25000 100 5 10 15 0 0\n"
	got, err := parseSystemStat(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// busy = 1000+100+300+10+20+30 = 1460 ticks = 14.6 s; iowait 200 ticks = 2 s.
	if got.busy != 14600*time.Millisecond || got.iowait != 2*time.Second {
		t.Fatalf("got busy %v iowait %v, want 14.6s 2s", got.busy, got.iowait)
	}
	if _, err := parseSystemStat("intr 1 2 3\n"); err == nil {
		t.Error("no cpu line: want an error")
	}
}

func TestParseOpenSSLSpeed(t *testing.T) {
	out := "Forked child 0\n+R1:1234:2048:10.00\nGot: +F2:2:2048:0.000187:0.000010 from 0\n" +
		"version: 3.0.22\n                  sign    verify    sign/s verify/s\n" +
		"rsa 2048 bits 0.000187s 0.000010s   5336.0  97123.3\n"
	if got, ok := parseOpenSSLSpeed([]byte(out)); !ok || got != 5336.0 {
		t.Fatalf("parseOpenSSLSpeed = %v, %v; want 5336, true", got, ok)
	}
	if _, ok := parseOpenSSLSpeed([]byte("rsa 4096 bits 0.1s 0.1s 10.0 100.0\n")); ok {
		t.Fatal("a 4096-bit line was read as rsa2048")
	}
}

// TestSchedule: an open load schedules exactly the requests whose start falls before the
// deadline, in order, one gap apart, and then closes.
func TestSchedule(t *testing.T) {
	start := time.Now()
	ticks := make(chan time.Time, 1000)
	schedule(ticks, 1000, start, start.Add(30*time.Millisecond)) // gap 1ms
	var n int
	prev := start.Add(-time.Millisecond)
	for tk := range ticks {
		if got := tk.Sub(prev); got != time.Millisecond {
			t.Fatalf("tick %d: %v after the previous, want 1ms", n, got)
		}
		prev = tk
		n++
	}
	if n != 30 {
		t.Fatalf("%d ticks, want 30", n)
	}
}

// TestResult_Merge: interleaved slices add up to one result, percentiles over every latency.
func TestResult_Merge(t *testing.T) {
	var a, b result
	a.collect(time.Second, 3, 1, [][]time.Duration{{1, 2, 3, 4}}, &errSamples{})
	b.collect(time.Second, 5, 0, [][]time.Duration{{5, 6, 7, 8, 100}}, &errSamples{})
	a.merge(b)
	if a.OK != 8 || a.Errors != 1 || a.Requests != 9 || a.Elapsed != 2*time.Second || a.RPS != 4 {
		t.Fatalf("merged %+v", a)
	}
	if a.P50 != 5 || a.P99 != 100 || a.Max != 100 {
		t.Fatalf("p50 %v p99 %v max %v", a.P50, a.P99, a.Max)
	}
	a.merge(result{Failed: "boom"})
	if a.Failed != "boom" {
		t.Fatal("a failed slice does not fail the scenario")
	}
}
