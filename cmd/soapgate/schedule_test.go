package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"soapgate/config"
	"soapgate/gateway"
	"soapgate/processor"
)

func clockNow(t *testing.T, ts *testServer) time.Time {
	t.Helper()
	_, out := ts.admin(t, "GET", "", "tok")
	now, err := time.Parse(time.RFC3339, out["now"])
	if err != nil {
		t.Fatal(err)
	}
	return now
}

func setSchedule(t *testing.T, ts *testServer, kv ...string) (*etree.Document, string) {
	t.Helper()
	res, doc := ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", with(kv...))
	if res.Status != 200 {
		return doc, faultCodes(t, doc)
	}
	return doc, "0/0"
}

func getSchedules(t *testing.T, ts *testServer, kv ...string) []*etree.Element {
	t.Helper()
	res, doc := ts.soap(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", with(kv...))
	if res.Status != 200 {
		t.Fatalf("GetScheduledOperation: %s", res.Body)
	}
	return doc.FindElements("//GetScheduledOperationResponse/scheduledoperation")
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func field(el *etree.Element, name string) string {
	if c := el.SelectElement(name); c != nil {
		return c.Text()
	}
	return "<absent>"
}

func TestSchedule_CreateEditDeactivateList(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "sch")
	start := clockNow(t, ts).Add(time.Hour).Format("02.01.2006 15:04:05")
	doc, codes := setSchedule(t, ts, "billnumber", bill, "amount", "25.00", "currency", "RUB", "description", "Gym",
		"startdate", start, "periodlength", "1", "periodtype", "Month", "state", "Active")
	if codes != "0/0" {
		t.Fatalf("create: %s", codes)
	}
	id := text(t, doc, "//SetScheduledOperationResponse/operation")
	if text(t, doc, "//SetScheduledOperationResponse/state") != "Active" || attr(t, doc, "//SetScheduledOperationResponse", "firstcode") != "0" {
		t.Fatalf("create answer wrong")
	}
	list := getSchedules(t, ts, "operation", id)
	if len(list) != 1 {
		t.Fatalf("list = %d", len(list))
	}
	for k, want := range map[string]string{"operation": id, "billnumber": bill, "amount": "25.00", "currency": "RUB",
		"description": "Gym", "startdate": start, "periodlength": "1", "periodtype": "Month", "enddate": "",
		"state": "Active", "nextrun": start, "attempts": "0", "lastresponsecode": ""} {
		if got := field(list[0], k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// Edit: the amount changes, the rest stays.
	if _, codes := setSchedule(t, ts, "operation", id, "amount", "30.00"); codes != "0/0" {
		t.Fatalf("edit: %s", codes)
	}
	if l := getSchedules(t, ts, "billnumber", bill); len(l) != 1 || field(l[0], "amount") != "30.00" || field(l[0], "description") != "Gym" {
		t.Errorf("after edit: %v", l)
	}
	// Deactivate: no charge falls due.
	doc, _ = setSchedule(t, ts, "operation", id, "state", "Inactive")
	if text(t, doc, "//SetScheduledOperationResponse/state") != "Inactive" {
		t.Fatalf("deactivate failed")
	}
	advance(t, ts, "40d")
	if got := orderStates(t, ts, id+"-1"); got[0] != "10/201" {
		t.Errorf("an Inactive schedule charged: %v", got)
	}
	// JSON and form posts choose the operation by their fields.
	_, out := ts.json(t, "/scheduler/scheduler.cfm", with("take", "10"))
	if g, _ := out["getscheduledoperation"].(map[string]any); g == nil || len(g["scheduledoperation"].([]any)) != 1 {
		t.Errorf("JSON list = %v", out)
	}
	res := ts.form(t, "/scheduler/scheduler.cfm", with("operation", id, "state", "Active"))
	if x := parseXML(t, res.Body); text(t, x, "/result/state") != "Active" {
		t.Errorf("form reactivate = %s", res.Body)
	}
	if l := getSchedules(t, ts, "skip", "1"); len(l) != 0 {
		t.Errorf("skip 1 listed %d", len(l))
	}

	_, plain := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "sch-plain"))
	plainBill := strings.TrimSuffix(text(t, plain, "//order/billnumber"), ".1")
	base := []string{"billnumber", bill, "amount", "25.00", "startdate", start, "periodlength", "1", "periodtype", "Day"}
	for name, tc := range map[string]struct {
		kv   []string
		want string
	}{
		"no consent":     {[]string{"billnumber", plainBill}, "10/211"},
		"unknown order":  {[]string{"billnumber", "1234567890123456"}, "10/201"},
		"above max":      {[]string{"amount", "600.00"}, "10/211"},
		"other currency": {[]string{"currency", "USD"}, "10/211"},
		"end before":     {[]string{"enddate", "01.01.2001 00:00:00"}, "10/211"},
		"retrycount":     {[]string{"retrycount", "5"}, "10/211"},
		"retry window":   {[]string{"retrycount", "3", "retryperiodhours", "200"}, "10/211"},
		"periodtype":     {[]string{"periodtype", "Year"}, "5/110"},
		"startdate":      {[]string{"startdate", "tomorrow"}, "5/110"},
		"amount":         {[]string{"amount", "x"}, "5/108"},
		"state":          {[]string{"state", "Paused"}, "5/110"},
		"unknown op":     {[]string{"operation", "999999"}, "10/201"},
	} {
		kv := append(append([]string{}, base...), tc.kv...)
		if _, codes := setSchedule(t, ts, kv...); codes != tc.want {
			t.Errorf("%s: %s, want %s", name, codes, tc.want)
		}
	}
	// Another merchant does not see the schedule.
	other := map[string]string{"merchant_id": "700002", "login": "other_login", "password": "other_password2", "operation": id}
	if res, doc := ts.soap(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", other); res.Status == 200 || faultCodes(t, doc) != "10/201" {
		t.Errorf("another merchant's schedule: %s", res.Body)
	}
	if res := getBody(t, ts.URL+"/scheduler/scheduler.cfm?wsdl"); !strings.Contains(res, "GetScheduledOperation") || !strings.Contains(res, ts.URL+"/scheduler/scheduler.cfm") {
		t.Errorf("WSDL not served with the client's address")
	}
}

func TestSchedule_DailyAfterThreeDayJump(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "daily")
	start := clockNow(t, ts).Add(time.Hour)
	doc, codes := setSchedule(t, ts, "billnumber", bill, "amount", "15.00", "description", "Daily box",
		"startdate", start.Format("02.01.2006 15:04:05"), "periodlength", "1", "periodtype", "Day")
	if codes != "0/0" {
		t.Fatalf("create: %s", codes)
	}
	id := text(t, doc, "//operation")
	advance(t, ts, "72h")
	for n, want := range map[string]string{"1": "Approved", "2": "Approved", "3": "Approved", "4": "10/201"} {
		if got := orderStates(t, ts, id+"-"+n); len(got) != 1 || got[0] != want {
			t.Errorf("occurrence %s: %v, want one %s", n, got, want)
		}
	}
	_, res := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", with("ordernumber", id+"-2", "startyear", "2000", "endyear", "2200"))
	if text(t, res, "//order/ordercomment") != "Daily box" || text(t, res, "//operation/operationtype") != "400" {
		t.Errorf("scheduled charge: comment %q, operationtype %q", text(t, res, "//order/ordercomment"), text(t, res, "//operation/operationtype"))
	}
	l := getSchedules(t, ts, "operation", id)
	if field(l[0], "attempts") != "3" || field(l[0], "lastresponsecode") != "AS000" ||
		field(l[0], "nextrun") != start.AddDate(0, 0, 3).Format("02.01.2006 15:04:05") {
		t.Errorf("after the jump: attempts %s, last %s, nextrun %s", field(l[0], "attempts"), field(l[0], "lastresponsecode"), field(l[0], "nextrun"))
	}
	// The end date finishes it.
	setSchedule(t, ts, "operation", id, "enddate", start.AddDate(0, 0, 4).Format("02.01.2006 15:04:05"))
	advance(t, ts, "72h")
	l = getSchedules(t, ts, "operation", id)
	if field(l[0], "state") != "Finished" || field(l[0], "attempts") != "5" {
		t.Errorf("past the end date: state %s, attempts %s", field(l[0], "state"), field(l[0], "attempts"))
	}
}

func TestSchedule_Card341RecoversAndStops(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "s341", "cardnumber", "4000000000000341")
	start := clockNow(t, ts).Add(time.Hour)
	doc, _ := setSchedule(t, ts, "billnumber", bill, "amount", "20.00", "startdate", start.Format("02.01.2006 15:04:05"),
		"periodlength", "1", "periodtype", "Week", "retrycount", "3", "retryperiodhours", "2")
	id := text(t, doc, "//operation")
	advance(t, ts, "1h") // the first attempt declines 51; retries follow 2 and 4 hours later
	if got := orderStates(t, ts, id+"-1"); strings.Join(got, ",") != "Declined" {
		t.Fatalf("first attempt: %v", got)
	}
	advance(t, ts, "4h")
	if got := orderStates(t, ts, id+"-1"); strings.Join(got, ",") != "Declined,Declined,Approved" {
		t.Fatalf("retries: %v", got)
	}
	advance(t, ts, "7d")
	if got := orderStates(t, ts, id+"-2"); strings.Join(got, ",") != "Declined,Declined,Approved" {
		t.Errorf("second week: %v", got)
	}
	l := getSchedules(t, ts, "operation", id)
	if field(l[0], "state") != "Active" || field(l[0], "attempts") != "6" || field(l[0], "lastresponsecode") != "AS000" {
		t.Errorf("schedule: %s %s %s", field(l[0], "state"), field(l[0], "attempts"), field(l[0], "lastresponsecode"))
	}
	// A hard decline stops the series, and with it the schedule: the card declines the first two
	// merchant-initiated attempts (soft, counted), then an amount ending in 54 declines hard.
	rp(t, ts, bill, "s341-a", "20.00")
	rp(t, ts, bill, "s341-b", "20.00")
	if doc, _ := rp(t, ts, bill, "s341-hard", "20.54"); text(t, doc, "//order/recurringstate") != "Stopped" {
		t.Errorf("hard decline left the series %s", text(t, doc, "//order/recurringstate"))
	}
	if l = getSchedules(t, ts, "operation", id); field(l[0], "state") != "Stopped" {
		t.Errorf("after a hard decline the schedule is %s", field(l[0], "state"))
	}
	advance(t, ts, "7d")
	if got := orderStates(t, ts, id+"-3"); got[0] != "10/201" {
		t.Errorf("a stopped schedule charged: %v", got)
	}
}

// failingProcessor loses the connection on every authorisation, as a crash right after the
// claim would: the charge is committed In Process and nothing more.
type failingProcessor struct{ processor.Test }

func (failingProcessor) Authorize(context.Context, gateway.AuthRequest) (gateway.AuthResult, error) {
	return gateway.AuthResult{}, errors.New("connection lost")
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

func TestSchedule_RestartMidRunChargesNothingTwice(t *testing.T) {
	ts := startRecurring(t)
	bill, _ := seriesPay(t, ts, "crash")
	start := clockNow(t, ts).Add(time.Hour)
	doc, _ := setSchedule(t, ts, "billnumber", bill, "amount", "12.00", "startdate", start.Format("02.01.2006 15:04:05"),
		"periodlength", "1", "periodtype", "Day")
	id := text(t, doc, "//operation")
	ts.Stop()

	// A due run that dies after claiming the first occurrence.
	db := openTestStore(t, ts)
	cfg, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	merchants, err := cfg.BuildMerchants()
	if err != nil {
		t.Fatal(err)
	}
	g := &gateway.Gateway{Store: db, Processor: failingProcessor{}, Clock: fixedClock(start), Merchants: merchants, Jobs: &gateway.Jobs{}}
	if err := g.RunSchedules(context.Background(), start); err == nil {
		t.Fatal("the interrupted run reported no error")
	}
	db.Close()

	ts = startRecurringAt(t, ts.DBPath)
	if got := orderStates(t, ts, id+"-1"); strings.Join(got, ",") != "Approved" {
		t.Fatalf("the interrupted charge after restart: %v", got)
	}
	advance(t, ts, "72h") // occurrences 2 and 3 fall due; 1 must not be charged again
	for n, want := range map[string]string{"1": "Approved", "2": "Approved", "3": "Approved", "4": "10/201"} {
		if got := orderStates(t, ts, id+"-"+n); strings.Join(got, ",") != want {
			t.Errorf("occurrence %s: %v, want %s", n, got, want)
		}
	}
	if l := getSchedules(t, ts, "operation", id); field(l[0], "attempts") != "3" {
		t.Errorf("attempts = %s, want 3", field(l[0], "attempts"))
	}
}
