package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// tokenCall posts a oneclick JSON request with the merchant object and returns the status
// and the decoded answer.
func tokenCall(t *testing.T, ts *testServer, path, merchantID, login, password, customer, token string) (int, any) {
	t.Helper()
	body := map[string]any{"merchant": map[string]string{"merchant_id": merchantID, "login": login, "password": password},
		"customernumber": customer}
	if token != "" {
		body["token"] = token
	}
	b, _ := json.Marshal(body)
	res := ts.post(t, path, "application/json", string(b))
	var out any
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatalf("%s: not JSON: %s", path, res.Body)
	}
	return res.Status, out
}

func faultOf(v any) string {
	m, _ := v.(map[string]any)
	f, _ := m["fault"].(map[string]any)
	if f == nil {
		return ""
	}
	return jsonNum(f["faultcode"]) + "/" + jsonNum(f["faultstring"])
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTokens_ListRemoveAndTokenPay(t *testing.T) {
	ts := startRecurring(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "tok-1", "customernumber", "C-1"))
	tok1 := text(t, doc, "//order/token")
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "tok-2", "customernumber", "C-1",
		"cardnumber", "5555555555554444", "expiremonth", "7", "expireyear", "31"))
	tok2 := text(t, doc, "//order/token")
	// The same card again keeps its token.
	_, doc = ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "tok-3", "customernumber", "C-1"))
	if got := text(t, doc, "//order/token"); got != tok1 || tok1 == tok2 || !upperUUID.MatchString(tok2) {
		t.Fatalf("tokens %s %s %s", tok1, tok2, got)
	}
	// A declined payment saves nothing.
	ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "tok-dec", "customernumber", "C-1", "cardnumber", "4000000000000002"))

	status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", "C-1", "")
	list, _ := out.([]any)
	if status != 200 || len(list) != 2 {
		t.Fatalf("token.cfm: %d %v", status, out)
	}
	first := list[0].(map[string]any)
	for k, want := range map[string]any{"token": tok1, "post": "1111", "bin": float64(411111), "brand": "VISA",
		"expire": "12.2030", "active": true, "needCVC": true, "bank": "TEST BANK"} {
		if first[k] != want {
			t.Errorf("%s = %v, want %s", k, first[k], want)
		}
	}
	if second := list[1].(map[string]any); second["expire"] != "07.2031" || second["brand"] != "MasterCard" {
		t.Errorf("second card = %v", second)
	}
	// Another merchant sees none of them and cannot remove one.
	if status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700002", "other_login", "other_password2", "C-1", ""); status != 200 || len(out.([]any)) != 0 {
		t.Errorf("another merchant's list: %d %v", status, out)
	}
	if status, out := tokenCall(t, ts, "/pay/oneclick/v1/rem_token.cfm", "700002", "other_login", "other_password2", "C-1", tok1); status != 400 || faultOf(out) != "10/201" {
		t.Errorf("another merchant's rem_token: %d %v", status, out)
	}
	if status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "wrong", "C-1", ""); status != 401 || faultOf(out) != "10/100" {
		t.Errorf("wrong password: %d %v", status, out)
	}
	if status, out := tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", "", ""); status != 400 || faultOf(out) != "5/110" {
		t.Errorf("no customernumber: %d %v", status, out)
	}

	// tokenpay (CIT) with the saved card, over SOAP and JSON.
	pt := `{"Token":"` + tok1 + `","CustomerNumber":"C-1"}`
	pay := func(kv ...string) map[string]string {
		return with(append([]string{"orderamount", "42.00", "ordercurrency", "RUB", "lastname", "Ivanov", "firstname", "Ivan",
			"email", "ivan@example.com", "tokentype", "5", "paymenttoken", pt}, kv...)...)
	}
	res, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", pay("ordernumber", "tp-1"))
	if res.Status != 200 {
		t.Fatalf("tokenpay: %s", res.Body)
	}
	for path, want := range map[string]string{"//PaymentTokenResponseParams/order/orderstate": "Approved",
		"//order/operationtype": "100", "//order/token": tok1, "//order/meannumber": "411111******1111", "//order/amount": "42.00"} {
		if got := text(t, doc, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	_, jout := ts.json(t, "/pay/tokenpay.cfm", pay("ordernumber", "tp-json"))
	if o, _ := jout["tokenpay"].(map[string]any); o == nil || o["orderstate"] != "Approved" || o["token"] != tok1 {
		t.Errorf("JSON tokenpay = %v", jout)
	}
	for name, tc := range map[string]struct {
		kv   []string
		want string
	}{
		"tokentype":      {[]string{"tokentype", "4"}, "5/110"},
		"malformed":      {[]string{"paymenttoken", "{not json"}, "5/110"},
		"other customer": {[]string{"paymenttoken", `{"Token":"` + tok1 + `","CustomerNumber":"C-2"}`}, "10/201"},
		"unknown token":  {[]string{"paymenttoken", `{"Token":"00000000-0000-4000-8000-000000000000","CustomerNumber":"C-1"}`}, "10/201"},
	} {
		if _, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", pay(append([]string{"ordernumber", "tp-" + name}, tc.kv...)...)); faultCodes(t, doc) != tc.want {
			t.Errorf("%s: %s, want %s", name, faultCodes(t, doc), tc.want)
		}
	}
	// Another merchant's token is not found (700002 requires a Signature: send a valid one).
	other := pay("ordernumber", "tp-other")
	other["merchant_id"], other["login"], other["password"] = "700002", "other_login", "other_password2"
	if hasOpenSSL() {
		other["signature"] = opensslSign(t, "../../fixtures/keys/merchant-700002.key.pem", "700002;tp-other;42.00;RUB", 1)
		if _, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", other); faultCodes(t, doc) != "10/201" {
			t.Errorf("another merchant's token: %s", faultCodes(t, doc))
		}
	}

	// rem_token removes it: absent from the list, and tokenpay no longer finds it.
	status, out = tokenCall(t, ts, "/pay/oneclick/v1/rem_token.cfm", "700001", "demo_login", "demo_password1", "C-1", strings.ToLower(tok1))
	if msg, _ := out.(map[string]any); status != 200 || msg["token"] != tok1 || msg["message"] == "" {
		t.Fatalf("rem_token: %d %v", status, out)
	}
	status, out = tokenCall(t, ts, "/pay/oneclick/v1/token.cfm", "700001", "demo_login", "demo_password1", "C-1", "")
	if list, _ := out.([]any); status != 200 || len(list) != 1 || list[0].(map[string]any)["token"] != tok2 {
		t.Fatalf("token.cfm after rem_token: %d %v", status, out)
	}
	if status, out := tokenCall(t, ts, "/pay/oneclick/v1/rem_token.cfm", "700001", "demo_login", "demo_password1", "C-1", tok1); status != 400 || faultOf(out) != "10/201" {
		t.Errorf("removing twice: %d %v", status, out)
	}
	if _, doc := ts.soap(t, "/pay/tokenpay.cfm", "tokenpay", pay("ordernumber", "tp-removed")); faultCodes(t, doc) != "10/201" {
		t.Errorf("tokenpay with a removed token: %s", faultCodes(t, doc))
	}
}

func hasOpenSSL() bool {
	_, err := exec.LookPath("openssl")
	return err == nil
}
