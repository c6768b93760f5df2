package server

import (
	"soapgate/gateway"
	"soapgate/signer"
)

// Policy is the merchant's request-guard settings, for the signer.
func Policy(m *gateway.Merchant) signer.RequestPolicy {
	return signer.RequestPolicy{Signature: m.RequestSignature, PublicKey: m.PublicKey, Secret: m.Secret, NoSeparator: m.CheckvalueNoSeparator}
}

// guard checks the request Signature and Checkvalue per the merchant's policy before anything
// is written: a missing Signature where required or any bad one is 5/150, a bad Checkvalue 5/158.
func guard(c *call, m *gateway.Merchant, amountKey, currencyKey string) error {
	if code, msg := Policy(m).Check(c.get, amountKey, currencyKey); code != 0 {
		return gateway.Invalid(code, "%s", msg)
	}
	return nil
}
