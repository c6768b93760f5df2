package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"soapgate/auth"
)

// Monitor sessions of one process (SQLite) live in memory: a restart signs merchants out,
// which a sandbox gateway and an operator's console can afford, and nothing about them ever
// touches the disk. Several processes on PostgreSQL keep them in the database instead
// (shared.go), so that any process serves any request.
const (
	sessionCookie = "sg_monitor"
	csrfCookie    = "sg_csrf" // the sign-in form's token, before there is a session
	langCookie    = "sg_lang"
	sessionTTL    = 8 * time.Hour
	maxSessions   = 10000
)

type session struct {
	id       string
	merchant string
	csrf     string
	expires  time.Time
	flash    *flash
	nonces   map[string]bool
}

// flash is the outcome of the last action, shown once in #flash.
type flash struct {
	OK      bool
	Message string
}

// sessionStore keeps the monitor's sessions: sessions in memory, or sharedSessions.
type sessionStore interface {
	create(merchant string) (*session, error)
	get(id string) *session // nil when there is no such unexpired session
	delete(id string)
	setFlash(ss *session, f *flash)
	takeFlash(ss *session) *flash
	useNonce(ss *session, nonce string) bool // false when the session used it before
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

func (s *sessions) create(merchant string) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if len(s.m) >= maxSessions {
		// Expired sessions go first; if none has expired, the oldest is signed out.
		var oldest *session
		for id, ss := range s.m {
			if now.After(ss.expires) {
				delete(s.m, id)
			} else if oldest == nil || ss.expires.Before(oldest.expires) {
				oldest = ss
			}
		}
		if len(s.m) >= maxSessions && oldest != nil {
			delete(s.m, oldest.id)
		}
	}
	ss := &session{id: token(32), merchant: merchant, csrf: token(24), expires: now.Add(sessionTTL)}
	s.m[ss.id] = ss
	return ss, nil
}

func (s *sessions) get(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	if time.Now().After(ss.expires) {
		delete(s.m, id)
		return nil
	}
	return ss
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// setFlash and takeFlash pass an action's outcome to the page the browser is sent to next.
func (s *sessions) setFlash(ss *session, f *flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss.flash = f
}

func (s *sessions) takeFlash(ss *session) *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := ss.flash
	ss.flash = nil
	return f
}

func token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// cookie is HttpOnly and SameSite=Strict, Secure behind TLS, scoped to the monitor.
func (h *Handler) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/monitor/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: h.SecureCookies || isTLS(r)}
}

// limiter slows repeated failed sign-ins of one login from one address early, below the
// services' limits (auth.Limiter, which the monitor also obeys): from the third failure on,
// the next attempt waits 1 s, then 2 s, 4 s … up to 5 minutes. A success forgets only that
// login from that address; the table keeps the auth.MaxTracked most recent entries.
// With shared set (several processes) the counts live there instead, under their own prefix.
type limiter struct {
	mu     sync.Mutex
	m      *lru.Cache[string, *failures]
	shared auth.Shared
}

type failures struct {
	n    int
	last time.Time
}

const (
	freeFailures = 2
	maxBackoff   = 5 * time.Minute
	forgetAfter  = 15 * time.Minute
)

func newLimiter() *limiter {
	m, _ := lru.New[string, *failures](auth.MaxTracked)
	return &limiter{m: m}
}

func limiterKey(login, ip string) string { return strconv.Quote(login) + " " + ip }

// wait returns how long the login must still wait before its next attempt from ip.
func (l *limiter) wait(login, ip string) time.Duration {
	if l.shared != nil {
		return l.sharedWait(login, ip)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := limiterKey(login, ip)
	f, ok := l.m.Peek(key)
	if !ok {
		return 0
	}
	since := time.Since(f.last)
	if since > forgetAfter {
		l.m.Remove(key)
		return 0
	}
	if f.n <= freeFailures {
		return 0
	}
	backoff := min(time.Second<<min(f.n-freeFailures-1, 10), maxBackoff)
	return max(backoff-since, 0)
}

func (l *limiter) fail(login, ip string) {
	if l.shared != nil {
		l.sharedFail(login, ip)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	key := limiterKey(login, ip)
	f, ok := l.m.Get(key)
	if !ok {
		f = &failures{}
	}
	f.n++
	f.last = time.Now()
	l.m.Add(key, f)
}

func (l *limiter) succeed(login, ip string) {
	if l.shared != nil {
		l.sharedSucceed(login, ip)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m.Remove(limiterKey(login, ip))
}

// maxNonces bounds the action nonces a session remembers.
const maxNonces = 256

// useNonce records an action form's nonce; false when the same form was submitted before.
func (s *sessions) useNonce(ss *session, nonce string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss.nonces == nil {
		ss.nonces = map[string]bool{}
	}
	if ss.nonces[nonce] {
		return false
	}
	if len(ss.nonces) >= maxNonces {
		clear(ss.nonces)
	}
	ss.nonces[nonce] = true
	return true
}
