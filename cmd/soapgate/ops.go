package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"soapgate/config"
	"soapgate/server"
)

// What an operator sees of the running gateway: start-up checks, the banner, /metrics,
// /healthz and /readyz (also on metrics.listen when set), and an orderly shutdown that
// says what it waited for.

// shutdownTimeout bounds how long shutdown waits for requests in flight.
const shutdownTimeout = 20 * time.Second

// checkStart refuses configurations that would start a gateway nobody can use.
func checkStart(cfg *config.Config) error {
	if cfg.Clock == "test" && cfg.Admin.Token == "" {
		// /admin/clock needs the token; without it the test clock stands still for ever and
		// nothing that waits for time (schedules, retries, timeouts) would ever run.
		return errors.New("clock: test needs admin.token (SOAPGATE_ADMIN_TOKEN): without it the test clock could never move")
	}
	return nil
}

// health is what /healthz and /readyz check.
func (a *App) health() *server.Health {
	if a.Health == nil {
		a.Health = &server.Health{Build: a.Build, Ping: a.DB.Ping, Writable: a.DB.Writable}
	}
	return a.Health
}

// opsServer serves /metrics, /healthz and /readyz on metrics.listen, apart from the
// traffic; it stops only after the main listener drained, so that an orchestrator sees
// /readyz answer 503 while requests in flight finish.
type opsServer struct {
	ln   net.Listener
	http *http.Server
	done chan struct{}
}

// wireOps exposes the outbox's numbers and, when metrics.listen is set, listens there at
// once (a taken port stops the start, before anything is served).
func (a *App) wireOps() error {
	db, clock := a.DB, a.Gateway.Clock
	a.Metrics.WatchNotifications(func(ctx context.Context) (int, time.Time, error) {
		s, err := db.NotificationStats(ctx)
		return s.Pending, s.OldestPending, err
	}, clock)
	addr := a.Config.Metrics.Listen
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	a.health().Register(mux)
	a.ops = &opsServer{ln: ln, done: make(chan struct{}), http: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: a.Config.Limits.HeaderTimeout,
		ReadTimeout:       a.Config.Limits.RequestTimeout,
		IdleTimeout:       120 * time.Second,
	}}
	return nil
}

// OpsAddr is the address /metrics listens on apart from the traffic, or nil.
func (a *App) OpsAddr() net.Addr {
	if a.ops == nil {
		return nil
	}
	return a.ops.ln.Addr()
}

func (a *App) startOps() {
	if a.ops == nil {
		return
	}
	go func() {
		defer close(a.ops.done)
		if err := a.ops.http.Serve(a.ops.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Error("metrics listener", "err", err)
		}
	}()
}

func (a *App) stopOps() {
	if a.ops == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a.ops.http.Shutdown(ctx)
	<-a.ops.done
}

// banner logs what a person starting the gateway needs: where to call it, which database
// file it uses, the merchants it serves, the pages' addresses and the clock.
func (a *App) banner(addr net.Addr) {
	cfg := a.Config
	base := a.baseURL(addr)
	merchants := make([]string, 0)
	for _, m := range a.Gateway.Merchants.All() {
		merchants = append(merchants, m.ID+" ("+m.Name+")")
	}
	dbPath, err := filepath.Abs(cfg.Resolve(cfg.Database.Path))
	if err != nil {
		dbPath = cfg.Resolve(cfg.Database.Path)
	}
	if cfg.Database.Driver == "postgres" {
		dbPath = databaseName(cfg)
	}
	metrics := base + "/metrics"
	if a.ops != nil {
		metrics = "http://" + hostPort(a.ops.ln.Addr()) + "/metrics"
	}
	clock := cfg.Clock
	if a.Server.TestClock != nil {
		clock = "test (stands at " + a.Gateway.Clock.Now().Format(time.RFC3339) + "; move it with POST /admin/clock)"
	}
	// How the SQLite file's integrity was trusted at start: the full quick_check, or the
	// marker of the last clean stop (store/integrity.go).
	integrity := "not checked by soapgate (PostgreSQL)"
	if cfg.Database.Driver != "postgres" {
		integrity = a.DB.Integrity().String()
	}
	a.Logger.Info("soapgate started",
		"version", a.Build.String(),
		"url", base,
		"database", dbPath,
		"integrity", integrity,
		"merchants", strings.Join(merchants, ", "),
		"payment_page", base+"/pay/order.cfm",
		"monitor", base+"/monitor/",
		"metrics", metrics,
		"health", base+"/healthz",
		"clock", clock,
	)
}

// baseURL is the address to give clients: public_url when set, else the listener's.
func (a *App) baseURL(addr net.Addr) string {
	if a.Config.PublicURL != "" {
		return strings.TrimSuffix(a.Config.PublicURL, "/")
	}
	scheme := "http"
	if a.Config.TLS.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + hostPort(addr)
}

// hostPort writes a listener's address as a URL host: a wildcard address becomes
// localhost, which works from the machine itself.
func hostPort(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// shutdown drains the gateway and logs each step: /readyz turns 503, the listener closes
// and requests in flight finish, then the background work (notification attempts in
// flight, due jobs) ends. The database writer commits what is queued in Close, which logs
// the end.
func (a *App) shutdown(stopBG context.CancelFunc, workers *sync.WaitGroup) error {
	start := time.Now()
	a.Health.Drain()
	a.Logger.Info("shutting down: /readyz answers 503, waiting for requests in flight",
		"in_flight", a.Metrics.InFlight(), "timeout", shutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := a.HTTP.Shutdown(ctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.Logger.Error("shutdown: requests still in flight were cut off", "in_flight", a.Metrics.InFlight(), "err", err)
	} else {
		err = nil
		a.Logger.Info("shutdown: requests in flight finished", "waited_ms", time.Since(start).Milliseconds())
	}
	bg := time.Now()
	stopBG()
	workers.Wait()
	a.Logger.Info("shutdown: background work ended (notification attempts in flight recorded, due jobs stopped)",
		"waited_ms", time.Since(bg).Milliseconds())
	a.Logger.Info("shutdown: serving stopped", "took_ms", time.Since(start).Milliseconds())
	return err
}
