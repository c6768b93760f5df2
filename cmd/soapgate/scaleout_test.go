package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"soapgate/gateway"
	"soapgate/internal/pgtest"
)

// Two gateway processes on one PostgreSQL database (two Apps in this test process, each
// with its own store, pool and in-process order locks, as two processes would have) take
// the same requests at the same moment. The database is all they share, and it is what
// keeps the amounts: the in-process locks of one do not see the other's requests.

func startTwoOnPostgres(t *testing.T) (a, b *testServer) {
	t.Helper()
	if !pgtest.Postgres() {
		t.Skip("several processes need PostgreSQL: this test runs in the PostgreSQL pass (SOAPGATE_TEST_STORE=postgres; make test)")
	}
	path := filepath.Join(t.TempDir(), "shared.db") // names one PostgreSQL database for both
	return startServerAt(t, path), startServerAt(t, path)
}

// both sends n requests at once, alternating between the two servers, and returns the answers.
func both(t *testing.T, servers [2]*testServer, n int, path, op string, params func(i int) map[string]string) []string {
	t.Helper()
	answers := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := servers[i%2].post(t, path, "text/xml", envelope(op, params(i)))
			answers[i] = answerOf(res.Body)
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// moved sums the amounts of the order's successful operations after the payment, and counts them.
func moved(t *testing.T, ts *testServer, bill string) (sum gateway.Amount, n int) {
	t.Helper()
	_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	for _, op := range doc.FindElements("//operation") {
		if op.FindElement("billnumber").Text() == bill+".1" || op.FindElement("operationstate").Text() != "Success" {
			continue
		}
		a, ok := gateway.ParseAmount(op.FindElement("amount").Text())
		if !ok {
			t.Fatalf("operation amount %q", op.FindElement("amount").Text())
		}
		sum += a
		n++
	}
	return sum, n
}

func pay(t *testing.T, ts *testServer, kv ...string) string {
	t.Helper()
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card(kv...))
	if s := text(t, doc, "//order/orderstate"); s != "Approved" && s != "Delayed" {
		t.Fatalf("payment %v is %s", kv, s)
	}
	return strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
}

// storedAmounts reads what the database holds for the order.
func storedAmounts(t *testing.T, ts *testServer, bill string) (captured, refunded int64) {
	t.Helper()
	db := openRawDB(t, ts)
	if err := db.QueryRow(`SELECT captured, refunded FROM orders WHERE billnumber = '`+bill+`'`).Scan(&captured, &refunded); err != nil {
		t.Fatal(err)
	}
	return captured, refunded
}

func count(answers []string, prefix string) int {
	n := 0
	for _, a := range answers {
		if strings.HasPrefix(a, prefix) {
			n++
		}
	}
	return n
}

// TestScaleOut_ConcurrentConfirmsNeverExceedTheAmount: ten confirms of 30.00 on a 100.00
// authorisation, five to each process at once: three are made, the rest refused (10/203).
func TestScaleOut_ConcurrentConfirmsNeverExceedTheAmount(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	bill := pay(t, a, "ordernumber", "so-confirm", "delay", "1")
	answers := both(t, [2]*testServer{a, b}, 10, "/charge/charge.cfm", "charge", func(int) map[string]string {
		return with("billnumber", bill, "amount", "30.00", "currency", "RUB")
	})
	made := count(answers, "PartialDelayed ") + count(answers, "Approved ")
	if refused := count(answers, "10/203"); made != 3 || refused != 7 {
		t.Fatalf("confirms made %d, refused %d, want 3 and 7: %v", made, refused, answers)
	}
	if sum, n := moved(t, b, bill); sum != 9000 || n != 3 {
		t.Fatalf("successful confirms: %d of %d total, want 3 of 90.00", n, sum)
	}
	if c, r := storedAmounts(t, a, bill); c != 9000 || r != 0 {
		t.Fatalf("stored captured %d refunded %d, want 9000 and 0", c, r)
	}
}

// TestScaleOut_ConcurrentPartialRefundsNeverExceedTheCharge: ten refunds of 30.00 of a
// 100.00 charge sent to both processes at once make three.
func TestScaleOut_ConcurrentPartialRefundsNeverExceedTheCharge(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	bill := pay(t, b, "ordernumber", "so-refund")
	answers := both(t, [2]*testServer{a, b}, 10, "/cancel/wscancel.cfm", "WSCancelRequestParams", func(int) map[string]string {
		return with("billnumber", bill, "amount", "30.00", "currency", "RUB")
	})
	if made, refused := count(answers, "PartialCanceled "), count(answers, "10/203"); made != 3 || refused != 7 {
		t.Fatalf("refunds made %d, refused %d, want 3 and 7: %v", made, refused, answers)
	}
	if sum, n := moved(t, a, bill); sum != 9000 || n != 3 {
		t.Fatalf("successful refunds: %d of %d total, want 3 of 90.00", n, sum)
	}
	if c, r := storedAmounts(t, b, bill); c != 10000 || r != 9000 {
		t.Fatalf("stored captured %d refunded %d, want 10000 and 9000", c, r)
	}
}

// TestScaleOut_SameExternalRefundIDMakesOneRefund: the same externalrefundid sent eight
// times, four to each process at once, refunds once; every answer names that one refund.
func TestScaleOut_SameExternalRefundIDMakesOneRefund(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	bill := pay(t, a, "ordernumber", "so-extid")
	answers := both(t, [2]*testServer{a, b}, 8, "/cancel/wscancel.cfm", "WSCancelRequestParams", func(int) map[string]string {
		return with("billnumber", bill, "amount", "10.00", "currency", "RUB", "externalrefundid", "refund-1")
	})
	for _, ans := range answers {
		// A repeat that arrives while the refund is in flight answers it In Process.
		if !strings.HasSuffix(ans, " "+bill+".2") {
			t.Fatalf("answers %v: each must name the one refund %s.2", answers, bill)
		}
	}
	if sum, n := moved(t, b, bill); sum != 1000 || n != 1 {
		t.Fatalf("successful refunds: %d of %d total, want one of 10.00", n, sum)
	}
	_, doc := a.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("billnumber", bill))
	if ops := doc.FindElements("//operation"); len(ops) != 2 {
		t.Fatalf("%d operations, want the payment and one refund", len(ops))
	}
	if _, r := storedAmounts(t, a, bill); r != 1000 {
		t.Fatalf("stored refunded %d, want 1000", r)
	}
}

// TestScaleOut_DuplicateOrderNumberMakesOneOrder: ten payments under one ordernumber, five
// to each process at once, charge once; the others are refused as duplicates (10/204).
func TestScaleOut_DuplicateOrderNumberMakesOneOrder(t *testing.T) {
	a, b := startTwoOnPostgres(t)
	for round := range 3 {
		num := fmt.Sprintf("so-dup-%d", round)
		answers := both(t, [2]*testServer{a, b}, 10, "/pay/silentpay.cfm", "silentpay", func(int) map[string]string {
			return card("ordernumber", num)
		})
		if made, refused := count(answers, "Approved "), count(answers, "10/204"); made != 1 || refused != 9 {
			t.Fatalf("round %d: %d payments made, %d refused, want 1 and 9: %v", round, made, refused, answers)
		}
		_, doc := b.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", num))
		if orders := doc.FindElements("//order"); len(orders) != 1 {
			t.Fatalf("round %d: %d orders under the ordernumber, want 1", round, len(orders))
		}
	}
}
