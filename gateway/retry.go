package gateway

import "time"

// The card-network retry rules of docs/protocol.md#7-recurring-rules, as pure functions of a series' retry
// state, the processor's code and the time (the caller passes its clock's now, so tests walk
// a 16-day window without waiting).

// DeclineClass sorts a processor answer for the retry rules.
type DeclineClass int

const (
	Approval    DeclineClass = iota
	SoftDecline              // may be retried within the window
	HardDecline              // the card will not be charged again: the series stops at once
)

// ClassifyISO classes an ISO 8583 answer. 05, 51, 61, 65 are soft and 14, 54, 57 hard
// (docs/protocol.md#7-recurring-rules); a code the protocol does not name is treated as soft, so it is retried but
// counted, never left unbounded.
func ClassifyISO(iso string) DeclineClass {
	switch iso {
	case "00":
		return Approval
	case "14", "54", "57":
		return HardDecline
	}
	return SoftDecline
}

// Retry limits of the card networks.
const (
	// RetryWindowDays is how long, from the first unsuccessful attempt after a soft decline,
	// retries are allowed.
	RetryWindowDays = 16
	// MaxUnsuccessful is the number of unsuccessful attempts in the window that stops a series.
	MaxUnsuccessful = 4
)

// RetryState is a series' count of unsuccessful attempts since its last approval.
type RetryState struct {
	Fails     int       // unsuccessful attempts in the open window
	FirstFail time.Time // the first of them; zero when no window is open
}

// WindowEnd is when the open window ends; zero when none is open. Calendar days are counted in
// UTC from the instant of the first unsuccessful attempt.
func (s RetryState) WindowEnd() time.Time {
	if s.FirstFail.IsZero() {
		return time.Time{}
	}
	return s.FirstFail.AddDate(0, 0, RetryWindowDays)
}

// WindowEnded reports whether the open window ran out without an approval, which stops the series.
func (s RetryState) WindowEnded(now time.Time) bool {
	end := s.WindowEnd()
	return !end.IsZero() && !now.Before(end)
}

// Stop reasons, as the series keeps them (and error messages quote them).
const (
	StopHardDecline = "hard decline"
	StopFourthFail  = "fourth unsuccessful attempt within 16 days"
	StopWindowEnded = "16 days after a soft decline without an approval"
)

// Apply returns the retry state after an attempt answered with iso at now, and the reason the
// series stops, or "" when it may go on.
func (s RetryState) Apply(iso string, now time.Time) (RetryState, string) {
	switch ClassifyISO(iso) {
	case Approval:
		return RetryState{}, ""
	case HardDecline:
		return s.fail(now), StopHardDecline
	}
	if s.WindowEnded(now) {
		// Only reachable when nothing stopped the series at the window's end yet.
		return s.fail(now), StopWindowEnded
	}
	s = s.fail(now)
	if s.Fails >= MaxUnsuccessful {
		return s, StopFourthFail
	}
	return s, ""
}

func (s RetryState) fail(now time.Time) RetryState {
	if s.FirstFail.IsZero() {
		s.FirstFail = now
	}
	s.Fails++
	return s
}
