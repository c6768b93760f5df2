package main

import (
	"testing"
	"time"
)

// waitTimeout bounds waitFor: long enough for a loaded CI machine, never part of what a test
// asserts.
const waitTimeout = 20 * time.Second

// waitFor polls cond until it holds and fails the test, naming what, when waitTimeout passes
// first. Tests wait for an observable condition this way, never for a fixed time.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for delay := time.Millisecond; !cond(); delay = min(2*delay, 50*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(delay)
	}
}
