package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/gateway"
	"soapgate/notify"
)

// seed pays n two-stage orders mon-00 … of the demo merchant a second apart, and one of the
// other merchant; it returns the other merchant's billnumber.
func seed(t *testing.T, e *testEnv, n int) string {
	t.Helper()
	for i := range n {
		e.silentpay(e.demo, fmt.Sprintf("mon-%02d", i), "delay", "1")
		e.clock.Advance(time.Second)
	}
	e.silentpay(e.demo, "formula", "comment", "=HYPERLINK(\"http://evil.example\")", "card", "4000000000000002")
	return e.silentpay(e.signed, "theirs").Order.BillNumber
}

func TestMonitor_OrderList(t *testing.T) {
	e := newEnv(t)
	theirs := seed(t, e, 55)
	b := e.browser()
	b.signIn("demo_login", "demo_password1")

	first := b.get("/monitor/orders")
	checkHeaders(t, first, true)
	bills := rows(first.Body)
	if len(bills) != 50 || !hasID(first.Body, "next") || hasID(first.Body, "prev") {
		t.Fatalf("first page: %d rows, next %v, prev %v", len(bills), hasID(first.Body, "next"), hasID(first.Body, "prev"))
	}
	newest := e.order(t, e.demo, "formula").Order.BillNumber
	if bills[0] != newest || !strings.Contains(first.Body, `<tr data-billnumber="`+newest+`" data-state="Declined">`) {
		t.Fatalf("newest first: %s, want %s", bills[0], newest)
	}
	for _, want := range []string{"VISA 411111******1111", `data-amount="100.00"`, ">mon-54</a>"} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("first page lacks %q", want)
		}
	}
	if strings.Contains(first.Body, theirs) {
		t.Fatal("the list shows another merchant's order")
	}

	t.Run("paging", func(t *testing.T) {
		// Keyset links: next carries the last row's key, not an offset.
		next := html.UnescapeString(attrOf(tag(first.Body, "next"), "href"))
		key := strings.TrimSuffix(strings.TrimPrefix(next, "/monitor/orders?before="), "&page=2")
		if !strings.HasPrefix(next, "/monitor/orders?before=") || !strings.HasSuffix(next, "&page=2") || strings.Contains(key, "&") {
			t.Fatalf("next = %q", next)
		}
		second := b.get(next)
		if got := rows(second.Body); len(got) != 6 || got[5] != e.order(t, e.demo, "mon-00").Order.BillNumber {
			t.Fatalf("second page: %v", got)
		}
		if hasID(second.Body, "next") || html.UnescapeString(attrOf(tag(second.Body, "prev"), "href")) != "/monitor/orders?" {
			t.Fatalf("second page links: next %v prev %q", hasID(second.Body, "next"), attrOf(tag(second.Body, "prev"), "href"))
		}
		// An old page-number link still reaches the same rows.
		if got, want := rows(b.get("/monitor/orders?page=2").Body), rows(second.Body); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("page=2 without a key: %v, want %v", got, want)
		}
		// A key from a hand-edited link that matches no row is still a place in the order.
		if got := rows(b.get("/monitor/orders?before=1.1&page=2").Body); len(got) != 0 {
			t.Fatalf("before the first millisecond: %d rows", len(got))
		}
		if got := rows(b.get("/monitor/orders?page=9").Body); len(got) != 0 {
			t.Fatalf("past the end: %d rows", len(got))
		}
		if got := rows(b.get("/monitor/orders?page=-3").Body); len(got) != 50 {
			t.Fatalf("page -3: %d rows", len(got))
		}
	})
	t.Run("keyset both ways", func(t *testing.T) {
		// 56 orders at 7 a page (the store's paging with the handler's rules): forward to the
		// end by next keys, back to the start by prev keys, every order once each way.
		all, err := e.pages.ListOrders(context.Background(), e.demo, gateway.OrderQuery{})
		if err != nil || len(all) != 56 {
			t.Fatalf("%d orders, %v", len(all), err)
		}
		var fwd []string
		q := gateway.OrderQuery{Limit: 7}
		for {
			page, err := e.pages.ListOrders(context.Background(), e.demo, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page {
				fwd = append(fwd, o.BillNumber)
			}
			if len(page) < 7 {
				break
			}
			q.Before = gateway.KeyOf(page[len(page)-1])
		}
		var back []string
		q = gateway.OrderQuery{Limit: 7, After: gateway.KeyOf(all[len(all)-1])}
		for {
			page, err := e.pages.ListOrders(context.Background(), e.demo, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for i := len(page) - 1; i >= 0; i-- {
				back = append(back, page[i].BillNumber)
			}
			q.After = gateway.KeyOf(page[0])
		}
		for i, o := range all {
			if fwd[i] != o.BillNumber || back[len(back)-1-i] != o.BillNumber || len(back) != 55 {
				t.Fatalf("order %d: forward %d orders, back %d", i, len(fwd), len(back))
			}
			if i == len(all)-2 {
				break // back starts after the oldest
			}
		}
		// EachOrder reads the same orders in batches.
		var each []string
		err = e.pages.EachOrder(context.Background(), e.demo, gateway.OrderQuery{}, 5, func(o *gateway.Order) error {
			each = append(each, o.BillNumber)
			return nil
		})
		if err != nil || strings.Join(each, ",") != strings.Join(fwd, ",") {
			t.Fatalf("EachOrder: %d orders, %v", len(each), err)
		}
		// Following prev from the second page returns to the full first page.
		first := b.get("/monitor/orders")
		second := b.get(html.UnescapeString(attrOf(tag(first.Body, "next"), "href")))
		third := b.get(html.UnescapeString(attrOf(tag(second.Body, "prev"), "href")))
		if strings.Join(rows(third.Body), ",") != strings.Join(rows(first.Body), ",") {
			t.Fatal("prev from the second page is not the first page")
		}
	})
	t.Run("filters", func(t *testing.T) {
		for q, want := range map[string]int{
			"ordernumber=mon-07":                 1,
			"ordernumber=mon-07&state=Approved":  0,
			"ordernumber=mon-07&state=Delayed":   1,
			"state=Declined":                     1,
			"state=Nonsense":                     50, // ignored
			"from=2026-03-01&to=2026-03-01":      50,
			"from=01.03.2026&to=01.03.2026":      50,
			"from=2026-03-02":                    0,
			"to=2026-02-28":                      0,
			"from=yesterday":                     50, // ignored
			"ordernumber=theirs":                 0,
			"ordernumber=mon-07&to=not-a-date-x": 1,
		} {
			if got := rows(b.get("/monitor/orders?" + q).Body); len(got) != want {
				t.Errorf("%s: %d rows, want %d", q, len(got), want)
			}
		}
		page := b.get("/monitor/orders?ordernumber=mon-07&state=Delayed&from=2026-03-01")
		if inputValue(t, page.Body, "ordernumber") != "mon-07" || inputValue(t, page.Body, "from") != "2026-03-01" ||
			!strings.Contains(page.Body, `<option value="Delayed" selected>`) {
			t.Fatal("the filter form does not keep the filters")
		}
		if csv := attrOf(tag(page.Body, "csv"), "href"); csv != "/monitor/orders.csv?from=2026-03-01&ordernumber=mon-07&state=Delayed" {
			t.Fatalf("CSV link %q", csv)
		}
		if empty := b.get("/monitor/orders?ordernumber=none"); !strings.Contains(empty.Body, `class="empty"`) {
			t.Fatal("an empty selection does not say so")
		}
	})
	t.Run("CSV", func(t *testing.T) {
		res := b.get("/monitor/orders.csv?state=Delayed")
		if res.Status != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			res.Header.Get("Content-Disposition") != `attachment; filename="orders.csv"` {
			t.Fatalf("CSV: %d %v", res.Status, res.Header)
		}
		checkHeaders(t, res, true)
		recs := readCSV(t, res.Body)
		if len(recs) != 56 || strings.Join(recs[0][:6], ";") != "ordernumber;billnumber;orderdate;orderamount;ordercurrency;orderstate" {
			t.Fatalf("CSV: %d records, header %v", len(recs), recs[0])
		}
		if r := recs[1]; r[0] != "mon-54" || r[3] != "100.00" || r[5] != "Delayed" || r[6] != "411111******1111" || r[7] != "VISA" || r[8] != "IVAN IVANOV" {
			t.Fatalf("first record %v", r)
		}
		all := readCSV(t, b.get("/monitor/orders.csv").Body)
		if len(all) != 57 || strings.Contains(b.get("/monitor/orders.csv").Body, theirs) {
			t.Fatalf("the whole selection: %d records, or another merchant's order", len(all))
		}
		for _, r := range all {
			if r[0] == "formula" && r[12] != `'=HYPERLINK("http://evil.example")` {
				t.Fatalf("a shop's comment is exported as a formula: %q", r[12])
			}
		}
	})
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(body))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return recs
}

// attrOf returns an attribute of a tag, unescaped.
func attrOf(tag, name string) string {
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func TestMonitor_OrderDetailAndActions(t *testing.T) {
	e := newEnv(t)
	theirs := seed(t, e, 2)
	bill := e.order(t, e.demo, "mon-01").Order.BillNumber
	b := e.browser()
	b.signIn("demo_login", "demo_password1")
	detail := b.get("/monitor/orders/" + bill)
	checkHeaders(t, detail, true)
	if detail.Status != 200 || textOf(t, detail.Body, "billnumber") != bill || textOf(t, detail.Body, "ordernumber") != "mon-01" ||
		stateOf(t, detail.Body, "orderstate") != "Delayed" || !strings.Contains(detail.Body, `data-operation="`+bill+`.1"`) {
		t.Fatalf("detail: %d\n%s", detail.Status, detail.Body)
	}
	if !hasID(detail.Body, "confirm") || !hasID(detail.Body, "cancel") || hasID(detail.Body, "flash") || hasID(detail.Body, "replay") {
		t.Fatal("a Delayed order has #confirm and #cancel, no flash, no notifications")
	}
	csrf := inputValue(t, detail.Body, "csrf")
	nonce := inputValue(t, detail.Body, "nonce")
	action := "/monitor/orders/" + bill + "/confirm"

	t.Run("CSRF", func(t *testing.T) {
		for _, form := range []url.Values{{"amount": {"40"}}, {"csrf": {"forged"}, "amount": {"40"}}} {
			if res := b.post(action, form); res.Status != http.StatusForbidden {
				t.Fatalf("confirm without a valid token: %d", res.Status)
			}
		}
		// Another session's token is not this session's.
		o := e.browser()
		o.signIn("demo_login", "demo_password1")
		if res := o.post(action, url.Values{"csrf": {csrf}}); res.Status != http.StatusForbidden {
			t.Fatalf("another session's token: %d", res.Status)
		}
		if d := e.order(t, e.demo, "mon-01"); d.Order.State != gateway.StateDelayed {
			t.Fatalf("a refused form changed the order: %s", d.Order.State)
		}
	})
	t.Run("another merchant's order", func(t *testing.T) {
		for _, p := range []string{"/monitor/orders/" + theirs, "/monitor/orders/" + theirs + ".1", "/monitor/orders/not-a-bill"} {
			if res := b.get(p); res.Status != http.StatusNotFound {
				t.Errorf("GET %s: %d", p, res.Status)
			}
		}
		for _, a := range []string{"confirm", "cancel", "replay"} {
			if res := b.post("/monitor/orders/"+theirs+"/"+a, url.Values{"csrf": {csrf}, "nonce": {"t-" + a}, "notification": {"1"}}); res.Status != http.StatusNotFound {
				t.Errorf("%s of theirs: %d", a, res.Status)
			}
		}
		if d := e.order(t, e.signed, "theirs"); d.Order.State != gateway.StateApproved || len(d.Ops) != 1 {
			t.Fatalf("their order changed: %s, %d operations", d.Order.State, len(d.Ops))
		}
		if res := b.post("/monitor/orders/"+bill+"/destroy", url.Values{"csrf": {csrf}}); res.Status != http.StatusNotFound {
			t.Errorf("unknown action: %d", res.Status)
		}
	})
	t.Run("partial confirm, twice from one form", func(t *testing.T) {
		form := url.Values{"csrf": {csrf}, "nonce": {nonce}, "amount": {"40,00"}}
		for i := range 2 {
			if res := b.post(action, form); res.Status != http.StatusSeeOther || res.Location() != "/monitor/orders/"+bill {
				t.Fatalf("confirm %d: %d %q", i, res.Status, res.Location())
			}
		}
		d := e.order(t, e.demo, "mon-01")
		if d.Order.State != gateway.StatePartialDelayed || d.Order.Captured != 4000 || len(d.Ops) != 2 {
			t.Fatalf("after a repeated confirm: %s captured %v, %d operations", d.Order.State, d.Order.Captured, len(d.Ops))
		}
		after := b.get("/monitor/orders/" + bill)
		if fl := textOf(t, after.Body, "flash"); !strings.Contains(fl, "повтор") {
			t.Fatalf("#flash after the repeat = %q", fl)
		}
		if hasID(b.get("/monitor/orders/"+bill).Body, "flash") {
			t.Fatal("the flash is shown once only")
		}
	})
	t.Run("confirm the rest, then a partial refund", func(t *testing.T) {
		b.post(action, url.Values{"csrf": {csrf}, "nonce": {"n2"}})
		if fl := textOf(t, b.get("/monitor/orders/"+bill).Body, "flash"); !strings.Contains(fl, bill+".3") || !strings.Contains(fl, "→ Оплачен") || strings.Contains(fl, "Approved") {
			t.Fatalf("#flash after confirm = %q", fl)
		}
		cancel := url.Values{"csrf": {csrf}, "nonce": {"n3"}, "amount": {"10"}}
		b.post("/monitor/orders/"+bill+"/cancel", cancel)
		b.post("/monitor/orders/"+bill+"/cancel", cancel) // the same form again: one refund
		page := b.get("/monitor/orders/" + bill)
		if fl := textOf(t, page.Body, "flash"); !strings.Contains(fl, "Возвращён частично") {
			t.Fatalf("#flash after refund = %q", fl)
		}
		d := e.order(t, e.demo, "mon-01")
		if d.Order.State != gateway.StatePartialCanceled || d.Order.Refunded != 1000 || len(d.Ops) != 4 {
			t.Fatalf("after the refund: %s refunded %v, %d operations", d.Order.State, d.Order.Refunded, len(d.Ops))
		}
		if hasID(page.Body, "confirm") || !hasID(page.Body, "cancel") || textOf(t, page.Body, "refunded") != "10,00\u00a0₽" {
			t.Fatal("an Approved order with a refund can still be refunded, not confirmed")
		}
	})
	t.Run("a refused action shows its code", func(t *testing.T) {
		b.post("/monitor/orders/"+bill+"/cancel", url.Values{"csrf": {csrf}, "nonce": {"n4"}, "amount": {"1000"}})
		fl := b.get("/monitor/orders/" + bill)
		if got := textOf(t, fl.Body, "flash"); !strings.Contains(got, "10/203") || !strings.Contains(tag(fl.Body, "flash"), "alert-error") {
			t.Fatalf("#flash = %q", got)
		}
		if d := e.order(t, e.demo, "mon-01"); d.Order.Refunded != 1000 {
			t.Fatalf("a refused refund moved money: %v", d.Order.Refunded)
		}
	})
	t.Run("English", func(t *testing.T) {
		b.get("/monitor/lang?to=EN&next=/monitor/orders")
		page := b.get("/monitor/orders/" + bill)
		if !strings.Contains(page.Body, `<html lang="en">`) || !strings.Contains(page.Body, "Left to refund") {
			t.Fatal("the order page is not in English")
		}
	})
}

// receiver answers notifications with a refusal (kept, replayable) and counts them.
type receiver struct {
	*httptest.Server
	n atomic.Int32
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.n.Add(1)
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `<pushpaymentresult firstcode="9" secondcode="1"></pushpaymentresult>`)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func TestMonitor_NotificationsAndReplay(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t)
	e.demo.Notify = gateway.NotifyConfig{URL: rc.URL, Protocol: "post", Events: map[gateway.Event]bool{gateway.EventPayment: true}}
	d := &notify.Deliverer{Store: e.g.Store, Merchants: e.g.Merchants, Clock: e.clock, Client: rc.Client(), Logger: e.g.Logger}
	ctx := context.Background()
	bill := e.silentpay(e.demo, "note-1").Order.BillNumber
	if err := d.RunDue(ctx, e.clock.Now()); err != nil || rc.n.Load() != 1 {
		t.Fatalf("delivery: %v, %d requests", err, rc.n.Load())
	}
	ns, err := e.g.OrderNotifications(ctx, e.demo, bill)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications: %v %d", err, len(ns))
	}
	id := ns[0].ID

	b := e.browser()
	b.signIn("demo_login", "demo_password1")
	detail := b.get("/monitor/orders/" + bill)
	for _, want := range []string{fmt.Sprintf(`data-notification="%d" data-state="rejected"`, id), "<td>200</td>", `data-outcome="rejected"`, "firstcode"} {
		if !strings.Contains(detail.Body, want) {
			t.Errorf("notifications: no %q", want)
		}
	}
	if !hasID(detail.Body, "replay") {
		t.Fatal("no #replay form")
	}
	csrf := inputValue(t, detail.Body, "csrf")
	replay := url.Values{"csrf": {csrf}, "nonce": {"r1"}, "notification": {fmt.Sprint(id)}}
	if res := b.post("/monitor/orders/"+bill+"/replay", replay); res.Status != http.StatusSeeOther {
		t.Fatalf("replay: %d %s", res.Status, res.Body)
	}
	if fl := textOf(t, b.get("/monitor/orders/"+bill).Body, "flash"); !strings.Contains(fl, "очередь") {
		t.Fatalf("#flash = %q", fl)
	}
	if ns, _ := e.g.OrderNotifications(ctx, e.demo, bill); ns[0].State != gateway.NotifyPending {
		t.Fatalf("after replay: %s", ns[0].State)
	}
	if err := d.RunDue(ctx, e.clock.Now()); err != nil || rc.n.Load() != 2 {
		t.Fatalf("second delivery: %v, %d requests", err, rc.n.Load())
	}
	// The same form again changes nothing; an unknown or malformed notification is 404.
	b.post("/monitor/orders/"+bill+"/replay", replay)
	if ns, _ := e.g.OrderNotifications(ctx, e.demo, bill); ns[0].State != gateway.NotifyRejected {
		t.Fatalf("a repeated replay form queued it again: %s", ns[0].State)
	}
	for _, n := range []string{"999999", "x", ""} {
		replay.Set("notification", n)
		replay.Set("nonce", "r-"+n)
		if res := b.post("/monitor/orders/"+bill+"/replay", replay); res.Status != http.StatusNotFound {
			t.Fatalf("notification %q: %d", n, res.Status)
		}
	}
	// Another order's notification through this order's form is 404 too.
	other := e.silentpay(e.demo, "note-2").Order.BillNumber
	replay.Set("notification", fmt.Sprint(id))
	replay.Set("nonce", "r-other")
	if res := b.post("/monitor/orders/"+other+"/replay", replay); res.Status != http.StatusNotFound {
		t.Fatalf("another order's notification: %d", res.Status)
	}
}
