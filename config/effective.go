package config

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Masked is what Effective writes in place of a secret that is set.
const Masked = "********"

// secretKeys are the leaf keys whose values never leave the process: the merchants' passwords
// and secret words, and the admin token. Key files are named by path only, so their paths are
// shown; database.url is shown with its password masked.
var secretKeys = map[string]bool{"password": true, "secret": true, "token": true}

// Effective writes the configuration as it applies (defaults, file and environment merged) as
// YAML in the file's layout, with every secret masked. Durations are written as in the file
// (24h, 1m), and a capability left unset shows the value it defaults to.
func (c *Config) Effective() ([]byte, error) {
	eff := *c
	eff.Merchants = make([]Merchant, len(c.Merchants))
	for i, m := range c.Merchants {
		// The values BuildMerchants gives an entry that leaves these empty.
		m.RequestSignature = def(m.RequestSignature, "off")
		m.ResponseSecurity = def(m.ResponseSecurity, "both")
		m.Currency = def(strings.ToUpper(m.Currency), "RUB")
		m.Notify.Protocol = def(m.Notify.Protocol, "post")
		eff.Merchants[i] = m
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(toNode(reflect.ValueOf(&eff).Elem(), "")); err != nil {
		return nil, err
	}
	err := enc.Close()
	return b.Bytes(), err
}

func toNode(v reflect.Value, key string) *yaml.Node {
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		return scalar(formatDuration(time.Duration(v.Int())), "!!str")
	case v.Kind() == reflect.Pointer:
		if v.IsNil() { // the per-merchant capabilities: unset means allowed
			n := scalar("true", "!!bool")
			n.LineComment = "default"
			return n
		}
		return toNode(v.Elem(), key)
	case v.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			n.Content = append(n.Content, scalar(name, "!!str"), toNode(v.Field(i), name))
		}
		return n
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for i := 0; i < v.Len(); i++ {
			el := toNode(v.Index(i), key)
			if el.Kind != yaml.ScalarNode {
				n.Style = 0 // merchants: one block per entry
			}
			n.Content = append(n.Content, el)
		}
		return n
	case v.Kind() == reflect.String:
		return scalar(mask(key, v.String()), "!!str")
	case v.Kind() == reflect.Bool:
		return scalar(strconv.FormatBool(v.Bool()), "!!bool")
	case v.CanInt():
		return scalar(strconv.FormatInt(v.Int(), 10), "!!int")
	}
	return scalar("?", "!!str")
}

func scalar(s, tag string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: tag}
}

// mask hides the value of a secret key, and the password inside a database URL.
func mask(key, s string) string {
	if s == "" {
		return s
	}
	if secretKeys[key] {
		return Masked
	}
	if key == "url" {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), Masked)
			}
			q := u.Query()
			if q.Has("password") {
				q.Set("password", Masked)
				u.RawQuery = q.Encode()
			}
			return strings.Replace(u.String(), url.QueryEscape(Masked), Masked, -1)
		}
		if strings.Contains(strings.ToLower(s), "password") { // a key=value DSN
			return Masked
		}
	}
	return s
}

// Defaults returns each key's default as it would be written in the file ([1m, 5m] for a list).
func Defaults() map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		if l, ok := v.([]string); ok {
			out[k] = "[" + strings.Join(l, ", ") + "]"
			continue
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}

// formatDuration writes 24h, 1m30s, 10s rather than 24h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
