package server_test

import (
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	ts := newTestServer(t)
	res, _ := ts.soap(t, "/pay/silentpay.cfm", "silentpay", cardPay("700001", "A-1"))
	fmt.Println(res.Status, res.Body)
	res = ts.form(t, "/pay/silentpay.cfm", cardPay("700001", "A-2", "format", "1", "delay", "1"))
	fmt.Println(res.Status, res.Body)
	res = ts.form(t, "/orderstate/orderstate.cfm", creds("700001", "ordernumber", "A-2", "format", "3"))
	fmt.Println(res.Status, res.Body)
	res = ts.form(t, "/orderresult/orderresult.cfm", creds("700001", "ordernumber", "A-1", "format", "5"))
	fmt.Println(res.Status, res.Body)
	res, _ = ts.json(t, "/cancel/wscancel.cfm", creds("700001", "billnumber", ts.pay(t, "700001", "A-3")))
	fmt.Println(res.Status, res.Body)
	res = ts.form(t, "/charge/charge.cfm", creds("700001", "billnumber", "1", "format", "4"))
	fmt.Println(res.Status, res.Body)
	res, _ = ts.soap12(t, "/charge/charge.cfm", "charge", creds("700001", "billnumber", "1"))
	fmt.Println(res.Status, res.Body)
}
