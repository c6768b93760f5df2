package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"soapgate/config"
)

// selfSigned writes a certificate for 127.0.0.1 and its key; it returns their paths and a
// pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS_ListenerAndSecureCookie: with tls.cert_file and tls.key_file the listener speaks
// HTTPS, and the monitor's session cookie is Secure.
func TestTLS_ListenerAndSecureCookie(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	ts := startServerWith(t, filepath.Join(t.TempDir(), "soapgate.db"), func(c *config.Config) {
		c.TLS.CertFile, c.TLS.KeyFile = certFile, keyFile
	})
	url := strings.Replace(ts.URL, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(url + "/monitor/")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	secure := false
	for _, c := range res.Cookies() {
		secure = secure || c.Secure
	}
	if res.StatusCode != 200 || len(res.Cookies()) == 0 || !secure {
		t.Fatalf("monitor over TLS: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	// Plain HTTP is not served on a TLS listener.
	if res, err := http.Get(ts.URL + "/healthz"); err == nil && res.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS listener")
	}
}

// TestAttack_HostHeaderPoisoning: with public_url set, the WSDL's soap:address and payment
// links no longer follow the Host header a client (or a poisoned cache in front) chooses.
func TestAttack_HostHeaderPoisoning(t *testing.T) {
	ts := startServerWith(t, filepath.Join(t.TempDir(), "soapgate.db"), func(c *config.Config) {
		c.PublicURL = "https://pay.example.com"
	})
	req, _ := http.NewRequest("GET", ts.URL+"/orderstate/orderstate.cfm?wsdl", nil)
	req.Host = "evil.example.net"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "evil.example.net") || !strings.Contains(string(body), `location="https://pay.example.com/orderstate/orderstate.cfm"`) {
		t.Fatalf("soap:address follows the Host header:\n%s", body)
	}
	form := "Merchant_ID=700001&Login=demo_login&Password=demo_password1&OrderNumber=link-1&OrderAmount=10.00&OrderCurrency=RUB"
	req, _ = http.NewRequest("POST", ts.URL+"/pay/payrequest.cfm", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "evil.example.net"
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"URL":"https://pay.example.com/pay/order/`) {
		t.Fatalf("payment link does not use public_url: %s", body)
	}
}
