// A load worker's keep-alive connection: it writes each POST itself and reads the answer
// with net/http's own response parser, one request at a time, as wrk does. http.Transport
// runs two goroutines per connection and hands every request and answer between them. The
// server shares the machine's cores with the load generator, so what the generator spends is
// taken from what it measures: under silentpay the generator took 21 % of a core through
// http.Client and takes 13 % this way (make bench, the same machine).

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

type conn struct {
	addr, path, host string
	timeout          time.Duration
	c                net.Conn
	br               *bufio.Reader
	req              bytes.Buffer // the request being written
	resp             bytes.Buffer // the last answer's body
}

func newConn(rawURL string, timeout time.Duration) (*conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("load worker: %s: only http:// URLs", rawURL)
	}
	return &conn{addr: u.Host, path: u.RequestURI(), host: u.Host, timeout: timeout}, nil
}

// post sends body and returns the status and the answer's body, valid until the next post.
// A connection the server closed between requests is dialled again once.
func (c *conn) post(body []byte) (int, []byte, error) {
	fresh := c.c == nil
	if fresh {
		if err := c.dial(); err != nil {
			return 0, nil, err
		}
	}
	status, b, err := c.roundTrip(body)
	if err != nil && !fresh && errors.Is(err, errStale) {
		c.close()
		if err := c.dial(); err != nil {
			return 0, nil, err
		}
		status, b, err = c.roundTrip(body)
	}
	if err != nil {
		c.close()
	}
	return status, b, err
}

// errStale marks a kept-alive connection found closed before any byte of an answer came.
var errStale = errors.New("connection closed before the answer")

func (c *conn) roundTrip(body []byte) (int, []byte, error) {
	c.req.Reset()
	c.req.WriteString("POST ")
	c.req.WriteString(c.path)
	c.req.WriteString(" HTTP/1.1\r\nHost: ")
	c.req.WriteString(c.host)
	c.req.WriteString("\r\nContent-Type: " + contentType + "\r\nSOAPAction: \"\"\r\nContent-Length: ")
	c.req.WriteString(strconv.Itoa(len(body)))
	c.req.WriteString("\r\n\r\n")
	c.req.Write(body)
	if err := c.c.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, nil, err
	}
	if _, err := c.c.Write(c.req.Bytes()); err != nil {
		return 0, nil, fmt.Errorf("%w: %v", errStale, err)
	}
	if _, err := c.br.Peek(1); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return 0, nil, err // the server is slow, not gone: never send the request twice
		}
		return 0, nil, fmt.Errorf("%w: %v", errStale, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, nil, err
	}
	c.resp.Reset()
	_, err = c.resp.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.Close {
		c.close()
	}
	return resp.StatusCode, c.resp.Bytes(), nil
}

func (c *conn) dial() error {
	nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	c.c = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 16<<10)
	} else {
		c.br.Reset(nc)
	}
	return nil
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}
