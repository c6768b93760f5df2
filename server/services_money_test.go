package server_test

// The services that move money or plan it, over every transport: charge, cancel, rp,
// tokenpay and the scheduler (services_test.go has silentpay and the reads).

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"soapgate/generated/charge"
	"soapgate/generated/rp"
	"soapgate/generated/tokenpay"
	"soapgate/generated/wscancel"
	"soapgate/processor"
)

func TestServer_Charge(t *testing.T) {
	ts := newTestServer(t)
	delayed := func(num string) string {
		t.Helper()
		return ts.pay(t, "700001", num, "delay", "1")
	}

	t.Run("SOAP full", func(t *testing.T) {
		bill := delayed("CH-1")
		res, doc := ts.soap(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", bill))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := codesOf(find(t, doc, "//chargeResponse")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		order := find(t, doc, "//chargeResponse/orders/order")
		checkOrder(t, order, reflect.TypeFor[charge.Order]())
		f := childMap(order)
		for k, want := range map[string]string{"orderstate": "Approved", "operationtype": "200", "billnumber": bill + ".2",
			"amount": "100.00", "responsecode": "AS000"} {
			if got := f[k]; got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])

		// Again: the earlier reply, nothing new.
		_, doc = ts.soap(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", bill+".1"))
		if got, want := text(t, doc, "//chargeResponse/orders/order/billnumber"), bill+".2"; got != want {
			t.Errorf("repeat billnumber = %q, want %q", got, want)
		}
	})
	t.Run("SOAP 1.2 partial", func(t *testing.T) {
		bill := delayed("CH-2")
		_, doc := ts.soap12(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", bill, "amount", "30", "currency", "RUB"))
		f := childMap(find(t, doc, "//chargeResponse/orders/order"))
		if f["orderstate"] != "PartialDelayed" || f["amount"] != "30.00" {
			t.Errorf("partial charge = %v", f)
		}
	})
	t.Run("form XML", func(t *testing.T) {
		bill := delayed("CH-3")
		doc := parseXML(t, ts.form(t, "/charge/charge.cfm", creds("700001", "billnumber", bill, "format", "3")).Body)
		if got, want := text(t, doc, "/result/orders/order/orderstate"), "Approved"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
	})
	t.Run("form CSV", func(t *testing.T) {
		bill := delayed("CH-4")
		rows := csvRows(t, ts.form(t, "/charge/charge.cfm", creds("700001", "billnumber", bill, "format", "1")).Body)
		if got, want := rows[0], wireFields(reflect.TypeFor[charge.Order]()); !reflect.DeepEqual(got, want) {
			t.Errorf("header\n got %v\nwant %v", got, want)
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		bill := delayed("CH-5")
		_, v := ts.json(t, "/charge/charge.cfm", creds("700001", "billnumber", bill))
		o := obj(t, v, "charge")
		checkJSONOrder(t, o, reflect.TypeFor[charge.Order]())
		if got, want := o["orderstate"], "Approved"; got != want {
			t.Errorf("orderstate = %v, want %v", got, want)
		}
	})
	t.Run("not allowed on a one-stage order", func(t *testing.T) {
		bill := ts.pay(t, "700001", "CH-6")
		_, doc := ts.soap(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", bill))
		if got, want := faultCodes(t, doc), "10/202"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}

func TestServer_Cancel(t *testing.T) {
	ts := newTestServer(t)
	n := 0
	for _, path := range []string{"/cancel/wscancel.cfm", "/cancel/cancel.cfm"} {
		for _, element := range []string{"WSCancelRequestParams", "wscancel"} {
			t.Run(path+" "+element, func(t *testing.T) {
				n++
				num := "CN-" + string(rune('0'+n))
				bill := ts.pay(t, "700001", num)
				res, doc := ts.soap(t, path, element, creds("700001", "billnumber", bill, "amount", "25.00", "currency", "RUB"))
				if got, want := res.Status, http.StatusOK; got != want {
					t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
				}
				resp := find(t, doc, "//WSCancelResponseParams")
				if got, want := codesOf(resp), "0/0/1"; got != want {
					t.Errorf("codes = %s, want %s", got, want)
				}
				order := find(t, doc, "//WSCancelResponseParams/order")
				checkOrder(t, order, reflect.TypeFor[wscancel.Order]())
				f := childMap(order)
				for k, want := range map[string]string{"orderstate": "PartialCanceled", "operationtype": "300",
					"billnumber": bill + ".2", "amount": "25.00", "ordernumber": num} {
					if got := f[k]; got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
			})
		}
	}
	t.Run("form XML has an orders wrapper", func(t *testing.T) {
		bill := ts.pay(t, "700001", "CN-X")
		doc := parseXML(t, ts.form(t, "/cancel/cancel.cfm", creds("700001", "billnumber", bill, "format", "3")).Body)
		if got, want := text(t, doc, "/result/orders/order/orderstate"), "Canceled"; got != want {
			t.Errorf("orderstate = %q, want %q", got, want)
		}
	})
	t.Run("JSON shape", func(t *testing.T) {
		bill := ts.pay(t, "700001", "CN-J")
		res, v := ts.json(t, "/cancel/wscancel.cfm", creds("700001", "billnumber", bill, "externalrefundid", "R-1"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d", got, want)
		}
		c := obj(t, v, "wscancel")
		if cd, ok := c["checkdata"]; !ok || cd != nil {
			t.Errorf(`wscancel.checkdata = %v (present %v), want null`, cd, ok)
		}
		o := obj(t, c, "order")
		checkJSONOrder(t, o, reflect.TypeFor[wscancel.Order]())
		if got, want := o["orderstate"], "Canceled"; got != want {
			t.Errorf("orderstate = %v, want %v", got, want)
		}
		// The same externalrefundid again: the earlier refund.
		_, v = ts.json(t, "/cancel/wscancel.cfm", creds("700001", "billnumber", bill, "externalrefundid", "R-1"))
		if got, want := obj(t, v, "wscancel", "order")["billnumber"], o["billnumber"]; got != want {
			t.Errorf("repeat billnumber = %v, want %v", got, want)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		bill := ts.pay(t, "700001", "CN-C", "delay", "1")
		rows := csvRows(t, ts.form(t, "/cancel/wscancel.cfm", creds("700001", "billnumber", bill, "format", "1")).Body)
		if got, want := len(rows), 2; got != want {
			t.Fatalf("rows = %d, want %d", got, want)
		}
		if got, want := csvRecord(rows[0], rows[1])["orderstate"], "Canceled"; got != want {
			t.Errorf("orderstate = %q, want %q (void of a delayed order)", got, want)
		}
	})
	t.Run("unknown billnumber", func(t *testing.T) {
		_, doc := ts.soap(t, "/cancel/wscancel.cfm", "WSCancelRequestParams", creds("700001", "billnumber", "1234567890123456"))
		if got, want := faultCodes(t, doc), "10/201"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}

func TestServer_Rp(t *testing.T) {
	ts := newTestServer(t)
	bill := ts.pay(t, "700001", "RP-0", "recurringindicator", "1", "recurringminamount", "10.00",
		"recurringmaxamount", "500.00", "recurringperiod", "30", "recurringmaxdate", "31.12.2099")
	req := func(num string) params {
		return creds("700001", "billnumber", bill, "ordernumber", num, "amount", "50.00", "currency", "RUB")
	}
	t.Run("SOAP", func(t *testing.T) {
		res, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", req("RP-1"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := codesOf(find(t, doc, "//rpResponse")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		order := find(t, doc, "//rpResponse/orders/order")
		checkOrder(t, order, reflect.TypeFor[rp.Order]())
		f := childMap(order)
		if f["operationtype"] != "400" || f["orderstate"] != "Approved" || f["ordernumber"] != "RP-1" || f["amount"] != "50.00" {
			t.Errorf("rp = %v", f)
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
	})
	t.Run("form XML", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/recurrent/rp.cfm", req("RP-2").with("format", "3")).Body)
		if got, want := text(t, doc, "/result/orders/order/operationtype"), "400"; got != want {
			t.Errorf("operationtype = %q, want %q", got, want)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		_, v := ts.json(t, "/recurrent/rp.cfm", req("RP-3"))
		if got, want := obj(t, v, "rp")["ordernumber"], "RP-3"; got != want {
			t.Errorf("ordernumber = %v, want %v", got, want)
		}
	})
	t.Run("over the max amount", func(t *testing.T) {
		_, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", req("RP-4").with("amount", "900.00"))
		if got, want := faultCodes(t, doc), "10/210"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("bad signature", func(t *testing.T) {
		_, doc := ts.soap(t, "/recurrent/rp.cfm", "rp", req("RP-5").with("signature", "AAAA"))
		if got, want := faultCodes(t, doc), "5/150"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}

func TestServer_Tokenpay(t *testing.T) {
	ts := newTestServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "TK-0", "customernumber", "C-1"))
	token := text(t, doc, "//silentpayResponse/order/token")
	if token == "" || strings.ToUpper(token) != token {
		t.Fatalf("token = %q, want an upper-case UUID", token)
	}
	pt := `{"Token":"` + token + `","CustomerNumber":"C-1"}`
	req := func(num string) params {
		return creds("700001", "ordernumber", num, "orderamount", "42.00", "ordercurrency", "RUB", "lastname", "Ivanov",
			"firstname", "Ivan", "email", "ivan@example.com", "tokentype", "5", "paymenttoken", pt)
	}
	t.Run("SOAP", func(t *testing.T) {
		res, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", req("TK-1"))
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := codesOf(find(t, doc, "//PaymentTokenResponseParams")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		order := find(t, doc, "//PaymentTokenResponseParams/order")
		checkOrder(t, order, reflect.TypeFor[tokenpay.Order]())
		f := childMap(order)
		if f["orderstate"] != "Approved" || f["token"] != token || f["meannumber"] != "411111******1111" {
			t.Errorf("tokenpay = %v", f)
		}
		ts.verifySeal(t, "700001", replyX("700001", f), f["checkvalue"], f["signature"])
	})
	t.Run("JSON", func(t *testing.T) {
		_, v := ts.json(t, "/pay/tokenpay.cfm", req("TK-2"))
		if got, want := obj(t, v, "tokenpay")["orderstate"], "Approved"; got != want {
			t.Errorf("orderstate = %v, want %v", got, want)
		}
	})
	t.Run("form CSV", func(t *testing.T) {
		rows := csvRows(t, ts.form(t, "/pay/tokenpay.cfm", req("TK-3").with("format", "1")).Body)
		if got, want := rows[0], wireFields(reflect.TypeFor[tokenpay.Order]()); !reflect.DeepEqual(got, want) {
			t.Errorf("header\n got %v\nwant %v", got, want)
		}
	})
	t.Run("lastname required", func(t *testing.T) {
		t.Skip("planned (issue 11, docs/protocol.md#11-planned-changes): tokenpay's required buyer fields; today an empty lastname is approved")
		_, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", req("TK-4").with("lastname", ""))
		if got, want := faultCodes(t, doc), "5/110"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})

	merchant := map[string]string{"merchant_id": "700001", "login": "demo_login", "password": "demo_password1"}
	t.Run("token.cfm", func(t *testing.T) {
		res, v := ts.json(t, "/pay/oneclick/v1/token.cfm", map[string]any{"merchant": merchant, "customernumber": "C-1"})
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		if got, want := res.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		list, ok := v.([]any)
		if !ok || len(list) != 1 {
			t.Fatalf("answer = %v, want a list of one card", v)
		}
		// As Assist sends them: bin a number, active and needCVC booleans.
		for k, want := range map[string]any{"token": token, "post": "1111", "bin": float64(411111), "brand": "VISA",
			"bank": processor.TestIssuer, "expire": "12.2030", "active": true, "needCVC": true} {
			if got := list[0].(map[string]any)[k]; got != want {
				t.Errorf("%s = %v, want %v", k, got, want)
			}
		}
	})
	t.Run("token.cfm answers JSON whatever the Format", func(t *testing.T) {
		res := ts.form(t, "/pay/oneclick/v1/token.cfm", params(merchant).with("customernumber", "C-1", "format", "3"))
		if _, ok := decodeJSON(t, res.Body).([]any); !ok {
			t.Errorf("answer = %s, want a JSON list", res.Body)
		}
	})
	t.Run("token.cfm wrong password", func(t *testing.T) {
		res, v := ts.json(t, "/pay/oneclick/v1/token.cfm", map[string]any{"merchant": map[string]string{
			"merchant_id": "700001", "login": "demo_login", "password": "wrong"}, "customernumber": "C-1"})
		if got, want := res.Status, http.StatusUnauthorized; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := jsonFault(v), "10/100"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
	t.Run("GET refused", func(t *testing.T) {
		for _, p := range []string{"/pay/oneclick/v1/token.cfm", "/pay/oneclick/v1/rem_token.cfm"} {
			res := ts.do(t, http.MethodGet, p, "", "")
			if got, want := res.Status, http.StatusMethodNotAllowed; got != want {
				t.Errorf("GET %s = %d, want %d", p, got, want)
			}
			if got, want := res.Header.Get("Allow"), "POST"; got != want {
				t.Errorf("GET %s Allow = %q, want %q", p, got, want)
			}
		}
	})
	t.Run("rem_token.cfm", func(t *testing.T) {
		res, v := ts.json(t, "/pay/oneclick/v1/rem_token.cfm", map[string]any{"merchant": merchant, "customernumber": "C-1", "token": token})
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		// docs/protocol.md#59-saved-cards: a message naming the removed token.
		if msg, ok := v.(map[string]any); !ok || msg["token"] != token || msg["message"] == "" {
			t.Errorf("answer = %v, want a message naming %s", v, token)
		}
		_, v = ts.json(t, "/pay/oneclick/v1/token.cfm", map[string]any{"merchant": merchant, "customernumber": "C-1"})
		if list, _ := v.([]any); len(list) != 0 {
			t.Errorf("after removal: %v", v)
		}
		res, v = ts.json(t, "/pay/oneclick/v1/rem_token.cfm", map[string]any{"merchant": merchant, "customernumber": "C-1", "token": token})
		if got, want := res.Status, http.StatusBadRequest; got != want {
			t.Errorf("second removal status = %d, want %d", got, want)
		}
		if got, want := jsonFault(v), "10/201"; got != want {
			t.Errorf("second removal fault = %s, want %s", got, want)
		}
	})
}

func TestServer_Scheduler(t *testing.T) {
	ts := newTestServer(t)
	bill := ts.pay(t, "700001", "SC-0", "recurringindicator", "1", "recurringminamount", "10.00",
		"recurringmaxamount", "500.00", "recurringperiod", "1", "recurringmaxdate", "31.12.2099")
	start := ts.gw.Clock.Now().Add(48 * 3600e9).Format("02.01.2006 15:04:05")
	plan := creds("700001", "billnumber", bill, "amount", "25.00", "currency", "RUB", "description", "Gym",
		"startdate", start, "periodlength", "1", "periodtype", "Month", "state", "Active")

	var id string
	t.Run("SOAP Set", func(t *testing.T) {
		res, doc := ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", plan)
		if got, want := res.Status, http.StatusOK; got != want {
			t.Fatalf("status = %d, want %d: %s", got, want, res.Body)
		}
		resp := find(t, doc, "//SetScheduledOperationResponse")
		if got, want := codesOf(resp), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		f := childMap(resp)
		id = f["operation"]
		if id == "" || f["CronOperationId"] != id || f["state"] != "Active" {
			t.Errorf("answer = %v", f)
		}
	})
	t.Run("SOAP 1.2 Get", func(t *testing.T) {
		_, doc := ts.soap12(t, "/scheduler/scheduler.cfm", "GetScheduledOperation", creds("700001", "operation", id))
		resp := find(t, doc, "//GetScheduledOperationResponse")
		if got, want := codesOf(resp), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		f := childMap(find(t, doc, "//GetScheduledOperationResponse/scheduledoperation"))
		for k, want := range map[string]string{"operation": id, "billnumber": bill, "amount": "25.00", "currency": "RUB",
			"description": "Gym", "startdate": start, "periodtype": "Month", "state": "Active", "nextrun": start, "attempts": "0"} {
			if got := f[k]; got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	})
	t.Run("form method Set", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/scheduler/scheduler.cfm", creds("700001", "method", "setscheduledoperation",
			"operation", id, "state", "Inactive", "format", "4")).Body)
		if got, want := text(t, doc, "//SetScheduledOperationResponse/state"), "Inactive"; got != want {
			t.Errorf("state = %q, want %q", got, want)
		}
	})
	t.Run("form plan fields mean Set", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/scheduler/scheduler.cfm", plan.with("description", "Pool")).Body)
		if got, want := codesOf(find(t, doc, "/result")), "0/0/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if text(t, doc, "/result/operation") == id {
			t.Errorf("a plan without operation should create a new one")
		}
	})
	t.Run("form method Get", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/scheduler/scheduler.cfm", creds("700001", "method", "GetScheduledOperation", "billnumber", bill)).Body)
		if got, want := codesOf(find(t, doc, "/result")), "0/0/2"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("form default is Get, JSON items", func(t *testing.T) {
		v := decodeJSON(t, ts.form(t, "/scheduler/scheduler.cfm", creds("700001", "operation", id, "format", "5")).Body)
		items, ok := obj(t, v, "getscheduledoperation")["scheduledoperation"].([]any)
		if !ok || len(items) != 1 {
			t.Fatalf("answer = %v", v)
		}
		if got, want := items[0].(map[string]any)["state"], "Inactive"; got != want {
			t.Errorf("state = %v, want %v", got, want)
		}
	})
	t.Run("JSON body Set", func(t *testing.T) {
		_, v := ts.json(t, "/scheduler/scheduler.cfm", plan.with("method", "SetScheduledOperation"))
		if got, want := obj(t, v, "setscheduledoperation")["state"], "Active"; got != want {
			t.Errorf("state = %v, want %v", got, want)
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/scheduler/scheduler.cfm", creds("700001", "method", "DropEverything")).Body)
		if got, want := codesOf(find(t, doc, "/result")), "1/1/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("unknown SOAP operation", func(t *testing.T) {
		res, doc := ts.soap(t, "/scheduler/scheduler.cfm", "DeleteScheduledOperation", creds("700001"))
		if got, want := res.Status, http.StatusInternalServerError; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := faultCodes(t, doc), "1/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("no recurring card", func(t *testing.T) {
		other := ts.pay(t, "700001", "SC-1")
		_, doc := ts.soap(t, "/scheduler/scheduler.cfm", "SetScheduledOperation", plan.with("billnumber", other))
		if got, want := faultCodes(t, doc), "10/211"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
}
