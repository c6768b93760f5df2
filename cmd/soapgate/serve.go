package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/processor"
	"soapgate/server"
	"soapgate/signer"
	"soapgate/store"
)

func serveCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web services on one listener",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, path)
		},
	}
	cmd.Flags().StringVar(&path, "config", "config.yaml", "configuration file")
	return cmd
}

// App is the running gateway: its parts, wired from the config.
type App struct {
	Config *config.Config
	DB     *store.DB
	HTTP   *http.Server
	Logger *slog.Logger
}

// Open builds the app from the config; Close releases it.
func Open(cfg *config.Config, logger *slog.Logger) (*App, error) {
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
	db, err := store.Open(cfg.Resolve(cfg.Database.Path))
	if err != nil {
		return nil, err
	}
	gw := &gateway.Gateway{Store: db, Processor: processor.Test{}, Clock: gateway.RealClock{}, Merchants: merchants, Logger: logger}
	if n, err := gw.Recover(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("settle interrupted payments: %w", err)
	} else if n > 0 {
		logger.Info("settled interrupted payments", "count", n)
	}
	srv := &server.Server{Gateway: gw, Signer: signer.New(key), CertPEM: certPEM, Ping: db.Ping, Logger: logger,
		MaxBody: cfg.Limits.BodyBytes, MaxDepth: cfg.Limits.XMLDepth}
	hs := &http.Server{
		Addr:              cfg.Listen,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.Limits.HeaderTimeout,
		ReadTimeout:       cfg.Limits.RequestTimeout,
		WriteTimeout:      cfg.Limits.RequestTimeout + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return &App{Config: cfg, DB: db, HTTP: hs, Logger: logger}, nil
}

// Close stops the database writer after what is queued.
func (a *App) Close() error { return a.DB.Close() }

func serve(ctx context.Context, path string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	app, err := Open(cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	logger.Info("soapgate listening", "addr", ln.Addr().String(), "database", cfg.Resolve(cfg.Database.Path))
	errc := make(chan error, 1)
	go func() { errc <- app.HTTP.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := app.HTTP.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
