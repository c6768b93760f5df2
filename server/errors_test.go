package server_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"soapgate/generated/charge"
	"soapgate/generated/orderresult"
	"soapgate/generated/orderstate"
	"soapgate/generated/rp"
	"soapgate/generated/scheduler"
	"soapgate/generated/silentpay"
	"soapgate/generated/tokenpay"
	"soapgate/generated/wscancel"
)

// TestFault_SOAP: request errors are SOAP Faults with the codes in detail; Client/Sender for
// the client's errors, Server/Receiver for firstcode 2.
func TestFault_SOAP(t *testing.T) {
	ts := newTestServer(t)
	bad := creds("700001", "ordernumber", "X").with("password", "wrong")
	for _, tc := range []struct {
		name       string
		v12        bool
		status     int
		code       string
		faultCodes string
	}{
		{"1.1", false, http.StatusInternalServerError, "soap:Client", "10/100"},
		{"1.2", true, http.StatusBadRequest, "soap:Sender", "10/100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ts.post(t, "/orderstate/orderstate.cfm", map[bool]string{false: "text/xml", true: "application/soap+xml"}[tc.v12],
				envelope(tc.v12, "orderstate", bad))
			if got, want := res.Status, tc.status; got != want {
				t.Errorf("status = %d, want %d", got, want)
			}
			doc := parseXML(t, res.Body)
			var code string
			if tc.v12 {
				code = text(t, doc, "//Fault/Code/Value")
				if got := text(t, doc, "//Fault/Reason/Text"); got == "" {
					t.Errorf("empty Reason")
				}
				find(t, doc, "//Fault/Detail/error")
			} else {
				code = text(t, doc, "//Fault/faultcode")
				if got := text(t, doc, "//Fault/faultstring"); got == "" {
					t.Errorf("empty faultstring")
				}
				find(t, doc, "//Fault/detail/error")
			}
			if got, want := code, tc.code; got != want {
				t.Errorf("faultcode = %q, want %q", got, want)
			}
			if got, want := faultCodes(t, doc), tc.faultCodes; got != want {
				t.Errorf("codes = %s, want %s", got, want)
			}
			if got, want := find(t, doc, "//Fault//error").NamespaceURI(), "http://www.paysecure.ru/ws/"; got != want {
				t.Errorf("error ns = %q, want %q", got, want)
			}
		})
	}
}

// TestFault_Internal: a failing store is an internal error, 2/1, whose details stay in the log.
func TestFault_Internal(t *testing.T) {
	ts := newTestServer(t)
	ts.pay(t, "700001", "IN-1")
	if err := ts.gw.Store.(interface{ Close() error }).Close(); err != nil {
		t.Fatal(err)
	}
	req := creds("700001", "ordernumber", "IN-1")
	t.Run("SOAP 1.1", func(t *testing.T) {
		res, doc := ts.soap(t, "/orderstate/orderstate.cfm", "orderstate", req)
		if got, want := res.Status, http.StatusInternalServerError; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := text(t, doc, "//Fault/faultcode"), "soap:Server"; got != want {
			t.Errorf("faultcode = %q, want %q", got, want)
		}
		if got, want := faultCodes(t, doc), "2/1"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if strings.Contains(strings.ToLower(res.Body), "sql") {
			t.Errorf("internal details reach the client: %s", res.Body)
		}
	})
	t.Run("SOAP 1.2", func(t *testing.T) {
		res, doc := ts.soap12(t, "/orderstate/orderstate.cfm", "orderstate", req)
		if got, want := res.Status, http.StatusInternalServerError; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := text(t, doc, "//Fault/Code/Value"), "soap:Receiver"; got != want {
			t.Errorf("faultcode = %q, want %q", got, want)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		res, v := ts.json(t, "/orderstate/orderstate.cfm", req)
		if got, want := res.Status, http.StatusInternalServerError; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
		if got, want := jsonFault(v), "2/1"; got != want {
			t.Errorf("fault = %s, want %s", got, want)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		if got, want := ts.do(t, http.MethodGet, "/healthz", "", "").Status, http.StatusServiceUnavailable; got != want {
			t.Errorf("status = %d, want %d", got, want)
		}
	})
}

// TestFault_Form: form posts answered as CSV, XML or SOAP get HTTP 200 with the codes; JSON
// answers get a fault object with 401, 400 or 500.
func TestFault_Form(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name  string
		p     params
		codes string
		json  int
	}{
		{"auth", creds("700001", "ordernumber", "X").with("password", "wrong"), "10/100", http.StatusUnauthorized},
		{"merchant_id", creds("700001", "ordernumber", "X").with("merchant_id", "abc"), "5/100", http.StatusBadRequest},
		{"not found", creds("700001", "ordernumber", "X"), "10/201", http.StatusBadRequest},
		{"format", creds("700001", "ordernumber", "X", "format", "7"), "5/110", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "format" {
				res := ts.form(t, "/orderstate/orderstate.cfm", tc.p.with("format", "1"))
				if got, want := res.Status, http.StatusOK; got != want {
					t.Errorf("CSV status = %d, want %d", got, want)
				}
				if got, want := strings.TrimSpace(res.Body), strings.Replace(tc.codes, "/", ";", 1); got != want {
					t.Errorf("CSV = %q, want %q", got, want)
				}
				res = ts.form(t, "/orderstate/orderstate.cfm", tc.p.with("format", "3"))
				doc := parseXML(t, res.Body)
				if got, want := codesOf(find(t, doc, "/result")), tc.codes+"/0"; got != want {
					t.Errorf("XML codes = %s, want %s", got, want)
				}
				if n := len(find(t, doc, "/result").ChildElements()); n != 0 {
					t.Errorf("XML error has %d children, want none", n)
				}
				res = ts.form(t, "/orderstate/orderstate.cfm", tc.p.with("format", "4"))
				if got, want := res.Status, http.StatusOK; got != want {
					t.Errorf("form SOAP status = %d, want %d", got, want)
				}
				doc = parseXML(t, res.Body)
				resp := find(t, doc, "//orderstateResponse")
				if got, want := codesOf(resp), tc.codes+"/0"; got != want {
					t.Errorf("form SOAP codes = %s, want %s", got, want)
				}
				if n := len(resp.ChildElements()); n != 0 {
					t.Errorf("form SOAP error has %d children, want none", n)
				}
			}
			if tc.name == "format" {
				res := ts.form(t, "/orderstate/orderstate.cfm", tc.p)
				// An invalid Format cannot choose JSON: the form's default, XML.
				doc := parseXML(t, res.Body)
				if got, want := codesOf(find(t, doc, "/result")), tc.codes+"/0"; got != want {
					t.Errorf("codes = %s, want %s", got, want)
				}
				res, v := ts.json(t, "/orderstate/orderstate.cfm", tc.p)
				if got, want := res.Status, tc.json; got != want {
					t.Errorf("JSON status = %d, want %d", got, want)
				}
				if got, want := jsonFault(v), tc.codes; got != want {
					t.Errorf("JSON fault = %s, want %s", got, want)
				}
				return
			}
			res := ts.form(t, "/orderstate/orderstate.cfm", tc.p.with("format", "5"))
			if got, want := res.Status, tc.json; got != want {
				t.Errorf("JSON status = %d, want %d", got, want)
			}
			v := decodeJSON(t, res.Body)
			if got, want := jsonFault(v), tc.codes; got != want {
				t.Errorf("JSON fault = %s, want %s", got, want)
			}
			if d, _ := obj(t, v, "fault")["detail"].(string); d == "" {
				t.Errorf("JSON fault without detail: %s", res.Body)
			}
		})
	}
	t.Run("WDDX", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/orderstate/orderstate.cfm", creds("700001", "ordernumber", "X", "format", "2")).Body)
		if got, want := codesOf(find(t, doc, "/result")), "5/110/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
	})
	t.Run("charge error keeps the orders wrapper", func(t *testing.T) {
		doc := parseXML(t, ts.form(t, "/charge/charge.cfm", creds("700001", "format", "4")).Body)
		resp := find(t, doc, "//chargeResponse")
		if got, want := codesOf(resp), "5/143/0"; got != want {
			t.Errorf("codes = %s, want %s", got, want)
		}
		if got, want := childNames(resp), []string{"orders"}; !reflect.DeepEqual(got, want) {
			t.Errorf("children = %v, want %v", got, want)
		}
	})
}

// TestAnswer_FieldOrder: every order type the server answers with lists every field of the
// generated type, in its order, also when the values are empty.
func TestAnswer_FieldOrder(t *testing.T) {
	ts := newTestServer(t)
	bill := ts.pay(t, "700001", "FO-1", "delay", "1", "ordercomment", "", "middlename", "",
		"recurringindicator", "1", "recurringminamount", "1", "recurringmaxamount", "900", "recurringperiod", "1",
		"recurringmaxdate", "31.12.2099", "customernumber", "C-9")
	start := ts.gw.Clock.Now().Add(48 * 3600e9).Format("02.01.2006 15:04:05")
	for _, tc := range []struct {
		path, element, order string
		p                    params
		typ                  reflect.Type
	}{
		{"/orderstate/orderstate.cfm", "orderstate", "//orderstateResponse/order", creds("700001", "ordernumber", "FO-1"), reflect.TypeFor[orderstate.Order]()},
		{"/orderresult/orderresult.cfm", "orderresult", "//orderresult/order", creds("700001", "billnumber", bill), reflect.TypeFor[orderresult.Order]()},
		{"/orderresult/orderresult.cfm", "orderresult", "//orderresult/order/operation", creds("700001", "billnumber", bill), reflect.TypeFor[orderresult.Operation]()},
		{"/charge/charge.cfm", "charge", "//chargeResponse/orders/order", creds("700001", "billnumber", bill, "amount", "10", "currency", "RUB"), reflect.TypeFor[charge.Order]()},
		{"/cancel/wscancel.cfm", "wscancel", "//WSCancelResponseParams/order", creds("700001", "billnumber", bill), reflect.TypeFor[wscancel.Order]()},
		{"/pay/silentpay.cfm", "silentpay", "//silentpayResponse/order", cardPay("700001", "FO-2"), reflect.TypeFor[silentpay.Order]()},
		{"/recurrent/rp.cfm", "rp", "//rpResponse/orders/order", creds("700001", "billnumber", bill, "ordernumber", "FO-3", "amount", "5", "currency", "RUB"), reflect.TypeFor[rp.Order]()},
		{"/scheduler/scheduler.cfm", "SetScheduledOperation", "//SetScheduledOperationResponse", creds("700001", "billnumber", bill, "amount", "5", "startdate", start, "periodlength", "1", "periodtype", "Day"), reflect.TypeFor[scheduler.SetScheduledOperationResponse]()},
		{"/scheduler/scheduler.cfm", "GetScheduledOperation", "//GetScheduledOperationResponse/scheduledoperation", creds("700001", "billnumber", bill), reflect.TypeFor[scheduler.ScheduledOperation]()},
	} {
		t.Run(tc.element+" "+tc.typ.String(), func(t *testing.T) {
			res, doc := ts.soap(t, tc.path, tc.element, tc.p)
			if res.Status != 200 {
				t.Fatalf("status %d: %s", res.Status, res.Body)
			}
			el := find(t, doc, tc.order)
			got, want := childNames(el), wireFields(tc.typ)
			if len(got) > len(want) {
				got = got[:len(want)]
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("fields\n got %v\nwant %v", got, want)
			}
		})
	}
	t.Run("tokenpay", func(t *testing.T) {
		_, v := ts.json(t, "/pay/oneclick/v1/token.cfm", map[string]any{"merchant": map[string]string{
			"merchant_id": "700001", "login": "demo_login", "password": "demo_password1"}, "customernumber": "C-9"})
		tok := v.([]any)[0].(map[string]any)["token"].(string)
		_, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", creds("700001", "ordernumber", "FO-4", "orderamount", "1",
			"lastname", "I", "firstname", "I", "email", "i@example.com", "tokentype", "5", "paymenttoken", `{"Token":"`+tok+`","CustomerNumber":"C-9"}`))
		got, want := childNames(find(t, doc, "//PaymentTokenResponseParams/order")), wireFields(reflect.TypeFor[tokenpay.Order]())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("fields\n got %v\nwant %v", got, want)
		}
	})
	t.Run("empty fields are present", func(t *testing.T) {
		_, doc := ts.soap(t, "/orderresult/orderresult.cfm", "orderresult", creds("700001", "billnumber", bill))
		order := find(t, doc, "//orderresult/order")
		for _, name := range []string{"ordercomment", "middlename"} {
			el := order.SelectElement(name)
			if el == nil {
				t.Errorf("%s is missing", name)
			} else if el.Text() != "" {
				t.Errorf("%s = %q, want empty", name, el.Text())
			}
		}
	})
}

// TestAnswer_JSONOrder: JSON keeps the WSDL's field order, then checkdata, customer and the
// operations.
func TestAnswer_JSONOrder(t *testing.T) {
	ts := newTestServer(t)
	ts.pay(t, "700001", "JO-1")
	res, _ := ts.json(t, "/orderresult/orderresult.cfm", creds("700001", "ordernumber", "JO-1"))
	var env struct {
		Orderresult struct {
			Orders []json.RawMessage `json:"orders"`
		} `json:"orderresult"`
	}
	if err := json.Unmarshal([]byte(res.Body), &env); err != nil || len(env.Orderresult.Orders) != 1 {
		t.Fatalf("answer %s: %v", res.Body, err)
	}
	got := topKeys(t, env.Orderresult.Orders[0])
	want := append(wireFields(reflect.TypeFor[orderresult.Order]()), "checkdata", "customer", "operations")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys\n got %v\nwant %v", got, want)
	}
}

// topKeys lists the keys of a JSON object in the order written.
func topKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
