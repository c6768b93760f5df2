// Package config reads soapgate's YAML configuration (docs/protocol.md#12-configuration) with viper:
// every key can be overridden by SOAPGATE_<KEY> with dots as underscores.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"soapgate/gateway"
	"soapgate/signer"
)

// Config is the whole configuration.
type Config struct {
	Listen   string `mapstructure:"listen"`
	Database struct {
		Driver string `mapstructure:"driver"` // sqlite (one process) | postgres (one or several)
		Path   string `mapstructure:"path"`   // the SQLite file
		URL    string `mapstructure:"url"`    // the PostgreSQL database: postgres://user:pass@host:5432/db
		// StartupCheck: auto runs SQLite's PRAGMA quick_check over the whole file at start
		// only when no marker of a clean stop vouches for it unchanged; always runs it at
		// every start (its cost grows with the file).
		StartupCheck string `mapstructure:"startup_check"`
	} `mapstructure:"database"`
	// PublicURL is the gateway's address as clients reach it (https://pay.example.com), used
	// for every absolute URL it writes: WSDL soap:address and payment links.
	PublicURL string `mapstructure:"public_url"`
	// TrustedProxies are CIDRs whose X-Forwarded-For / -Proto are believed; nobody else's
	// (none by default).
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	TLS            struct {
		CertFile string `mapstructure:"cert_file"` // both set: the listener speaks HTTPS
		KeyFile  string `mapstructure:"key_file"`
	} `mapstructure:"tls"`
	Log struct {
		Format string `mapstructure:"format"` // text | json
		Level  string `mapstructure:"level"`  // debug | info | warn | error
	} `mapstructure:"log"`
	Metrics struct {
		Listen string `mapstructure:"listen"` // /metrics, /healthz, /readyz apart from the traffic; empty: /metrics on the main listener
	} `mapstructure:"metrics"`
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
		// DelayedTTL: a two-stage payment not confirmed within it is voided. NotifyRetention:
		// delivered and rejected notifications older than this are pruned; 0 keeps them.
		DelayedTTL      time.Duration `mapstructure:"delayed_ttl"`
		NotifyRetention time.Duration `mapstructure:"notify_retention"`
	} `mapstructure:"gateway"`
	Limits struct {
		BodyBytes      int64         `mapstructure:"body_bytes"`
		XMLDepth       int           `mapstructure:"xml_depth"`
		HeaderTimeout  time.Duration `mapstructure:"header_timeout"`
		RequestTimeout time.Duration `mapstructure:"request_timeout"`
		// Open connections: per client address (a trusted proxy is exempt) and in total
		// (never above what the open-file limit allows); idle keep-alive ones close after
		// IdleTimeout.
		MaxConnections           int           `mapstructure:"max_connections"`
		MaxConnectionsPerAddress int           `mapstructure:"max_connections_per_address"`
		IdleTimeout              time.Duration `mapstructure:"idle_timeout"`
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
	// Per-merchant capabilities, all true when absent (docs/protocol.md#12-configuration).
	TwoStage              *bool `mapstructure:"two_stage"`
	TwoStageForSavedCards *bool `mapstructure:"two_stage_for_saved_cards"`
	CardOnFile            *bool `mapstructure:"card_on_file"`
	Recurring             *bool `mapstructure:"recurring"`
	Notify                struct {
		URL      string   `mapstructure:"url"`
		Protocol string   `mapstructure:"protocol"`
		Events   []string `mapstructure:"events"`
		XMLDSig  bool     `mapstructure:"xmldsig"`
	} `mapstructure:"notify"`
}

var defaults = map[string]any{
	"listen":                             "127.0.0.1:8080",
	"database.driver":                    "sqlite",
	"database.path":                      "data/soapgate.db",
	"database.url":                       "",
	"database.startup_check":             "auto",
	"public_url":                         "",
	"trusted_proxies":                    []string{},
	"tls.cert_file":                      "",
	"tls.key_file":                       "",
	"log.format":                         "text",
	"log.level":                          "info",
	"metrics.listen":                     "",
	"gateway.delayed_ttl":                "168h",
	"gateway.notify_retention":           "2160h",
	"clock":                              "real",
	"admin.token":                        "",
	"gateway.key":                        "fixtures/keys/gateway.key.pem",
	"gateway.cert":                       "fixtures/keys/gateway.crt",
	"gateway.payment_ttl":                "24h",
	"gateway.notify_retries":             []string{"1m", "5m", "15m", "30m", "60m", "60m", "60m"},
	"gateway.notify_timeout":             "10s",
	"gateway.notify_concurrency":         16,
	"limits.body_bytes":                  1 << 20,
	"limits.xml_depth":                   64,
	"limits.header_timeout":              "10s",
	"limits.request_timeout":             "30s",
	"limits.max_connections":             8192,
	"limits.max_connections_per_address": 256,
	"limits.idle_timeout":                "30s",
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
	if err := checkEnv(os.Environ()); err != nil {
		return nil, err
	}
	// An unknown key (a typo such as request_signatur) stops the start, naming it, instead of
	// silently leaving a security setting at its default.
	if err := v.Unmarshal(c, func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = true }); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, c.validate()
}

// checkEnv refuses a SOAPGATE_* variable that names no key: an override that cannot apply
// (SOAPGATE_MERCHANTS_0_NOTIFY_URL: merchants are set in the file only) must not be ignored.
func checkEnv(environ []string) error {
	known := map[string]bool{}
	for k := range defaults {
		known[strings.ToUpper(strings.NewReplacer(".", "_").Replace(k))] = true
	}
	var errs []error
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		key, ok := strings.CutPrefix(name, "SOAPGATE_")
		// SOAPGATE_TEST_* belong to the test harness (screenshots, the store under test).
		if !ok || known[key] || strings.HasPrefix(key, "TEST_") {
			continue
		}
		errs = append(errs, fmt.Errorf("environment variable %s names no configuration key (merchants are configured in the file only)", name))
	}
	return errors.Join(errs...)
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
	switch c.Database.Driver {
	case "sqlite":
		if c.Database.Path == "" {
			errs = append(errs, errors.New("database.path is empty"))
		}
	case "postgres":
		if strings.TrimSpace(c.Database.URL) == "" {
			errs = append(errs, errors.New("database.url is empty: database.driver postgres needs a URL such as postgres://user:pass@host:5432/soapgate"))
		}
	default:
		errs = append(errs, fmt.Errorf("database.driver must be sqlite or postgres, not %q", c.Database.Driver))
	}
	if !oneOf(c.Database.StartupCheck, "auto", "always") {
		errs = append(errs, fmt.Errorf("database.startup_check must be auto or always, not %q", c.Database.StartupCheck))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls.cert_file and tls.key_file are set together"))
	}
	if l := c.Limits; l.MaxConnections < 1 || l.MaxConnectionsPerAddress < 1 || l.IdleTimeout <= 0 {
		errs = append(errs, errors.New("limits.max_connections, limits.max_connections_per_address and limits.idle_timeout must be positive"))
	}
	if !oneOf(c.Log.Format, "text", "json") {
		errs = append(errs, fmt.Errorf("log.format must be text or json, not %q", c.Log.Format))
	}
	if !oneOf(c.Log.Level, "debug", "info", "warn", "error") {
		errs = append(errs, fmt.Errorf("log.level must be debug, info, warn or error, not %q", c.Log.Level))
	}
	if u := c.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || (pu.Path != "" && pu.Path != "/") {
			errs = append(errs, fmt.Errorf("public_url must be an absolute http(s) URL without a path, not %q", u))
		}
	}
	for _, p := range c.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil {
			errs = append(errs, fmt.Errorf("trusted_proxies: %q is not a CIDR", p))
		}
	}
	if c.Gateway.DelayedTTL <= 0 {
		errs = append(errs, fmt.Errorf("gateway.delayed_ttl must be a positive duration, not %s", c.Gateway.DelayedTTL))
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
		m.Disabled = gateway.Capabilities{TwoStage: off(mc.TwoStage), TwoStageForSavedCards: off(mc.TwoStageForSavedCards),
			CardOnFile: off(mc.CardOnFile), Recurring: off(mc.Recurring)}
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

// off reads a capability switch: absent means enabled.
func off(b *bool) bool { return b != nil && !*b }

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
