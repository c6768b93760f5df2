package signer

import "strings"

// SignedExtras are appended to a request's X when sent with a value other than empty or 0
// (Assist's PHP SDK signs them), in this order.
var SignedExtras = []string{"ordermaxpoints", "customernumber", "disable3ds", "prepayment"}

// RequestX returns the parts of Merchant_ID;OrderNumber;OrderAmount;OrderCurrency as the
// client sent them (get reads a parameter by its lowercase name); OrderCurrency is left out
// when not sent (the Ruby SDK signs so), and SignedExtras follow when set.
func RequestX(get func(string) string, amountKey, currencyKey string) []string {
	parts := []string{get("merchant_id"), get("ordernumber"), get(amountKey)}
	if cur := get(currencyKey); cur != "" {
		parts = append(parts, cur)
	}
	for _, k := range SignedExtras {
		if v := get(k); v != "" && v != "0" {
			parts = append(parts, v)
		}
	}
	return parts
}

// RequestPolicy is how a merchant's requests are guarded.
type RequestPolicy struct {
	Signature   string // off | optional | required
	PublicKey   any    // *rsa.PublicKey or ed25519.PublicKey
	Secret      string // checkvalue salt
	NoSeparator bool   // also accept a checkvalue over X without ';'
}

// Check verifies a request's signature and checkvalue under the policy. It returns 0 when the
// request passes, else the protocol's secondcode (150 Signature, 158 Checkvalue) and a message.
func (p RequestPolicy) Check(get func(string) string, amountKey, currencyKey string) (int, string) {
	parts := RequestX(get, amountKey, currencyKey)
	x := strings.Join(parts, ";")
	sig := get("signature")
	switch {
	case p.Signature == "off":
	case sig == "" && p.Signature == "required":
		return 150, "Signature is required for this merchant"
	case sig != "":
		if p.PublicKey == nil || !VerifyRequest(p.PublicKey, x, sig) {
			return 150, "Signature does not verify over " + x
		}
	}
	if cv := get("checkvalue"); cv != "" {
		ok := CheckvalueEqual(cv, Checkvalue(p.Secret, x))
		if !ok && p.NoSeparator {
			ok = CheckvalueEqual(cv, Checkvalue(p.Secret, strings.Join(parts, "")))
		}
		if !ok {
			return 158, "Checkvalue does not match"
		}
	}
	return 0, ""
}
