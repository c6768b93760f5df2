package server

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"soapgate/gateway"
)

// Metrics are what /metrics exposes in the Prometheus format. Every series has a bounded
// set of labels: services come from the service table or the mux's route patterns, codes
// from the gateway's own error table; nothing a client chooses becomes a label.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	inflight      prometheus.Gauge
	inflightN     atomic.Int64
	conns         prometheus.Gauge
	payments      *prometheus.CounterVec
	attempts      *prometheus.CounterVec
	commitLatency prometheus.Histogram
	commitGroup   prometheus.Histogram
}

// NewMetrics registers soapgate's metrics, with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "soapgate_requests_total",
			Help: "HTTP requests answered, by service (the service table's name, else the route), firstcode/secondcode (empty for pages) and HTTP status.",
		}, []string{"service", "code", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "soapgate_request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by service.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "soapgate_requests_in_flight",
			Help: "Requests being answered now.",
		}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "soapgate_open_connections",
			Help: "Client connections open on the main listener.",
		}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "soapgate_payments_total",
			Help: "Card authorisations asked of the processor, by outcome (approved, declined, error) and initiator (customer, merchant).",
		}, []string{"outcome", "initiator"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "soapgate_notification_attempts_total",
			Help: "Notification delivery attempts this process made, by outcome (delivered, rejected, retry, failed).",
		}, []string{"outcome"}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "soapgate_store_commit_duration_seconds",
			Help:    "Duration of one group commit of the store's writer, fsync included.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		commitGroup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "soapgate_store_commit_group_size",
			Help:    "Write commands that shared one commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
	}
	for _, outcome := range []string{"delivered", "rejected", "retry", "failed"} {
		m.attempts.WithLabelValues(outcome) // every outcome's series exists from the start
	}
	reg.MustRegister(m.requests, m.latency, m.inflight, m.conns, m.payments, m.attempts, m.commitLatency, m.commitGroup,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// request counts one answered request.
func (m *Metrics) request(service, code string, status int, d time.Duration) {
	m.requests.WithLabelValues(service, code, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(service).Observe(d.Seconds())
}

func (m *Metrics) begin() { m.inflightN.Add(1); m.inflight.Inc() }
func (m *Metrics) end()   { m.inflightN.Add(-1); m.inflight.Dec() }

// InFlight is the number of requests being answered now (shutdown logs what it waits for).
func (m *Metrics) InFlight() int64 { return m.inflightN.Load() }

// ObserveCommit records one commit of the store's writer: how many commands it held and
// how long it took.
func (m *Metrics) ObserveCommit(size int, d time.Duration) {
	m.commitGroup.Observe(float64(size))
	m.commitLatency.Observe(d.Seconds())
}

// Listener counts the connections accepted on ln while they are open.
func (m *Metrics) Listener(ln net.Listener) net.Listener {
	return &countingListener{Listener: ln, g: m.conns}
}

type countingListener struct {
	net.Listener
	g prometheus.Gauge
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.g.Inc()
	return &countedConn{Conn: c, g: l.g}, nil
}

type countedConn struct {
	net.Conn
	g    prometheus.Gauge
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.g.Dec) // http.Server may close a connection more than once
	return c.Conn.Close()
}

// NotifyStats reads the notification outbox at scrape time: pending notifications and when
// the oldest of them was created (zero when none), both by index.
type NotifyStats func(ctx context.Context) (pending int, oldest time.Time, err error)

// WatchNotifications exposes the outbox's backlog and the age of its oldest pending
// notification (by clock, so that a test clock's moves show).
func (m *Metrics) WatchNotifications(stats NotifyStats, clock gateway.Clock) {
	m.Registry.MustRegister(&outboxCollector{stats: stats, clock: clock})
}

var (
	descBacklog = prometheus.NewDesc("soapgate_notifications_pending",
		"Result notifications not yet delivered, rejected or given up (the outbox backlog).", nil, nil)
	descOldest = prometheus.NewDesc("soapgate_notifications_oldest_pending_age_seconds",
		"Age of the oldest pending notification; 0 when none is pending.", nil, nil)
	descScrapeErr = prometheus.NewDesc("soapgate_notifications_stats_error",
		"1 when the outbox could not be read at this scrape.", nil, nil)
)

// outboxCollector queries the store at each scrape rather than counting in the deliverer:
// the database is the one place that knows the backlog, also across restarts.
type outboxCollector struct {
	stats NotifyStats
	clock gateway.Clock
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descBacklog
	ch <- descOldest
	ch <- descScrapeErr
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pending, oldest, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, 0)
	ch <- prometheus.MustNewConstMetric(descBacklog, prometheus.GaugeValue, float64(pending))
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, c.clock.Now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
}

// NotificationAttempt counts one delivery attempt this process recorded, by its outcome.
// Attempts are counted as they happen rather than read from the database at each scrape:
// a GROUP BY over every attempt kept made a scrape's cost grow with the history.
func (m *Metrics) NotificationAttempt(outcome string) {
	m.attempts.WithLabelValues(outcome).Inc()
}

// Processor wraps p so that each authorisation's outcome is counted. A processor that
// challenges cards for 3-D Secure keeps doing so through the wrapper.
func (m *Metrics) Processor(p gateway.Processor) gateway.Processor {
	mp := meteredProcessor{Processor: p, m: m}
	if c, ok := p.(gateway.Challenger); ok {
		return challengingProcessor{mp, c}
	}
	return mp
}

type meteredProcessor struct {
	gateway.Processor
	m *Metrics
}

func (p meteredProcessor) Authorize(ctx context.Context, req gateway.AuthRequest) (gateway.AuthResult, error) {
	res, err := p.Processor.Authorize(ctx, req)
	outcome, initiator := "approved", "customer"
	switch {
	case err != nil:
		outcome = "error"
	case !res.Approved:
		outcome = "declined"
	}
	if req.MerchantInitiated {
		initiator = "merchant"
	}
	p.m.payments.WithLabelValues(outcome, initiator).Inc()
	return res, err
}

type challengingProcessor struct {
	meteredProcessor
	gateway.Challenger
}
