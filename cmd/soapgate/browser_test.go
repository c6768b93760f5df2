package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"soapgate/notify"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// TestBrowser drives headless Chromium against the real server: one browser for the whole
// package run, a fresh browser context (cookies, storage) per subtest. Set
// SOAPGATE_TEST_SCREENSHOTS=<dir> to also save the README screenshots there.
func TestBrowser(t *testing.T) {
	b := startBrowser(t)
	ts, shop := b.ts, b.shop

	t.Run("pay and land on URL_RETURN_OK", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-ok", "")
		b.shot(t, ctx, "payment-page.png")
		b.fillCard(t, ctx, "4111111111111111")
		q := b.landOn(t, ctx, "#shop-ok")
		if q.Get("ordernumber") != "br-ok" || len(q.Get("billnumber")) != 16 {
			t.Fatalf("return query %v", q)
		}
		b.state(t, "br-ok", "Approved")
	})
	t.Run("declined card lands on URL_RETURN_NO", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-no", "")
		// The optional script hints at a mistyped number (same-origin script under the CSP).
		must(t, chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#CardNumber"), "4111 1111 1111 1112"),
			chromedp.Click(chromedp.CSS("#ExpireMonth")), chromedp.WaitVisible(chromedp.CSS("#CardNumber-hint")),
			chromedp.SendKeys(chromedp.CSS("#CardNumber"), kb.End+strings.Repeat(kb.Backspace, 25))))
		b.fillCard(t, ctx, "4000000000000002")
		if q := b.landOn(t, ctx, "#shop-no"); q.Get("ordernumber") != "br-no" {
			t.Fatalf("return query %v", q)
		}
		b.state(t, "br-no", "Declined")
	})
	for _, tc := range []struct{ code, land, state string }{{"1234", "#shop-ok", "Approved"}, {"9999", "#shop-no", "Declined"}} {
		t.Run("3-D Secure code "+tc.code, func(t *testing.T) {
			ctx := b.tab(t)
			num := "br-3ds-" + tc.code
			b.open(t, ctx, num, "")
			b.fillCard(t, ctx, "4000000000003063")
			must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#confirm")), chromedp.SendKeys(chromedp.CSS("#code"), tc.code)))
			if tc.code == "1234" {
				b.shot(t, ctx, "3ds-page.png")
			}
			must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirm"))))
			if q := b.landOn(t, ctx, tc.land); q.Get("ordernumber") != num {
				t.Fatalf("return query %v", q)
			}
			b.state(t, num, tc.state)
		})
	}
	t.Run("result page without return URLs", func(t *testing.T) {
		ctx := b.tab(t)
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?Merchant_ID=700001&OrderNumber=br-res&OrderAmount=1234.50&OrderComment=Order%20%23br-res")))
		b.fillCard(t, ctx, "2200000000000004")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#orderstate"))))
		// Russian by default: the badge says it in Russian, data-state keeps the protocol's name.
		if got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#orderstate"))); got != "Оплачен" {
			t.Fatalf("#orderstate %q", got)
		}
		if got, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#orderstate"), "data-state")); got.Value != "Approved" {
			t.Fatalf("#orderstate data-state %q", got.Value)
		}
		b.shot(t, ctx, "result-page.png")
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/pay/order.cfm?Merchant_ID=700001&OrderNumber=x&OrderAmount=1.234")))
		if got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error"))); !strings.Contains(got, "5/108") {
			t.Fatalf("#error %q", got)
		}
		b.shot(t, ctx, "error-page.png")
	})
	t.Run("One Click: a customer without saved cards, without and with the consent to save", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-oc-1", "CustomerNumber=br-cust&Language=EN")
		if n := b.count(t, ctx, "#saved-cards input[name=token]"); n != 0 {
			t.Fatalf("%d saved cards offered to a customer without any", n)
		}
		b.fillCard(t, ctx, "5555555555554444") // #remember-card left unticked
		b.landOn(t, ctx, "#shop-ok")
		if got := savedCardsOf(t, ts, "br-cust"); len(got) != 0 {
			t.Fatalf("saved without the payer's consent: %v", got)
		}
		ctx = b.tab(t)
		b.open(t, ctx, "br-oc-2", "CustomerNumber=br-cust&Language=EN")
		must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#remember-card"))))
		b.fillCard(t, ctx, "4111111111111111")
		b.landOn(t, ctx, "#shop-ok")
		if got := savedCardsOf(t, ts, "br-cust"); len(got) != 1 || got[0] != "1111 12.2030" {
			t.Fatalf("saved with the payer's consent: %v", got)
		}
	})
	t.Run("One Click: pay with the saved card, only the CVC", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-oc-3", "CustomerNumber=br-cust&Language=EN")
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#saved-cards"))))
		if n := b.count(t, ctx, "#saved-cards input[name=token]"); n != 1 {
			t.Fatalf("%d saved cards offered, want 1", n)
		}
		box, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#saved-cards")))
		if err != nil || !strings.Contains(box, "411111******1111") || !strings.Contains(box, "VISA") || !strings.Contains(box, "12/30") {
			t.Fatalf("#saved-cards %q (%v)", box, err)
		}
		b.shot(t, ctx, "oneclick-page.png")
		must(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#saved-cards input[name=token]")),
			chromedp.SendKeys(chromedp.CSS("#CVC2"), "123"), chromedp.Click(chromedp.CSS("#pay"))))
		bill := b.landOn(t, ctx, "#shop-ok").Get("billnumber")
		b.state(t, "br-oc-3", "Approved")
		token := savedCardsTokens(t, ts, "br-cust")[0]
		waitFor(t, "the payment's notification", func() bool { return len(ts.notifications(t, "700001", bill)) > 0 })
		if n := ts.notifications(t, "700001", bill)[0].Payload; n.Token != token || n.Order.Card.Last4 != "1111" || n.Op.Type != 100 {
			t.Fatalf("One Click payment: token %q card %s type %d, want token %s", n.Token, n.Order.Card.Last4, n.Op.Type, token)
		}
	})
	t.Run("Delay=1, confirm in the monitor, SOAP says Approved", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-delay", "Delay=1")
		b.fillCard(t, ctx, "5555555555554444")
		bill := b.landOn(t, ctx, "#shop-ok").Get("billnumber")
		b.state(t, "br-delay", "Delayed")
		b.signIn(t, ctx)
		must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`tr[data-billnumber="`+bill+`"]`))))
		b.shot(t, ctx, "monitor-orders.png")
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/monitor/orders/"+bill), chromedp.Click(chromedp.CSS("#confirm button"))))
		b.flash(t, ctx, "→ Оплачен")
		b.state(t, "br-delay", "Approved")
	})
	t.Run("partial refund from the monitor", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-refund", "")
		b.fillCard(t, ctx, "4111111111111111")
		bill := b.landOn(t, ctx, "#shop-ok").Get("billnumber")
		b.signIn(t, ctx)
		must(t, chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/monitor/orders/"+bill),
			chromedp.SendKeys(chromedp.CSS("#cancel-amount"), "30.00"), chromedp.Click(chromedp.CSS("#cancel button"))))
		b.flash(t, ctx, "→ Возвращён частично")
		if b.shots != "" { // let the refund's notification arrive, then show the page again
			waitFor(t, "both notifications of the order to be answered", func() bool {
				ns := ts.notifications(t, "700001", bill)
				for _, n := range ns {
					if len(n.AttemptLog) == 0 {
						return false
					}
				}
				return len(ns) >= 2
			})
			must(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#replay"))))
			b.shot(t, ctx, "monitor-order.png")
		}
		b.state(t, "br-refund", "PartialCanceled")
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", "br-refund"))
		ops := doc.FindElements("//operation")
		if len(ops) != 2 || ops[1].SelectElement("amount").Text() != "30.00" || ops[1].SelectElement("operationtype").Text() != "300" {
			t.Fatalf("operations after the refund: %d", len(ops))
		}
	})
	t.Run("another merchant's order is 404", func(t *testing.T) {
		ctx := b.tab(t)
		sig := webSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;br-theirs;100.00;RUB")
		_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("merchant_id", "700002", "login", "other_login",
			"password", "other_password2", "ordernumber", "br-theirs", "signature", sig))
		theirs := text(t, doc, "//order/billnumber")[:16]
		b.signIn(t, ctx)
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+"/monitor/orders/"+theirs))
		if err != nil || resp.Status != 404 {
			t.Fatalf("their order: %v %v", resp, err)
		}
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if strings.Contains(html, "br-theirs") {
			t.Fatal("the 404 page shows the order")
		}
	})
	t.Run("POST without CSRF token is 403", func(t *testing.T) {
		ctx := b.tab(t)
		b.open(t, ctx, "br-csrf", "Delay=1")
		b.fillCard(t, ctx, "4111111111111111")
		bill := b.landOn(t, ctx, "#shop-ok").Get("billnumber")
		b.signIn(t, ctx)
		// A page elsewhere posts the confirm form without the token, in the signed-in browser.
		must(t, chromedp.Do(ctx, chromedp.Navigate(shop.URL+"/evil?bill="+bill), chromedp.WaitVisible(chromedp.CSS("#error"))))
		if got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#error"))); !strings.Contains(got, "403") {
			t.Fatalf("#error %q", got)
		}
		b.state(t, "br-csrf", "Delayed")
		// The sign-in page, for the README.
		fresh := b.tab(t)
		must(t, chromedp.Do(fresh, chromedp.Navigate(ts.URL+"/monitor/"), chromedp.WaitVisible(chromedp.CSS("#signin"))))
		b.shot(t, fresh, "monitor-signin.png")
	})
}

// startBrowser starts the server (notifying the test's shop), the shop and one headless
// Chromium for the test; it skips when Chromium is absent, unless CI is set.
func startBrowser(t *testing.T) *browserRun {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but headless Chromium is missing at %s (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("browser tests need Chromium at %s (Debian package chromium); skipped locally", chromiumPath)
	}
	shots := os.Getenv("SOAPGATE_TEST_SCREENSHOTS")
	var gw string
	shop := newShop(t, &gw)
	// The shop acknowledges the gateway's result notifications, so the monitor shows them.
	ts := startServerWith(t, filepath.Join(t.TempDir(), "browser.db"), notifyTo("700001", shop.URL+"/notify", "post", false))
	gw = ts.URL

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "ru-RU"))
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browserRun{ts: ts, shop: shop, browser: browser, shots: shots}
}

type browserRun struct {
	ts      *testServer
	shop    *httptest.Server
	browser context.Context
	shots   string
}

// tab is a new tab in a fresh browser context, closed with the subtest.
func (b *browserRun) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(b.browser, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	return ctx
}

// open goes to the shop's checkout page, which auto-posts the order to /pay/order.cfm.
func (b *browserRun) open(t *testing.T, ctx context.Context, orderNumber, extra string) {
	t.Helper()
	q := "OrderNumber=" + url.QueryEscape(orderNumber) + "&OrderAmount=100.00&OrderComment=" + url.QueryEscape("Заказ "+orderNumber)
	if extra != "" {
		q += "&" + extra
	}
	must(t, chromedp.Do(ctx, chromedp.Navigate(b.shop.URL+"/checkout?"+q), chromedp.WaitVisible(chromedp.CSS("#pay"))))
}

// count counts the elements matching a CSS selector on the current page.
func (b *browserRun) count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	must(t, err)
	return n
}

func (b *browserRun) fillCard(t *testing.T, ctx context.Context, number string) {
	t.Helper()
	must(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS("#pay")),
		chromedp.SendKeys(chromedp.CSS("#CardNumber"), number),
		chromedp.SendKeys(chromedp.CSS("#ExpireMonth"), "12"),
		chromedp.SendKeys(chromedp.CSS("#ExpireYear"), "2030"),
		chromedp.SendKeys(chromedp.CSS("#CVC2"), "123"),
		chromedp.SendKeys(chromedp.CSS("#Cardholder"), "IVAN IVANOV"),
		chromedp.Click(chromedp.CSS("#pay"))))
}

// landOn waits for the shop's return page and returns the query the gateway added.
func (b *browserRun) landOn(t *testing.T, ctx context.Context, sel string) url.Values {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(t, err)
	u, err := url.Parse(loc)
	must(t, err)
	if !strings.HasPrefix(loc, b.shop.URL) || u.Query().Get("shop") != "kept" {
		t.Fatalf("landed on %s", loc)
	}
	return u.Query()
}

func (b *browserRun) signIn(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.Navigate(b.ts.URL+"/monitor/"),
		chromedp.SendKeys(chromedp.CSS("#login"), "demo_login"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demo_password1"),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#signout"))))
}

func (b *browserRun) flash(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	must(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#flash"))))
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#flash")))
	if err != nil || !strings.Contains(got, want) {
		t.Fatalf("#flash %q (%v), want %s", got, err, want)
	}
}

// state checks the order's state over SOAP, as the shop's ERP would.
func (b *browserRun) state(t *testing.T, orderNumber, want string) {
	t.Helper()
	_, doc := b.ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", orderNumber))
	if got := text(t, doc, "//order/orderstate"); got != want {
		t.Fatalf("orderstate of %s over SOAP: %s, want %s", orderNumber, got, want)
	}
}

// shot saves a full-page screenshot when SOAPGATE_TEST_SCREENSHOTS names a folder.
func (b *browserRun) shot(t *testing.T, ctx context.Context, name string) {
	if b.shots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(b.shots, name), png, 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newShop is the merchant's web shop: /checkout auto-posts the order to the gateway's
// payment page, /ok and /no are its return pages, /evil a foreign page posting to the monitor.
func newShop(t *testing.T, gw *string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/notify", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if strings.HasPrefix(r.PostForm.Get("ordernumber"), "br-500") { // a merchant whose endpoint is down
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, notify.AckXML(0, 0, r.PostForm.Get("billnumber"), r.PostForm.Get("packetdate")))
	})
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		fields := map[string]string{"Merchant_ID": "700001", "OrderCurrency": "RUB",
			"URL_RETURN_OK": base + "/ok?shop=kept", "URL_RETURN_NO": base + "/no?shop=kept"}
		for k, v := range r.URL.Query() {
			fields[k] = v[0]
		}
		autopost(w, *gw+"/pay/order.cfm", fields)
	})
	for _, p := range []string{"ok", "no"} {
		mux.HandleFunc("/"+p, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><title>shop</title><h1 id="shop-%s">%s</h1><p>%s</p>`, p, p, html.EscapeString(r.URL.RawQuery))
		})
	}
	mux.HandleFunc("/evil", func(w http.ResponseWriter, r *http.Request) {
		autopost(w, *gw+"/monitor/orders/"+r.URL.Query().Get("bill")+"/confirm", map[string]string{"amount": "1.00"})
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func autopost(w http.ResponseWriter, action string, fields map[string]string) {
	var b strings.Builder
	fmt.Fprintf(&b, `<!doctype html><title>checkout</title><form method="post" action="%s">`, html.EscapeString(action))
	for k, v := range fields {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
	}
	b.WriteString(`<noscript><button>Pay</button></noscript></form><script>document.forms[0].submit()</script>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
}
