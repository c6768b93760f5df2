package server

import (
	"strings"

	"soapgate/gateway"
	"soapgate/signer"
)

// signedFields are appended to the request's X when sent with a value other than empty or 0
// (the PHP SDK signs them), in this order.
var signedFields = []string{"ordermaxpoints", "customernumber", "disable3ds", "prepayment"}

// requestX is Merchant_ID;OrderNumber;OrderAmount;OrderCurrency as the client sent them;
// OrderCurrency is left out when not sent (the Ruby SDK signs so).
func requestX(c *call, amountKey, currencyKey string) []string {
	parts := []string{c.get("merchant_id"), c.get("ordernumber"), c.get(amountKey)}
	if cur := c.get(currencyKey); cur != "" {
		parts = append(parts, cur)
	}
	for _, k := range signedFields {
		if v := c.get(k); v != "" && v != "0" {
			parts = append(parts, v)
		}
	}
	return parts
}

// guard checks the request Signature and Checkvalue per the merchant's policy before anything
// is written: a missing Signature where required or any bad one is 5/150, a bad Checkvalue 5/158.
func guard(c *call, m *gateway.Merchant, amountKey, currencyKey string) error {
	parts := requestX(c, amountKey, currencyKey)
	x := strings.Join(parts, ";")
	sig := c.get("signature")
	switch {
	case m.RequestSignature == "off":
	case sig == "" && m.RequestSignature == "required":
		return gateway.Invalid(gateway.CodeSignature, "Signature is required for this merchant")
	case sig != "":
		if m.PublicKey == nil || !signer.VerifyRequest(m.PublicKey, x, sig) {
			return gateway.Invalid(gateway.CodeSignature, "Signature does not verify over %q", x)
		}
	}
	if cv := c.get("checkvalue"); cv != "" {
		ok := signer.CheckvalueEqual(cv, signer.Checkvalue(m.Secret, x))
		if !ok && m.CheckvalueNoSeparator {
			ok = signer.CheckvalueEqual(cv, signer.Checkvalue(m.Secret, strings.Join(parts, "")))
		}
		if !ok {
			return gateway.Invalid(gateway.CodeCheckvalue, "Checkvalue does not match")
		}
	}
	return nil
}
