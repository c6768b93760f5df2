package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"soapgate/config"
)

// startRecurring starts the real server on the test clock (admin token "tok") with the
// scheduler and saved-card routes mounted. Until the HTTP wiring in serve.go mounts
// a.Server.RecurringRoutes() itself, this helper adds them to the handler before serving.
func startRecurring(t *testing.T) *testServer {
	t.Helper()
	return startRecurringAt(t, filepath.Join(t.TempDir(), "soapgate.db"))
}

func startRecurringAt(t *testing.T, dbPath string) *testServer {
	t.Helper()
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	t.Setenv("SOAPGATE_DATABASE_PATH", dbPath)
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	app, err := Open(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	probe := httptest.NewRecorder()
	app.HTTP.Handler.ServeHTTP(probe, httptest.NewRequest("GET", "/scheduler/scheduler.wsdl", nil))
	if probe.Code == http.StatusNotFound {
		routes, err := app.webRoutes()
		if err != nil {
			t.Fatal(err)
		}
		app.HTTP.Handler = app.Server.Handler(append(routes, app.Server.RecurringRoutes()...)...)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{URL: "http://" + ln.Addr().String(), DBPath: dbPath, app: app, done: make(chan error, 1), cancel: cancel}
	go func() { ts.done <- app.Run(ctx, ln) }()
	t.Cleanup(ts.Stop)
	return ts
}
