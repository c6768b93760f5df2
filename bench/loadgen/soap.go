// SOAP bodies and checks of the orderstate and silentpay scenarios.

package main

import (
	"bytes"
	"fmt"
	"net/http"
)

func envelope(inner string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<soapenv:Envelope xmlns:soapenv="` + soapEnvNS + `"><soapenv:Body>` + inner +
		`</soapenv:Body></soapenv:Envelope>`)
}

func orderstateBody(ordernumber string) []byte {
	return envelope(`<ws:orderstate xmlns:ws="` + wsNS + `">` +
		`<merchant_id>` + merchantID + `</merchant_id>` +
		`<login>` + login + `</login>` +
		`<password>` + password + `</password>` +
		`<ordernumber>` + ordernumber + `</ordernumber>` +
		`</ws:orderstate>`)
}

func orderresultBody(ordernumber string) []byte {
	return envelope(`<ws:orderresult xmlns:ws="` + wsNS + `">` +
		`<merchant_id>` + merchantID + `</merchant_id>` +
		`<login>` + login + `</login>` +
		`<password>` + password + `</password>` +
		`<ordernumber>` + ordernumber + `</ordernumber>` +
		`</ws:orderresult>`)
}

func silentpayBody(ordernumber string) []byte {
	return envelope(`<ws:silentpay xmlns:ws="` + wsNS + `">` +
		`<merchant_id>` + merchantID + `</merchant_id>` +
		`<login>` + login + `</login>` +
		`<password>` + password + `</password>` +
		`<ordernumber>` + ordernumber + `</ordernumber>` +
		`<orderamount>10.00</orderamount>` +
		`<ordercurrency>RUB</ordercurrency>` +
		`<cardnumber>` + cardNumber + `</cardnumber>` +
		`<expiremonth>12</expiremonth>` +
		`<expireyear>2030</expireyear>` +
		`<cvc2>123</cvc2>` +
		`<cardholder>BENCH TESTER</cardholder>` +
		`<lastname>Tester</lastname>` +
		`<firstname>Bench</firstname>` +
		`<email>bench@example.com</email>` +
		`</ws:silentpay>`)
}

func checkFirstcodeZero(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	if !bytes.Contains(body, []byte(`firstcode="0"`)) {
		return fmt.Errorf(`no firstcode="0": %s`, snippet(body))
	}
	return nil
}

func checkApproved(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", status, snippet(body))
	}
	if !bytes.Contains(body, []byte(`<orderstate>Approved</orderstate>`)) {
		return fmt.Errorf("no <orderstate>Approved</orderstate>: %s", snippet(body))
	}
	return nil
}
