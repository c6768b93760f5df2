package config_test

import (
	"strings"
	"testing"

	"soapgate/config"
)

func TestConfig_EffectiveMasksDatabaseURL(t *testing.T) {
	for _, tc := range []struct{ url, want, secret string }{
		{"postgres://gw:pw1@db:5432/sg", "postgres://gw:********@db:5432/sg", "pw1"},
		{"postgres://db:5432/sg?user=gw&password=pw2&sslmode=require", "password=********", "pw2"},
		{"host=db user=gw password=pw3", "url: '********'", "pw3"},
		{"postgres://gw@db/sg", "postgres://gw@db/sg", ""},
	} {
		t.Setenv("SOAPGATE_DATABASE_URL", tc.url)
		c, err := config.Load("../cmd/soapgate/testdata/config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Effective()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), tc.want) || (tc.secret != "" && strings.Contains(string(out), tc.secret)) {
			t.Errorf("database.url %q printed as:\n%s", tc.url, out)
		}
	}
}
