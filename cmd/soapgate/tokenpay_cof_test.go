package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTokenPay_CardOnFileRules: tokenpay as the card-on-file document describes it. lastname,
// firstname and email are required (5/110 naming the field); tokentype defaults to 5; a
// PaymentToken sent as a JSON object verifies the same Signature
// (Merchant_ID;OrderNumber;OrderAmount;OrderCurrency) as the string form.
func TestTokenPay_CardOnFileRules(t *testing.T) {
	ts := startServer(t)
	_, doc := ts.soap(t, "/pay/silentpay.cfm", "silentpay", card("ordernumber", "cof-0", "customernumber", "C-9"))
	token := text(t, doc, "//order/token")
	key := "../../fixtures/keys/merchant-700001.key.pem"
	body := func(num string, drop string) string {
		m := map[string]any{"merchant_id": "700001", "login": "demo_login", "password": "demo_password1",
			"ordernumber": num, "orderamount": "42.00", "ordercurrency": "RUB",
			"lastname": "Ivanov", "firstname": "Ivan", "email": "ivan@example.com",
			"paymenttoken": map[string]string{"Token": token, "CustomerNumber": "C-9"},
			"signature":    webSign(t, key, "700001;"+num+";42.00;RUB")}
		delete(m, drop)
		b, _ := json.Marshal(m)
		return string(b)
	}
	res := ts.post(t, "/pay/tokenpay.cfm", "application/json", body("cof-1", ""))
	if !strings.Contains(res.Body, `"orderstate":"Approved"`) || !strings.Contains(res.Body, `"token":"`+token+`"`) {
		t.Fatalf("tokenpay with a PaymentToken object, signed, no tokentype: %d %s", res.Status, res.Body)
	}
	for _, field := range []string{"lastname", "firstname", "email"} {
		res := ts.post(t, "/pay/tokenpay.cfm", "application/json", body("cof-2-"+field, field))
		if res.Status != 400 || !strings.Contains(res.Body, `"faultcode":5,"faultstring":110`) || !strings.Contains(res.Body, field) {
			t.Errorf("tokenpay without %s: %d %s", field, res.Status, res.Body)
		}
	}
}
