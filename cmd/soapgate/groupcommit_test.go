package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"soapgate/gateway"
	"soapgate/store"
)

var (
	reBill  = regexp.MustCompile(`<billnumber>(\d{16})`)
	reState = regexp.MustCompile(`<orderstate>([^<]+)</orderstate>`)
)

// TestGroupCommit_AnsweredWritesSurviveKill9: payments, confirms and cancels from many
// clients at once share commits, and each is answered only after the commit that holds it.
// The server is killed (SIGKILL) while requests are in flight; every state a client was
// told before the kill is in the database afterwards. (The fsync itself is the database's
// synchronous=FULL, which store.Open verifies.)
func TestGroupCommit_AnsweredWritesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	dbPath := filepath.Join(t.TempDir(), "gc.db")
	p := startProcess(t, writeConfig(t, ""), "SOAPGATE_DATABASE_PATH="+dbPath)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	post := func(path, op string, params map[string]string) (string, error) {
		res, err := client.Post(p.url+path, "text/xml", strings.NewReader(envelope(op, params)))
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %s", res.StatusCode, b)
		}
		return string(b), err
	}

	var mu sync.Mutex
	killed := false
	told := map[string]string{} // billnumber → the last state a client was told
	sent := map[string]string{} // billnumber → the state a confirm or cancel sent before the kill may have reached
	tell := func(bill, body string) {
		m := reState.FindStringSubmatch(body)
		if m == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !killed {
			told[bill] = m[1]
		}
	}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 24; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				num := fmt.Sprintf("gc-%d-%d", w, i)
				body, err := post("/pay/silentpay.cfm", "silentpay", card("ordernumber", num, "delay", "1"))
				if err != nil {
					return // the server is gone
				}
				m := reBill.FindStringSubmatch(body)
				if m == nil {
					t.Errorf("silentpay %s: %s", num, body)
					return
				}
				bill := m[1]
				tell(bill, body)
				path, op, next := "/charge/charge.cfm", "charge", "Approved"
				if i%2 == 1 {
					path, op, next = "/cancel/wscancel.cfm", "WSCancelRequestParams", "Canceled"
				}
				mu.Lock()
				sent[bill] = next
				mu.Unlock()
				if body, err = post(path, op, with("billnumber", bill)); err != nil {
					return
				}
				tell(bill, body)
				mu.Lock()
				n := len(told)
				mu.Unlock()
				if n >= 150 {
					once.Do(func() { close(enough) })
				}
			}
		}(w)
	}
	<-enough
	mu.Lock()
	killed = true // answers read from now on do not count: they may arrive after the kill
	p.cmd.Process.Kill()
	mu.Unlock()
	wg.Wait()
	p.cmd.Wait()

	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(context.Background(), func(tx gateway.Tx) error {
		for bill, want := range told {
			o, err := tx.OrderByBill("700001", bill)
			if err != nil {
				return fmt.Errorf("order %s, answered %s: %w", bill, want, err)
			}
			// A confirm or cancel in flight at the kill may have committed unanswered.
			if got := string(o.State); got != want && got != sent[bill] {
				t.Errorf("order %s: answered %s, stored %s", bill, want, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d answered orders checked after SIGKILL", len(told))
}
