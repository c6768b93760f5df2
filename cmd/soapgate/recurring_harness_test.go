package main

import (
	"path/filepath"
	"testing"
)

// startRecurring starts the real server on the test clock (admin token "tok").
func startRecurring(t *testing.T) *testServer {
	t.Helper()
	return startRecurringAt(t, filepath.Join(t.TempDir(), "soapgate.db"))
}

func startRecurringAt(t *testing.T, dbPath string) *testServer {
	t.Helper()
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	return startServerAt(t, dbPath)
}
