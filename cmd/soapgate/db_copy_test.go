package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"soapgate/config"
	"soapgate/internal/pgtest"
	"soapgate/notify"
)

// TestDBCopy_SQLiteToPostgres fills a SQLite database through the real server (orders with
// confirms and refunds, a recurring series with a schedule and a scheduled charge, a saved
// card, notifications with failed and successful attempts, a payment page), copies it with
// `soapgate db copy` into an empty PostgreSQL database, and finds every row of every table
// there; a gateway started on the copy answers as the original did. A second copy into the
// now non-empty target is refused.
func TestDBCopy_SQLiteToPostgres(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("needs PostgreSQL: runs in the PostgreSQL pass (SOAPGATE_TEST_STORE=postgres; make test)")
	}
	rc := newReceiver(t)
	rc.reply = func(n int, f map[string]string) (int, string) {
		if n%2 == 1 {
			return 503, "busy" // every notification's first attempt fails: attempts pile up
		}
		return 200, ackOf(f)
	}
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	srcPath := filepath.Join(t.TempDir(), "src.db")
	src := startServerWith(t, srcPath, func(c *config.Config) {
		c.Database.Driver = "sqlite" // the source is SQLite whatever the pass
		notifyTo("700001", rc.URL, "post", false)(c)
	})

	// Orders and operations: a partial confirm, a partial refund, a decline.
	_, doc := src.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cp-two", "delay", "1"))
	two := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	src.soap(t, "/charge/charge.cfm", "charge", with("billnumber", two, "amount", "40.00", "currency", "RUB"))
	_, doc = src.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cp-one"))
	one := strings.TrimSuffix(text(t, doc, "//order/billnumber"), ".1")
	src.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", with("billnumber", one, "amount", "25.00", "currency", "RUB", "externalrefundid", "r-1"))
	src.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cp-dec", "cardnumber", "4000000000000002"))
	// A recurring series with a saved card, a schedule, and its first scheduled charge.
	bill, doc := seriesPay(t, src, "cp-series", "customernumber", "C-9")
	token := text(t, doc, "//order/token")
	start := clockNow(t, src).Add(time.Hour)
	if _, codes := setSchedule(t, src, "billnumber", bill, "amount", "12.00", "startdate", start.Format("02.01.2006 15:04:05"),
		"periodlength", "1", "periodtype", "Day"); codes != "0/0" {
		t.Fatalf("SetScheduledOperation: %s", codes)
	}
	src.advance(t, "2h")
	waitFor(t, "the scheduled charge", func() bool {
		_, d := src.soap(t, "/orderresult/orderresult.cfm", "orderresult", with())
		return len(d.FindElements("//order")) >= 5
	})
	// A payment page nobody paid yet.
	if body, err := httpGet(src.URL + "/pay/order.cfm?Merchant_ID=700001&OrderNumber=cp-page&OrderAmount=5.00"); err != nil {
		t.Fatalf("payment page: %v %s", err, body)
	}
	// Every notification delivered, after a failed first attempt.
	waitFor(t, "notifications delivered", func() bool {
		var pending int
		openRawDB(t, src).QueryRow(`SELECT count(*) FROM notifications WHERE state = 'pending'`).Scan(&pending)
		if pending > 0 {
			src.advance(t, "2m")
		}
		return pending == 0
	})
	_, before := src.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "cp-one"))
	wantState := stateAnswer(t, before)
	src.Stop()

	target := pgtest.NewDatabase(t)
	out, err := runCLI(t, "db", "copy", "--from", "sqlite:"+srcPath, "--to", "postgres:"+target)
	if err != nil {
		t.Fatalf("db copy: %v\n%s", err, out)
	}
	sdb, err := sql.Open("sqlite3", srcPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	pdb, err := sql.Open("pgx", target)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	for _, table := range []string{"orders", "operations", "settings", "pay_extras", "recurring_series", "recurring_charges",
		"saved_cards", "schedules", "pages", "notifications", "notification_attempts"} {
		s, p := dump(t, sdb, table), dump(t, pdb, table)
		if len(s) == 0 {
			t.Errorf("the source has no %s: the test copies nothing of it", table)
		}
		if strings.Join(s, "\n") != strings.Join(p, "\n") {
			t.Errorf("%s differs after the copy:\nSQLite:\n%s\nPostgreSQL:\n%s", table, strings.Join(s, "\n"), strings.Join(p, "\n"))
		}
		if !strings.Contains(out, table) {
			t.Errorf("db copy did not report %s:\n%s", table, out)
		}
	}

	// A gateway on the copy answers as the original did, and new rows get fresh ids.
	t.Setenv("SOAPGATE_DATABASE_DRIVER", "postgres")
	t.Setenv("SOAPGATE_DATABASE_URL", target)
	dst := startServerWith(t, filepath.Join(t.TempDir(), "unused.db"), func(c *config.Config) {
		c.Database.Driver, c.Database.URL = "postgres", target
	})
	_, after := dst.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", "cp-one"))
	if got := stateAnswer(t, after); got != wantState {
		t.Fatalf("orderstate on the copy:\n%s\nwant\n%s", got, wantState)
	}
	if code, v := tokenCall(t, dst, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", "C-9", ""); code != 200 || !strings.Contains(fmt.Sprint(v), token) {
		t.Fatalf("saved card on the copy: %d %v", code, v)
	}
	_, doc = dst.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cp-new"))
	if s := text(t, doc, "//order/orderstate"); s != "Approved" {
		t.Fatalf("a payment on the copy is %s", s)
	}
	dst.Stop()

	if out, err := runCLI(t, "db", "copy", "--from", "sqlite:"+srcPath, "--to", "postgres:"+target); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second copy into the filled target: %v\n%s", err, out)
	}
}

func ackOf(f map[string]string) string {
	return notify.AckXML(0, 0, f["billnumber"], f["packetdate"])
}

// stateAnswer is an orderstate answer's orders, field by field, without the packet's date.
func stateAnswer(t *testing.T, doc *etree.Document) string {
	t.Helper()
	var b strings.Builder
	for _, o := range doc.FindElements("//order") {
		for _, el := range o.ChildElements() {
			if el.Tag != "packetdate" {
				fmt.Fprintf(&b, "%s=%s ", el.Tag, el.Text())
			}
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		t.Fatal("orderstate answered no order")
	}
	return b.String()
}

// dump reads a table as text lines, in primary-key order, values formatted alike for both
// databases.
func dump(t *testing.T, db *sql.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprintf("%s=%v", cols[i], v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
