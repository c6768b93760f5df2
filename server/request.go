package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"soapgate/gateway"
)

// call is one decoded request, whatever its transport.
type call struct {
	r         *http.Request
	soap      bool
	v12       bool
	operation string            // SOAP Body element; "" for form and JSON
	format    int               // response format
	dsig      bool              // sign the SOAP answer with XML-DSig (the merchant's xmldsig)
	params    map[string]string // lowercase names
}

// get returns a parameter by its lowercase name.
func (c *call) get(name string) string { return c.params[name] }

// readBody reads at most limit bytes; a larger body is errTooLarge.
var errTooLarge = errors.New("request body too large")

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	return body, err
}

// decode turns a request into a call. SOAP is chosen by content type, or by a body that
// starts like XML; everything else is a form, or JSON for application/json.
func decode(r *http.Request, body []byte, maxDepth int) (*call, error) {
	c := &call{r: r, params: make(map[string]string)}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
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
		return c, nil
	case ct == "application/json":
		c.format = formatJSON
		if err := decodeJSON(body, c.params); err != nil {
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
		mergeForm(c.params, r.URL.Query())
		mergeForm(c.params, form)
	}
	if f := strings.TrimSpace(c.params["format"]); f != "" {
		n, err := strconv.Atoi(f)
		switch {
		case err != nil || (n != formatCSV && n != formatXML && n != formatSOAP && n != formatJSON && n != 2):
			return c, gateway.Invalid(gateway.CodeParam, "format must be 1, 3, 4 or 5")
		case n == 2:
			return c, gateway.Invalid(gateway.CodeParam, "format 2 (WDDX) is not supported")
		}
		c.format = n
	}
	return c, nil
}

func mergeForm(dst map[string]string, v url.Values) {
	for k, vs := range v {
		if len(vs) > 0 {
			dst[strings.ToLower(k)] = trimValue(strings.ToLower(k), vs[0])
		}
	}
}

// trimValue trims spaces around a value, except a Signature's: Assist's PHP SDK sends
// Ed25519 signatures as 64 raw bytes, which may begin or end with a space byte.
func trimValue(key, v string) string {
	if key == "signature" && len(v) == 64 {
		return v
	}
	return strings.TrimSpace(v)
}

// decodeJSON flattens a JSON object into lowercase parameters; nested objects give their
// members (token.cfm sends {"merchant":{"merchant_id":…}}), scalars their literal text.
func decodeJSON(body []byte, dst map[string]string) error {
	if !utf8.Valid(body) {
		return malformed("request is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return malformed("request is not a JSON object: %v", err)
	}
	flattenJSON(v, dst, 0)
	return nil
}

func flattenJSON(v map[string]any, dst map[string]string, depth int) {
	if depth > DefaultMaxDepth {
		return
	}
	for k, val := range v {
		key := strings.ToLower(k)
		switch t := val.(type) {
		case string:
			dst[key] = trimValue(key, t)
		case json.Number:
			dst[key] = t.String()
		case bool:
			dst[key] = strconv.FormatBool(t)
		case nil:
			dst[key] = ""
		case map[string]any:
			flattenJSON(t, dst, depth+1)
		default:
			enc, _ := json.Marshal(t)
			dst[key] = string(enc)
		}
	}
}
