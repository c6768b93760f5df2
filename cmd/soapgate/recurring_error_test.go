package main

import (
	"strings"
	"testing"
)

// TestRecurring_CardThatCannotBeBound: test card 4000000000000226 approves the payment, but its
// issuer refuses to bind it for recurring charges: recurringstate Error in the answer and the
// notification, and rp and SetScheduledOperation on the order refused with 10/210, nothing
// written.
func TestRecurring_CardThatCannotBeBound(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	bill, doc := seriesPay(t, ts, "norec-1", "cardnumber", "4000000000000226", "customernumber", "cust-norec")
	for path, want := range map[string]string{
		"//order/orderstate": "Approved", "//order/responsecode": "AS000", "//order/recurringstate": "Error",
	} {
		if got := text(t, doc, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// The card is still saved for customer-initiated payments (card on file is not recurring).
	if tok := text(t, doc, "//order/token"); !upperUUID.MatchString(tok) {
		t.Errorf("token = %q", tok)
	}
	n := rc.wait(t, 1)[0]
	if n["recurringstate"] != "Error" || n["orderstate"] != "Approved" || n["billnumber"] != bill+".1" {
		t.Errorf("notification: recurringstate %q orderstate %q billnumber %q", n["recurringstate"], n["orderstate"], n["billnumber"])
	}

	if _, codes := rp(t, ts, bill, "norec-1-rp", "20.00"); codes != "10/210" {
		t.Errorf("rp on an unbound card: %s, want 10/210", codes)
	}
	if got := orderStates(t, ts, "norec-1-rp"); got[0] != "10/201" {
		t.Errorf("a refused rp wrote an order: %v", got)
	}
	start := clockNow(t, ts).Add(48 * 60 * 60 * 1e9).Format("02.01.2006 15:04:05")
	if _, codes := setSchedule(t, ts, "billnumber", bill, "amount", "20.00", "currency", "RUB",
		"startdate", start, "periodlength", "1", "periodtype", "Day"); codes != "10/210" {
		t.Errorf("SetScheduledOperation on an unbound card: %s, want 10/210", codes)
	}
	if list := getSchedules(t, ts, "billnumber", bill); len(list) != 0 {
		t.Errorf("a refused plan was written: %d", len(list))
	}

	// The same consent with an ordinary card activates, and rp charges it.
	good, doc := seriesPay(t, ts, "norec-2")
	if got := text(t, doc, "//order/recurringstate"); got != "Activated" {
		t.Fatalf("ordinary card: recurringstate %q", got)
	}
	if _, codes := rp(t, ts, good, "norec-2-rp", "20.00"); codes != "0/0" {
		t.Errorf("rp on an ordinary card: %s", codes)
	}
	// Without recurring consent the card pays like any other and reports no recurringstate.
	_, plain := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "norec-3", "cardnumber", "4000000000000226"))
	if got := text(t, plain, "//order/recurringstate"); got != "" || !strings.HasPrefix(text(t, plain, "//order/responsecode"), "AS000") {
		t.Errorf("plain payment: recurringstate %q responsecode %q", got, text(t, plain, "//order/responsecode"))
	}
}
