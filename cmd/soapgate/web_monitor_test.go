package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// signIn signs the client in to the order monitor.
func (w *webClient) signIn(login, password string) response {
	w.t.Helper()
	home := w.get("/monitor/")
	return w.post("/monitor/signin", url.Values{"csrf": {match(w.t, reCSRF, home.Body)}, "login": {login}, "password": {password}})
}

func TestMonitor_SignInSessionAndCSRF(t *testing.T) {
	ts := startServer(t)
	w := newWebClient(t, ts)
	home := w.get("/monitor/")
	checkPageHeaders(t, home, true)
	mustContain(t, "sign-in", home.Body, `name="login"`, `name="password"`, `id="signin"`, `name="csrf"`, `<label for="login"`)
	// Sign-in without the form's CSRF token is refused.
	if res := w.post("/monitor/signin", url.Values{"login": {"demo_login"}, "password": {"demo_password1"}}); res.Status != 403 {
		t.Fatalf("sign-in without CSRF: %d", res.Status)
	}
	// Unsigned, the monitor pages send to the sign-in page; POSTs are 403.
	if res := w.get("/monitor/orders"); res.Status != 303 {
		t.Fatalf("orders unsigned: %d", res.Status)
	}
	res := w.signIn("demo_login", "demo_password1")
	if res.Status != 303 || res.Header.Get("Location") != "/monitor/orders" {
		t.Fatalf("sign-in: %d %s", res.Status, res.Body)
	}
	cookie := ""
	for _, c := range res.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "sg_monitor=") {
			cookie = c
		}
	}
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Fatalf("session cookie %q", cookie)
	}
	list := w.get("/monitor/orders")
	mustContain(t, "orders", list.Body, `id="signout"`, "Demo Shop")
	checkPageHeaders(t, list, true)
	// Sign-out needs the CSRF token too.
	if res := w.post("/monitor/signout", url.Values{}); res.Status != 403 {
		t.Fatalf("sign-out without CSRF: %d", res.Status)
	}
	w.post("/monitor/signout", url.Values{"csrf": {match(t, reCSRF, list.Body)}})
	if res := w.get("/monitor/orders"); res.Status != 303 {
		t.Fatalf("after sign-out: %d", res.Status)
	}
	// Repeated failures from one address are slowed down, even for the right password.
	other := newWebClient(t, ts)
	for i := 0; i < 3; i++ {
		if res := other.signIn("demo_login", "wrong"); res.Status != 401 {
			t.Fatalf("failure %d: %d", i, res.Status)
		}
	}
	if res := other.signIn("demo_login", "demo_password1"); res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures: %d", res.Status)
	}
}

func TestMonitor_ListDetailActions(t *testing.T) {
	ts := startServer(t)
	// 55 orders of 700001 (two-stage), one of 700002.
	var wg sync.WaitGroup
	for i := range 55 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", fmt.Sprintf("mon-%02d", i), "delay", "1"))
		}()
	}
	wg.Wait()
	sig := webSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;theirs;100.00;RUB")
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("merchant_id", "700002", "login", "other_login",
		"password", "other_password2", "ordernumber", "theirs", "signature", sig))
	theirs := text(t, doc, "//order/billnumber")[:16]

	w := newWebClient(t, ts)
	w.signIn("demo_login", "demo_password1")
	list := w.get("/monitor/orders")
	if n := strings.Count(list.Body, "<tr data-billnumber="); n != 50 {
		t.Fatalf("first page: %d rows", n)
	}
	mustContain(t, "list", list.Body, `id="next"`, "411111******1111", `data-state="Delayed"`)
	if strings.Contains(list.Body, theirs) || strings.Contains(list.Body, `id="prev"`) {
		t.Fatal("first page shows another merchant's order or a prev link")
	}
	if p2 := w.get("/monitor/orders?page=2"); strings.Count(p2.Body, "<tr data-billnumber=") != 5 || !strings.Contains(p2.Body, `id="prev"`) {
		t.Fatalf("second page:\n%s", p2.Body)
	}
	one := w.get("/monitor/orders?ordernumber=mon-07&state=Delayed")
	if strings.Count(one.Body, "<tr data-billnumber=") != 1 {
		t.Fatalf("filter:\n%s", one.Body)
	}
	if none := w.get("/monitor/orders?from=2000-01-01&to=2000-01-02"); strings.Count(none.Body, "<tr data-billnumber=") != 0 {
		t.Fatal("date filter")
	}
	csv := w.get("/monitor/orders.csv?state=Delayed")
	if lines := strings.Split(strings.TrimSpace(csv.Body), "\n"); len(lines) != 56 || !strings.HasPrefix(lines[0], `"ordernumber";"billnumber";`) {
		t.Fatalf("CSV: %d lines\n%s", len(lines), csv.Body[:200])
	}
	if strings.Contains(csv.Body, theirs) {
		t.Fatal("CSV lists another merchant's order")
	}

	bill := match(t, regexpBill("mon-07"), list.Body+w.get("/monitor/orders?page=2").Body)
	detail := w.get("/monitor/orders/" + bill)
	mustContain(t, "detail", detail.Body, `id="confirm"`, `id="cancel"`, "mon-07", bill+".1")
	csrf := match(t, reCSRF, detail.Body)
	nonce := match(t, reNonce, detail.Body)
	action := "/monitor/orders/" + bill + "/confirm"
	// Without CSRF: 403; another merchant's order: 404 in detail and forms.
	if res := w.post(action, url.Values{"amount": {"40"}}); res.Status != 403 {
		t.Fatalf("confirm without CSRF: %d", res.Status)
	}
	if res := w.get("/monitor/orders/" + theirs); res.Status != 404 {
		t.Fatalf("their detail: %d", res.Status)
	}
	if res := w.post("/monitor/orders/"+theirs+"/cancel", url.Values{"csrf": {csrf}}); res.Status != 404 {
		t.Fatalf("their cancel: %d", res.Status)
	}
	// Partial confirm, twice from the same form: one confirm.
	form := url.Values{"csrf": {csrf}, "nonce": {nonce}, "amount": {"40,00"}}
	for range 2 {
		if res := w.post(action, form); res.Status != 303 {
			t.Fatalf("confirm: %d %s", res.Status, res.Body)
		}
	}
	after := w.get("/monitor/orders/" + bill)
	mustContain(t, "after confirm", after.Body, `id="flash"`, "PartialDelayed", bill+".2")
	if strings.Contains(after.Body, bill+".3") {
		t.Fatal("a repeated form confirmed twice")
	}
	// Confirm the rest, then a partial refund.
	w.post(action, url.Values{"csrf": {csrf}, "nonce": {"n2"}})
	w.post("/monitor/orders/"+bill+"/cancel", url.Values{"csrf": {csrf}, "nonce": {"n3"}, "amount": {"10"}})
	final := w.get("/monitor/orders/" + bill)
	mustContain(t, "after refund", final.Body, `id="flash"`, "PartialCanceled")
	_, doc = ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "mon-07"))
	if got := text(t, doc, "//order/orderstate"); got != "PartialCanceled" {
		t.Fatalf("orderstate over SOAP: %s", got)
	}
	// A refused action shows its code.
	w.post("/monitor/orders/"+bill+"/cancel", url.Values{"csrf": {csrf}, "nonce": {"n4"}, "amount": {"1000"}})
	mustContain(t, "refused", w.get("/monitor/orders/"+bill).Body, "10/203")
	// English switch.
	w.get("/monitor/lang?to=EN&next=/monitor/orders")
	mustContain(t, "english", w.get("/monitor/orders").Body, "Export CSV", `lang="en"`)
}

func regexpBill(num string) *regexp.Regexp {
	return regexp.MustCompile(`<tr data-billnumber="(\d{16})"[^>]*>\s*<td><a href="[^"]+">` + num + `<`)
}

func TestMonitor_NotificationsAndReplay(t *testing.T) {
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		return 200, `<pushpaymentresult firstcode="9" secondcode="1"></pushpaymentresult>` // refused: kept, replayable
	}
	ts := startServerWith(t, filepath.Join(t.TempDir(), "n.db"), notifyTo("700001", rc.URL, "post", false))
	w := newWebClient(t, ts)
	page := w.order("OrderNumber", "note-1")
	w.pay(page, "4111111111111111")
	rc.wait(t, 1)
	bill := match(t, regexp.MustCompile(`id="billnumber">(\d{16})<`), w.get(page).Body)
	var id int64
	waitFor(t, "the notification's attempt to be recorded", func() bool { // just after the receiver answered
		if ns := ts.notifications(t, "700001", bill); len(ns) == 1 && len(ns[0].AttemptLog) == 1 {
			id = ns[0].ID
		}
		return id != 0
	})
	w.signIn("demo_login", "demo_password1")
	detail := w.get("/monitor/orders/" + bill)
	mustContain(t, "notifications", detail.Body, `id="replay"`, fmt.Sprintf(`data-notification="%d"`, id), "rejected", "<td>200</td>", `data-outcome="rejected"`)
	replay := url.Values{"csrf": {match(t, reCSRF, detail.Body)}, "nonce": {"r1"}, "notification": {fmt.Sprint(id)}}
	if res := w.post("/monitor/orders/"+bill+"/replay", replay); res.Status != 303 {
		t.Fatalf("replay: %d %s", res.Status, res.Body)
	}
	mustContain(t, "replayed", w.get("/monitor/orders/"+bill).Body, `id="flash"`, "очередь")
	rc.wait(t, 2)
	// Another order's or an unknown notification is 404.
	replay.Set("notification", "999999")
	replay.Set("nonce", "r2")
	if res := w.post("/monitor/orders/"+bill+"/replay", replay); res.Status != 404 {
		t.Fatalf("unknown notification: %d", res.Status)
	}
}
