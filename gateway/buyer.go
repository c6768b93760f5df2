package gateway

import (
	"strings"
	"unicode"
)

// buyerLimits are the longest values the buyer fields take, in characters. The contract
// names none; these are generous enough for a real address and phone number and keep a
// megabyte of text out of the order.
var buyerLimits = []struct {
	name  string
	limit int
	get   func(Customer) string
}{
	{"mobilephone", 32, func(c Customer) string { return c.MobilePhone }},
	{"address", 256, func(c Customer) string { return c.Address }},
	{"homephone", 32, func(c Customer) string { return c.HomePhone }},
	{"workphone", 32, func(c Customer) string { return c.WorkPhone }},
	{"fax", 32, func(c Customer) string { return c.Fax }},
	{"country", 64, func(c Customer) string { return c.Country }},
	{"state", 64, func(c Customer) string { return c.State }},
	{"city", 64, func(c Customer) string { return c.City }},
	{"zip", 16, func(c Customer) string { return c.Zip }},
}

// checkBuyer refuses a buyer field that is too long or holds control characters (5/110
// naming it), before anything is written. An address may hold line breaks and tabs (a
// shop's textarea sends them).
func checkBuyer(c Customer) error {
	for _, f := range buyerLimits {
		v := f.get(c)
		if n := len([]rune(v)); n > f.limit {
			return Invalid(CodeParam, "%s is longer than %d characters", f.name, f.limit)
		}
		bad := unicode.IsControl
		if f.name == "address" {
			bad = func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }
		}
		if strings.IndexFunc(v, bad) >= 0 {
			return Invalid(CodeParam, "%s contains control characters", f.name)
		}
	}
	return nil
}

// checkPurchase checks what a payment says beyond the charge about its buyer and its
// receipt, before anything is written, and returns the receipt's lines (nil: no receipt).
func checkPurchase(req *PayRequest) (*ReceiptSpec, error) {
	if err := checkBuyer(req.Customer); err != nil {
		return nil, err
	}
	if !req.Receipt.sent() {
		return nil, nil
	}
	amount, ok := ParseAmount(req.Amount)
	if !ok {
		return nil, Invalid(CodeAmount, "orderamount is missing or not a valid amount")
	}
	return parseReceipt(req.Receipt, amount, strings.TrimSpace(req.OrderNumber), req.Comment)
}
