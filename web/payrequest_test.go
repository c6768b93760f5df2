package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"soapgate/gateway"
)

// fault is the JSON error of the payment link.
type fault struct {
	Fault struct {
		Faultcode   int    `json:"faultcode"`
		Faultstring int    `json:"faultstring"`
		Detail      string `json:"detail"`
	} `json:"fault"`
}

func TestPayRequest_CreatesALink(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	check := func(t *testing.T, res page, num string) {
		t.Helper()
		if res.Status != 200 || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("payrequest: %d %q %s", res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		checkHeaders(t, res, true)
		var out map[string]string
		if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
			t.Fatal(err)
		}
		if out["orderstate"] != "In Process" || !strings.HasPrefix(out["URL"], e.srv.URL+"/pay/order/") {
			t.Fatalf("answer %v", out)
		}
		want := e.clock.Now().Add(ttl).UTC().Format("02.01.2006 15:04:05")
		if out["expirationtime"] != want {
			t.Fatalf("expirationtime %q, want %q", out["expirationtime"], want)
		}
		link := b.get(out["URL"])
		if link.Status != 200 || textOf(t, link.Body, "ordernumber") != num || input(link.Body, "CardNumber") == "" {
			t.Fatalf("the link is not the payment page: %d\n%s", link.Status, link.Body)
		}
		if d := e.order(t, e.demo, num); d.Order.State != gateway.StateInProcess {
			t.Fatalf("order %s", d.Order.State)
		}
	}
	t.Run("form", func(t *testing.T) {
		res := b.post("/pay/payrequest.cfm", url.Values{"Merchant_ID": {demoID}, "Login": {"demo_login"}, "Password": {"demo_password1"},
			"OrderNumber": {"link-f"}, "OrderAmount": {"7,50"}, "URL_RETURN_OK": {"https://shop.example/ok"}})
		check(t, res, "link-f")
		if got := e.order(t, e.demo, "link-f").Order.Amount; got != 750 {
			t.Fatalf("amount %v", got)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		body := `{"merchant":{"merchant_id":700001,"login":"demo_login","password":"demo_password1"},"OrderNumber":"link-j","OrderAmount":12.5,"Delay":null,"TestFlag":true}`
		check(t, b.do("POST", "/pay/payrequest.cfm", "application/json", strings.NewReader(body)), "link-j")
	})
	t.Run("expires with the page", func(t *testing.T) {
		e.clock.Advance(ttl + time.Second)
		res := b.post("/pay/payrequest.cfm", url.Values{"Merchant_ID": {demoID}, "Login": {"demo_login"}, "Password": {"demo_password1"},
			"OrderNumber": {"link-late"}, "OrderAmount": {"1"}})
		var out map[string]string
		json.Unmarshal([]byte(res.Body), &out)
		if !regexp.MustCompile(`^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$`).MatchString(out["expirationtime"]) ||
			out["expirationtime"] != e.clock.Now().Add(ttl).Format("02.01.2006 15:04:05") {
			t.Fatalf("expirationtime %q", out["expirationtime"])
		}
	})
}

func TestPayRequest_Faults(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	creds := "Merchant_ID=700001&Login=demo_login&Password=demo_password1&"
	for name, tc := range map[string]struct {
		method, contentType, body string
		status, first, second     int
	}{
		"GET":            {"GET", "", "", 400, 1, 1},
		"wrong password": {"POST", "application/x-www-form-urlencoded", "Merchant_ID=700001&Login=demo_login&Password=nope&OrderNumber=x&OrderAmount=1", 401, 10, 100},
		"unknown id":     {"POST", "application/x-www-form-urlencoded", "Merchant_ID=799999&Login=demo_login&Password=demo_password1&OrderNumber=x&OrderAmount=1", 401, 10, 100},
		"no login":       {"POST", "application/x-www-form-urlencoded", "Merchant_ID=700001&OrderNumber=x&OrderAmount=1", 400, 5, 101},
		"bad amount":     {"POST", "application/x-www-form-urlencoded", creds + "OrderNumber=x&OrderAmount=-1", 400, 5, 108},
		"bad return URL": {"POST", "application/x-www-form-urlencoded", creds + "OrderNumber=x&OrderAmount=1&URL_RETURN=ftp://x/", 400, 5, 110},
		"not JSON":       {"POST", "application/json", "[1,2]", 400, 1, 1},
		"not UTF-8":      {"POST", "application/json", "{\"ordernumber\":\"\xff\"}", 400, 1, 1},
		"bad form":       {"POST", "application/x-www-form-urlencoded", "a=%zz", 400, 1, 1},
	} {
		t.Run(name, func(t *testing.T) {
			var res page
			if tc.body == "" {
				res = b.do(tc.method, "/pay/payrequest.cfm", tc.contentType, nil)
			} else {
				res = b.do(tc.method, "/pay/payrequest.cfm", tc.contentType, strings.NewReader(tc.body))
			}
			var f fault
			if err := json.Unmarshal([]byte(res.Body), &f); err != nil {
				t.Fatalf("%d %s: %v", res.Status, res.Body, err)
			}
			if res.Status != tc.status || f.Fault.Faultcode != tc.first || f.Fault.Faultstring != tc.second || f.Fault.Detail == "" {
				t.Fatalf("%d %s, want %d %d/%d", res.Status, res.Body, tc.status, tc.first, tc.second)
			}
			checkHeaders(t, res, true)
			if tc.method == "GET" && res.Header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", res.Header.Get("Allow"))
			}
		})
	}
	t.Run("taken ordernumber", func(t *testing.T) {
		e.silentpay(e.demo, "paid-1")
		res := b.post("/pay/payrequest.cfm", url.Values{"Merchant_ID": {demoID}, "Login": {"demo_login"}, "Password": {"demo_password1"},
			"OrderNumber": {"paid-1"}, "OrderAmount": {"100.00"}})
		var f fault
		json.Unmarshal([]byte(res.Body), &f)
		if res.Status != http.StatusBadRequest || f.Fault.Faultcode != 10 || f.Fault.Faultstring != 204 {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	})
	t.Run("nothing written", func(t *testing.T) {
		if d := e.order(t, e.demo, "paid-1"); d.Order.State != gateway.StateApproved {
			t.Fatalf("paid-1: %s", d.Order.State)
		}
		if orders, _ := e.pages.ListOrders(t.Context(), e.demo, gateway.OrderQuery{OrderNumber: "x"}); len(orders) != 0 {
			t.Fatal("a refused payment link wrote an order")
		}
	})
}
