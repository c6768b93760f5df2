package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"slices"

	"soapgate/gateway"
	"soapgate/wire"
)

// call is one decoded request, whatever its transport.
type call struct {
	r         *http.Request
	soap      bool
	v12       bool
	operation string      // SOAP Body element; "" for form and JSON
	format    int         // response format
	dsig      bool        // sign the SOAP answer with XML-DSig (the merchant's xmldsig)
	params    wire.Params // lowercase names
	status    int         // an HTTP status that overrides the answer's (429 when throttled)
}

// get returns a parameter by its lowercase name.
func (c *call) get(name string) string { return c.params[name] }

// cardParams are never taken from a URL, where proxies, logs and browser histories keep them.
var cardParams = []string{"cardnumber", "cvc2", "cvc", "cvv", "expiremonth", "expireyear"}

// readBody reads at most limit bytes; a larger body is errTooLarge.
var errTooLarge = errors.New("request body too large")

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := readAll(http.MaxBytesReader(w, r.Body, limit), r.ContentLength, limit)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	return body, err
}

// readAll reads r to its end into a buffer sized from the request's Content-Length (when it
// is within limit), where io.ReadAll starts at 512 bytes and grows: one allocation for a
// typical call instead of two or three. A Content-Length that lies only costs growth.
func readAll(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > limit {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, contentLength+1) // +1: the read that finds EOF needs room
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// mediaType is a Content-Type's type/subtype in lower case, without its parameters. Only
// the type decides here (SOAP, JSON, form), so mime.ParseMediaType's map of parameters is
// not built for every request; a malformed value matches no type, as it did with it.
func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// decode turns a request into a call. SOAP is chosen by content type, or by a body that
// starts like XML; everything else is a form, or JSON for application/json.
func decode(r *http.Request, body []byte, maxDepth int) (*call, error) {
	c := &call{r: r, params: wire.Params{}}
	var query url.Values // read only; most calls have no query and need no map for it
	if r.URL.RawQuery != "" {
		query = r.URL.Query()
	}
	ct := mediaType(r.Header.Get("Content-Type"))
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	switch {
	case ct == "text/xml" || ct == "application/soap+xml" || ct == "application/xml" ||
		(ct != "application/json" && ct != "application/x-www-form-urlencoded" && len(trimmed) > 0 && trimmed[0] == '<'):
		c.soap, c.format = true, formatSOAP
		c.v12 = ct == "application/soap+xml"
		req, err := parseSOAP(body, maxDepth)
		if req != nil {
			c.v12 = req.v12
		}
		if err != nil {
			return c, err
		}
		c.operation, c.params = req.operation, req.params
		return c, cardInURL(query)
	case ct == "application/json":
		c.format = formatJSON
		if err := c.params.SetJSON(body, maxDepth); err != nil {
			return c, err
		}
	default:
		c.format = formatXML
		if !utf8.Valid(body) {
			return c, malformed("request is not valid UTF-8")
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return c, malformed("form body is not url-encoded: %v", err)
		}
		// A POST's parameters come from its body only; GET (the read services old integrations
		// call that way) from the query.
		if r.Method != http.MethodPost {
			form = query
		}
		if err := c.params.SetValues(form); err != nil {
			// Answer the refusal in the format asked for, when that much is clear.
			for k, v := range form {
				if n, _ := strconv.Atoi(v[0]); strings.EqualFold(k, "format") && validFormat(n) && n != 2 {
					c.format = n
				}
			}
			return c, err
		}
	}
	if f := strings.TrimSpace(c.params["format"]); f != "" {
		n, err := strconv.Atoi(f)
		switch {
		case err != nil || !validFormat(n):
			return c, gateway.Invalid(gateway.CodeParam, "format must be 1, 3, 4 or 5")
		case n == 2:
			return c, gateway.Invalid(gateway.CodeParam, "format 2 (WDDX) is not supported")
		}
		c.format = n
	}
	return c, cardInURL(query)
}

// cardInURL refuses card data in a URL's query, whatever the transport (answered in the
// transport's own way); the values are neither read nor logged.
func cardInURL(query url.Values) error {
	for k := range query {
		if slices.Contains(cardParams, strings.ToLower(k)) {
			return gateway.Invalid(gateway.CodeParam, "card data (%s) must not be sent in a URL: POST it in the body", strings.ToLower(k))
		}
	}
	return nil
}

// validFormat tells a Format value Assist defines (2, WDDX, is refused with its own message).
func validFormat(n int) bool {
	return n == formatCSV || n == formatXML || n == formatSOAP || n == formatJSON || n == 2
}
