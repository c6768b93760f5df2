package main

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"soapgate/config"
	"soapgate/processor"
)

// slowCard is the test processor's card whose every call takes processor.DefaultSlowDelay.
const slowCard = processor.SlowCard

// opState returns the operationstate of the order's operation <bill>.<n> as orderresult lists
// it, or "" when it is not listed.
func opState(t testing.TB, ts *testServer, bill, ext string) string {
	t.Helper()
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	for _, op := range doc.FindElements("//operation") {
		if b := op.FindElement("billnumber"); b != nil && b.Text() == ext {
			if s := op.FindElement("operationstate"); s != nil {
				return s.Text()
			}
		}
	}
	return ""
}

// answerOf is what a SOAP answer says: the order's state and billnumber, or the fault codes.
func answerOf(body string) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		return "not XML: " + body
	}
	if e := doc.FindElement("//detail/error"); e != nil {
		return e.SelectAttrValue("firstcode", "") + "/" + e.SelectAttrValue("secondcode", "")
	}
	state, bill := doc.FindElement("//order/orderstate"), doc.FindElement("//order/billnumber")
	if state == nil || bill == nil {
		return "no order in: " + body
	}
	return state.Text() + " " + bill.Text()
}

// TestSlowAcquirer_ConfirmDoesNotHoldUpOtherMerchants confirms a payment on the slow card and,
// while the acquirer takes its 5 s, has another merchant pay: every one of those payments is
// answered before the confirm is. A repeat of the confirm sent meanwhile waits for it and
// answers the same operation: the money is captured once.
func TestSlowAcquirer_ConfirmDoesNotHoldUpOtherMerchants(t *testing.T) {
	if testing.Short() {
		t.Skip("the slow card takes 5 s per processor call")
	}
	ts := startServerWith(t, filepath.Join(t.TempDir(), "slow.db"), func(c *config.Config) {
		for i := range c.Merchants {
			if c.Merchants[i].ID == "700002" {
				c.Merchants[i].RequestSignature = "optional"
			}
		}
	})
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "slow-1", "delay", "1", "cardnumber", slowCard))
	if got := text(t, doc, "//order/orderstate"); got != "Delayed" {
		t.Fatalf("two-stage payment on the slow card is %s, want Delayed", got)
	}
	bill := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")

	confirms := make(chan string, 2)
	var wg sync.WaitGroup
	confirm := func() {
		defer wg.Done()
		res := ts.post(t, "/charge/charge.cfm", "text/xml", envelope("charge", with("billnumber", bill)))
		confirms <- answerOf(res.Body)
	}
	wg.Add(1)
	go confirm()
	// The confirm is committed In Process before the acquirer is asked: from then on the
	// acquirer holds it for 5 s.
	waitFor(t, "the confirm to be In Process", func() bool { return opState(t, ts, bill, bill+".2") == "In Process" })
	wg.Add(1)
	go confirm() // a repeat while the first is in flight

	const payments = 10
	other := func(kv ...string) map[string]string {
		p := card(kv...)
		p["merchant_id"], p["login"], p["password"] = "700002", "other_login", "other_password2"
		return p
	}
	var pwg sync.WaitGroup
	answers := make(chan string, payments)
	for i := range payments {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			// No clock here: that these are answered while the confirm is still in flight
			// (checked below by order of events) is what shows they did not wait for it.
			res := ts.post(t, "/pay/silentpay.cfm", "text/xml", envelope("silentpay", other("ordernumber", "fast-"+string(rune('a'+i)))))
			answers <- answerOf(res.Body)
		}()
	}
	pwg.Wait()
	close(answers)
	select {
	case a := <-confirms:
		t.Fatalf("the slow confirm (%s) was answered before the other merchant's payments: they waited for it", a)
	default:
	}
	for a := range answers {
		if !strings.HasPrefix(a, "Approved ") {
			t.Errorf("the other merchant's payment answered %s, want Approved", a)
		}
	}
	if got := opState(t, ts, bill, bill+".2"); got != "In Process" {
		t.Fatalf("confirm is %q after the other payments, want still In Process", got)
	}

	wg.Wait()
	close(confirms)
	for a := range confirms {
		if want := "Approved " + bill + ".2"; a != want {
			t.Errorf("confirm answered %q, want %q", a, want)
		}
	}
	_, doc = ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	if ops := doc.FindElements("//operation"); len(ops) != 2 {
		t.Fatalf("%d operations after a confirm and its repeat, want 2", len(ops))
	}
	if got := opState(t, ts, bill, bill+".2"); got != "Success" {
		t.Fatalf("confirm is %s, want Success", got)
	}
}
