package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/gateway"
)

// Fiscal receipts (54-FZ) and buyer fields (issue 11, items 5 and 9), end to end over HTTP:
// the payment calls take them, the sandbox fiscalises, the monitor's order page shows them.

// twoLines is a ChequeItems of 100.00: 60.00 at vat20 and 2 × 20.00 at vat10.
const twoLines = `{"items":[{"id":"1","product":"SKU-1","name":"Kettle","price":60.00,"quantity":1,"amount":60.00,"tax":"vat20","fpmode":4},` +
	`{"id":"2","name":"Mug","price":"20.00","quantity":"2","amount":"40.00","tax":"vat10"}]}`

type receiptLine struct{ id, price, quantity, amount, tax, fpmode string }

type shownReceipt struct {
	kind, operation, number, sign, time, total, taxation string
	lines                                                []receiptLine
}

var (
	reReceipt = regexp.MustCompile(`<div class="receipt" data-kind="([^"]*)" data-operation="([^"]*)" data-fiscal-number="([^"]*)"\s+data-fiscal-sign="([^"]*)" data-fiscal-time="([^"]*)" data-total="([^"]*)" data-taxation="([^"]*)">`)
	reLine    = regexp.MustCompile(`<tr data-line="([^"]*)" data-price="([^"]*)" data-quantity="([^"]*)" data-amount="([^"]*)" data-tax="([^"]*)" data-fpmode="([^"]*)">`)
)

// receiptsOn reads the #receipt section of the monitor's order page.
func receiptsOn(t *testing.T, w *webClient, bill string) []shownReceipt {
	t.Helper()
	res := w.get("/monitor/orders/" + bill)
	if res.Status != 200 {
		t.Fatalf("order page %s: %d", bill, res.Status)
	}
	i := strings.Index(res.Body, `id="receipt"`)
	if i < 0 {
		t.Fatalf("no #receipt on the order page:\n%s", res.Body)
	}
	sec := res.Body[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	var out []shownReceipt
	parts := strings.Split(sec, `<div class="receipt"`)
	for _, p := range parts[1:] {
		m := reReceipt.FindStringSubmatch(`<div class="receipt"` + p)
		if m == nil {
			t.Fatalf("receipt not as expected:\n%s", p)
		}
		r := shownReceipt{kind: m[1], operation: m[2], number: m[3], sign: m[4], time: m[5], total: m[6], taxation: m[7]}
		for _, l := range reLine.FindAllStringSubmatch(p, -1) {
			r.lines = append(r.lines, receiptLine{l[1], l[2], l[3], l[4], l[5], l[6]})
		}
		out = append(out, r)
	}
	return out
}

// billOf is the billnumber of the last payment under an ordernumber.
func billOf(t *testing.T, ts *testServer, num string) string {
	t.Helper()
	_, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", num, "startyear", "2000", "endyear", "2200"))
	els := doc.FindElements("//order/billnumber")
	if len(els) == 0 {
		t.Fatalf("no order %s", num)
	}
	return els[len(els)-1].Text()
}

func monitor(t *testing.T, ts *testServer) *webClient {
	w := newWebClient(t, ts)
	if res := w.signIn("demo_login", "demo_password1"); res.Status != 303 {
		t.Fatalf("sign-in: %d", res.Status)
	}
	return w
}

// checkSale checks a receipt's fiscal data: its number, a ten-digit sign the sandbox derives
// from what it records, and its time.
func checkFiscal(t *testing.T, r shownReceipt, bill string, seq int, kind gateway.ReceiptKind, total gateway.Amount) {
	t.Helper()
	at, err := time.Parse("02.01.2006 15:04:05", r.time)
	if err != nil {
		t.Fatalf("fiscal time %q: %v", r.time, err)
	}
	if want := gateway.FiscalSign(bill, seq, kind, total, at); r.sign != want || len(r.sign) != 10 {
		t.Errorf("fiscal sign %q, want %q", r.sign, want)
	}
	if r.number == "" || r.number == "0" || string(kind) != r.kind || r.total != total.String() {
		t.Errorf("receipt %+v, want %s of %s", r, kind, total)
	}
}

func TestReceipt_SilentpayRefundAndPartialRefund(t *testing.T) {
	ts := startServer(t)
	res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-1", "chequeitems", twoLines, "taxationsystem", "1"))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "Approved" {
		t.Fatalf("silentpay: %s", res.Body)
	}
	bill := billOf(t, ts, "rc-1")
	w := monitor(t, ts)
	rs := receiptsOn(t, w, bill)
	if len(rs) != 1 {
		t.Fatalf("receipts after the payment: %+v", rs)
	}
	sale := rs[0]
	checkFiscal(t, sale, bill, 1, gateway.ReceiptSale, 10000)
	want := []receiptLine{{"1", "60.00", "1", "60.00", "vat20", "4"}, {"2", "20.00", "2", "40.00", "vat10", "4"}}
	if sale.operation != bill+".1" || sale.taxation != "1" || !equalLines(sale.lines, want) {
		t.Fatalf("sale receipt %+v", sale)
	}
	// A partial refund makes a refund receipt for the refunded amount: 30.00 of 100.00 is
	// 18.00 of the first line (rounded down) and the rest, 12.00, on the last one (2 × 6.00).
	res, doc = ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill, "amount", "30.00", "currency", "RUB"))
	if res.Status != 200 || text(t, doc, "//order/orderstate") != "PartialCanceled" {
		t.Fatalf("refund: %s", res.Body)
	}
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill)) // the rest: 70.00
	rs = receiptsOn(t, w, bill)
	if len(rs) != 3 {
		t.Fatalf("receipts after two refunds: %+v", rs)
	}
	checkFiscal(t, rs[1], bill, 2, gateway.ReceiptRefund, 3000)
	if !equalLines(rs[1].lines, []receiptLine{{"1", "18.00", "1", "18.00", "vat20", "4"}, {"2", "6.00", "2", "12.00", "vat10", "4"}}) ||
		rs[1].operation != bill+".2" {
		t.Fatalf("partial refund receipt %+v", rs[1])
	}
	// 70.00: 42.00 and 28.00 (2 × 14.00).
	checkFiscal(t, rs[2], bill, 3, gateway.ReceiptRefund, 7000)
	if !equalLines(rs[2].lines, []receiptLine{{"1", "42.00", "1", "42.00", "vat20", "4"}, {"2", "14.00", "2", "28.00", "vat10", "4"}}) {
		t.Fatalf("refund of the rest %+v", rs[2])
	}
	if rs[0].number == rs[1].number || rs[1].number == rs[2].number {
		t.Fatalf("fiscal document numbers repeat: %+v", rs)
	}
}

func equalLines(got, want []receiptLine) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestReceipt_TwoStageConfirmVoidAndGenerateReceiptZero(t *testing.T) {
	ts := startServer(t)
	w := monitor(t, ts)
	// Two-stage: nothing is fiscalised until money is charged; a partial confirm is a sale of
	// that part, releasing the rest makes none.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-2", "delay", "1", "chequeitems", twoLines))
	bill := billOf(t, ts, "rc-2")
	if rs := receiptsOn(t, w, bill); len(rs) != 0 {
		t.Fatalf("a Delayed payment has receipts: %+v", rs)
	}
	ts.soap(t, "/charge/charge.cfm", "charge", with("billnumber", bill, "amount", "50.00", "currency", "RUB"))
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill)) // releases the unconfirmed 50.00
	rs := receiptsOn(t, w, bill)
	if len(rs) != 1 {
		t.Fatalf("receipts after confirm and release: %+v", rs)
	}
	checkFiscal(t, rs[0], bill, 2, gateway.ReceiptSale, 5000)
	if !equalLines(rs[0].lines, []receiptLine{{"1", "30.00", "1", "30.00", "vat20", "4"}, {"2", "10.00", "2", "20.00", "vat10", "4"}}) {
		t.Fatalf("confirm receipt %+v", rs[0])
	}
	// A voided authorisation moved no money: no receipt.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-3", "delay", "1", "tax", "vat20"))
	bill = billOf(t, ts, "rc-3")
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", bill))
	if rs := receiptsOn(t, w, bill); len(rs) != 0 {
		t.Fatalf("a voided payment has receipts: %+v", rs)
	}
	// GenerateReceipt=0 forbids one, whatever else is sent; a declined payment gets none.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-4", "generatereceipt", "0", "chequeitems", twoLines))
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-5", "chequeitems", twoLines, "cardnumber", "4000000000000002"))
	for _, num := range []string{"rc-4", "rc-5"} {
		if rs := receiptsOn(t, w, billOf(t, ts, num)); len(rs) != 0 {
			t.Fatalf("%s has receipts: %+v", num, rs)
		}
	}
	// Without receipt fields nothing is fiscalised (the sandbox's default).
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-6"))
	if rs := receiptsOn(t, w, billOf(t, ts, "rc-6")); len(rs) != 0 {
		t.Fatalf("a payment without receipt fields has receipts: %+v", rs)
	}
}

func TestReceipt_TokenpayOneLineAndJSONObject(t *testing.T) {
	ts := startServer(t)
	w := monitor(t, ts)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rc-card", "customernumber", "C-7"))
	tok := text(t, doc, "//order/token")
	pt := `{"Token":"` + tok + `","CustomerNumber":"C-7"}`
	// A one-line receipt over a form post: Tax, ReceiptLine, FPMode, TaxationSystem.
	res := ts.form(t, "/pay/tokenpay.cfm", with("OrderNumber", "rc-tp1", "OrderAmount", "99.90", "Lastname", "Ivanov",
		"Firstname", "Ivan", "Email", "i@example.com", "PaymentToken", pt, "Tax", "VAT20", "ReceiptLine", "Subscription, March",
		"FPMode", "1", "TaxationSystem", "0", "Format", "3"))
	if !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
		t.Fatalf("tokenpay: %s", res.Body)
	}
	bill := billOf(t, ts, "rc-tp1")
	rs := receiptsOn(t, w, bill)
	if len(rs) != 1 || !equalLines(rs[0].lines, []receiptLine{{"1", "99.90", "1", "99.90", "vat20", "1"}}) || rs[0].taxation != "0" {
		t.Fatalf("one-line receipt %+v", rs)
	}
	checkFiscal(t, rs[0], bill, 1, gateway.ReceiptSale, 9990)
	if page := w.get("/monitor/orders/" + bill).Body; !strings.Contains(page, "Subscription, March") {
		t.Fatal("the line's name is not shown")
	}
	// A JSON body may send ChequeItems as an object (its members are not parameters: the
	// lines' "amount" does not clash with anything), with numbers as numbers.
	var items any
	json.Unmarshal([]byte(twoLines), &items)
	body, _ := json.Marshal(map[string]any{"merchant_id": "700001", "login": "demo_login", "password": "demo_password1",
		"ordernumber": "rc-tp2", "orderamount": "100", "lastname": "Ivanov", "firstname": "Ivan", "email": "i@example.com",
		"paymenttoken": pt, "chequeitems": items})
	if res := ts.post(t, "/pay/tokenpay.cfm", "application/json", string(body)); !strings.Contains(res.Body, `"orderstate":"Approved"`) {
		t.Fatalf("tokenpay JSON: %s", res.Body)
	}
	if rs := receiptsOn(t, w, billOf(t, ts, "rc-tp2")); len(rs) != 1 || len(rs[0].lines) != 2 || rs[0].lines[1].amount != "40.00" {
		t.Fatalf("receipt of the JSON tokenpay %+v", rs)
	}
}

func TestReceipt_PaymentPageAndPaymentLink(t *testing.T) {
	ts := startServer(t)
	w := monitor(t, ts)
	// order.cfm: the lines are checked when the page is created and fiscalised when the card pays.
	page := w.order("OrderNumber", "rc-page", "ChequeItems", twoLines)
	if res := w.pay(page, "4111111111111111"); res.Status != 303 && res.Status != 200 {
		t.Fatalf("pay: %d", res.Status)
	}
	rs := receiptsOn(t, w, billOf(t, ts, "rc-page"))
	if len(rs) != 1 || len(rs[0].lines) != 2 || rs[0].total != "100.00" {
		t.Fatalf("page receipt %+v", rs)
	}
	// A bad line on order.cfm is an error page naming it; nothing is written.
	res := w.post("/pay/order.cfm", url.Values{"Merchant_ID": {"700001"}, "OrderNumber": {"rc-page-bad"}, "OrderAmount": {"100.00"},
		"ChequeItems": {strings.Replace(twoLines, `"tax":"vat10"`, `"tax":"vat13"`, 1)}})
	// The page is Russian: it names the line as "позиция 2" (the field's wire name as written).
	if res.Status != 400 || !strings.Contains(res.Body, "5/110") || !strings.Contains(res.Body, "позиция 2") || ts.orderExists(t, "rc-page-bad") {
		t.Fatalf("bad tax on order.cfm: %d\n%s", res.Status, res.Body)
	}
	// payrequest.cfm (JSON, ChequeItems as a string) → the link → the card.
	body, _ := json.Marshal(with("OrderNumber", "rc-link", "OrderAmount", "100.00", "ChequeItems", twoLines, "GenerateReceipt", "1"))
	res = ts.post(t, "/pay/payrequest.cfm", "application/json", string(body))
	var link map[string]string
	if err := json.Unmarshal([]byte(res.Body), &link); err != nil || link["URL"] == "" {
		t.Fatalf("payrequest: %s", res.Body)
	}
	u, _ := url.Parse(link["URL"])
	w.pay(u.Path, "5555555555554444")
	rs = receiptsOn(t, w, billOf(t, ts, "rc-link"))
	if len(rs) != 1 || rs[0].kind != "sale" || len(rs[0].lines) != 2 {
		t.Fatalf("link receipt %+v", rs)
	}
	// payrequest refuses a bad receipt with the JSON fault, nothing written.
	body, _ = json.Marshal(with("OrderNumber", "rc-link-bad", "OrderAmount", "90.00", "ChequeItems", twoLines))
	res = ts.post(t, "/pay/payrequest.cfm", "application/json", string(body))
	if res.Status != 400 || !strings.Contains(res.Body, `"faultstring":110`) || !strings.Contains(res.Body, "sum to 100.00") || ts.orderExists(t, "rc-link-bad") {
		t.Fatalf("payrequest with lines not summing: %d %s", res.Status, res.Body)
	}
}

func TestReceipt_RecurringChargesScaleTheInitialLines(t *testing.T) {
	ts := startRecurring(t)
	w := monitor(t, ts)
	// The initial order: 70.00 + 3 × 10.00 = 100.00.
	lines := `{"items":[{"id":"a","name":"Plan","price":70,"quantity":1,"amount":70,"tax":"vat20","fpmode":4},` +
		`{"id":"b","name":"Seat","price":10,"quantity":3,"amount":30,"tax":"vat20","fpmode":4}]}`
	bill, _ := seriesPay(t, ts, "rc-series", "chequeitems", lines, "taxationsystem", "2")
	// rp of 50.00: 35.00 and 15.00 (3 × 5.00).
	if _, codes := rp(t, ts, bill, "rc-rp1", "50.00"); codes != "0/0" {
		t.Fatalf("rp: %s", codes)
	}
	rpBill := billOf(t, ts, "rc-rp1")
	rs := receiptsOn(t, w, rpBill)
	if len(rs) != 1 || rs[0].taxation != "2" ||
		!equalLines(rs[0].lines, []receiptLine{{"a", "35.00", "1", "35.00", "vat20", "4"}, {"b", "5.00", "3", "15.00", "vat20", "4"}}) {
		t.Fatalf("rp receipt %+v", rs)
	}
	checkFiscal(t, rs[0], rpBill, 1, gateway.ReceiptSale, 5000)
	// rp of 33.33: 23.33 (70 × 33.33 / 100 = 23.331, rounded down) and the remainder 10.00,
	// which divides by 3 to no kopeck: one unit of 10.00. The lines sum to the charge exactly.
	rp(t, ts, bill, "rc-rp2", "33.33")
	rs = receiptsOn(t, w, billOf(t, ts, "rc-rp2"))
	if len(rs) != 1 || !equalLines(rs[0].lines, []receiptLine{{"a", "23.33", "1", "23.33", "vat20", "4"}, {"b", "10.00", "1", "10.00", "vat20", "4"}}) {
		t.Fatalf("rp receipt of 33.33 %+v", rs)
	}
	// A refund of a recurring charge is made from its own (scaled) lines.
	ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", rpBill))
	if rs := receiptsOn(t, w, rpBill); len(rs) != 2 || rs[1].kind != "refund" || rs[1].total != "50.00" || !equalLines(rs[1].lines, rs[0].lines) {
		t.Fatalf("rp refund receipt %+v", rs)
	}
	// A scheduled charge of 20.00: 14.00 and 6.00 (3 × 2.00).
	start := clockNow(t, ts).Add(time.Hour).Format("02.01.2006 15:04:05")
	doc, codes := setSchedule(t, ts, "billnumber", bill, "amount", "20.00", "currency", "RUB", "startdate", start,
		"periodlength", "1", "periodtype", "Day")
	if codes != "0/0" {
		t.Fatalf("schedule: %s", codes)
	}
	op := text(t, doc, "//operation")
	advance(t, ts, "2h")
	rs = receiptsOn(t, w, billOf(t, ts, op+"-1"))
	if len(rs) != 1 || !equalLines(rs[0].lines, []receiptLine{{"a", "14.00", "1", "14.00", "vat20", "4"}, {"b", "2.00", "3", "6.00", "vat20", "4"}}) {
		t.Fatalf("scheduled charge receipt %+v", rs)
	}
	// A declined charge (kopecks 51) is not fiscalised.
	rp(t, ts, bill, "rc-rp3", "20.51")
	if rs := receiptsOn(t, w, billOf(t, ts, "rc-rp3")); len(rs) != 0 {
		t.Fatalf("declined rp has receipts: %+v", rs)
	}
}

// TestReceipt_Validation refuses each malformed receipt with 5/110 naming the field and the
// item, and writes nothing, on silentpay (SOAP and form) and tokenpay.
func TestReceipt_Validation(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "rv-card", "customernumber", "C-9"))
	pt := `{"Token":"` + text(t, doc, "//order/token") + `","CustomerNumber":"C-9"}`
	item := func(fields string) string { return `{"items":[` + fields + `]}` }
	ok1 := `{"id":"1","name":"A","price":"50","quantity":"1","amount":"50","tax":"vat20"}`
	for i, tc := range []struct {
		name string
		kv   []string
		want string // in the fault's message
	}{
		{"duplicate ids", []string{"chequeitems", item(ok1 + "," + ok1)}, `item 2: id "1" is also item 1's`},
		{"no product or name", []string{"chequeitems", item(`{"id":"1","price":100,"quantity":1,"amount":100,"tax":"vat20"}`)}, "item 1: product or name is required"},
		{"amount not price × quantity", []string{"chequeitems", item(`{"id":"1","name":"A","price":33.33,"quantity":3,"amount":100,"tax":"vat20"}`)}, "item 1: amount 100.00 is not price × quantity (33.33 × 3 = 99.99)"},
		{"fractional quantity off by a kopeck", []string{"chequeitems", item(`{"id":"1","name":"A","price":66.67,"quantity":1.5,"amount":100,"tax":"vat20"}`)}, "item 1: amount 100.00 is not price × quantity (66.67 × 1.5 = 100.01)"},
		{"sum differs from the order", []string{"chequeitems", item(ok1)}, "the items sum to 50.00, the order amount is 100.00"},
		{"unknown tax", []string{"chequeitems", item(ok1 + `,{"id":"2","name":"B","price":50,"quantity":1,"amount":50,"tax":"vat13"}`)}, `item 2: tax "vat13" is not a rate`},
		{"tax missing", []string{"chequeitems", item(`{"id":"1","name":"A","price":100,"quantity":1,"amount":100}`)}, "item 1: tax is missing"},
		{"fpmode out of range", []string{"chequeitems", item(`{"id":"1","name":"A","price":100,"quantity":1,"amount":100,"tax":"novat","fpmode":8}`)}, "item 1: fpmode must be 1 to 7"},
		{"id missing", []string{"chequeitems", item(`{"name":"A","price":100,"quantity":1,"amount":100,"tax":"novat"}`)}, "item 1: id is missing"},
		{"float exponent", []string{"chequeitems", item(`{"id":"1","name":"A","price":1e2,"quantity":1,"amount":100,"tax":"novat"}`)}, "item 1: price is missing or not a valid amount"},
		{"three decimals in a price", []string{"chequeitems", item(`{"id":"1","name":"A","price":"100.001","quantity":1,"amount":100,"tax":"novat"}`)}, "item 1: price"},
		{"negative quantity", []string{"chequeitems", item(`{"id":"1","name":"A","price":100,"quantity":-1,"amount":100,"tax":"novat"}`)}, "item 1: quantity"},
		{"not JSON", []string{"chequeitems", `items: 1`}, "chequeitems must be JSON"},
		{"no items", []string{"chequeitems", `{"items":[]}`}, "chequeitems has no items"},
		{"item not an object", []string{"chequeitems", `{"items":[5]}`}, "item 1 is not an object"},
		{"name with a control character", []string{"chequeitems", item(`{"id":"1","name":"A\u0007","price":100,"quantity":1,"amount":100,"tax":"novat"}`)}, "item 1: name contains control characters"},
		{"generatereceipt", []string{"generatereceipt", "2"}, "generatereceipt must be 0 or 1"},
		{"taxationsystem", []string{"tax", "vat20", "taxationsystem", "6"}, "taxationsystem must be 0 to 5"},
		{"one-line tax", []string{"tax", "vat19"}, `tax "vat19" is not a rate`},
		{"one-line without tax", []string{"receiptline", "Book"}, "tax is required for a receipt"},
		{"one-line fpmode", []string{"tax", "vat0", "fpmode", "0"}, "fpmode must be 1 to 7"},
		{"receiptline too long", []string{"tax", "vat0", "receiptline", strings.Repeat("я", 129)}, "receiptline is longer than 128 characters"},
		{"zip too long", []string{"zip", strings.Repeat("1", 17)}, "zip is longer than 16 characters"},
		{"address too long", []string{"address", strings.Repeat("a", 257)}, "address is longer than 256 characters"},
		{"city with a control character", []string{"city", "Mos\tcow"}, "city contains control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			num := "rv-" + itoa(int64(i))
			// silentpay over SOAP
			res, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card(append([]string{"ordernumber", num}, tc.kv...)...))
			if res.Status != 500 || faultCodes(t, doc) != "5/110" || !strings.Contains(res.Body, xmlText(tc.want)) {
				t.Fatalf("silentpay: %d\n%s", res.Status, res.Body)
			}
			// tokenpay over a form, answered as JSON
			p := with(append([]string{"ordernumber", num, "orderamount", "100.00", "lastname", "I", "firstname", "I",
				"email", "i@example.com", "paymenttoken", pt, "format", "5"}, tc.kv...)...)
			if res := ts.form(t, "/pay/tokenpay.cfm", p); res.Status != 400 || !strings.Contains(res.Body, `"faultstring":110`) ||
				!strings.Contains(res.Body, jsonText(tc.want)) {
				t.Fatalf("tokenpay: %d %s", res.Status, res.Body)
			}
			if ts.orderExists(t, num) {
				t.Fatal("a refused payment wrote an order")
			}
		})
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func TestBuyerFields_StoredAndShown(t *testing.T) {
	ts := startServer(t)
	w := monitor(t, ts)
	buyer := []string{"address", "ул. Тверская, д. 1, кв. 2", "homephone", "+7 495 000-00-01", "workphone", "+7 495 000-00-02",
		"fax", "+7 495 000-00-03", "country", "RUS", "state", "MOW", "city", "Москва", "zip", "125009", "mobilephone", "+7 900 000-00-00"}
	check := func(num string) {
		t.Helper()
		page := html.UnescapeString(w.get("/monitor/orders/" + billOf(t, ts, num)).Body)
		for i := 0; i+1 < len(buyer); i += 2 {
			if !strings.Contains(page, `<dd id="buyer-`+buyer[i]+`">`+buyer[i+1]+`</dd>`) {
				t.Fatalf("%s: the order page does not show %s %q", num, buyer[i], buyer[i+1])
			}
		}
	}
	// silentpay over SOAP, in capitalised names over a form
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card(append([]string{"ordernumber", "by-1"}, buyer...)...))
	check("by-1")
	form := card("ordernumber", "by-2", "customernumber", "C-3", "format", "3")
	for i := 0; i+1 < len(buyer); i += 2 {
		form[strings.ToUpper(buyer[i][:1])+buyer[i][1:]] = buyer[i+1]
	}
	if res := ts.form(t, "/pay/silentpay.cfm", form); !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
		t.Fatalf("silentpay form: %s", res.Body)
	}
	check("by-2")
	// tokenpay
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "by-card", "customernumber", "C-4"))
	p := with(append([]string{"ordernumber", "by-3", "orderamount", "10.00", "lastname", "I", "firstname", "I", "email", "i@example.com",
		"paymenttoken", `{"Token":"` + text(t, doc, "//order/token") + `","CustomerNumber":"C-4"}`}, buyer...)...)
	if res, _ := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", p); res.Status != 200 {
		t.Fatalf("tokenpay: %s", res.Body)
	}
	check("by-3")
	// order.cfm and payrequest.cfm keep them with the page's order
	kv := []string{"OrderNumber", "by-4"}
	w.order(append(kv, buyer...)...)
	check("by-4")
	body, _ := json.Marshal(with(append([]string{"OrderNumber", "by-5", "OrderAmount", "5.00"}, buyer...)...))
	if res := ts.post(t, "/pay/payrequest.cfm", "application/json", string(body)); res.Status != 200 {
		t.Fatalf("payrequest: %s", res.Body)
	}
	check("by-5")
	// a recurring charge carries the initial order's buyer
	tsr := startRecurring(t)
	wr := monitor(t, tsr)
	bill, _ := seriesPay(t, tsr, "by-series", buyer...)
	rp(t, tsr, bill, "by-rp", "20.00")
	if page := wr.get("/monitor/orders/" + billOf(t, tsr, "by-rp")).Body; !strings.Contains(page, `<dd id="buyer-city">Москва</dd>`) {
		t.Fatal("the recurring charge lost the buyer's city")
	}
	// The address keeps a textarea's line break; its other control characters are refused.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "by-6", "address", "line 1\nline 2"))
	if page := w.get("/monitor/orders/" + billOf(t, ts, "by-6")).Body; !strings.Contains(page, "line 1\nline 2") {
		t.Fatal("the address with a line break is not kept")
	}
}

// BenchmarkSilentpayReceipt_SOAP is BenchmarkSilentpay_SOAP with a two-line receipt: checked,
// kept and fiscalised with each payment. Compare the two within one run.
func BenchmarkSilentpayReceipt_SOAP(b *testing.B) {
	ts := startServer(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := envelope("silentpay", card("ordernumber", "bpr-"+itoa(n.Add(1)), "chequeitems", twoLines, "taxationsystem", "1"))
			res, err := client.Post(ts.URL+"/pay/silentpay.cfm", "text/xml", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}
