package server

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"soapgate/gateway"
)

// adminClock serves /admin/clock (docs/protocol.md#9-sandbox-controls): read or move the test clock, and
// answer only after every job that became due has run once. Without an admin token, or on
// the real clock, /admin/* does not exist.
func (s *Server) adminClock(w http.ResponseWriter, r *http.Request) {
	if s.AdminToken == "" || s.TestClock == nil {
		http.NotFound(w, r)
		return
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.AdminToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="soapgate admin"`)
		writeJSONError(w, http.StatusUnauthorized, "a valid admin bearer token is required")
		return
	}
	now := s.TestClock.Now()
	if r.Method == http.MethodPost {
		var req struct{ Advance, Set string }
		body, err := readBody(w, r, 4<<10)
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		_, perr := clockTarget(now, req.Advance, req.Set)
		if err != nil || perr != nil {
			writeJSONError(w, http.StatusBadRequest, `send {"advance":"72h"} or {"set":"2026-12-01T00:00:00Z"}`)
			return
		}
		// An advance counts from where the clock stands when the move is written, so that
		// concurrent advances add up instead of racing.
		move := func(cur time.Time) (time.Time, error) { return clockTarget(cur, req.Advance, req.Set) }
		if now, err = s.TestClock.Move(r.Context(), move); err != nil {
			writeJSONError(w, http.StatusBadRequest, gateway.AsError(err).Message)
			return
		}
		if s.Gateway.Jobs != nil {
			if err := s.Gateway.Jobs.Run(r.Context(), now); err != nil {
				s.Logger.Error("due jobs after a clock move", "err", err)
				writeJSONError(w, http.StatusInternalServerError, "the clock moved, but some due work failed: see the server log")
				return
			}
		}
	} else if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		writeJSONError(w, http.StatusMethodNotAllowed, "GET or POST")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"now": now.Format(time.RFC3339)})
}

// clockTarget reads {"advance": "72h" | "3d"} or {"set": RFC 3339}.
func clockTarget(now time.Time, advance, set string) (time.Time, error) {
	switch {
	case set != "" && advance == "":
		return time.Parse(time.RFC3339, set)
	case advance != "" && set == "":
		if days, ok := strings.CutSuffix(advance, "d"); ok {
			n, err := strconv.Atoi(days)
			return now.AddDate(0, 0, n), err
		}
		d, err := time.ParseDuration(advance)
		return now.Add(d), err
	}
	return now, strconv.ErrSyntax
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
