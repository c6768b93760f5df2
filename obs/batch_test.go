package obs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"soapgate/obs"
)

// sink is a writer safe for the BatchWriter's timer goroutine; it counts the writes.
type sink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	err    error
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.err != nil {
		return 0, s.err
	}
	return s.buf.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// TestBatchWriter_HoldsUntilFlush: lines wait until Flush, then go out in one write, in order;
// after Close every write goes straight through.
func TestBatchWriter_HoldsUntilFlush(t *testing.T) {
	s := &sink{}
	b := obs.NewBatchWriter(s, time.Hour)
	for i := range 3 {
		fmt.Fprintf(b, "line %d\n", i)
	}
	if got := s.String(); got != "" {
		t.Fatalf("written before Flush: %q", got)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), "line 0\nline 1\nline 2\n"; got != want || s.count() != 1 {
		t.Fatalf("after Flush: %q in %d writes, want %q in 1", got, s.count(), want)
	}
	b.Write([]byte("held\n"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("after close\n"))
	if got, want := s.String(), "line 0\nline 1\nline 2\nheld\nafter close\n"; got != want {
		t.Fatalf("after Close: %q, want %q", got, want)
	}
}

// TestBatchWriter_Delay: a held line is written on its own once the delay has passed.
func TestBatchWriter_Delay(t *testing.T) {
	s := &sink{}
	b := obs.NewBatchWriter(s, 5*time.Millisecond)
	defer b.Close()
	b.Write([]byte("late\n"))
	deadline := time.Now().Add(5 * time.Second)
	for s.String() != "late\n" {
		if time.Now().After(deadline) {
			t.Fatal("the held line was never written")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBatchWriter_Full: 64 KiB held are written at once, whatever the delay.
func TestBatchWriter_Full(t *testing.T) {
	s := &sink{}
	b := obs.NewBatchWriter(s, time.Hour)
	line := strings.Repeat("x", 1023) + "\n"
	for range 64 {
		b.Write([]byte(line))
	}
	if got := len(s.String()); got != 64*1024 || s.count() != 1 {
		t.Fatalf("after 64 KiB: %d bytes in %d writes, want 65536 in 1", got, s.count())
	}
}

// TestBatchWriter_Error: a failing destination is reported by the call that writes to it.
func TestBatchWriter_Error(t *testing.T) {
	s := &sink{err: errors.New("disk full")}
	b := obs.NewBatchWriter(s, time.Hour)
	if _, err := b.Write([]byte("x\n")); err != nil {
		t.Fatalf("a held write failed: %v", err)
	}
	if err := b.Flush(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Flush = %v, want the destination's error", err)
	}
}

// TestBatchWriter_Concurrent: lines from many goroutines all arrive whole (run with -race).
func TestBatchWriter_Concurrent(t *testing.T) {
	s := &sink{}
	b := obs.NewBatchWriter(s, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				fmt.Fprintf(b, "g%d line %d end\n", g, i)
			}
		}()
	}
	wg.Wait()
	b.Close()
	lines := strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
	if len(lines) != 8*2000 {
		t.Fatalf("%d lines, want %d", len(lines), 8*2000)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "g%d line %d end", &g, &i); n != 2 || err != nil {
			t.Fatalf("a broken line: %q", l)
		}
		seen[l] = true
	}
	if len(seen) != 8*2000 {
		t.Fatalf("%d distinct lines, want %d", len(seen), 8*2000)
	}
}

// TestBatchAccessLines: access lines wait; any other record, or an access line at WARN,
// writes at once together with the lines before it, in order.
func TestBatchAccessLines(t *testing.T) {
	s := &sink{}
	b := obs.NewBatchWriter(s, time.Hour)
	log := slog.New(obs.BatchAccessLines(slog.NewTextHandler(b, nil), b)).With("app", "soapgate")
	ctx := context.Background()

	log.Info(obs.MsgRequest, "n", 1)
	log.Info(obs.MsgRequest, "n", 2)
	if got := s.String(); got != "" {
		t.Fatalf("access lines written at once: %q", got)
	}
	log.Info("soapgate started")
	out := s.String()
	i1, i2, i3 := strings.Index(out, "n=1"), strings.Index(out, "n=2"), strings.Index(out, "soapgate started")
	if i1 < 0 || i2 < i1 || i3 < i2 || !strings.Contains(out, "app=soapgate") {
		t.Fatalf("after a start-up line the log is %q, want both access lines then it", out)
	}

	log.Info(obs.MsgRequest, "n", 3)
	log.Log(ctx, slog.LevelWarn, obs.MsgRequest, "n", 4) // a failed login
	if out := s.String(); !strings.Contains(out, "n=3") || !strings.Contains(out, "n=4") {
		t.Fatalf("a WARN access line did not write: %q", out)
	}
	log.WithGroup("g").Info(obs.MsgRequest, "n", 5)
	if strings.Contains(s.String(), "n=5") {
		t.Fatal("an access line in a group was written at once")
	}
	b.Close()
	if !strings.Contains(s.String(), "g.n=5") {
		t.Fatalf("Close lost a line: %q", s.String())
	}
}
