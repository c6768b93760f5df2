// Package config reads soapgate's YAML configuration (contract section 1) with viper:
// every key can be overridden by SOAPGATE_<KEY> with dots as underscores.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/viper"

	"soapgate/gateway"
	"soapgate/signer"
)

// Config is the whole configuration.
type Config struct {
	Listen   string `mapstructure:"listen"`
	Database struct {
		Path string `mapstructure:"path"`
	} `mapstructure:"database"`
	Clock string `mapstructure:"clock"` // real | test
	Admin struct {
		Token string `mapstructure:"token"`
	} `mapstructure:"admin"`
	Gateway struct {
		Key        string        `mapstructure:"key"`
		Cert       string        `mapstructure:"cert"`
		PaymentTTL time.Duration `mapstructure:"payment_ttl"`
		// Notification delivery: the intervals between attempts (their count + 1 attempts in
		// all), the timeout of one attempt, and how many run at once.
		NotifyRetries     []time.Duration `mapstructure:"notify_retries"`
		NotifyTimeout     time.Duration   `mapstructure:"notify_timeout"`
		NotifyConcurrency int             `mapstructure:"notify_concurrency"`
	} `mapstructure:"gateway"`
	Limits struct {
		BodyBytes      int64         `mapstructure:"body_bytes"`
		XMLDepth       int           `mapstructure:"xml_depth"`
		HeaderTimeout  time.Duration `mapstructure:"header_timeout"`
		RequestTimeout time.Duration `mapstructure:"request_timeout"`
	} `mapstructure:"limits"`
	Merchants []Merchant `mapstructure:"merchants"`

	dir string // the config file's folder: relative paths resolve against it
}

// Merchant is one merchants[] entry.
type Merchant struct {
	ID               string   `mapstructure:"id"`
	Name             string   `mapstructure:"name"`
	Login            string   `mapstructure:"login"`
	Password         string   `mapstructure:"password"`
	Secret           string   `mapstructure:"secret"`
	PublicKey        string   `mapstructure:"public_key"`
	RequestSignature string   `mapstructure:"request_signature"`
	ResponseSecurity string   `mapstructure:"response_security"`
	CheckvalueNoSep  bool     `mapstructure:"checkvalue_no_separator"`
	Currency         string   `mapstructure:"currency"`
	TestMode         bool     `mapstructure:"testmode"`
	ReturnHosts      []string `mapstructure:"return_hosts"`
	Notify           struct {
		URL      string   `mapstructure:"url"`
		Protocol string   `mapstructure:"protocol"`
		Events   []string `mapstructure:"events"`
		XMLDSig  bool     `mapstructure:"xmldsig"`
	} `mapstructure:"notify"`
}

var defaults = map[string]any{
	"listen":                     "127.0.0.1:8080",
	"database.path":              "data/soapgate.db",
	"clock":                      "real",
	"admin.token":                "",
	"gateway.key":                "fixtures/keys/gateway.key.pem",
	"gateway.cert":               "fixtures/keys/gateway.crt",
	"gateway.payment_ttl":        "24h",
	"gateway.notify_retries":     []string{"1m", "5m", "15m", "30m", "60m", "60m", "60m"},
	"gateway.notify_timeout":     "10s",
	"gateway.notify_concurrency": 16,
	"limits.body_bytes":          1 << 20,
	"limits.xml_depth":           64,
	"limits.header_timeout":      "10s",
	"limits.request_timeout":     "30s",
}

// Load reads the file at path (optional when empty) and the SOAPGATE_* environment.
func Load(path string) (*Config, error) {
	v := viper.New()
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix("SOAPGATE")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	c := &Config{dir: "."}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", path, err)
		}
		c.dir = filepath.Dir(path)
	}
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, c.validate()
}

// Resolve makes a path from the config relative to the config file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *Config) validate() error {
	var errs []error
	if c.Clock != "real" && c.Clock != "test" {
		errs = append(errs, fmt.Errorf("clock must be real or test, not %q", c.Clock))
	}
	if c.Database.Path == "" {
		errs = append(errs, errors.New("database.path is empty"))
	}
	if len(c.Merchants) == 0 {
		errs = append(errs, errors.New("no merchants configured"))
	}
	seen := map[string]bool{}
	for i, m := range c.Merchants {
		where := fmt.Sprintf("merchants[%d] (id %q)", i, m.ID)
		if seen[m.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate merchant id", where))
		}
		seen[m.ID] = true
		if m.ID == "" || strings.Trim(m.ID, "0123456789") != "" {
			errs = append(errs, fmt.Errorf("%s: id must be digits", where))
		}
		if m.Login == "" || m.Password == "" {
			errs = append(errs, fmt.Errorf("%s: login and password are required", where))
		}
		if !oneOf(m.RequestSignature, "", "off", "optional", "required") {
			errs = append(errs, fmt.Errorf("%s: request_signature must be off, optional or required", where))
		}
		if !oneOf(m.ResponseSecurity, "", "md5", "rsa", "both") {
			errs = append(errs, fmt.Errorf("%s: response_security must be md5, rsa or both", where))
		}
		if m.RequestSignature == "required" && m.PublicKey == "" {
			errs = append(errs, fmt.Errorf("%s: request_signature required needs public_key", where))
		}
		if !oneOf(m.Notify.Protocol, "", "post", "soap") {
			errs = append(errs, fmt.Errorf("%s: notify.protocol must be post or soap", where))
		}
		for _, e := range m.Notify.Events {
			if !oneOf(e, "payment", "charge", "cancel", "recurring") {
				errs = append(errs, fmt.Errorf("%s: notify.events: unknown event %q (payment, charge, cancel, recurring)", where, e))
			}
		}
		if u := m.Notify.URL; u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			errs = append(errs, fmt.Errorf("%s: notify.url must be an http or https URL", where))
		}
		if _, ok := gateway.ParseCurrency(m.Currency, "RUB"); !ok {
			errs = append(errs, fmt.Errorf("%s: currency %q is not supported", where, m.Currency))
		}
	}
	return errors.Join(errs...)
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// BuildMerchants loads the merchants' keys and returns the registry.
func (c *Config) BuildMerchants() (*gateway.Merchants, error) {
	var out []*gateway.Merchant
	for _, mc := range c.Merchants {
		m := &gateway.Merchant{
			ID: mc.ID, Name: mc.Name, Login: mc.Login, Password: mc.Password, Secret: mc.Secret,
			RequestSignature: def(mc.RequestSignature, "off"), ResponseSecurity: def(mc.ResponseSecurity, "both"),
			TestMode: mc.TestMode, ReturnHosts: mc.ReturnHosts, CheckvalueNoSeparator: mc.CheckvalueNoSep,
		}
		m.Currency, _ = gateway.ParseCurrency(mc.Currency, "RUB")
		m.Notify = gateway.NotifyConfig{URL: mc.Notify.URL, Protocol: def(mc.Notify.Protocol, "post"), XMLDSig: mc.Notify.XMLDSig,
			Events: map[gateway.Event]bool{}}
		for _, e := range mc.Notify.Events {
			m.Notify.Events[gateway.Event(e)] = true
		}
		if mc.PublicKey != "" {
			key, err := signer.LoadPublicKey(c.Resolve(mc.PublicKey))
			if err != nil {
				return nil, fmt.Errorf("merchant %s public_key: %w", mc.ID, err)
			}
			m.PublicKey = key
		}
		out = append(out, m)
	}
	return gateway.NewMerchants(out), nil
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
