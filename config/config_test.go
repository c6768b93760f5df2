package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/config"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_DefaultConfigAndEnv(t *testing.T) {
	t.Setenv("SOAPGATE_LISTEN", "127.0.0.1:9999")
	t.Setenv("SOAPGATE_DATABASE_PATH", "/tmp/x.db")
	t.Setenv("SOAPGATE_CLOCK", "test")
	c, err := config.Load("../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.Database.Path != "/tmp/x.db" || c.Clock != "test" {
		t.Fatalf("env did not win: %+v", c)
	}
	if len(c.Merchants) != 2 || c.Merchants[1].RequestSignature != "required" {
		t.Fatalf("merchants = %+v", c.Merchants)
	}
	ms, err := c.BuildMerchants()
	if err != nil {
		t.Fatal(err)
	}
	if m := ms.Get("700001"); m == nil || m.PublicKey == nil || m.ResponseSecurity != "both" {
		t.Fatalf("700001 = %+v", m)
	}
	if got := c.Resolve("fixtures/keys/gateway.crt"); got != filepath.Join("..", "fixtures/keys/gateway.crt") {
		t.Fatalf("Resolve = %s", got)
	}
}

func TestLoad_NoFileUsesDefaults(t *testing.T) {
	_, err := config.Load("")
	if err == nil || !strings.Contains(err.Error(), "no merchants configured") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoad_Errors(t *testing.T) {
	merchant := func(id, extra string) string {
		return "  - id: \"" + id + "\"\n    login: l\n    password: p\n    secret: s\n" + extra
	}
	for name, tc := range map[string]struct{ body, want string }{
		"duplicate merchant": {"merchants:\n" + merchant("1", "") + merchant("1", ""), `merchants[1] (id "1"): duplicate merchant id`},
		"bad policy":         {"merchants:\n" + merchant("1", "    request_signature: sometimes\n"), "request_signature must be off, optional or required"},
		"required needs key": {"merchants:\n" + merchant("1", "    request_signature: required\n"), "request_signature required needs public_key"},
		"bad clock":          {"clock: fast\nmerchants:\n" + merchant("1", ""), `clock must be real or test, not "fast"`},
		"bad yaml":           {"merchants: [", "read config"},
		// A typo must not leave a security setting at its default.
		"unknown merchant key": {"merchants:\n" + merchant("1", "    request_signatur: required\n"), "request_signatur"},
		"unknown top key":      {"listn: x\nmerchants:\n" + merchant("1", ""), "listn"},
		"postgres needs url":   {"database:\n  driver: postgres\nmerchants:\n" + merchant("1", ""), "database.url is empty"},
		"unknown driver":       {"database:\n  driver: mysql\nmerchants:\n" + merchant("1", ""), `database.driver must be sqlite or postgres, not "mysql"`},
		"bad startup check":    {"database:\n  startup_check: sometimes\nmerchants:\n" + merchant("1", ""), `database.startup_check must be auto or always, not "sometimes"`},
		"tls half":             {"tls:\n  cert_file: a.crt\nmerchants:\n" + merchant("1", ""), "tls.cert_file and tls.key_file"},
		"bad log format":       {"log:\n  format: xml\nmerchants:\n" + merchant("1", ""), "log.format"},
		"bad public_url":       {"public_url: pay.example.com\nmerchants:\n" + merchant("1", ""), "public_url"},
		"bad proxy":            {"trusted_proxies: [10.0.0.1]\nmerchants:\n" + merchant("1", ""), "trusted_proxies"},
	} {
		_, err := config.Load(write(t, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	c, err := config.Load(write(t, "merchants:\n"+merchant("1", "    public_key: missing.pem\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BuildMerchants(); err == nil || !strings.Contains(err.Error(), "merchant 1 public_key") {
		t.Fatalf("missing key file: %v", err)
	}
}

// Every key the protocol reference lists is accepted, also those whose behaviour lands later.
func TestLoad_AllDocumentedKeys(t *testing.T) {
	body := `listen: 127.0.0.1:8080
database: {driver: sqlite, path: x.db, url: "", startup_check: always}
public_url: https://pay.example.com
trusted_proxies: [10.0.0.0/8]
tls: {cert_file: "", key_file: ""}
log: {format: json, level: warn}
metrics: {listen: ""}
gateway: {delayed_ttl: 168h, notify_retention: 2160h, payment_ttl: 24h}
merchants:
  - id: "1"
    login: l
    password: p
    two_stage: true
    two_stage_for_saved_cards: false
    card_on_file: true
    recurring: true
`
	c, err := config.Load(write(t, body))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Format != "json" || c.PublicURL != "https://pay.example.com" || *c.Merchants[0].TwoStageForSavedCards {
		t.Fatalf("config = %+v", c)
	}
}

// An environment override that cannot apply is an error, not silently ignored.
func TestLoad_UnknownEnvironmentVariable(t *testing.T) {
	t.Setenv("SOAPGATE_MERCHANTS_0_NOTIFY_URL", "http://x")
	_, err := config.Load(write(t, "merchants:\n  - id: \"1\"\n    login: l\n    password: p\n"))
	if err == nil || !strings.Contains(err.Error(), "SOAPGATE_MERCHANTS_0_NOTIFY_URL") {
		t.Fatalf("err = %v", err)
	}
}

// The environment chooses PostgreSQL without a config edit, as it does the SQLite path.
func TestLoad_PostgresFromEnvironment(t *testing.T) {
	t.Setenv("SOAPGATE_DATABASE_DRIVER", "postgres")
	t.Setenv("SOAPGATE_DATABASE_URL", "postgres://soapgate@db.internal:5432/soapgate")
	c, err := config.Load(write(t, "merchants:\n  - id: \"1\"\n    login: l\n    password: p\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.Driver != "postgres" || c.Database.URL != "postgres://soapgate@db.internal:5432/soapgate" {
		t.Fatalf("database = %+v", c.Database)
	}
}

// The test harness's own variables (SOAPGATE_TEST_*) are not configuration.
func TestLoad_TestHarnessVariablesIgnored(t *testing.T) {
	t.Setenv("SOAPGATE_TEST_SCREENSHOTS", "/tmp/shots")
	if _, err := config.Load(write(t, "merchants:\n  - id: \"1\"\n    login: l\n    password: p\n")); err != nil {
		t.Fatal(err)
	}
}
