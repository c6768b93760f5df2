package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"soapgate/auth"
)

// SessionStore keeps monitor sessions where every gateway process sees them (the
// PostgreSQL store): a merchant signed in at one process is signed in at all, and signed
// out at all. Sessions are found by the SHA-256 of their id; the database never sees an id.
type SessionStore interface {
	CreateSession(ctx context.Context, idHash, merchant string, expires time.Time) error
	Session(ctx context.Context, idHash string, now time.Time) (merchant string, expires time.Time, ok bool, err error)
	DeleteSession(ctx context.Context, idHash string) error
	SetSessionFlash(ctx context.Context, idHash, flash string) error
	TakeSessionFlash(ctx context.Context, idHash string) (string, error)
	UseSessionNonce(ctx context.Context, idHash, nonceHash string) (bool, error)
}

// sharedTimeout bounds each round trip to the shared sessions.
const sharedTimeout = 5 * time.Second

// Share keeps the monitor's sessions in sessions and its sign-in slowdown in failures, for
// several processes on one database; call it before serving. Without it both are in memory.
func (h *Handler) Share(sessions SessionStore, failures auth.Shared) {
	h.sessions = &sharedSessions{s: sessions, log: h.Logger.Error}
	h.limiter.shared = failures
}

type sharedSessions struct {
	s   SessionStore
	log func(msg string, args ...any)
}

var _ sessionStore = (*sharedSessions)(nil)

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sharedCSRF derives a session's CSRF token from its id: every process computes the same
// one, none stores it, and it tells nothing of the id.
func sharedCSRF(id string) string {
	sum := sha256.Sum256([]byte("csrf\x00" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), sharedTimeout)
}

func (s *sharedSessions) create(merchant string) (*session, error) {
	ctx, cancel := timeout()
	defer cancel()
	id := token(32)
	expires := time.Now().Add(sessionTTL)
	if err := s.s.CreateSession(ctx, hashHex(id), merchant, expires); err != nil {
		return nil, err
	}
	return &session{id: id, merchant: merchant, csrf: sharedCSRF(id), expires: expires}, nil
}

// get treats a session it cannot read as absent (the browser is sent to sign in) and logs why.
func (s *sharedSessions) get(id string) *session {
	ctx, cancel := timeout()
	defer cancel()
	merchant, expires, ok, err := s.s.Session(ctx, hashHex(id), time.Now())
	if err != nil {
		s.log("monitor: session", "err", err)
	}
	if !ok {
		return nil
	}
	return &session{id: id, merchant: merchant, csrf: sharedCSRF(id), expires: expires}
}

func (s *sharedSessions) delete(id string) {
	ctx, cancel := timeout()
	defer cancel()
	if err := s.s.DeleteSession(ctx, hashHex(id)); err != nil {
		s.log("monitor: sign out", "err", err)
	}
}

func (s *sharedSessions) setFlash(ss *session, f *flash) {
	ctx, cancel := timeout()
	defer cancel()
	b, _ := json.Marshal(f)
	if err := s.s.SetSessionFlash(ctx, hashHex(ss.id), string(b)); err != nil {
		s.log("monitor: keep flash", "err", err)
	}
}

func (s *sharedSessions) takeFlash(ss *session) *flash {
	ctx, cancel := timeout()
	defer cancel()
	v, err := s.s.TakeSessionFlash(ctx, hashHex(ss.id))
	if err != nil {
		s.log("monitor: take flash", "err", err)
	}
	if v == "" {
		return nil
	}
	var f flash
	if json.Unmarshal([]byte(v), &f) != nil {
		return nil
	}
	return &f
}

// useNonce refuses the action when the nonce cannot be recorded: a form that might have
// been sent before is not run again.
func (s *sharedSessions) useNonce(ss *session, nonce string) bool {
	ctx, cancel := timeout()
	defer cancel()
	ok, err := s.s.UseSessionNonce(ctx, hashHex(ss.id), hashHex(nonce))
	if err != nil {
		s.log("monitor: action nonce", "err", err)
	}
	return ok && err == nil
}

// The monitor's early slowdown on shared counters: the same keys as in memory, prefixed so
// that they never meet the services' (auth.Limiter) in the one table.
func sharedLimiterKey(login, ip string) string { return "monitor " + limiterKey(login, ip) }

// sharedWait answers a second's wait when the counters cannot be read: refused, not let
// through uncounted.
func (l *limiter) sharedWait(login, ip string) time.Duration {
	ctx, cancel := timeout()
	defer cancel()
	n, last, err := l.shared.AuthFailures(ctx, sharedLimiterKey(login, ip))
	if err != nil {
		return time.Second
	}
	since := time.Since(last[0])
	if n[0] <= freeFailures || since > forgetAfter {
		return 0
	}
	backoff := min(time.Second<<min(n[0]-freeFailures-1, 10), maxBackoff)
	return max(backoff-since, 0)
}

func (l *limiter) sharedFail(login, ip string) {
	ctx, cancel := timeout()
	defer cancel()
	l.shared.AddAuthFailure(ctx, time.Now(), forgetAfter, sharedLimiterKey(login, ip)) // a lost count is only a count
}

func (l *limiter) sharedSucceed(login, ip string) {
	ctx, cancel := timeout()
	defer cancel()
	l.shared.ForgetAuthFailures(ctx, sharedLimiterKey(login, ip))
}
