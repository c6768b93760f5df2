package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"soapgate/config"
)

// scrape is one read of /metrics, parsed as Prometheus parses it.
type scrape map[string]*dto.MetricFamily

func scrapeMetrics(t testing.TB, url string) scrape {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value sums the series of a family whose labels include every name=value pair given: a
// counter's or gauge's value, a histogram's observation count. -1 when the family is absent.
func (s scrape) value(name string, labels ...string) float64 {
	f, ok := s[name]
	if !ok {
		return -1
	}
	sum := 0.0
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum
}

// TestMetrics_MoveWithTraffic scrapes /metrics over HTTP before and after real traffic
// (payments approved and declined, a read, a failed login, notifications the merchant does
// not acknowledge) and checks that each family moved by what the traffic did.
func TestMetrics_MoveWithTraffic(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(int, map[string]string) (int, string) { return 503, "down for maintenance" }
	ts := startServerWith(t, t.TempDir()+"/m.db", func(c *config.Config) { c.Merchants[0].Notify.URL = rc.URL })
	before := scrapeMetrics(t, ts.URL+"/metrics")

	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "met-1"))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "met-2", "cardnumber", "4000000000000002"))
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "met-1"))
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "met-1", "password", "nope"))
	var after scrape
	waitFor(t, "two notifications pending after a retry each", func() bool {
		after = scrapeMetrics(t, ts.URL+"/metrics")
		return after.value("soapgate_notifications_pending") == 2 &&
			after.value("soapgate_notification_attempts_total", "outcome", "retry") >= 2 &&
			after.value("soapgate_notifications_oldest_pending_age_seconds") > 0
	})

	for _, c := range []struct {
		name   string
		labels []string
		delta  float64
	}{
		{"soapgate_requests_total", []string{"service", "silentpay", "code", "0/0", "status", "200"}, 2},
		{"soapgate_requests_total", []string{"service", "orderstate", "code", "0/0"}, 1},
		{"soapgate_requests_total", []string{"service", "orderstate", "code", "10/100"}, 1},
		{"soapgate_request_duration_seconds", []string{"service", "silentpay"}, 2},
		{"soapgate_payments_total", []string{"outcome", "approved", "initiator", "customer"}, 1},
		{"soapgate_payments_total", []string{"outcome", "declined", "initiator", "customer"}, 1},
	} {
		was := max(0, before.value(c.name, c.labels...))
		if got := after.value(c.name, c.labels...) - was; got != c.delta {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.delta)
		}
	}
	// Each payment commits twice (intent, outcome), and each attempt once.
	if got := after.value("soapgate_store_commit_group_size") - before.value("soapgate_store_commit_group_size"); got < 4 {
		t.Errorf("commit group sizes observed %v times, want at least 4", got)
	}
	if got := after.value("soapgate_store_commit_duration_seconds") - before.value("soapgate_store_commit_duration_seconds"); got < 4 {
		t.Errorf("commit durations observed %v times, want at least 4", got)
	}
	// The scrape's own connection is open while it is answered.
	if got := after.value("soapgate_open_connections"); got < 1 {
		t.Errorf("open connections %v during a scrape", got)
	}
	if after.value("go_goroutines") <= 0 || after.value("process_resident_memory_bytes") <= 0 {
		t.Error("the Go and process collectors are missing")
	}
	// Every series the Grafana dashboard queries exists.
	dashboardMetrics(t, after)

	// A client's text never becomes a label: an unknown operation is "unknown".
	ts.soap(t, "/orderstate/orderstate.cfm", "drop_table_orders", demo)
	if got := scrapeMetrics(t, ts.URL+"/metrics").value("soapgate_requests_total", "service", "unknown", "code", "1/1"); got != 1 {
		t.Errorf("unknown operation counted %v times under service=unknown", got)
	}
}

// TestMetrics_OwnListener: with metrics.listen set, /metrics, /healthz and /readyz are
// served there, and /metrics is not on the main listener.
func TestMetrics_OwnListener(t *testing.T) {
	ts := startServerWith(t, t.TempDir()+"/m.db", func(c *config.Config) { c.Metrics.Listen = "127.0.0.1:0" })
	ops := "http://" + ts.app.OpsAddr().String()
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "none"))
	if got := scrapeMetrics(t, ops+"/metrics").value("soapgate_requests_total", "service", "orderstate"); got != 1 {
		t.Errorf("requests on the ops listener: %v", got)
	}
	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("/metrics on the main listener: %d, want 404 when metrics.listen is set", res.StatusCode)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := getJSON(t, ops+p); code != 200 {
			t.Errorf("%s on the ops listener: %d", p, code)
		}
	}
}

// getJSON GETs url and decodes its JSON object.
func getJSON(t testing.TB, url string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", url, err, b)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: Content-Type %q", url, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, out
}

// dashboardMetrics checks that each metric docs/grafana-dashboard.json queries is one the
// gateway exposes, so that the dashboard cannot drift from the code.
func dashboardMetrics(t *testing.T, s scrape) {
	t.Helper()
	b, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	names := regexp.MustCompile(`\b((?:soapgate|go|process)_[a-z_]+)`)
	seen := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range names.FindAllStringSubmatch(tg.Expr, -1) {
				name := m[1]
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					if base := strings.TrimSuffix(name, suffix); base != name && s[base] != nil {
						name = base
					}
				}
				if s[name] == nil {
					t.Errorf("dashboard panel %q queries %s, which /metrics does not expose", p.Title, m[1])
				}
				seen++
			}
		}
	}
	if seen < 10 {
		t.Fatalf("the dashboard queries only %d metrics", seen)
	}
}

// TestServe_GCPercent: serve sets the collector's target to DefaultGCPercent when the
// environment names none, and leaves an operator's GOGC alone; both read back from a real
// process's /metrics.
func TestServe_GCPercent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Setenv("GOGC", "") // restored after the test
	os.Unsetenv("GOGC")
	for _, c := range []struct {
		env  []string
		want float64
	}{{nil, DefaultGCPercent}, {[]string{"GOGC=150"}, 150}} {
		env := append([]string{"SOAPGATE_DATABASE_PATH=" + filepath.Join(t.TempDir(), "gc.db")}, c.env...)
		p := startProcess(t, writeConfig(t, ""), env...)
		if got := scrapeMetrics(t, p.url+"/metrics").value("go_gc_gogc_percent"); got != c.want {
			t.Errorf("env %v: go_gc_gogc_percent = %v, want %v", c.env, got, c.want)
		}
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}
