package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// orderCFM posts a payment-page request as a browser would and returns the answer.
func orderCFM(w *webClient, orderNumber string, kv ...string) response {
	w.t.Helper()
	v := url.Values{"Merchant_ID": {"700001"}, "OrderNumber": {orderNumber}, "OrderAmount": {"100.00"}, "OrderCurrency": {"RUB"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return w.post("/pay/order.cfm", v)
}

// TestAttack_PageURLOnlyForItsCreator: an outsider who repeats a page's Merchant_ID,
// OrderNumber and amount does not get the capability URL of the merchant's page, neither of
// one a browser created nor of a payment link; the creating browser and a signed request do.
func TestAttack_PageURLOnlyForItsCreator(t *testing.T) {
	ts := startServer(t)
	customer, attacker := newWebClient(t, ts), newWebClient(t, ts)

	page := customer.order("OrderNumber", "cap-1")
	if again := orderCFM(customer, "cap-1"); again.Status != http.StatusSeeOther || again.Header.Get("Location") != page {
		t.Fatalf("the creating browser again: %d %q, want %q", again.Status, again.Header.Get("Location"), page)
	}
	res := orderCFM(attacker, "cap-1")
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "10/204") || strings.Contains(res.Body, page) ||
		res.Header.Get("Location") != "" {
		t.Fatalf("another browser: %d %q\n%s", res.Status, res.Header.Get("Location"), res.Body)
	}

	// A payment link made by the merchant's server: nobody gets it back through order.cfm
	// unsigned; a signed request does.
	lres, out := ts.json(t, "/pay/payrequest.cfm", with("ordernumber", "cap-2", "orderamount", "100.00"))
	link, _ := out["URL"].(string)
	if lres.Status != 200 || link == "" {
		t.Fatalf("payrequest: %d %v", lres.Status, out)
	}
	linkPath := link[strings.Index(link, "/pay/order/"):]
	if res := orderCFM(attacker, "cap-2"); res.Status != http.StatusBadRequest || strings.Contains(res.Body, linkPath) {
		t.Fatalf("unsigned order.cfm for a payment link: %d %q", res.Status, res.Header.Get("Location"))
	}
	sig := opensslSign(t, "../../fixtures/keys/merchant-700001.key.pem", "700001;cap-2;100.00;RUB", 1)
	if res := orderCFM(newWebClient(t, ts), "cap-2", "Signature", sig); res.Status != http.StatusSeeOther || res.Header.Get("Location") != linkPath {
		t.Fatalf("signed order.cfm: %d %q, want %q", res.Status, res.Header.Get("Location"), linkPath)
	}
}

// TestAttack_PageOrderSquatting: anyone can open a payment page under a merchant's
// ordernumber, but such an order (no card submitted) never blocks the merchant's own
// authenticated calls: silentpay and payrequest close it as Timeout and proceed.
func TestAttack_PageOrderSquatting(t *testing.T) {
	ts := startServer(t)
	squatter := newWebClient(t, ts)

	squatted := squatter.order("OrderNumber", "squat-1")
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "squat-1"))
	if got := text(t, doc, "//orderstate"); got != "Approved" {
		t.Fatalf("silentpay on a squatted ordernumber: %q\n%s", got, doc.Root().Tag)
	}
	// The squatter's page is closed: it shows the order Timeout and takes no card.
	if res := squatter.get(squatted); !strings.Contains(res.Body, `data-state="Timeout"`) || strings.Contains(res.Body, `name="token"`) {
		t.Fatalf("squatted page after silentpay: %d\n%s", res.Status, res.Body)
	}

	squatter.order("OrderNumber", "squat-2")
	lres, out := ts.json(t, "/pay/payrequest.cfm", with("ordernumber", "squat-2", "orderamount", "100.00"))
	if lres.Status != 200 || out["URL"] == nil {
		t.Fatalf("payrequest on a squatted ordernumber: %d %v", lres.Status, out)
	}

	// A page with a card submitted (paid) still blocks, as any payment does.
	paid := squatter.order("OrderNumber", "squat-3")
	squatter.pay(paid, "4111111111111111")
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "squat-3"))
	if codes := faultCodes(t, doc); codes != "10/204" {
		t.Fatalf("silentpay over a paid page order: %s", codes)
	}
}
