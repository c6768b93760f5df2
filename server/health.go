package server

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// BuildInfo is what the binary knows of its own build: the module version, the VCS
// revision and its time (set by `go build` in a git checkout), and the Go version.
type BuildInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"` // built from a working copy with changes
	Go       string `json:"go"`
}

// ReadBuildInfo reads the build information embedded in the binary.
func ReadBuildInfo() BuildInfo {
	bi := BuildInfo{Version: "(devel)"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return bi
	}
	bi.Go = info.GoVersion
	if v := info.Main.Version; v != "" {
		bi.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Revision = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return bi
}

// String is the one-line form `soapgate version` prints.
func (b BuildInfo) String() string {
	s := "soapgate " + b.Version
	if b.Revision != "" {
		s += " revision " + b.Revision
		if b.Modified {
			s += " (modified)"
		}
	}
	if b.Time != "" {
		s += " built from " + b.Time
	}
	return s + " " + b.Go
}

// Health answers /healthz (the process is alive and its database answers) and /readyz
// (it should receive traffic: the database is writable, every migration is applied, and
// it is not shutting down).
type Health struct {
	Build BuildInfo
	Ping  func(ctx context.Context) error // the database answers a read
	// Writable checks that a write commits (through the store's one writer, so a stuck
	// writer shows) and that the schema is the one this binary expects.
	Writable func(ctx context.Context) error

	draining atomic.Bool
}

// Drain makes /readyz answer 503 from now on: the server is shutting down, so a load
// balancer should send new requests elsewhere while those in flight finish.
func (h *Health) Drain() { h.draining.Store(true) }

// Register mounts GET /healthz and GET /readyz on mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
}

type healthAnswer struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	BuildInfo
}

func (h *Health) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if h.Ping != nil {
		if err := h.Ping(ctx); err != nil {
			h.answer(w, http.StatusServiceUnavailable, "unavailable", "database unavailable: "+err.Error())
			return
		}
	}
	h.answer(w, http.StatusOK, "ok", "")
}

func (h *Health) readyz(w http.ResponseWriter, r *http.Request) {
	if h.draining.Load() {
		h.answer(w, http.StatusServiceUnavailable, "not ready", "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if h.Writable != nil {
		if err := h.Writable(ctx); err != nil {
			h.answer(w, http.StatusServiceUnavailable, "not ready", err.Error())
			return
		}
	}
	h.answer(w, http.StatusOK, "ready", "")
}

func (h *Health) answer(w http.ResponseWriter, status int, state, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(healthAnswer{Status: state, Reason: reason, BuildInfo: h.Build})
}
