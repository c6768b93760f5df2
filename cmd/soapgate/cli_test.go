package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the soapgate command line in-process and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCLI_ExtraArgumentsAreErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "extra"},
		{"serve", "--config", testConfig, "config.yaml"},
		{"keygen", "myshop"},
		{"sign", "--merchant", "700001", "--ordernumber", "a", "--amount", "1.00", "--secret", "s", "extra"},
		{"notifications", "lst"},
		{"notifications", "list", "extra"},
		{"notifications", "replay", "1", "2"},
		{"merchant-sink", "extra"},
		{"backup", "--to", "x.db", "extra"},
		{"db", "check", "a.db", "b.db"},
		{"config", "chek"},
		{"config", "check", "extra"},
		{"bogus"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := runCLI(t, args...)
			if err == nil {
				t.Fatalf("soapgate %s succeeded, want an error; output:\n%s", strings.Join(args, " "), out)
			}
			if !strings.Contains(err.Error(), "unknown command") && !strings.Contains(err.Error(), "arg") {
				t.Errorf("error %q does not say what is wrong with the arguments", err)
			}
		})
	}
}

func TestCLI_KeygenRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if _, err := runCLI(t, "keygen", "--out", dir, "--name", "shop", "--bits", "1024"); err != nil {
		t.Fatal(err)
	}
	before := map[string][]byte{}
	for _, ext := range keygenExts {
		b, err := os.ReadFile(filepath.Join(dir, "shop"+ext))
		if err != nil {
			t.Fatal(err)
		}
		before[ext] = b
	}
	_, err := runCLI(t, "keygen", "--out", dir, "--name", "shop", "--bits", "1024")
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second keygen: err=%v, want 'already exists … --force'", err)
	}
	for ext, b := range before {
		if now, _ := os.ReadFile(filepath.Join(dir, "shop"+ext)); !bytes.Equal(now, b) {
			t.Errorf("shop%s changed although keygen refused", ext)
		}
	}
	// Only the certificate left over (the key was deleted): still refused, nothing written.
	os.Remove(filepath.Join(dir, "shop.key.pem"))
	os.Remove(filepath.Join(dir, "shop.pub.pem"))
	if _, err := runCLI(t, "keygen", "--out", dir, "--name", "shop", "--bits", "1024"); err == nil {
		t.Fatal("keygen over a left-over certificate succeeded without --force")
	}
	if _, err := os.Stat(filepath.Join(dir, "shop.key.pem")); err == nil {
		t.Error("a refused keygen wrote a key")
	}
	if _, err := runCLI(t, "keygen", "--out", dir, "--name", "shop", "--bits", "1024", "--force"); err != nil {
		t.Fatalf("keygen --force: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "shop.crt")); bytes.Equal(now, before[".crt"]) {
		t.Error("keygen --force left the old certificate")
	}
	if _, err := runCLI(t, "keygen", "--out", dir, "--name", "../shop"); err == nil {
		t.Error("keygen --name with a folder succeeded")
	}
}

func TestCLI_SignValidates(t *testing.T) {
	base := []string{"sign", "--merchant", "700002", "--ordernumber", "shop-42", "--currency", "RUB"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key nor secret", []string{"--amount", "100.00"}, "--key"},
		{"amount not a number", []string{"--amount", "abc", "--secret", "other-secret"}, "--amount"},
		{"three decimals", []string{"--amount", "1.001", "--secret", "other-secret"}, "--amount"},
		{"zero", []string{"--amount", "0.00", "--secret", "other-secret"}, "--amount"},
		{"negative", []string{"--amount", "-5", "--secret", "other-secret"}, "--amount"},
		{"currency", []string{"--amount", "1.00", "--secret", "other-secret", "--currency", "XXX"}, "--currency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, append(append([]string{}, base...), tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v, want one naming %s; output:\n%s", err, tc.want, out)
			}
			if strings.Contains(out, "Checkvalue=") || strings.Contains(out, "Signature=") {
				t.Errorf("printed a value although refused:\n%s", out)
			}
		})
	}
	out, err := runCLI(t, append(base, "--amount", "100.00", "--secret", "other-secret",
		"--key", "../../fixtures/keys/merchant-700002.key.pem")...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"X=700002;shop-42;100.00;RUB\n", "Signature=", "Checkvalue="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
