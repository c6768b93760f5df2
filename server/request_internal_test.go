package server

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAll: the body comes back whole whatever Content-Length claims, and whatever sizes
// the reader hands it in.
func TestReadAll(t *testing.T) {
	body := []byte(strings.Repeat("<a>soap</a>", 300)) // 3300 bytes
	for _, cl := range []int64{-1, 0, 1, 100, 3299, 3300, 3301, 10000, 1 << 30} {
		for _, r := range []io.Reader{bytes.NewReader(body), iotest.OneByteReader(bytes.NewReader(body))} {
			got, err := readAll(r, cl, 1<<20)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%T, Content-Length %d: %d bytes, err %v", r, cl, len(got), err)
			}
		}
	}
	if _, err := readAll(iotest.TimeoutReader(bytes.NewReader(body)), int64(len(body)), 1<<20); err == nil {
		t.Error("a read error was not returned")
	}
}

func TestMediaType(t *testing.T) {
	for in, want := range map[string]string{
		"text/xml; charset=utf-8":                         "text/xml",
		"Application/SOAP+XML;charset=UTF-8;action=\"x\"": "application/soap+xml",
		"  application/json ":                             "application/json",
		"":                                                "",
		"text/xml garbage":                                "text/xml garbage",
	} {
		if got := mediaType(in); got != want {
			t.Errorf("mediaType(%q) = %q, want %q", in, got, want)
		}
	}
}
