package main

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestConfigCheck_MasksSecrets(t *testing.T) {
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "admin-token-s3cr3t")
	t.Setenv("SOAPGATE_DATABASE_URL", "postgres://gw:db-pa55word@db.example:5432/soapgate?sslmode=require")
	t.Setenv("SOAPGATE_LISTEN", "127.0.0.1:9191")
	out, err := runCLI(t, "config", "check", "--config", testConfig)
	if err != nil {
		t.Fatalf("config check of the test config: %v\n%s", err, out)
	}
	for _, secret := range []string{"admin-token-s3cr3t", "db-pa55word", "demo_password1", "other_password2", "demo-secret", "other-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("config check printed the secret %q:\n%s", secret, out)
		}
	}
	var got struct {
		Listen   string
		Database struct{ URL string }
		Admin    struct{ Token string }
		Gateway  struct {
			PaymentTTL    string   `yaml:"payment_ttl"`
			NotifyRetries []string `yaml:"notify_retries"`
		}
		Limits struct {
			BodyBytes int `yaml:"body_bytes"`
		}
		Merchants []struct {
			ID, Login, Password, Secret string
			TwoStage                    bool `yaml:"two_stage"`
		}
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	if got.Listen != "127.0.0.1:9191" {
		t.Errorf("listen = %q: the environment's value is the effective one", got.Listen)
	}
	if got.Admin.Token != "********" || got.Database.URL != "postgres://gw:********@db.example:5432/soapgate?sslmode=require" {
		t.Errorf("admin.token = %q, database.url = %q", got.Admin.Token, got.Database.URL)
	}
	if got.Gateway.PaymentTTL != "24h" || strings.Join(got.Gateway.NotifyRetries, ",") != "1m,5m,15m,30m,1h,1h,1h" || got.Limits.BodyBytes != 1<<20 {
		t.Errorf("gateway/limits as printed: %+v %+v", got.Gateway, got.Limits)
	}
	if len(got.Merchants) != 2 || got.Merchants[0].ID != "700001" || got.Merchants[0].Login != "demo_login" ||
		got.Merchants[0].Password != "********" || got.Merchants[1].Secret != "********" || !got.Merchants[0].TwoStage {
		t.Errorf("merchants as printed: %+v", got.Merchants)
	}
}

func TestConfigCheck_Refuses(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"SOAPGATE_CLOCK", "sometimes", "clock must be real or test"},
		{"SOAPGATE_GATEWAY_KEY", "/nonexistent/gateway.key.pem", "gateway.key"},
		{"SOAPGATE_TLS_CERT_FILE", "/nonexistent/cert.pem", "tls.cert_file and tls.key_file"},
		{"SOAPGATE_MERCHANT_PASSWORD", "x", "SOAPGATE_MERCHANT_PASSWORD names no configuration key"},
		{"SOAPGATE_CLOCK", "test", "clock: test needs admin.token"}, // as serve refuses it
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			out, err := runCLI(t, "config", "check", "--config", testConfig)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(out, "demo_login") || strings.Contains(err.Error(), "demo_password1") {
				t.Errorf("a refused configuration was printed:\n%s%v", out, err)
			}
		})
	}
	if _, err := runCLI(t, "config", "check", "--config", "testdata/no-such.yaml"); err == nil {
		t.Error("config check of a missing file succeeded")
	}
}
