package main

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"soapgate/config"
)

// holdConns opens n idle connections from ip to the server, as a client that hoards
// keep-alive connections does; they are closed at the end of the test.
func holdConns(t *testing.T, ts *testServer, ip string, n int) []net.Conn {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	var cs []net.Conn
	for range n {
		c, err := d.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
		t.Cleanup(func() { c.Close() })
	}
	// A request on the last one proves the server has accepted (and counted) them all:
	// connections are accepted in order.
	last := cs[len(cs)-1]
	io.WriteString(last, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	last.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 12)
	if _, err := io.ReadFull(last, buf); err != nil || !strings.HasPrefix(string(buf), "HTTP/1.1") {
		t.Fatalf("a connection within the cap was not served: %q %v", buf, err)
	}
	return cs
}

// closedByServer reports whether the server closes a new connection from ip without
// answering a request on it.
func closedByServer(t *testing.T, ts *testServer, ip string) bool {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c, err := d.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		return true
	}
	defer c.Close()
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the connection was neither served nor closed")
	}
	return err != nil
}

// TestAttack_ConnectionHoarding: one address holding as many idle connections as its cap
// allows gets its next one closed at once, while another address is still served.
func TestAttack_ConnectionHoarding(t *testing.T) {
	ts := startServerWith(t, filepath.Join(t.TempDir(), "soapgate.db"), func(c *config.Config) {
		c.Limits.MaxConnectionsPerAddress = 20
	})
	holdConns(t, ts, "127.0.0.1", 20)
	if !closedByServer(t, ts, "127.0.0.1") {
		t.Fatal("the 21st connection of one address was served")
	}
	if status, codes, _ := newPeer(t, ts, "127.0.0.2").orderstate("700001", "demo_login", "demo_password1"); status != 500 || codes != "10/201" {
		t.Fatalf("another address while one hoards: HTTP %d %s", status, codes)
	}
}

// TestAttack_ConnectionTotal: past the total cap new connections are closed, and once the
// hoarder lets go, clients are served again.
func TestAttack_ConnectionTotal(t *testing.T) {
	ts := startServerWith(t, filepath.Join(t.TempDir(), "soapgate.db"), func(c *config.Config) {
		c.Limits.MaxConnections = 12
	})
	held := holdConns(t, ts, "127.0.0.1", 12)
	if !closedByServer(t, ts, "127.0.0.2") {
		t.Fatal("a connection over the total cap was served")
	}
	for _, c := range held {
		c.Close()
	}
	waitFor(t, "served again after the hoarder closed", func() bool { return !closedByServer(t, ts, "127.0.0.2") })
}
