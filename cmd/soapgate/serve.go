package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"soapgate/auth"
	"soapgate/config"
	"soapgate/gateway"
	"soapgate/obs"
	"soapgate/processor"
	"soapgate/server"
	"soapgate/signer"
	"soapgate/store"
	"soapgate/wire"
)

func serveCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web services on one listener",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			logger, logw := newLogger(cfg)
			defer logw.Close()
			tuneGC()
			app, err := Open(cfg, logger)
			if err != nil {
				return err
			}
			defer app.Close()
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return err
			}
			return app.Run(ctx, ln) // logs the start-up banner (ops.go)
		},
	}
	cmd.Flags().StringVar(&path, "config", "config.yaml", "configuration file")
	return cmd
}

// DefaultGCPercent is the garbage collector's target (GOGC) when the environment sets none.
// Each request allocates a few kilobytes that die with it while the live heap stays a few
// megabytes, so Go's default of 100 collects dozens of times a second under load: the
// collector took a tenth of the CPU of an orderstate load and its pauses showed in the
// tail latency. 200 collects half as often; 400 did no better in make bench and took the
// server's peak resident size from 57 to 95 MiB (README "Performance"). GOGC and GOMEMLIMIT
// in the environment win, as for any Go program.
const DefaultGCPercent = 200

func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(DefaultGCPercent)
	}
}

// newLogger logs as log.format and log.level say, to standard error, the access lines in
// batches (obs.BatchWriter: at most obs.BatchDelay late, every other line at once). Close
// the writer before exiting.
func newLogger(cfg *config.Config) (*slog.Logger, *obs.BatchWriter) {
	w := obs.NewBatchWriter(os.Stderr, obs.BatchDelay)
	return slog.New(obs.BatchAccessLines(newHandler(cfg, w), w)), w
}

// newLoggerTo logs as log.format and log.level say, to w, every line at once.
func newLoggerTo(cfg *config.Config, w io.Writer) *slog.Logger { return slog.New(newHandler(cfg, w)) }

func newHandler(cfg *config.Config, w io.Writer) slog.Handler {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Log.Level)) // validated by config.Load
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// JobInterval is how often due work runs on its own (the test clock also runs it on each move).
const JobInterval = time.Second

// App is the running gateway: its parts, wired from the config.
type App struct {
	Config  *config.Config
	DB      *store.DB
	Gateway *gateway.Gateway
	Server  *server.Server
	HTTP    *http.Server
	Logger  *slog.Logger
	Metrics *server.Metrics
	Health  *server.Health
	Build   server.BuildInfo

	ops *opsServer // /metrics, /healthz and /readyz on metrics.listen; nil when unset

	background []func(ctx context.Context) // long-running workers, started by Run
	connLimits server.ConnLimits           // caps on open connections, applied by Run
	lock       *store.ServeLock            // this process's claim on the database file
}

// Open builds the app from the config and settles payments a crash interrupted; Close releases it.
func Open(cfg *config.Config, logger *slog.Logger) (*App, error) {
	if err := checkStart(cfg); err != nil { // ops.go
		return nil, err
	}
	merchants, err := cfg.BuildMerchants()
	if err != nil {
		return nil, err
	}
	key, err := signer.LoadPrivateKey(cfg.Resolve(cfg.Gateway.Key))
	if err != nil {
		return nil, fmt.Errorf("gateway.key: %w", err)
	}
	_, certPEM, err := signer.LoadCertificate(cfg.Resolve(cfg.Gateway.Cert))
	if err != nil {
		return nil, fmt.Errorf("gateway.cert: %w", err)
	}
	db, lock, err := openStore(cfg, true)
	if err != nil {
		return nil, err
	}
	app := &App{Config: cfg, DB: db, Logger: logger, lock: lock, Metrics: server.NewMetrics(), Build: server.ReadBuildInfo()}
	db.OnCommit = app.Metrics.ObserveCommit
	if err := app.wire(merchants, key, certPEM); err != nil {
		db.Close()
		lock.Release()
		return nil, err
	}
	if err := app.wireOps(); err != nil { // ops.go
		db.Close()
		lock.Release()
		return nil, err
	}
	return app, nil
}

func (a *App) wire(merchants *gateway.Merchants, key *rsa.PrivateKey, certPEM []byte) error {
	cfg, logger := a.Config, a.Logger
	var clock gateway.Clock = gateway.RealClock{}
	var testClock *gateway.TestClock
	if cfg.Clock == "test" {
		var err error
		if testClock, err = gateway.NewTestClock(context.Background(), a.DB); err != nil {
			return fmt.Errorf("test clock: %w", err)
		}
		clock = testClock
		if sh := a.DB.Shared(); sh != nil {
			testClock.Share(sh) // several processes: each reads the clock any of them moved
		}
	}
	proc := processor.Test{}
	gw := &gateway.Gateway{Store: a.DB, Processor: a.Metrics.Processor(proc), Clock: clock, Merchants: merchants,
		Logger: logger, Jobs: &gateway.Jobs{}, DelayedTTL: cfg.Gateway.DelayedTTL, Leases: a.DB.Leases()}
	a.Gateway = gw
	if gw.Leases != nil {
		// Several processes may share the database: what one of them leaves In Process when
		// it dies is settled by the others as it becomes due, not only at a start.
		gw.Jobs.Add(gateway.JobFunc(gw.RecoverDue))
	}
	if n, err := gw.Recover(context.Background()); err != nil {
		return fmt.Errorf("settle interrupted payments: %w", err)
	} else if n > 0 {
		logger.Info("settled interrupted payments", "count", n)
	}
	rsaSigner := signer.New(key)
	logger.Info("gateway RSA signatures", "backend", rsaSigner.Backend())
	srv := &server.Server{Gateway: gw, Wire: wire.Mapping{Signer: rsaSigner, Acquirer: proc},
		CertPEM: certPEM, Ping: a.DB.Ping, Health: a.health(), Logger: logger,
		PublicURL: cfg.PublicURL, MaxBody: cfg.Limits.BodyBytes, MaxDepth: cfg.Limits.XMLDepth, AdminToken: cfg.Admin.Token, TestClock: testClock,
		Limiter: a.limiter()}
	a.Server = srv
	var err error
	if srv.DSig, err = signer.NewXMLSigner(key, certPEM); err != nil {
		return fmt.Errorf("xmldsig: %w", err)
	}
	// Each feature wires itself in its own file: notifications, recurring series and
	// schedules, the payment page and order monitor.
	if err := a.wireNotify(); err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	if err := a.wireRecurring(); err != nil {
		return fmt.Errorf("recurring: %w", err)
	}
	// Two-stage payments nobody confirmed within gateway.delayed_ttl are voided.
	gw.Jobs.Add(gateway.JobFunc(gw.VoidExpiredDelayed))
	// One mux: the web services and the pages each mount their own routes on it.
	mux := http.NewServeMux()
	if err := srv.Register(mux); err != nil {
		return fmt.Errorf("web services: %w", err)
	}
	if err := a.wireWeb(mux); err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if cfg.Metrics.Listen == "" {
		mux.Handle("GET /metrics", a.Metrics.Handler())
	}
	proxies, err := wire.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("trusted_proxies: %w", err)
	}
	lim := cfg.Limits
	a.connLimits = server.ConnLimits{Total: min(lim.MaxConnections, server.DescriptorBudget(256)), PerAddress: lim.MaxConnectionsPerAddress,
		Exempt:  proxies.Contains,
		Refused: refusedLog(logger)}
	a.HTTP = &http.Server{
		Addr: cfg.Listen,
		// The access log sees the client a trusted proxy names, and the panic a handler
		// turned into a 500 (with the request id).
		Handler:           proxies.Handler(server.AccessLog(logger, a.Metrics, server.Recoverer(logger, mux))),
		ReadHeaderTimeout: cfg.Limits.HeaderTimeout,
		ReadTimeout:       cfg.Limits.RequestTimeout,
		WriteTimeout:      cfg.Limits.RequestTimeout + 5*time.Second,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// limiter counts failed authentications in memory for one process (SQLite), in the database
// for several (PostgreSQL), so that failures at any process refuse the address at all.
func (a *App) limiter() *auth.Limiter {
	if sh := a.DB.Shared(); sh != nil {
		return auth.NewSharedLimiter(nil, sh)
	}
	return auth.NewLimiter(nil)
}

// Run serves on ln and runs due work in the background until ctx ends, then shuts down
// gracefully: requests in flight finish and queued writes commit.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	ln = a.connLimits.Listener(ln)
	bg, stopBG := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, worker := range append([]func(context.Context){a.runJobs}, a.background...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(bg)
		}()
	}
	defer func() { stopBG(); wg.Wait() }() // at once when serving failed; shutdown waits itself

	defer a.stopOps()
	a.startOps()
	errc := make(chan error, 1)
	go func() {
		if tc := a.Config.TLS; tc.CertFile != "" {
			errc <- a.HTTP.ServeTLS(a.Metrics.Listener(ln), a.Config.Resolve(tc.CertFile), a.Config.Resolve(tc.KeyFile))
			return
		}
		errc <- a.HTTP.Serve(a.Metrics.Listener(ln))
	}()
	a.banner(ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return a.shutdown(stopBG, &wg)
}

func (a *App) runJobs(ctx context.Context) {
	t := time.NewTicker(JobInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Gateway.Jobs.Run(ctx, a.Gateway.Clock.Now()); err != nil && ctx.Err() == nil {
				a.Logger.Error("due jobs", "err", err)
			}
		}
	}
}

// Close stops the database writer after what is queued.
func (a *App) Close() error {
	if a.ops != nil {
		a.ops.ln.Close() // when Run never served it
	}
	start := time.Now()
	err := a.DB.Close()
	a.lock.Release()
	if err != nil {
		a.Logger.Error("shutdown: closing the database", "err", err)
	}
	a.Logger.Info("shutdown complete: database closed, queued writes committed", "waited_ms", time.Since(start).Milliseconds(),
		"at", time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

// openStore opens the configured store. A serving process on SQLite first takes the file's
// serve lock (one process per file); on PostgreSQL several processes share the database and
// the database serialises them, so there is no lock to take.
func openStore(cfg *config.Config, serve bool) (*store.DB, *store.ServeLock, error) {
	if cfg.Database.Driver == "postgres" {
		db, err := store.OpenPostgres(cfg.Database.URL)
		return db, nil, err
	}
	dbPath := cfg.Resolve(cfg.Database.Path)
	if err := store.CheckFolder(dbPath); err != nil { // exists, and takes new files
		return nil, nil, err
	}
	var lock *store.ServeLock
	if serve {
		var err error
		if lock, err = store.LockForServe(dbPath); err != nil {
			return nil, nil, err
		}
	}
	db, err := store.OpenWith(dbPath, store.Options{FullCheck: cfg.Database.StartupCheck == "always", Serving: serve})
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	db.Version = server.ReadBuildInfo().String() // recorded in the integrity marker a clean close leaves
	return db, lock, nil
}

// databaseName is what the log says of the database: the SQLite file, or the PostgreSQL
// URL without its password.
func databaseName(cfg *config.Config) string {
	if cfg.Database.Driver != "postgres" {
		return cfg.Resolve(cfg.Database.Path)
	}
	if u, err := url.Parse(cfg.Database.URL); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "postgres (connection string)"
}

// refusedLog logs connections closed over a cap at most once a second, with how many were
// closed since the last line: a flood of them must not become a flood of log lines.
func refusedLog(logger *slog.Logger) func(addr string, total bool) {
	var mu sync.Mutex
	var last time.Time
	var n int
	return func(addr string, total bool) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if now := time.Now(); now.Sub(last) >= time.Second {
			logger.Warn("connections closed over the cap", "ip", addr, "total_cap", total, "closed", n)
			last, n = now, 0
		}
	}
}
