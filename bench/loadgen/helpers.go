// Helpers for scripts/bench.sh: -free-port and -wait-healthz.

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

func pickFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHealthy polls base/healthz until 200 or timeout; when pid > 0 it gives up as soon
// as that process is gone.
func waitHealthy(base string, timeout time.Duration, pid int) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	url := strings.TrimRight(base, "/") + "/healthz"
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if pid > 0 {
			if err := processAlive(pid); err != nil {
				return fmt.Errorf("server process %d is gone (%v); last: %s", pid, err, last)
			}
		}
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, snippet(b))
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not 200 within %s; last: %s", url, timeout, last)
}
