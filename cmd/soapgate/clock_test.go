package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (ts *testServer) admin(t testing.TB, method, body, token string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+"/admin/clock", strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]string
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func TestAdminClock(t *testing.T) {
	if ts := startServer(t); true {
		if code, _ := ts.admin(t, "GET", "", "tok"); code != 404 {
			t.Fatalf("real clock: /admin/clock answered %d, want 404", code)
		}
		ts.Stop()
	}
	t.Setenv("SOAPGATE_CLOCK", "test")
	t.Setenv("SOAPGATE_ADMIN_TOKEN", "tok")
	ts := startServer(t)
	if code, _ := ts.admin(t, "GET", "", "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	_, out := ts.admin(t, "GET", "", "tok")
	start, err := time.Parse(time.RFC3339, out["now"])
	if err != nil || time.Since(start) > time.Minute {
		t.Fatalf("clock starts at %v (%v)", out["now"], err)
	}
	// Once the real clock shows a later second than the test clock did, a clock that moved on
	// its own would read later too.
	waitFor(t, "the real clock to pass the test clock's second", func() bool {
		return time.Now().Truncate(time.Second).After(start)
	})
	if _, again := ts.admin(t, "GET", "", "tok"); again["now"] != out["now"] {
		t.Fatalf("test clock moved on its own: %s → %s", out["now"], again["now"])
	}
	code, out := ts.admin(t, "POST", `{"advance":"72h"}`, "tok")
	if code != 200 || out["now"] != start.Add(72*time.Hour).Format(time.RFC3339) {
		t.Fatalf("advance: %d %v", code, out)
	}
	code, out = ts.admin(t, "POST", `{"set":"2030-01-01T00:00:00Z"}`, "tok")
	if code != 200 || out["now"] != "2030-01-01T00:00:00Z" {
		t.Fatalf("set: %d %v", code, out)
	}
	for _, bad := range []string{`{"advance":"soon"}`, `{"set":"2020-01-01T00:00:00Z"}`, `{}`, `nope`} {
		if code, _ := ts.admin(t, "POST", bad, "tok"); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	// Orders are dated by the test clock, and a restart resumes it where it stood.
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "clk-1"))
	if got := text(t, doc, "//order/orderdate"); got != "01.01.2030 00:00:00" {
		t.Fatalf("orderdate on the test clock = %s", got)
	}
	ts.Stop()
	ts = startServerAt(t, ts.DBPath)
	if _, out := ts.admin(t, "GET", "", "tok"); out["now"] != "2030-01-01T00:00:00Z" {
		t.Fatalf("after restart the clock is %v", out)
	}
}
