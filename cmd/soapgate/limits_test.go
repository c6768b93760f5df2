package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestLimits_SlowClientsAreCutOff holds one connection with unfinished headers and another
// with an unfinished body: both are closed at the configured timeouts (here shortened), and
// other clients are served meanwhile.
func TestLimits_SlowClientsAreCutOff(t *testing.T) {
	t.Setenv("SOAPGATE_LIMITS_HEADER_TIMEOUT", "300ms")
	t.Setenv("SOAPGATE_LIMITS_REQUEST_TIMEOUT", "600ms")
	ts := startServer(t)
	addr := strings.TrimPrefix(ts.URL, "http://")

	slowHeaders, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowHeaders.Close()
	io.WriteString(slowHeaders, "POST /orderstate/orderstate.cfm HTTP/1.1\r\nHost: x\r\n")

	slowBody, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	io.WriteString(slowBody, "POST /orderstate/orderstate.cfm HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<soap:Envelope")

	// Other clients are served while both hang.
	if res, _ := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "none")); res.Status != 500 {
		t.Fatalf("another client got %d", res.Status)
	}

	for name, c := range map[string]net.Conn{"headers": slowHeaders, "body": slowBody} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply, err := io.ReadAll(bufio.NewReader(c))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("slow %s: the server kept the connection open", name)
			continue
		}
		if name == "body" && len(reply) > 0 && !strings.Contains(string(reply), " 408 ") {
			t.Errorf("slow body answered %q", reply)
		}
	}
}
