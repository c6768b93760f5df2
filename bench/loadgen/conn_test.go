package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer answers every POST with its body (chunked when the path says so) and counts
// the connections it accepted.
func echoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != contentType || r.Header.Get("SOAPAction") != `""` {
			http.Error(w, "bad request line or headers", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(r.URL.Path, "/chunked") {
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			w.Write(b[len(b)/2:])
			return
		}
		if strings.HasSuffix(r.URL.Path, "/close") {
			w.Header().Set("Connection", "close")
		}
		w.Write(b)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func postAll(t *testing.T, c *conn, n int) {
	t.Helper()
	for i := range n {
		body := strings.Repeat("x", 100+i)
		status, got, err := c.post([]byte(body))
		if err != nil || status != http.StatusOK || string(got) != body {
			t.Fatalf("post %d: status %d, err %v, body %q", i, status, err, got)
		}
	}
}

// TestConn_KeepAlive: one connection carries every request, and chunked answers read whole.
func TestConn_KeepAlive(t *testing.T) {
	for _, path := range []string{"/pay", "/chunked"} {
		srv, conns := echoServer(t)
		c, err := newConn(srv.URL+path, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		postAll(t, c, 20)
		c.close()
		if n := conns.Load(); n != 1 {
			t.Errorf("%s: %d connections for 20 requests, want 1", path, n)
		}
	}
}

// TestConn_Redials: an answer with Connection: close, and a kept-alive connection the
// server dropped between requests, cost a new connection, not an error.
func TestConn_Redials(t *testing.T) {
	srv, conns := echoServer(t)
	c, err := newConn(srv.URL+"/close", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	postAll(t, c, 3)
	if n := conns.Load(); n != 3 {
		t.Errorf("Connection: close: %d connections for 3 requests, want 3", n)
	}

	srv, conns = echoServer(t)
	c, err = newConn(srv.URL+"/pay", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	postAll(t, c, 1)
	srv.CloseClientConnections()
	postAll(t, c, 1)
	if n := conns.Load(); n != 2 {
		t.Errorf("dropped connection: %d connections, want 2", n)
	}
}

// TestConn_Errors: a refused connection and a server that never answers are errors.
func TestConn_Errors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	go func() { // accept and never answer
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
		}
	}()
	c, err := newConn("http://"+addr+"/pay", 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.post([]byte("x")); err == nil {
		t.Error("a server that never answers: no error")
	}
	l.Close()
	c, _ = newConn("http://"+addr+"/pay", time.Second)
	if _, _, err := c.post([]byte("x")); err == nil {
		t.Error("a closed port: no error")
	}
	if _, err := newConn("https://"+addr+"/pay", time.Second); err == nil {
		t.Error("https: no error")
	}
}
