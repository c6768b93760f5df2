package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestBackup_WhilePaying backs the database up while payments run, then checks the copy: it
// passes integrity_check, holds every payment acknowledged before the backup began, and a
// server restored from it answers for them.
func TestBackup_WhilePaying(t *testing.T) {
	sqliteOnly(t)
	ts := startServer(t)
	var (
		mu    sync.Mutex
		acked []string
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		fails = make(chan string, 8)
	)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				on := fmt.Sprintf("bk-%d-%d", w, i)
				v := url.Values{}
				for k, val := range card("ordernumber", on) {
					v.Set(k, val)
				}
				res, err := http.PostForm(ts.URL+"/pay/silentpay.cfm", v)
				if err != nil {
					fails <- err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if !strings.Contains(string(b), `firstcode="0"`) || !strings.Contains(string(b), "<orderstate>Approved</orderstate>") {
					fails <- string(b)
					return
				}
				mu.Lock()
				acked = append(acked, on)
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitFor(t, "payments to be acknowledged", func() bool { return count() >= 40 })

	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	to := filepath.Join(t.TempDir(), "backup.db")
	out, err := runCLI(t, "backup", "--config", testConfig, "--to", to)
	if err != nil {
		t.Fatalf("backup while paying: %v\n%s", err, out)
	}
	if !strings.Contains(out, "integrity ok") {
		t.Errorf("backup output: %q", out)
	}
	after := count()
	waitFor(t, "payments to go on after the backup", func() bool { return count() > after+8 })
	close(stop)
	wg.Wait()
	select {
	case f := <-fails:
		t.Fatalf("a payment failed during the backup: %s", f)
	default:
	}

	db, err := sql.Open("sqlite3", "file:"+to+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var integrity string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check = %q, %v", integrity, err)
	}
	rows, err := db.Query("SELECT ordernumber, state FROM orders WHERE merchant_id = '700001'")
	if err != nil {
		t.Fatal(err)
	}
	inCopy := map[string]string{}
	for rows.Next() {
		var on, state string
		if err := rows.Scan(&on, &state); err != nil {
			t.Fatal(err)
		}
		inCopy[on] = state
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, on := range before {
		if inCopy[on] != "Approved" {
			t.Errorf("payment %s was acknowledged Approved before the backup; in the copy: %q", on, inCopy[on])
		}
	}
	t.Logf("%d payments acknowledged before the backup, %d orders in the copy, %d acknowledged in all", len(before), len(inCopy), count())

	// Restore as README says: the copy in place of database.path, then serve.
	ts.Stop()
	restored := filepath.Join(t.TempDir(), "restored.db")
	b, err := os.ReadFile(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ts2 := startServerAt(t, restored)
	_, doc := ts2.soap(t, "/orderstate/orderstate.cfm", "orderstate", with("ordernumber", before[len(before)-1]))
	if got := text(t, doc, "//orderstate"); got != "Approved" {
		t.Fatalf("restored server: orderstate of %s = %q", before[len(before)-1], got)
	}
}

func TestBackup_Refuses(t *testing.T) {
	sqliteOnly(t)
	ts := startServer(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	os.WriteFile(existing, []byte("keep me"), 0o600)
	if _, err := runCLI(t, "backup", "--config", testConfig, "--to", existing); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: err=%v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Fatal("backup overwrote an existing file")
	}
	if _, err := runCLI(t, "backup", "--config", testConfig); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Fatalf("backup without --to: err=%v", err)
	}
	// A database that does not exist is an error, not an empty backup.
	t.Setenv("SOAPGATE_DATABASE_PATH", filepath.Join(dir, "missing.db"))
	to := filepath.Join(dir, "b.db")
	if _, err := runCLI(t, "backup", "--config", testConfig, "--to", to); err == nil {
		t.Fatal("backup of a missing database succeeded")
	}
	if _, err := os.Stat(to); err == nil {
		t.Error("a failed backup left a file")
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("backup created the missing database")
	}
	ts.Stop()
}
