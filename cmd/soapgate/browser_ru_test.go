package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// englishWords lists the Latin words visible on a page, outside .mono elements (billnumbers,
// codes, the merchant's replies) and the allowed names: brands, acronyms, the demo merchant's
// own name and the language switch that offers English.
const englishWords = `(() => {
  const allowed = new Set(["VISA","MasterCard","MIR","CVC","CVV","GMT","HTTP","SOAP","CSV","Secure","soapgate",
    "Demo","Shop","IVAN","IVANOV","English","demo_login","pushpaymentresult","billnumber","packetdate"]);
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(".mono, script, style, noscript, [hidden]") || !el.getClientRects().length) continue;
    for (const w of n.textContent.match(/[A-Za-z][A-Za-z_]{2,}/g) || []) if (!allowed.has(w)) out.push(w);
  }
  for (const el of document.querySelectorAll("[title], [placeholder]"))
    for (const a of ["title", "placeholder"])
      for (const w of (el.getAttribute(a) || "").match(/[A-Za-z]{3,}/g) || []) if (!allowed.has(w)) out.push(a + ":" + w);
  return out;
})()`

// noEnglish fails when the page in ctx shows English words.
func noEnglish(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	words, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](englishWords))
	must(t, err)
	if len(words) > 0 {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Errorf("%s (%s) shows English in Russian: %v", page, loc, words)
	}
}

// TestBrowser_Russian walks every screen in Russian (the default) on a 390-pixel-wide phone:
// nothing English shows, the card form's expiry and CVC fields share one line, and a Delayed
// order's cancel form offers no amount (it voids whole).
func TestBrowser_Russian(t *testing.T) {
	b := startBrowser(t)
	ts := b.ts
	tab := func(t *testing.T) context.Context {
		ctx := b.tab(t)
		must(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile,
			chromedp.EmulateTouch, chromedp.EmulateScale(3))))
		return ctx
	}

	t.Run("payment page, card error, 3-D Secure, results", func(t *testing.T) {
		ctx := tab(t)
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?Merchant_ID=700001&OrderNumber=ru-1&OrderAmount=10.00"),
			chromedp.WaitVisible(chromedp.CSS("#pay"))))
		noEnglish(t, ctx, "payment page")
		// Expiry month, year and CVC on one line, inside the screen.
		boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]float64](`["ExpireMonth","ExpireYear","CVC2"].map(id => {
			const r = document.getElementById(id).getBoundingClientRect(); return {top: r.top, left: r.left, right: r.right}; })`))
		must(t, err)
		for i, bx := range boxes {
			if d := bx["top"] - boxes[0]["top"]; d > 1 || d < -1 || bx["right"] > 390 || (i > 0 && bx["left"] <= boxes[i-1]["right"]) {
				t.Fatalf("at 390 px the expiry and CVC inputs are not on one line: %v", boxes)
			}
		}
		b.shot(t, ctx, "payment-page-390.png")
		// A month the form cannot take: the message is Russian.
		must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#CardNumber"), "4111111111111111"),
			chromedp.SendKeys(chromedp.CSS("#ExpireMonth"), "13"), chromedp.SendKeys(chromedp.CSS("#ExpireYear"), "2030"),
			chromedp.SendKeys(chromedp.CSS("#CVC2"), "123"), chromedp.Click(chromedp.CSS("#pay")), chromedp.WaitVisible(chromedp.CSS("#card-error"))))
		noEnglish(t, ctx, "card error")
		msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#card-error")))
		must(t, err)
		if !strings.Contains(msg, "от 1 до 12") {
			t.Errorf("#card-error %q", msg)
		}
		// 3-D Secure with a wrong code: issuer page, then a declined result with its message.
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?Merchant_ID=700001&OrderNumber=ru-2&OrderAmount=10.00")))
		b.fillCard(t, ctx, "4000000000003063")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#code"))))
		noEnglish(t, ctx, "3-D Secure page")
		must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#code"), "0000"), chromedp.Click(chromedp.CSS("#confirm")),
			chromedp.WaitVisible(chromedp.CSS("#orderstate"))))
		noEnglish(t, ctx, "declined result")
		if state, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#orderstate"), "data-state")); state.Value != "Declined" {
			t.Errorf("data-state %q, want Declined", state.Value)
		}
		// Refused requests: an error page with and without a parameter named.
		for _, q := range []string{"Merchant_ID=700001&OrderNumber=ru-3&OrderAmount=1.234", "Merchant_ID=700001&OrderNumber=ru-3&OrderAmount=1.00&Delay=7", "Merchant_ID=999"} {
			must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?"+q), chromedp.WaitVisible(chromedp.CSS("#error"))))
			noEnglish(t, ctx, "error page "+q)
		}
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order/nope"), chromedp.WaitVisible(chromedp.CSS("#error"))))
		noEnglish(t, ctx, "not found page")
		// One Click: a customer with a saved card is offered it.
		if _, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "ru-5", "customernumber", "ru-cust")); text(t, doc, "//order/token") == "" {
			t.Fatal("no card saved")
		}
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?Merchant_ID=700001&OrderNumber=ru-4&OrderAmount=10.00&CustomerNumber=ru-cust"),
			chromedp.WaitVisible(chromedp.CSS("#saved-cards"))))
		noEnglish(t, ctx, "payment page with saved cards")
	})

	t.Run("monitor: list, order, actions, delivery errors", func(t *testing.T) {
		ctx := tab(t)
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/monitor/"), chromedp.WaitVisible(chromedp.CSS("#signin"))))
		noEnglish(t, ctx, "sign-in")
		must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#login"), "demo_login"), chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
			chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#signin-error"))))
		noEnglish(t, ctx, "failed sign-in")

		// A Delayed order whose notification the merchant's endpoint refuses with HTTP 500.
		b.open(t, ctx, "br-500-ru", "Delay=1")
		b.fillCard(t, ctx, "4111111111111111")
		bill := b.landOn(t, ctx, "#shop-ok").Get("billnumber")
		waitFor(t, "a failed delivery attempt", func() bool {
			for _, n := range ts.notifications(t, "700001", bill) {
				if len(n.AttemptLog) > 0 {
					return true
				}
			}
			return false
		})
		b.signIn(t, ctx)
		noEnglish(t, ctx, "orders list")
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/monitor/orders/"+bill), chromedp.WaitVisible(chromedp.CSS("#cancel"))))
		noEnglish(t, ctx, "Delayed order")
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#cancel input[name=amount]").length`)); err != nil || n != 0 {
			t.Fatal("a Delayed order's cancel form offers an amount; it voids whole")
		}
		// A refused partial confirm (over the amount), then the void.
		must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#confirm-amount"), "500"), chromedp.Click(chromedp.CSS("#confirm button"))))
		b.flash(t, ctx, "10/203")
		noEnglish(t, ctx, "refused action")
		// Again from a fresh page (a flash shows once), so that the next #flash is the void's.
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/monitor/orders/"+bill), chromedp.Click(chromedp.CSS("#cancel button"))))
		b.flash(t, ctx, "→ Отменён")
		noEnglish(t, ctx, "voided order")
		b.state(t, "br-500-ru", "Canceled")
	})
}
