package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

// TestAttack_CSVInjection: a shop's customer names itself "Ivanov,=1+1". The monitor's CSV
// export used to write it unquoted, so a spreadsheet splitting on commas read "=1+1" as a
// formula. Every cell is now quoted (RFC 4180) and guarded against formulas.
func TestAttack_CSVInjection(t *testing.T) {
	ts := startServer(t)
	for _, c := range []struct{ order, last string }{{"csv-1", "Ivanov,=1+1"}, {"csv-2", `=HYPERLINK("http://x","y")`}} {
		res := ts.form(t, "/pay/silentpay.cfm", card("ordernumber", c.order, "lastname", c.last))
		if !strings.Contains(res.Body, "<orderstate>Approved</orderstate>") {
			t.Fatalf("payment: %s", res.Body)
		}
	}
	w := newWebClient(t, ts)
	w.signIn("demo_login", "demo_password1")
	body := w.get("/monitor/orders.csv").Body
	if !strings.Contains(body, `"Ivanov,=1+1"`) {
		t.Fatalf("a cell holding a comma is not quoted:\n%s", body)
	}
	for _, line := range strings.Split(strings.TrimSpace(body), "\r\n") {
		for _, sep := range []string{";", ","} {
			r := csv.NewReader(strings.NewReader(line))
			r.Comma, r.LazyQuotes = rune(sep[0]), true
			cells, err := r.Read()
			if err != nil {
				t.Fatalf("line %q does not read with %q: %v", line, sep, err)
			}
			for _, cell := range cells {
				if strings.HasPrefix(strings.TrimSpace(cell), "=") {
					t.Fatalf("a spreadsheet splitting on %q reads a formula %q in %q", sep, cell, line)
				}
			}
		}
	}
	if !strings.Contains(body, `"'=HYPERLINK(""http://x"",""y"")"`) {
		t.Fatalf("a formula cell is not guarded and quoted:\n%s", body)
	}
}
