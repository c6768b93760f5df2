package main

import (
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"soapgate/internal/pgtest"
)

// TestScaleOut_ThreeProcessesKill9UnderLoad runs three gateway processes on one PostgreSQL
// database behind the test's own round-robin client, under mixed load (one- and two-stage
// payments, confirms, partial refunds, rp; notifications to a sink that fails every other
// request), and kills one with -9 in the middle. Then: every acknowledged operation is in the
// database as answered, no order holds more captured or refunded than its operations moved,
// nothing stays In Process (the survivors settled what the dead one had in flight), and every
// notification is delivered; a notification the merchant acknowledged twice was acknowledged
// first to the killed process, for an attempt it held claimed when it was killed (it died
// before it could record the acknowledgement), never by a survivor.
func TestScaleOut_ThreeProcessesKill9UnderLoad(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("several processes need PostgreSQL: this test runs in the PostgreSQL pass (SOAPGATE_TEST_STORE=postgres; make test)")
	}
	if testing.Short() {
		t.Skip("a load run with a kill and the settlement grace")
	}
	// The merchant's endpoint fails the first attempt of every notification, and every
	// seventh request besides.
	// Each process notifies at a path of its own (/p0, /p1, /p2), so the sink knows the sender.
	var sinkHits atomic.Int64
	var seenMu sync.Mutex
	seen := map[string]bool{}
	ackedTo := map[string][]string{} // notification -> the processes it was acknowledged to, in order
	var holdP1 atomic.Bool
	p1InFlight, killed := make(chan struct{}), make(chan struct{})
	heldOne := false
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f := readFields(string(body))
		key := f["billnumber"] + "/" + f["orderstate"] + "/" + f["operationtype"]
		seenMu.Lock()
		first := !seen[key]
		seen[key] = true
		seenMu.Unlock()
		if first || sinkHits.Add(1)%7 == 0 {
			http.Error(w, "flapping", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/p1" && holdP1.Load() {
			// An attempt of the process about to be killed: it stays in flight across the
			// kill, and the merchant takes it (as a merchant whose reply is lost would).
			select {
			case p1InFlight <- struct{}{}:
				<-killed
			default: // one held attempt is enough
			}
		}
		seenMu.Lock()
		ackedTo[key] = append(ackedTo[key], r.URL.Path)
		seenMu.Unlock()
		io.WriteString(w, ackOf(f))
	}))
	t.Cleanup(sink.Close)
	url := pgtest.NewDatabase(t)
	env := []string{"SOAPGATE_DATABASE_DRIVER=postgres", "SOAPGATE_DATABASE_URL=" + url}
	var procs []*process
	for i := range 3 {
		cfg := writeConfig(t, fmt.Sprintf("%s/p%d", sink.URL, i))
		fastRetries(t, cfg)
		procs = append(procs, startProcess(t, cfg, env...))
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	heldAtKill := map[string]bool{} // orders whose notifications the killed process held claimed
	var dead atomic.Int32           // index+1 of the killed process
	client := &http.Client{}
	var next atomic.Int64
	// call sends a request round-robin to a live process; ok is false when no answer came
	// (the process died under it): the operation is not acknowledged.
	call := func(path, body string) (string, bool) {
		i := next.Add(1)
		for {
			p := int(i % 3)
			if int(dead.Load()) == p+1 {
				i++
				continue
			}
			res, err := client.Post(procs[p].url+path, "text/xml", strings.NewReader(body))
			if err != nil {
				return "", false
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return answerOf(string(b)), true
		}
	}

	// Recurring series to charge with rp.
	var series []string
	for i := range 4 {
		bill, _ := seriesPay(t, &testServer{URL: procs[i%3].url}, fmt.Sprintf("ld-series-%d", i))
		series = append(series, bill)
	}

	type acked struct{ kind, answer string }
	var mu sync.Mutex
	var charged, delayed []string // billnumbers paid one-stage / two-stage
	acks := map[string]acked{}    // ordernumber or billnumber.seq -> acknowledged answer
	var sent, answered atomic.Int64
	worker := func(w int) {
		for i := range 30 {
			if w == 0 && i == 10 {
				// Mid-load: kill one process with work in flight, a notification attempt among it.
				holdP1.Store(true)
				select {
				case <-p1InFlight:
					heldOne = true
				case <-time.After(waitTimeout): // no attempt came: the kill goes on without one
				}
				dead.Store(2)
				procs[1].cmd.Process.Kill()
				procs[1].cmd.Wait()
				close(killed)
				// Its claims are still in the database (their leases run on): every attempt it
				// had in flight is among them, since an attempt starts only after its claim.
				rows, err := db.Query(`SELECT billnumber FROM notifications WHERE claim_owner LIKE $1`,
					fmt.Sprintf("%%:%d:%%", procs[1].cmd.Process.Pid))
				if err != nil {
					t.Error(err)
				} else {
					for rows.Next() {
						var bill string
						rows.Scan(&bill)
						heldAtKill[orderOf(bill)] = true
					}
					rows.Close()
				}
			}
			sent.Add(1)
			num := fmt.Sprintf("ld-%d-%d", w, i)
			mu.Lock()
			pickC := pick(charged)
			pickD := pick(delayed)
			mu.Unlock()
			var path, body, key, kind string
			switch op := i % 5; {
			case op == 0 || (op == 3 && pickC == "") || (op == 2 && pickD == ""):
				path, body, key, kind = "/pay/silentpay.cfm", envelope("silentpay", card("ordernumber", num)), num, "pay1"
			case op == 1:
				path, body, key, kind = "/pay/silentpay.cfm", envelope("silentpay", card("ordernumber", num, "delay", "1")), num, "pay2"
			case op == 2:
				path, body, kind = "/charge/charge.cfm", envelope("charge", with("billnumber", pickD, "amount", "30.00", "currency", "RUB")), "confirm"
			case op == 3:
				path, body, kind = "/cancel/wscancel.cfm", envelope("WSCancelRequestParams", with("billnumber", pickC, "amount", "20.00", "currency", "RUB")), "refund"
			default:
				path, body, key, kind = "/recurrent/rp.cfm", envelope("rp", with("billnumber", series[rand.IntN(len(series))], "ordernumber", num, "amount", "15.00", "currency", "RUB")), num, "rp"
			}
			ans, ok := call(path, body)
			if !ok {
				continue
			}
			answered.Add(1)
			state, bill, _ := strings.Cut(ans, " ")
			mu.Lock()
			switch {
			case kind == "pay1" && state == "Approved":
				charged = append(charged, strings.TrimSuffix(bill, ".1"))
			case kind == "pay2" && state == "Delayed":
				delayed = append(delayed, strings.TrimSuffix(bill, ".1"))
			}
			if bill != "" { // an order answered (not a fault)
				if key == "" {
					key = bill
				}
				acks[key] = acked{kind, state}
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); worker(w) }()
	}
	wg.Wait()
	if answered.Load() < sent.Load()/2 {
		t.Fatalf("only %d of %d requests answered", answered.Load(), sent.Load())
	}

	countOf := func(q string) int {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The survivors settle what the dead process had in flight, and deliver every notification.
	var left string
	waitLong(t, "nothing In Process and every notification delivered", func() bool {
		o := countOf(`SELECT count(*) FROM orders WHERE state = 'In Process' AND card_ref <> ''`)
		op := countOf(`SELECT count(*) FROM operations op JOIN orders o ON o.id = op.order_id
			WHERE op.state = 'In Process' AND o.card_ref <> ''`)
		n := countOf(`SELECT count(*) FROM notifications WHERE state <> 'delivered'`)
		left = fmt.Sprintf("%d orders and %d operations In Process, %d notifications not delivered", o, op, n)
		return o+op+n == 0
	}, &left)

	// Every acknowledged operation is there as answered.
	for key, a := range acks {
		var state string
		var err error
		if a.kind == "confirm" || a.kind == "refund" {
			bill, seq, _ := strings.Cut(key, ".")
			err = db.QueryRow(`SELECT op.state FROM operations op JOIN orders o ON o.id = op.order_id
				WHERE o.billnumber = $1 AND op.seq = $2`, bill, seq).Scan(&state)
			if err == nil && state != "Success" {
				t.Errorf("acknowledged %s %s (%s) is %s in the database", a.kind, key, a.answer, state)
			}
		} else {
			err = db.QueryRow(`SELECT state FROM orders WHERE ordernumber = $1`, key).Scan(&state)
			if err == nil && a.answer == "Approved" && state != "Approved" && state != "PartialCanceled" && state != "Canceled" {
				t.Errorf("acknowledged payment %s (Approved) is %s", key, state)
			}
			if err == nil && a.answer == "Delayed" && state == "Declined" {
				t.Errorf("acknowledged payment %s (Delayed) is Declined", key)
			}
		}
		if err != nil {
			t.Errorf("acknowledged %s %s (%s): %v", a.kind, key, a.answer, err)
		}
	}
	// No order holds more than its operations moved: never charged or refunded twice.
	rows, err := db.Query(`SELECT o.billnumber, o.captured, o.refunded, o.two_stage, o.state,
		coalesce(sum(op.amount) FILTER (WHERE op.type = 200 AND op.state = 'Success'), 0),
		coalesce(sum(op.amount) FILTER (WHERE op.type = 300 AND op.state = 'Success'), 0)
		FROM orders o LEFT JOIN operations op ON op.order_id = o.id GROUP BY o.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	orders := 0
	for rows.Next() {
		var bill, state string
		var captured, refunded, twoStage, confirmed, cancelled int64
		if err := rows.Scan(&bill, &captured, &refunded, &twoStage, &state, &confirmed, &cancelled); err != nil {
			t.Fatal(err)
		}
		orders++
		// The load confirms two-stage payments and refunds one-stage ones.
		if twoStage == 1 && captured != confirmed {
			t.Errorf("%s (%s): captured %d, its confirms %d", bill, state, captured, confirmed)
		}
		if twoStage == 0 && refunded != cancelled {
			t.Errorf("%s (%s): refunded %d, its refunds %d", bill, state, refunded, cancelled)
		}
	}
	if orders < 40 {
		t.Fatalf("only %d orders: the load did not run", orders)
	}
	var ordernumbersTwice int
	db.QueryRow(`SELECT count(*) FROM (SELECT ordernumber FROM orders WHERE state IN ('Approved','Delayed','PartialDelayed','PartialCanceled')
		GROUP BY merchant_id, ordernumber HAVING count(*) > 1) d`).Scan(&ordernumbersTwice)
	if ordernumbersTwice != 0 {
		t.Errorf("%d ordernumbers hold two payments", ordernumbersTwice)
	}
	// Duplicates only for attempts in flight at the kill: every acknowledgement but a
	// notification's last went to the killed process, for an order it held a claim of.
	seenMu.Lock()
	defer seenMu.Unlock()
	twice := 0
	for key, to := range ackedTo {
		if len(to) < 2 {
			continue
		}
		twice++
		for _, p := range to[:len(to)-1] {
			if bill, _, _ := strings.Cut(key, "/"); p != "/p1" || !heldAtKill[orderOf(bill)] {
				t.Errorf("notification %s acknowledged to %v: a duplicate not from an attempt in flight at the kill (claims then: %v)", key, to, heldAtKill)
			}
		}
	}
	if heldOne && twice == 0 {
		t.Error("the attempt held across the kill was acknowledged, yet no survivor sent it again")
	}
	t.Logf("%d requests, %d answered, %d orders, %d sink requests, %d notifications acknowledged twice (orders claimed by the killed process: %d; attempt held across the kill: %v)",
		sent.Load(), answered.Load(), orders, sinkHits.Load(), twice, len(heldAtKill), heldOne)
}

// orderOf is the order's billnumber of an operation's (billnumber.seq) or an order's.
func orderOf(bill string) string {
	order, _, _ := strings.Cut(bill, ".")
	return order
}

func pick(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[rand.IntN(len(s))]
}

// fastRetries makes a config's notification retries 1 s apart, for a test on the real clock.
func fastRetries(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "notify_retries: [1m, 5m, 15m, 30m, 60m, 60m, 60m]", "notify_retries: [1s, 1s, 1s, 1s, 1s, 1s, 1s]", 1)
	if s == string(b) {
		t.Fatal("testdata config has no notify_retries line to shorten")
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
