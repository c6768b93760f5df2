// Command benchscale is `make bench-scale`: per-request cost at 10^4, 10^5 and 10^6 orders.
//
// For each size it seeds a database (seed.go), starts bin/soapgate on it, and measures the
// median cost of the reads merchants poll (orderstate, orderresult), the order monitor
// (a first page, a page deep in the table, a day's CSV), a payment, the due queries the background
// loops run every tick, and start-up (after a clean stop, and with the full quick_check). The sizes run side by side and every measurement
// round visits each size in turn, so the machine's load (shared, 2 cores) falls on all
// sizes alike: read the ratio columns, each size against 10^4 in the same run. The whole
// CSV export is streamed once per size with the server's resident memory sampled. Finally
// it prints the query plans of the hot queries on the largest database.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"soapgate/store"
)

type config struct {
	bin, config string
	sizes       []int
	rounds      int
	batch       int
	keep        bool
}

func main() {
	var cfg config
	var sizes string
	flag.StringVar(&cfg.bin, "bin", "bin/soapgate", "the soapgate binary")
	flag.StringVar(&cfg.config, "config", "config.yaml", "config of the servers (database path and listen address are set per size)")
	flag.StringVar(&sizes, "sizes", "10000,100000,1000000", "order counts, smallest first (the baseline)")
	flag.IntVar(&cfg.rounds, "rounds", 5, "measurement rounds; each visits every size")
	flag.IntVar(&cfg.batch, "batch", 40, "requests per size, metric and round")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the seeded databases")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= windowOrders {
			fmt.Fprintf(os.Stderr, "benchscale: size %q: more than %d orders\n", s, windowOrders)
			os.Exit(2)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

// The two start-up rows: to /healthz 200 after a clean stop, and with the full quick_check.
const (
	startClean = "start-up after a clean stop (/healthz)"
	startFull  = "start-up, full quick_check (/healthz)"
)

// metric is one measured request; it returns what the request cost as seen by the caller.
type metric struct {
	name string
	do   func(s *size, ctx context.Context, rng *rand.Rand) (time.Duration, error)
}

func run(cfg config) error {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "soapgate-scale-")
	if err != nil {
		return err
	}
	if !cfg.keep {
		defer os.RemoveAll(root)
	}
	loadBefore := loadavg()
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1) // yesterday, 00:00 GMT
	sizes := make([]*size, len(cfg.sizes))
	for i, n := range cfg.sizes {
		s := &size{n: n, day: day, dir: filepath.Join(root, strconv.Itoa(n)), lat: map[string][]time.Duration{}}
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return err
		}
		s.db = filepath.Join(s.dir, "soapgate.db")
		fmt.Fprintf(os.Stderr, "benchscale: seeding %d orders\n", n)
		t0 := time.Now()
		if err := seed(s.db, n, day); err != nil {
			return fmt.Errorf("%d orders: %w", n, err)
		}
		s.seedTime = time.Since(t0)
		sizes[i] = s
	}
	defer func() {
		for _, s := range sizes {
			s.stop()
		}
	}()

	// Start-up, five rounds, each size in turn: a start with the full quick_check
	// (database.startup_check: always; what the first start on a file, or one after a crash,
	// costs; the first of them is the first start on the freshly seeded file), a clean stop,
	// then a start after that clean stop (what an operator's restart costs: the marker of the
	// clean stop vouches for the file). The banner of each start is read back, so that a
	// start counted in a row is one that checked as the row says. The last start stays up.
	for r := 0; r < 5; r++ {
		for _, s := range sizes {
			for _, st := range []struct{ name, check, banner string }{
				{startFull, "always", `integrity="full quick_check passed`},
				{startClean, "auto", `integrity="unchanged since clean stop at`},
			} {
				s.stop()
				d, err := s.start(ctx, cfg, "SOAPGATE_DATABASE_STARTUP_CHECK="+st.check)
				if err != nil {
					return fmt.Errorf("%d orders: start: %w", s.n, err)
				}
				if b := s.lastBanner(); !strings.Contains(b, st.banner) {
					return fmt.Errorf("%d orders: %s: the start-up banner does not say %s: %s", s.n, st.name, st.banner, b)
				}
				s.lat[st.name] = append(s.lat[st.name], d)
			}
		}
	}
	for _, s := range sizes {
		if err := s.signIn(ctx); err != nil {
			return fmt.Errorf("%d orders: monitor sign-in: %w", s.n, err)
		}
		if s.store, err = store.Open(s.db); err != nil {
			return err
		}
		defer s.store.Close()
	}

	metrics := []metric{
		{"orderstate by ordernumber", (*size).orderstate},
		{"orderresult by billnumber", (*size).orderresultBill},
		{"orderresult of one order", (*size).orderresultOne},
		{fmt.Sprintf("orderresult of a day (%d orders)", windowOrders), (*size).orderresultDay},
		{"monitor: first page", (*size).monitorFirst},
		{"monitor: a page mid-table", (*size).monitorDeep},
		{fmt.Sprintf("monitor: CSV of a day (%d rows)", windowOrders), (*size).csvDay},
		{"silentpay of a new order", (*size).silentpay},
		{"due notifications (in process)", (*size).dueNotifications},
		{"next due schedule (in process)", (*size).dueSchedule},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for r := 0; r < cfg.rounds; r++ {
		fmt.Fprintf(os.Stderr, "benchscale: round %d of %d\n", r+1, cfg.rounds)
		for _, m := range metrics {
			for _, s := range sizes {
				for b := 0; b < cfg.batch; b++ {
					d, err := m.do(s, ctx, rng)
					if err != nil {
						return fmt.Errorf("%d orders: %s: %w", s.n, m.name, err)
					}
					s.lat[m.name] = append(s.lat[m.name], d)
				}
			}
		}
	}
	for _, s := range sizes {
		fmt.Fprintf(os.Stderr, "benchscale: CSV of all %d orders\n", s.n)
		if err := s.csvAll(ctx); err != nil {
			return fmt.Errorf("%d orders: CSV export: %w", s.n, err)
		}
	}
	plans, err := sizes[len(sizes)-1].store.HotQueryPlans()
	if err != nil {
		return err
	}

	names := []string{startClean, startFull}
	for _, m := range metrics {
		names = append(names, m.name)
	}
	printTable(os.Stdout, sizes, names, cfg, loadBefore, loadavg())
	largest := sizes[len(sizes)-1].n
	fmt.Printf("\nquery plans at %s orders (store.HotQueryPlans):\n", power(largest))
	bad := 0
	for _, p := range plans {
		mark := "ok  "
		if !p.Indexed {
			mark, bad = "SCAN", bad+1
		}
		fmt.Printf("  %s %-36s %s\n", mark, p.Name, strings.Join(p.Detail, " | "))
	}
	if bad > 0 {
		return fmt.Errorf("%d hot queries read without an index", bad)
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func power(n int) string {
	p := 0
	for m := n; m >= 10 && m%10 == 0; m /= 10 {
		p++
	}
	if n == pow10(p) {
		return "10^" + strconv.Itoa(p)
	}
	return strconv.Itoa(n)
}

func pow10(p int) int {
	n := 1
	for ; p > 0; p-- {
		n *= 10
	}
	return n
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
