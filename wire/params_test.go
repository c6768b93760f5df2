package wire_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"soapgate/gateway"
	"soapgate/wire"
)

// codes formats an error as first/second; "" for nil.
func codes(err error) string {
	if err == nil {
		return ""
	}
	e := gateway.AsError(err)
	return strconv.Itoa(e.First) + "/" + strconv.Itoa(e.Second)
}

func TestParams_Set(t *testing.T) {
	p := wire.Params{}
	if err := p.Set("BillNumber", " 123 "); err != nil {
		t.Fatal(err)
	}
	if got, want := p.Get("billnumber"), "123"; got != want {
		t.Errorf("billnumber = %q, want %q", got, want)
	}
	if err := p.Set("billnumber", "123"); err != nil {
		t.Errorf("the same value again: %v", err)
	}
	err := p.Set("BILLNUMBER", "456")
	if got, want := codes(err), "5/110"; got != want {
		t.Errorf("another value: %s (%v), want %s", got, err, want)
	}
	if err == nil || !strings.Contains(err.Error(), "billnumber") {
		t.Errorf("error %v does not name the parameter", err)
	}
	t.Run("raw Ed25519 signature keeps its spaces", func(t *testing.T) {
		raw := " " + strings.Repeat("\x01", 62) + " "
		p := wire.Params{}
		if err := p.Set("Signature", raw); err != nil {
			t.Fatal(err)
		}
		if got := p.Get("signature"); got != raw {
			t.Errorf("signature = %q, want it untrimmed", got)
		}
		if err := p.Set("other", raw); err != nil || p.Get("other") != strings.Repeat("\x01", 62) {
			t.Errorf("other = %q, want it trimmed", p.Get("other"))
		}
	})
}

func TestParams_SetValues(t *testing.T) {
	p := wire.Params{}
	if err := p.SetValues(url.Values{"Merchant_ID": {"700001"}, "Amount": {"1.00", "1.00"}}); err != nil {
		t.Fatal(err)
	}
	if p.Get("merchant_id") != "700001" || p.Get("amount") != "1.00" {
		t.Errorf("params = %v", p)
	}
	for name, v := range map[string]url.Values{
		"twice in one name":  {"amount": {"1.00", "2.00"}},
		"twice in two cases": {"Amount": {"1.00"}, "AMOUNT": {"2.00"}},
		"query then body":    {"amount": {"2.00"}},
	} {
		t.Run(name, func(t *testing.T) {
			q := wire.Params{}
			if name == "query then body" {
				q.Set("amount", "1.00")
			}
			if got, want := codes(q.SetValues(v)), "5/110"; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
		})
	}
}

func TestParams_SetJSON(t *testing.T) {
	t.Run("flattened", func(t *testing.T) {
		p := wire.Params{}
		err := p.SetJSON([]byte(`{"merchant":{"Merchant_ID":700001,"login":"l"},"amount":1.50,"ok":true,"none":null,"list":[1,"a"]}`), 64)
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"merchant_id": "700001", "login": "l", "amount": "1.50", "ok": "true",
			"none": "", "list": `[1,"a"]`} {
			if got := p.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if _, ok := p["merchant"]; ok {
			t.Errorf("a nested object is a parameter itself")
		}
	})
	for _, tc := range []struct {
		name, body, want string
	}{
		{"not JSON", `{`, "1/1"},
		{"not an object", `[1]`, "1/1"},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "1/1"},
		{"too deep", `{"a":{"b":{"c":{"d":1}}}}`, "1/1"},
		{"repeated key", `{"amount":"1.00","amount":"2.00"}`, "5/110"},
		{"repeated key, other case", `{"amount":"1.00","AMOUNT":"2.00"}`, "5/110"},
		{"repeated across objects", `{"merchant":{"merchant_id":"1"},"merchant_id":"2"}`, "5/110"},
		{"repeated number", `{"amount":1,"amount":2}`, "5/110"},
		{"repeated object", `{"m":{"a":"1"},"m":{"b":"1"}}`, "5/110"},
		{"same value twice", `{"amount":"1.00","amount":"1.00"}`, ""},
		{"keys in arrays are not parameters", `{"list":[{"a":1},{"a":2}]}`, ""},
		{"nested same key, same value", `{"merchant":{"login":"x"},"login":"x"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := codes(wire.Params{}.SetJSON([]byte(tc.body), 2)); got != tc.want {
				t.Errorf("codes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestJSONFault(t *testing.T) {
	for _, tc := range []struct {
		err    *gateway.Error
		status int
	}{
		{gateway.ErrAuth, http.StatusUnauthorized},
		{gateway.ErrInternal, http.StatusInternalServerError},
		{gateway.ErrNotFound, http.StatusBadRequest},
		{gateway.Errorf(5, 100, "merchant_id is missing"), http.StatusBadRequest},
		{gateway.Errorf(1, 1, `bad "quote" <x>`), http.StatusBadRequest},
	} {
		var b bytes.Buffer
		if got, want := wire.JSONFault(&b, tc.err), tc.status; got != want {
			t.Errorf("%d/%d status = %d, want %d", tc.err.First, tc.err.Second, got, want)
		}
		want := `{"fault":{"faultcode":` + strconv.Itoa(tc.err.First) + `,"faultstring":` + strconv.Itoa(tc.err.Second) +
			`,"detail":` + strconv.Quote(tc.err.Message) + `}}`
		if strings.Contains(tc.err.Message, "<") {
			want = strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(want)
		}
		if got := b.String(); got != want {
			t.Errorf("JSONFault = %s, want %s", got, want)
		}
	}
}
