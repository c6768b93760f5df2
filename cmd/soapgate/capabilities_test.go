package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"soapgate/config"
)

// capabilitiesConfig has one merchant per capability switched off, and one with all on.
const capabilitiesConfig = "testdata/capabilities.yaml"

type capMerchant struct{ id, login, password string }

var (
	capNoDelay = capMerchant{"700011", "nodelay_login", "nodelay_password"}
	capNoCOF   = capMerchant{"700012", "nocof_login", "nocof_password"}
	capNoRec   = capMerchant{"700013", "norec_login", "norec_password"}
	capNoSaved = capMerchant{"700014", "nosaved_login", "nosaved_password"}
	capAll     = capMerchant{"700015", "all_login", "all_password"}
)

// params returns the merchant's credentials plus kv pairs.
func (m capMerchant) params(kv ...string) map[string]string {
	p := map[string]string{"merchant_id": m.id, "login": m.login, "password": m.password}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return p
}

// pay makes a silentpay of 100.00 RUB with the test VISA card.
func (m capMerchant) pay(kv ...string) map[string]string {
	return m.params(append([]string{"orderamount", "100.00", "ordercurrency", "RUB", "cardnumber", "4111111111111111",
		"expiremonth", "12", "expireyear", "2030", "cvc2", "123", "cardholder", "IVAN IVANOV",
		"lastname", "Ivanov", "firstname", "Ivan", "email", "ivan@example.com"}, kv...)...)
}

// call sends a SOAP request and returns the codes ("0/0" on success), the fault detail and the answer.
func capCall(t *testing.T, ts *testServer, path, op string, p map[string]string) (string, string, *etree.Document) {
	t.Helper()
	res, doc := ts.soap(t, path, op, p)
	if res.Status == 200 {
		return "0/0", "", doc
	}
	return faultCodes(t, doc), text(t, doc, "//detail/error"), doc
}

// orderWritten reports whether the merchant has any order under the ordernumber.
func (m capMerchant) orderWritten(t *testing.T, ts *testServer, num string) bool {
	t.Helper()
	res, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", m.params("ordernumber", num, "startyear", "2000", "endyear", "2200"))
	if res.Status == 200 {
		return true
	}
	if c := faultCodes(t, doc); c != "10/201" {
		t.Fatalf("orderstate %s: %s", num, c)
	}
	return false
}

// refused checks that a call was refused with want, naming param, and wrote no order num.
func refusedCall(t *testing.T, ts *testServer, m capMerchant, what, path, op string, p map[string]string, want, param, num string) {
	t.Helper()
	codes, detail, _ := capCall(t, ts, path, op, p)
	if codes != want || !strings.Contains(detail, param) || !strings.Contains(detail, "not enabled") {
		t.Errorf("%s: %s %q, want %s naming %s", what, codes, detail, want, param)
	}
	if num != "" && m.orderWritten(t, ts, num) {
		t.Errorf("%s: a refused request wrote order %s", what, num)
	}
}

// savedToken pays with a customernumber and returns the saved card's token.
func (m capMerchant) savedToken(t *testing.T, ts *testServer, num, customer string) string {
	t.Helper()
	codes, detail, doc := capCall(t, ts, "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", num, "customernumber", customer))
	if codes != "0/0" {
		t.Fatalf("saving a card for %s: %s %s", m.id, codes, detail)
	}
	return text(t, doc, "//order/token")
}

func tokenPay(m capMerchant, num, token, customer string, kv ...string) map[string]string {
	return m.params(append([]string{"ordernumber", num, "orderamount", "10.00", "ordercurrency", "RUB",
		"lastname", "Ivanov", "firstname", "Ivan", "email", "ivan@example.com",
		"paymenttoken", `{"Token":"` + token + `","CustomerNumber":"` + customer + `"}`}, kv...)...)
}

// TestCapabilities_DisabledPerMerchant: per-merchant two_stage, card_on_file, recurring and
// two_stage_for_saved_cards. A request that asks for a disabled capability is refused — a
// payment parameter 5/110 naming it, rp 10/210, SetScheduledOperation 10/211 — and nothing
// is written; the same requests pass for a merchant with everything enabled.
func TestCapabilities_DisabledPerMerchant(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "caps.db")
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	// First the recurring merchant still has recurring on: it takes consent, which a later
	// configuration then switches off.
	ts := startServerFrom(t, capabilitiesConfig, dbPath, func(c *config.Config) {
		on := true
		c.Merchants[2].Recurring = &on
	})
	codes, detail, doc := capCall(t, ts, "/pay/silentpay.cfm", "silentpay", capNoRec.pay("ordernumber", "cap-rec-0", "recurringindicator", "1"))
	if codes != "0/0" || text(t, doc, "//order/recurringstate") != "Activated" {
		t.Fatalf("consent while recurring was on: %s %s", codes, detail)
	}
	recBill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	start := clockNow(t, ts).Add(48 * 3600e9).Format("02.01.2006 15:04:05")
	if codes, detail, _ := capCall(t, ts, "/scheduler/scheduler.cfm", "SetScheduledOperation", capNoRec.params("billnumber", recBill,
		"amount", "10.00", "startdate", start, "periodlength", "1", "periodtype", "Day")); codes != "0/0" {
		t.Fatalf("schedule while recurring was on: %s %s", codes, detail)
	}
	ts.Stop()
	ts = startServerFrom(t, capabilitiesConfig, dbPath, nil)

	t.Run("two_stage", func(t *testing.T) {
		m := capNoDelay
		refusedCall(t, ts, m, "silentpay delay=1", "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-d-1", "delay", "1"), "5/110", "delay", "cap-d-1")
		if codes, detail, doc := capCall(t, ts, "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-d-2")); codes != "0/0" || text(t, doc, "//order/orderstate") != "Approved" {
			t.Errorf("one-stage payment: %s %s", codes, detail)
		}
		tok := m.savedToken(t, ts, "cap-d-3", "C-d")
		refusedCall(t, ts, m, "tokenpay delay=1", "/pay/tokenpay.cfm", "tokenpay", tokenPay(m, "cap-d-4", tok, "C-d", "delay", "1"), "5/110", "delay", "cap-d-4")
		// The payment page and the payment link refuse it as well.
		wc := newWebClient(t, ts)
		res := wc.post("/pay/order.cfm", url.Values{"Merchant_ID": {m.id}, "OrderNumber": {"cap-d-5"}, "OrderAmount": {"10.00"}, "Delay": {"1"}, "Language": {"EN"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "5/110") {
			t.Errorf("order.cfm Delay=1: %d %s", res.Status, res.Body)
		}
		res, out := ts.json(t, "/pay/payrequest.cfm", m.params("ordernumber", "cap-d-6", "orderamount", "10.00", "delay", "1"))
		if res.Status != http.StatusBadRequest || faultOf(out) != "5/110" {
			t.Errorf("payrequest Delay=1: %d %s", res.Status, res.Body)
		}
		for _, num := range []string{"cap-d-5", "cap-d-6"} {
			if m.orderWritten(t, ts, num) {
				t.Errorf("a refused page request wrote %s", num)
			}
		}
	})

	t.Run("card_on_file", func(t *testing.T) {
		m := capNoCOF
		refusedCall(t, ts, m, "silentpay customernumber", "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-c-1", "customernumber", "C-c"), "5/110", "customernumber", "cap-c-1")
		refusedCall(t, ts, m, "tokenpay", "/pay/tokenpay.cfm", "tokenpay", tokenPay(m, "cap-c-2", "0D4A3C5E-1B2C-4D5E-8F90-1234567890AB", "C-c"), "5/110", "paymenttoken", "cap-c-2")
		status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", m.id, m.login, m.password, "C-c", "")
		if status != http.StatusBadRequest || faultOf(out) != "5/110" {
			t.Errorf("token.cfm: %d %v", status, out)
		}
		wc := newWebClient(t, ts)
		res := wc.post("/pay/order.cfm", url.Values{"Merchant_ID": {m.id}, "OrderNumber": {"cap-c-3"}, "OrderAmount": {"10.00"}, "CustomerNumber": {"C-c"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "5/110") || m.orderWritten(t, ts, "cap-c-3") {
			t.Errorf("order.cfm CustomerNumber: %d %s", res.Status, res.Body)
		}
		// Two-stage and recurring stay available to it.
		if codes, detail, _ := capCall(t, ts, "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-c-4", "delay", "1", "recurringindicator", "1")); codes != "0/0" {
			t.Errorf("two-stage recurring payment: %s %s", codes, detail)
		}
	})

	t.Run("recurring", func(t *testing.T) {
		m := capNoRec
		refusedCall(t, ts, m, "silentpay recurringindicator", "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-r-1", "recurringindicator", "1"), "5/110", "recurringindicator", "cap-r-1")
		// Consent given while the capability was on is not used once it is off.
		refusedCall(t, ts, m, "rp", "/recurrent/rp.cfm", "rp", m.params("billnumber", recBill, "ordernumber", "cap-r-2", "amount", "10.00", "currency", "RUB"), "10/210", "recurring", "cap-r-2")
		refusedCall(t, ts, m, "SetScheduledOperation", "/scheduler/scheduler.cfm", "SetScheduledOperation", m.params("billnumber", recBill,
			"amount", "10.00", "startdate", start, "periodlength", "1", "periodtype", "Day"), "10/211", "recurring", "")
		wc := newWebClient(t, ts)
		res := wc.post("/pay/order.cfm", url.Values{"Merchant_ID": {m.id}, "OrderNumber": {"cap-r-3"}, "OrderAmount": {"10.00"}, "RecurringIndicator": {"1"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "5/110") || m.orderWritten(t, ts, "cap-r-3") {
			t.Errorf("order.cfm RecurringIndicator: %d %s", res.Status, res.Body)
		}
		// Reading the plans made earlier stays possible; only one exists. When it falls due it
		// charges nothing and becomes Inactive.
		ts.advance(t, "72h")
		res2, doc := ts.soap(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", m.params("billnumber", recBill))
		list := doc.FindElements("//scheduledoperation")
		if res2.Status != 200 || len(list) != 1 || field(list[0], "state") != "Inactive" || field(list[0], "attempts") != "0" {
			t.Fatalf("GetScheduledOperation after the plan fell due: %s", res2.Body)
		}
		if m.orderWritten(t, ts, field(list[0], "operation")+"-1") {
			t.Errorf("a scheduled charge was made for a merchant without recurring payments")
		}
	})

	t.Run("two_stage_for_saved_cards", func(t *testing.T) {
		m := capNoSaved
		if codes, detail, doc := capCall(t, ts, "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-s-1", "delay", "1")); codes != "0/0" || text(t, doc, "//order/orderstate") != "Delayed" {
			t.Errorf("two-stage with a card: %s %s", codes, detail)
		}
		tok := m.savedToken(t, ts, "cap-s-2", "C-s")
		refusedCall(t, ts, m, "tokenpay delay=1", "/pay/tokenpay.cfm", "tokenpay", tokenPay(m, "cap-s-3", tok, "C-s", "delay", "1"), "5/110", "delay", "cap-s-3")
		if codes, detail, _ := capCall(t, ts, "/pay/tokenpay.cfm", "tokenpay", tokenPay(m, "cap-s-4", tok, "C-s")); codes != "0/0" {
			t.Errorf("one-stage tokenpay: %s %s", codes, detail)
		}
	})

	t.Run("all enabled", func(t *testing.T) {
		m := capAll
		tok := m.savedToken(t, ts, "cap-a-1", "C-a")
		codes, detail, doc := capCall(t, ts, "/pay/tokenpay.cfm", "tokenpay", tokenPay(m, "cap-a-2", tok, "C-a", "delay", "1"))
		if codes != "0/0" || text(t, doc, "//order/orderstate") != "Delayed" {
			t.Errorf("two-stage tokenpay: %s %s", codes, detail)
		}
		codes, detail, doc = capCall(t, ts, "/pay/silentpay.cfm", "silentpay", m.pay("ordernumber", "cap-a-3", "recurringindicator", "1", "delay", "1"))
		if codes != "0/0" || text(t, doc, "//order/recurringstate") != "Activated" {
			t.Fatalf("two-stage recurring payment: %s %s", codes, detail)
		}
		bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
		if codes, detail, _ := capCall(t, ts, "/recurrent/rp.cfm", "rp", m.params("billnumber", bill, "ordernumber", "cap-a-4", "amount", "10.00")); codes != "0/0" {
			t.Errorf("rp: %s %s", codes, detail)
		}
	})
}
