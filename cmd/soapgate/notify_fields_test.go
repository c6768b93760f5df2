package main

import (
	"strings"
	"testing"
)

// TestNotify_FieldsCarryWhatTheOrderHolds: a notification carries every value the order
// holds; customernumber was always empty, also when the payment saved a card. issuebank and
// bankcountry are the same as orderresult answers for the operation (one mapping).
func TestNotify_FieldsCarryWhatTheOrderHolds(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "soap", false))
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "nf-1", "customernumber", "cust-42"))
	if res.Status != 200 {
		t.Fatalf("payment: %s", res.Body)
	}
	token := text(t, doc, "//order/token")
	got := rc.wait(t, 1)[0]
	if got["customernumber"] != "cust-42" || got["token"] != token || token == "" {
		t.Fatalf("customernumber %q token %q, want cust-42 and %q", got["customernumber"], got["token"], token)
	}
	rc.mu.Lock()
	raw := rc.bodies[0]
	rc.mu.Unlock()
	op := parseXMLString(raw).FindElement("//PushPaymentResult/order/operation")
	_, res2 := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "nf-1"))
	for _, f := range []string{"issuebank", "bankcountry", "processingname", "meannumber", "cardexpirationdate"} {
		want := text(t, res2, "//operation/"+f)
		if g := op.FindElement(f); g == nil || g.Text() != want || want == "" {
			t.Errorf("notification %s = %v, orderresult says %q", f, g, want)
		}
	}
	// customernumber is at most 32 characters.
	res, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "nf-2", "customernumber", strings.Repeat("9", 33)))
	if res.Status == 200 || faultCodes(t, doc) != "5/110" {
		t.Fatalf("a 33-character customernumber: %s", res.Body)
	}
}
