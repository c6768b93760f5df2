package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// savedCardsOf lists the customer's saved cards over token.cfm as "last4 expire" strings.
func savedCardsOf(t *testing.T, ts *testServer, customer string) []string {
	t.Helper()
	status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", customer, "")
	list, ok := out.([]any)
	if status != 200 || !ok {
		t.Fatalf("token.cfm: %d %v", status, out)
	}
	var cards []string
	for _, c := range list {
		m := c.(map[string]any)
		cards = append(cards, m["post"].(string)+" "+m["expire"].(string))
	}
	return cards
}

var (
	reSavedCards = regexp.MustCompile(`(?s)<fieldset id="saved-cards".*?</fieldset>`)
	reSavedInput = regexp.MustCompile(`<input type="radio" name="token" value="([0-9A-F-]{36})"[^>]*>`)
)

// savedOnPage returns the saved-card inputs of a page: token → the input's markup.
func savedOnPage(body string) map[string]string {
	out := map[string]string{}
	for _, m := range reSavedInput.FindAllStringSubmatch(reSavedCards.FindString(body), -1) {
		out[m[1]] = m[0]
	}
	return out
}

// TestOneClick_PaymentPage: order.cfm with a CustomerNumber offers the customer's saved cards
// of the merchant (masked, brand, expiry; expired ones disabled) in #saved-cards, each an
// input[name=token]; paying with one needs only the CVC and is a customer-initiated payment
// echoing the token; a new card is saved only when the payer ticks #remember-card.
func TestOneClick_PaymentPage(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	now := clockNow(t, ts)
	soon := now.AddDate(0, 1, 0) // a card that expires at the end of next month
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "oc-save-1", "customernumber", "C-oc"))
	visa := text(t, doc, "//order/token")
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "oc-save-2", "customernumber", "C-oc",
		"cardnumber", "5555555555554444", "expiremonth", soon.Format("01"), "expireyear", soon.Format("2006")))
	mc := text(t, doc, "//order/token")
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "oc-save-3", "customernumber", "C-else", "cardnumber", "2200000000000004"))
	ts.advance(t, "1500h") // about two months: the MasterCard has expired

	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "oc-1", "CustomerNumber", "C-oc", "Language", "EN")
	form := w.get(page)
	if form.Status != 200 {
		t.Fatalf("page: %d", form.Status)
	}
	saved := savedOnPage(form.Body)
	if len(saved) != 2 || saved[visa] == "" || saved[mc] == "" {
		t.Fatalf("#saved-cards offers %v, want %s and %s\n%s", saved, visa, mc, form.Body)
	}
	if strings.Contains(saved[visa], "disabled") || !strings.Contains(saved[mc], "disabled") || !strings.Contains(saved[visa], "checked") {
		t.Errorf("the valid card must be chosen, the expired one disabled: %v", saved)
	}
	box := reSavedCards.FindString(form.Body)
	mustContain(t, "#saved-cards", box, "VISA", "411111******1111", "12/30", "MasterCard", "555555******4444", soon.Format("01/06"), "expired", "Saved cards")
	mustContain(t, "card form", form.Body, `id="remember-card"`, `id="new-card"`, "Save this card")
	if strings.Contains(box, "2200") {
		t.Error("another customer's card is offered")
	}
	// The form token is the first token input (the hidden one), and stays unique.
	if tok := match(t, reToken, form.Body); tok == visa || tok == mc {
		t.Fatal("the saved cards come before the form token")
	}

	// A saved card without its CVC shows the form again and charges nothing.
	res := w.post(page, url.Values{"token": {match(t, reToken, form.Body), visa}})
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="card-error"`) || !strings.Contains(res.Body, "cvc2") {
		t.Fatalf("saved card without CVC: %d\n%s", res.Status, res.Body)
	}
	if got := lastState(t, ts, "oc-1"); got != "In Process" {
		t.Fatalf("after a refused submit the order is %s", got)
	}
	// Forged choices: the expired card, another customer's card, a made-up token.
	other := savedCardsTokens(t, ts, "C-else")
	for name, tok := range map[string]string{"expired": mc, "another customer's": other[0], "unknown": "0D4A3C5E-1B2C-4D5E-8F90-1234567890AB"} {
		form := w.get(page)
		res := w.post(page, url.Values{"token": {match(t, reToken, form.Body), tok}, "CVC2": {"123"}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `id="card-error"`) {
			t.Errorf("%s card: %d", name, res.Status)
		}
	}
	if got := lastState(t, ts, "oc-1"); got != "In Process" {
		t.Fatalf("after forged submits the order is %s", got)
	}

	// Only the CVC: a customer-initiated payment (100) on the saved card, echoing its token.
	form = w.get(page)
	res = w.post(page, url.Values{"token": {match(t, reToken, form.Body), visa}, "CVC2": {"321"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("pay with the saved card: %d\n%s", res.Status, res.Body)
	}
	result := w.get(page)
	if !strings.Contains(result.Body, `id="orderstate"`) || !strings.Contains(result.Body, "Approved") {
		t.Fatalf("result page:\n%s", result.Body)
	}
	n := noteOf(t, rc, "oc-1")
	if n["ordernumber"] != "oc-1" || n["token"] != visa || n["operationtype"] != "100" || n["meannumber"] != "411111******1111" ||
		n["customernumber"] != "C-oc" || n["orderstate"] != "Approved" {
		t.Errorf("notification of the One Click payment: %v", n)
	}
	if got := savedCardsOf(t, ts, "C-oc"); len(got) != 2 {
		t.Errorf("paying with a saved card saved another: %v", got)
	}
	// A second submit (back button) charges nothing more.
	if res := w.post(page, url.Values{"token": {match(t, reToken, form.Body), visa}, "CVC2": {"321"}}); res.Status != http.StatusSeeOther {
		t.Errorf("second submit: %d", res.Status)
	}
	if got := orderStates(t, ts, "oc-1"); len(got) != 1 {
		t.Errorf("oc-1 attempts: %v", got)
	}

	// A new card without the tick is not saved; a number typed in wins over the chosen card.
	page = w.order("OrderNumber", "oc-2", "CustomerNumber", "C-oc")
	form = w.get(page)
	if res := w.post(page, url.Values{"token": {match(t, reToken, form.Body), visa}, "CardNumber": {"2200000000000004"},
		"ExpireMonth": {"12"}, "ExpireYear": {"2030"}, "CVC2": {"123"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("new card: %d", res.Status)
	}
	if n := noteOf(t, rc, "oc-2"); n["meannumber"] != "220000******0004" || n["token"] != "" {
		t.Errorf("new card without consent: meannumber %q token %q", n["meannumber"], n["token"])
	}
	if got := savedCardsOf(t, ts, "C-oc"); len(got) != 2 {
		t.Errorf("a card was saved without the payer's consent: %v", got)
	}
	// With the tick it is saved, and the notification carries its token.
	page = w.order("OrderNumber", "oc-3", "CustomerNumber", "C-oc")
	if res := w.pay(page, "2200000000000004", "remember", "1"); res.Status != http.StatusSeeOther {
		t.Fatalf("new card remembered: %d", res.Status)
	}
	n = noteOf(t, rc, "oc-3")
	if got := savedCardsOf(t, ts, "C-oc"); len(got) != 3 || !upperUUID.MatchString(n["token"]) {
		t.Errorf("remembered card: saved %v, notification token %q", got, n["token"])
	}

	// Without a CustomerNumber nothing is offered, and a tick has nobody to save for.
	page = w.order("OrderNumber", "oc-4")
	form = w.get(page)
	if strings.Contains(form.Body, `id="saved-cards"`) || strings.Contains(form.Body, `id="remember-card"`) {
		t.Error("a page without a customer offers saved cards or saving")
	}
	if res := w.pay(page, "4111111111111111", "remember", "1"); res.Status != http.StatusSeeOther {
		t.Fatalf("page without customer: %d", res.Status)
	}
	if n := noteOf(t, rc, "oc-4"); n["token"] != "" {
		t.Errorf("a card was saved for nobody: %v", n["token"])
	}
	// A customer without saved cards sees none, but may save one.
	form = w.get(w.order("OrderNumber", "oc-5", "CustomerNumber", "C-new"))
	if strings.Contains(form.Body, `id="saved-cards"`) || !strings.Contains(form.Body, `id="remember-card"`) {
		t.Error("a customer without cards: wrong form")
	}
	// Russian by default.
	form = w.get(w.order("OrderNumber", "oc-6", "CustomerNumber", "C-oc"))
	mustContain(t, "Russian page", form.Body, "Сохранённые карты", "Сохранить карту")
}

// noteOf waits for the notification of an order's payment and returns its fields (a merchant
// may receive one twice: any copy will do).
func noteOf(t *testing.T, rc *receiver, orderNumber string) map[string]string {
	t.Helper()
	var got map[string]string
	waitFor(t, "the notification of "+orderNumber, func() bool {
		for _, f := range rc.all() {
			if f["ordernumber"] == orderNumber {
				got = f
				return true
			}
		}
		return false
	})
	return got
}

func savedCardsTokens(t *testing.T, ts *testServer, customer string) []string {
	t.Helper()
	_, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", customer, "")
	var toks []string
	for _, c := range out.([]any) {
		toks = append(toks, c.(map[string]any)["token"].(string))
	}
	if len(toks) == 0 {
		t.Fatalf("customer %s has no cards", customer)
	}
	return toks
}

// TestOneClick_TwoStageForSavedCards: a merchant with two_stage_for_saved_cards false offers
// no saved cards on a two-stage page and refuses one sent anyway (5/110, nothing charged); a
// one-stage page offers them.
func TestOneClick_TwoStageForSavedCards(t *testing.T) {
	ts := startServerFrom(t, capabilitiesConfig, filepath.Join(t.TempDir(), "oc.db"), nil)
	m := capNoSaved
	tok := m.savedToken(t, ts, "ocs-0", "C-s")
	w := newWebClient(t, ts)
	order := func(num string, kv ...string) string {
		v := url.Values{"Merchant_ID": {m.id}, "OrderNumber": {num}, "OrderAmount": {"10.00"}, "CustomerNumber": {"C-s"}, "Language": {"EN"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		res := w.post("/pay/order.cfm", v)
		if res.Status != http.StatusSeeOther {
			t.Fatalf("order.cfm: %d %s", res.Status, res.Body)
		}
		return res.Header.Get("Location")
	}
	two := order("ocs-1", "Delay", "1")
	form := w.get(two)
	if strings.Contains(form.Body, `id="saved-cards"`) {
		t.Error("a two-stage page offers saved cards to a merchant without two_stage_for_saved_cards")
	}
	res := w.post(two, url.Values{"token": {match(t, reToken, form.Body), tok}, "CVC2": {"123"}})
	if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "delay") {
		t.Errorf("saved card on a two-stage page: %d %s", res.Status, res.Body)
	}
	if got := m.orderWritten(t, ts, "ocs-1"); !got {
		t.Fatal("the page order is gone")
	}
	one := order("ocs-2")
	form = w.get(one)
	if len(savedOnPage(form.Body)) != 1 {
		t.Fatalf("one-stage page: saved cards %v", savedOnPage(form.Body))
	}
	if res := w.post(one, url.Values{"token": {match(t, reToken, form.Body), tok}, "CVC2": {"123"}}); res.Status != http.StatusSeeOther {
		t.Errorf("one-stage saved card: %d", res.Status)
	}
}

// TestOneClick_SavedCardThreeDSecure: a saved card the issuer wants 3-D Secure for (…3063)
// shows the issuer page on One Click too, as the card typed in does: the right code pays it
// as a customer-initiated payment echoing its token, a wrong one declines it (AS100) without
// asking the processor. tokenpay, server to server, has no payer to ask and charges it.
func TestOneClick_SavedCardThreeDSecure(t *testing.T) {
	rc := newReceiver(t)
	ts := testClockServer(t, notifyTo("700001", rc.URL, "post", false))
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "oc3-save", "customernumber", "C-3ds", "cardnumber", "4000000000003063"))
	token := text(t, doc, "//order/token")
	if token == "" {
		t.Fatal("the card was not saved")
	}
	w := newWebClient(t, ts)
	for _, tc := range []struct{ num, code, state, rc string }{{"oc3-ok", "1234", "Approved", "AS000"}, {"oc3-bad", "0000", "Declined", "AS100"}} {
		page := w.order("OrderNumber", tc.num, "CustomerNumber", "C-3ds")
		form := w.get(page)
		res := w.post(page, url.Values{"token": {match(t, reToken, form.Body), token}, "CVC2": {"123"}})
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != page {
			t.Fatalf("%s: the saved card: %d %q", tc.num, res.Status, res.Header.Get("Location"))
		}
		issuer := w.get(page)
		mustContain(t, "issuer page", issuer.Body, `name="code"`, `id="confirm"`, "•••• 3063<")
		if got := lastState(t, ts, tc.num); got != "In Process" {
			t.Fatalf("%s while the code is awaited: %s", tc.num, got)
		}
		w.post(page+"/3ds", url.Values{"token": {match(t, reToken, issuer.Body)}, "code": {tc.code}})
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", tc.num))
		if state, rc := text(t, doc, "//order/orderstate"), text(t, doc, "//operation/responsecode"); state != tc.state || rc != tc.rc {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.num, state, rc, tc.state, tc.rc)
		}
		if n := noteOf(t, rc, tc.num); n["orderstate"] != tc.state || n["token"] != token || n["operationtype"] != "100" || n["meannumber"] != "400000******3063" {
			t.Errorf("%s: notification %v, want %s on the saved card %s", tc.num, n, tc.state, token)
		}
	}
	_, doc = ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", with("ordernumber", "oc3-tokenpay", "orderamount", "10.00", "ordercurrency", "RUB",
		"token", token, "customernumber", "C-3ds", "lastname", "Ivanov", "firstname", "Ivan", "email", "ivan@example.com"))
	if got := text(t, doc, "//order/orderstate"); got != "Approved" {
		t.Errorf("tokenpay with the saved card: %s, want Approved", got)
	}
}
