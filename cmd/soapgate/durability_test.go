package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
)

// TestDurability_RestartKeepsOrdersAndSettlesInterruptedPayments restarts the server on the
// same database file: what was acknowledged is there, and a payment that a crash left In
// Process (written here as the first of the payment's two commits would leave it) is settled
// with the processor on start.
func TestDurability_RestartKeepsOrdersAndSettlesInterruptedPayments(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "dur-1", "delay", "1"))
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", bill, "amount", "30.00", "currency", "RUB"))
	ts.Stop()

	db := openTestStore(t, ts)
	now := time.Now().UTC()
	for _, c := range []struct{ num, ref string }{{"crash-ok", "tp_ok_1"}, {"crash-dec", "tp_d51_2"}} {
		o := &gateway.Order{BillNumber: "90000000000000" + c.num[len(c.num)-2:], MerchantID: "700001", OrderNumber: c.num,
			Amount: 5000, Currency: "RUB", State: gateway.StateInProcess, TestMode: true, LastSeq: 1,
			Card:    gateway.Card{Bin: "411111", Last4: "1111", Brand: "VISA", ExpMonth: "12", ExpYear: "2030", Ref: c.ref},
			Created: now, Updated: now}
		err := db.Update(context.Background(), func(tx gateway.Tx) error {
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
			return tx.InsertOperation(&gateway.Operation{OrderID: o.ID, Seq: 1, Type: gateway.OpPayment, State: gateway.OpInProcess,
				Amount: 5000, Currency: "RUB", Created: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	ts = startServerAt(t, ts.DBPath)
	_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "dur-1"))
	if got := text(t, doc, "//order/orderstate"); got != "PartialDelayed" {
		t.Fatalf("after restart dur-1 is %s", got)
	}
	for num, want := range map[string]string{"crash-ok": "Approved", "crash-dec": "Declined"} {
		_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", num))
		if got := text(t, doc, "//order/orderstate"); got != want {
			t.Errorf("interrupted %s settled as %s, want %s", num, got, want)
		}
	}
}

// opensslSign signs x with a merchant key the way integrators do from a shell.
func opensslSign(t *testing.T, key, x string, variant int) string {
	t.Helper()
	var script string
	switch variant {
	case 1: // PKCS#1 v1.5 over MD5(X)
		script = `printf '%s' "$X" | openssl dgst -md5 -sign "$K" | base64 -w0`
	case 2: // MD5 signature over the hex of MD5(X), as PHP openssl_sign(md5($x), ..., 'md5')
		script = `printf '%s' "$(printf '%s' "$X" | openssl dgst -md5 -r | cut -c1-32)" | openssl dgst -md5 -sign "$K" | base64 -w0`
	case 3: // SHA-1 signature over the raw MD5(X), as PHP openssl_sign(md5($x, true), ...)
		script = `printf '%s' "$X" | openssl dgst -md5 -binary | openssl dgst -sha1 -sign "$K" | base64 -w0`
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(cmd.Environ(), "X="+x, "K="+key)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func TestRequestSignature_RequiredMerchant(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	ts := startServer(t)
	other := func(kv ...string) map[string]string {
		p := card(kv...)
		p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
		return p
	}
	key := "../../fixtures/keys/merchant-700002.key.pem"
	for v := 1; v <= 3; v++ {
		num := "sig-" + string(rune('0'+v))
		sig := opensslSign(t, key, "700002;"+num+";100.00;RUB", v)
		if res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", other("ordernumber", num, "signature", sig)); res.Status != 200 || text(t, doc, "//order/orderstate") != "Approved" {
			t.Errorf("variant %d: %d %s", v, res.Status, res.Body)
		}
	}
	// Without OrderCurrency, X leaves it out.
	p := other("ordernumber", "sig-nocur", "signature", opensslSign(t, key, "700002;sig-nocur;100.00", 1))
	delete(p, "ordercurrency")
	if res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p); res.Status != 200 {
		t.Errorf("no currency: %d %s", res.Status, res.Body)
	}
	wrongKey := opensslSign(t, "../../fixtures/keys/merchant-700001.key.pem", "700002;sig-bad;100.00;RUB", 1)
	for name, p := range map[string]map[string]string{
		"missing":        other("ordernumber", "sig-bad"),
		"garbage":        other("ordernumber", "sig-bad", "signature", "bm90IGEgc2lnbmF0dXJl"),
		"wrong key":      other("ordernumber", "sig-bad", "signature", wrongKey),
		"other amount":   other("ordernumber", "sig-bad", "orderamount", "100.01", "signature", opensslSign(t, key, "700002;sig-bad;100.00;RUB", 1)),
		"bad checkvalue": other("ordernumber", "sig-bad", "signature", opensslSign(t, key, "700002;sig-bad;100.00;RUB", 1), "checkvalue", "00"),
	} {
		want := "5/150"
		if name == "bad checkvalue" {
			want = "5/158"
		}
		if _, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", p); faultCodes(t, doc) != want {
			t.Errorf("%s: got %s, want %s", name, faultCodes(t, doc), want)
		}
	}
	// Nothing was written for the refused requests.
	pp := map[string]string{"merchant_id": "700002", "login": "other_login", "password": "other_password2", "ordernumber": "sig-bad"}
	if _, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", pp); faultCodes(t, doc) != "10/201" {
		t.Errorf("a refused payment left an order behind")
	}
	// The optional merchant verifies a signature when one is sent.
	if _, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "opt-1", "signature", wrongKey)); faultCodes(t, doc) != "5/150" {
		t.Errorf("optional merchant accepted a bad signature")
	}
}
