package main

import (
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"soapgate/config"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
}

// withKey gives merchant 700002 (signature required) another public key file.
func withKey(path string) func(*config.Config) {
	return func(c *config.Config) {
		for i := range c.Merchants {
			if c.Merchants[i].ID == "700002" {
				c.Merchants[i].PublicKey = path
			}
		}
	}
}

func other(kv ...string) map[string]string {
	p := card(kv...)
	p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// TestCLI_KeygenAndSign makes a key pair with `soapgate keygen`, signs a request with
// `soapgate sign`, and pays with it as a merchant whose public key is the new one.
func TestCLI_KeygenAndSign(t *testing.T) {
	needTool(t, "openssl")
	dir := t.TempDir()
	run(t, binary(t), "keygen", "--out", dir, "--name", "shop")
	for _, f := range []string{"shop.key.pem", "shop.pub.pem", "shop.crt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if out := run(t, "openssl", "x509", "-in", filepath.Join(dir, "shop.crt"), "-noout", "-subject"); !strings.Contains(out, "shop") {
		t.Fatalf("certificate subject: %s", out)
	}
	out := run(t, binary(t), "sign", "--key", filepath.Join(dir, "shop.key.pem"), "--merchant", "700002",
		"--ordernumber", "cli-1", "--amount", "100.00", "--currency", "RUB", "--secret", "other-secret")
	vals := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		vals[k] = v
	}
	if vals["X"] != "700002;cli-1;100.00;RUB" || vals["Signature"] == "" || len(vals["Checkvalue"]) != 32 {
		t.Fatalf("sign printed %q", out)
	}
	ts := startServerWith(t, filepath.Join(t.TempDir(), "k.db"), withKey(filepath.Join(dir, "shop.pub.pem")))
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", other("ordernumber", "cli-1", "signature", vals["Signature"], "checkvalue", vals["Checkvalue"]))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "Approved" {
		t.Fatalf("payment signed by soapgate sign: %d %s", res.Status, res.Body)
	}
	if out, err := exec.Command(binary(t), "keygen", "--out", dir, "--bits", "512").CombinedOutput(); err == nil || !strings.Contains(string(out), "too weak") {
		t.Fatalf("keygen --bits 512: %v %s", err, out)
	}
}

// TestRequestSignature_PHP verifies signatures made the way PHP merchant modules make them:
// openssl_sign over md5($x) with MD5, over md5($x, true) with SHA-1, and Assist's SDK's
// Ed25519 (sodium) over md5($x), sent raw in a form field.
func TestRequestSignature_PHP(t *testing.T) {
	needTool(t, "php")
	key := "../../fixtures/keys/merchant-700002.key.pem"
	php := func(code string, args ...string) string {
		return run(t, "php", append([]string{"-r", code}, args...)...)
	}
	ts := startServer(t)
	for i, code := range []string{
		`openssl_sign(md5($argv[1]), $s, file_get_contents($argv[2]), 'md5'); echo base64_encode($s);`,
		`openssl_sign(md5($argv[1], true), $s, file_get_contents($argv[2])); echo base64_encode($s);`,
	} {
		num := "php-" + string(rune('a'+i))
		sig := php(code, "700002;"+num+";100.00;RUB", key)
		if res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", other("ordernumber", num, "signature", sig)); res.Status != 200 {
			t.Errorf("PHP variant %d: %d %s", i+2, res.Status, res.Body)
		}
	}

	// Ed25519: a merchant whose public_key is the base64 of the raw key, as libsodium exports it.
	dir := t.TempDir()
	kp := php(`$k = sodium_crypto_sign_keypair(); echo base64_encode(sodium_crypto_sign_secretkey($k)), " ", base64_encode(sodium_crypto_sign_publickey($k));`)
	secret, public, _ := strings.Cut(kp, " ")
	pubPath := filepath.Join(dir, "ed.pub")
	os.WriteFile(pubPath, []byte(public+"\n"), 0o600)
	ts.Stop()
	ts = startServerWith(t, filepath.Join(dir, "e.db"), withKey(pubPath))
	edSign := `echo base64_encode(sodium_crypto_sign_detached(md5($argv[1]), base64_decode($argv[2])));`
	raw, _ := base64.StdEncoding.DecodeString(php(edSign, "700002;ed-1;100.00;RUB", secret))
	form := url.Values{}
	for k, v := range other("ordernumber", "ed-1", "signature", string(raw), "Format", "3") {
		form.Set(k, v)
	}
	if res := ts.post(t, "/pay/silentpay.cfm", "application/x-www-form-urlencoded", form.Encode()); !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
		t.Fatalf("Ed25519 raw signature in a form: %s", res.Body)
	}
	b64 := php(edSign, "700002;ed-2;100.00;RUB", secret)
	if res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", other("ordernumber", "ed-2", "signature", b64)); res.Status != 200 {
		t.Fatalf("Ed25519 base64 signature: %s", res.Body)
	}
	bad := php(edSign, "700002;ed-3;100.01;RUB", secret)
	if _, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", other("ordernumber", "ed-3", "signature", bad)); faultCodes(t, doc) != "5/150" {
		t.Fatal("an Ed25519 signature over another amount was accepted")
	}
}

// TestResponseSignature_OpenSSL verifies the gateway's signature with openssl and the
// certificate served at /keys/gateway.crt, as a merchant would.
func TestResponseSignature_OpenSSL(t *testing.T) {
	needTool(t, "openssl")
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "ossl-1", "orderamount", "4"))
	dir := t.TempDir()
	res, err := httpGet(ts.URL + "/keys/gateway.crt")
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(dir, "gateway.crt")
	os.WriteFile(certPath, []byte(res), 0o600)
	pub := run(t, "openssl", "x509", "-in", certPath, "-pubkey", "-noout")
	os.WriteFile(filepath.Join(dir, "gateway.pub"), []byte(pub), 0o600)
	x := "700001ossl-14.00RUBApproved"
	os.WriteFile(filepath.Join(dir, "x.txt"), []byte(x), 0o600)
	sig, _ := base64.StdEncoding.DecodeString(text(t, doc, "//order/signature"))
	os.WriteFile(filepath.Join(dir, "sig.bin"), sig, 0o600)
	if out := run(t, "openssl", "dgst", "-md5", "-verify", filepath.Join(dir, "gateway.pub"), "-signature",
		filepath.Join(dir, "sig.bin"), filepath.Join(dir, "x.txt")); !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl: %s", out)
	}
	os.WriteFile(filepath.Join(dir, "x.txt"), []byte(x+"0"), 0o600)
	if err := exec.Command("openssl", "dgst", "-md5", "-verify", filepath.Join(dir, "gateway.pub"), "-signature",
		filepath.Join(dir, "sig.bin"), filepath.Join(dir, "x.txt")).Run(); err == nil {
		t.Fatal("openssl verified the signature over another X")
	}
}

// TestResponseSignature_ComputedOncePerStateChange reads a signed order many times and
// checks that no read after the first costs an RSA operation.
func TestResponseSignature_ComputedOncePerStateChange(t *testing.T) {
	ts := startServer(t)
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "once-1"))
	ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "once-1"))
	before := ts.app.Server.Wire.Signer.Computed()
	for i := 0; i < 20; i++ {
		ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "once-1"))
		ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "once-1", "Format", "5"))
	}
	if n := ts.app.Server.Wire.Signer.Computed() - before; n != 0 {
		t.Fatalf("%d RSA operations for 40 reads of an unchanged order", n)
	}
}

// TestWeakKeys refuses keys under 1024 bits with a clear startup error.
func TestWeakKeys(t *testing.T) {
	needTool(t, "openssl")
	dir := t.TempDir()
	weak := filepath.Join(dir, "weak.pem")
	run(t, "openssl", "genrsa", "-out", weak, "512")
	weakPub := filepath.Join(dir, "weak.pub.pem")
	run(t, "openssl", "rsa", "-in", weak, "-pubout", "-out", weakPub)
	cfg, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	withKey(weakPub)(cfg)
	if _, err := cfg.BuildMerchants(); err == nil || !strings.Contains(err.Error(), "512 bits is too weak") {
		t.Fatalf("weak merchant key: %v", err)
	}
	cfg, _ = config.Load(testConfig)
	cfg.Gateway.Key = weak
	if _, err := Open(cfg, nil); err == nil || !strings.Contains(err.Error(), "too weak") {
		t.Fatalf("weak gateway key: %v", err)
	}
}
