package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecrets_NeverStoredOrLogged pays, fails a sign-in and refunds through the real binary,
// then searches its log and every database file for the card number, CVC and password.
func TestSecrets_NeverStoredOrLogged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	p := startProcess(t, writeConfig(t, ""), "SOAPGATE_DATABASE_PATH="+filepath.Join(dir, "s.db"))
	ts := &testServer{URL: p.url}
	const pan, cvc = "5555555555554444", "731"
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "sec-1", "cardnumber", pan, "cvc2", cvc, "delay", "1"))
	bill := text(t, doc, "//order/billnumber")
	ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", bill))
	ts.form(t, "/orderstate/orderstate.cfm", with("ordernumber", "sec-1", "password", "Wr0ngPassw0rd"))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "sec-2", "cardnumber", "4111111111111112", "cvc2", cvc))
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()

	haystacks := map[string]string{"log": p.log.String()}
	files, _ := filepath.Glob(filepath.Join(dir, "s.db*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		haystacks[filepath.Base(f)] = string(b)
	}
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for where, s := range haystacks {
		for _, secret := range []string{pan, "4111111111111112", "demo_password1", "Wr0ngPassw0rd", "cvc2=" + cvc, ">" + cvc + "<"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s contains %q", where, secret)
			}
		}
	}
	if !strings.Contains(p.log.String(), "silentpay") {
		t.Fatalf("the log is not what we think it is:\n%s", p.log.String())
	}
}
