package web

import (
	"regexp"
	"testing"

	"soapgate/gateway"
)

var latinWord = regexp.MustCompile(`[A-Za-z]{3,}`)

// Every message the deliverer writes reads as Russian in Russian; English keeps it as written.
func TestView_AttemptError(t *testing.T) {
	ru, en := &view{Lang: langRU}, &view{Lang: langEN}
	for _, msg := range []string{
		"HTTP 500 Internal Server Error", "SOAP Fault", "refused with 5/150",
		"the reply is not a pushpaymentresult acknowledgement", `the acknowledgement echoes "1"/"2", not "3"/"4"`,
		"the merchant has no notification URL configured any more",
		`Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused`,
		`Post "http://shop/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
		`Post "http://nohost.invalid/": dial tcp: lookup nohost.invalid: no such host`,
		`Post "https://shop/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
		`Post "http://shop/": EOF`, "something else entirely",
	} {
		got := ru.AttemptError(msg)
		// Acronyms and wire names are not English prose.
		rest := regexp.MustCompile(`HTTP|SOAP|TLS|pushpaymentresult|billnumber|packetdate`).ReplaceAllString(got, "")
		if got == "" || latinWord.MatchString(rest) {
			t.Errorf("RU %q → %q", msg, got)
		}
		if en.AttemptError(msg) != msg {
			t.Errorf("EN changed %q", msg)
		}
	}
	if got := ru.AttemptError("HTTP 503 Service Unavailable"); got != "ответ HTTP 503" {
		t.Errorf("HTTP status: %q", got)
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		err                  *gateway.Error
		lang                 string
		expl, detail, cardRU string
	}{
		{gateway.Invalid(gateway.CodeParam, "expiremonth must be 1 to 12"), langRU, "Неверный параметр запроса.", "Параметр: expiremonth", "Месяц — число от 1 до 12."},
		{gateway.Invalid(gateway.CodeParam, "parameter orderamount is given twice with different values"), langRU, "Неверный параметр запроса.", "Параметр: orderamount", ""},
		{gateway.Errorf(10, 202, "a Delayed payment is voided whole: confirm the part to keep, then cancel"), langRU, "Операция невозможна в текущем статусе заказа.", "", ""},
		{gateway.Errorf(10, 299, "something new"), langRU, "Запрос отклонён.", "", ""},
		{gateway.Invalid(gateway.CodeParam, "chequeitems item 2: tax vat13 is not one of none, vat0, vat10, vat20"), langRU, "Неверный параметр запроса.", "Параметр: chequeitems, позиция 2, поле tax", ""},
		{gateway.Invalid(gateway.CodeParam, "expiremonth must be 1 to 12"), langEN, "A request parameter is not valid.", "expiremonth must be 1 to 12", ""},
	} {
		expl, detail := explain(tc.lang, tc.err)
		if expl != tc.expl || detail != tc.detail {
			t.Errorf("%s %v: %q, %q", tc.lang, tc.err, expl, detail)
		}
		if tc.cardRU != "" {
			if got := cardError(tc.lang, tc.err); got != tc.cardRU {
				t.Errorf("cardError %v: %q", tc.err, got)
			}
		}
	}
}

func TestView_OpMessage(t *testing.T) {
	ru := &view{Lang: langRU}
	for code, msg := range map[string]string{"AS000": "Approved", "AS102": "Insufficient funds", "AS300": "In process", "AS998": "System error", "AS777": "Mystery"} {
		got := ru.OpMessage(&gateway.Operation{ResponseCode: code, Message: msg})
		if latinWord.MatchString(got) {
			t.Errorf("%s %q → %q", code, msg, got)
		}
	}
	if got := ru.OpMessage(&gateway.Operation{ResponseCode: "AS100", Message: "Timeout: the payment was not completed in time"}); got != "Время на оплату истекло" {
		t.Errorf("timeout: %q", got)
	}
	for _, s := range []gateway.OpState{gateway.OpSuccess, gateway.OpFailed, gateway.OpInProcess} {
		if latinWord.MatchString(ru.OpState(s)) {
			t.Errorf("op state %s in Russian: %q", s, ru.OpState(s))
		}
	}
}
