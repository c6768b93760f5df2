package gateway

import (
	"testing"
)

// FuzzParseChequeItems feeds arbitrary ChequeItems text and order amounts to the receipt
// parser: it must never panic, every refusal must be a coded 5/110, and accepted lines must
// keep the rules (unique ids, product or name, amount = price × quantity to the kopeck, a
// known rate, fpmode 1–7, sum = the order amount), also once scaled to any part.
func FuzzParseChequeItems(f *testing.F) {
	f.Add(`{"items":[{"id":"1","name":"A","price":60,"quantity":1,"amount":60,"tax":"vat20","fpmode":4},{"id":"2","name":"B","price":"20.00","quantity":"2","amount":"40.00","tax":"vat10"}]}`, int64(10000), int64(3000))
	f.Add(`{"items":[{"id":1,"product":"P","price":0.01,"quantity":0.5,"amount":0.01,"tax":"novat"}]}`, int64(1), int64(1))
	f.Add(`{"items":[{"id":"1"},{"id":"1"}]}`, int64(100), int64(50))
	f.Add(`{"items":null}`, int64(-5), int64(0))
	f.Add(`{"items":[{"id":"1","name":"\u0000","price":1e309,"quantity":-0,"amount":"1,00","tax":"VAT122","fpmode":"7"}]}`, int64(100), int64(100))
	f.Fuzz(func(t *testing.T, items string, amount, part int64) {
		if amount <= 0 || amount > 999999999999999 {
			amount = 10000
		}
		spec, err := parseReceipt(ReceiptRequest{ChequeItems: items}, Amount(amount), "o", "")
		if err != nil {
			if e := AsError(err); e.First != 5 || e.Second != CodeParam {
				t.Fatalf("refusal is not 5/110: %v", err)
			}
			return
		}
		if spec == nil {
			return // no items text at all
		}
		check := func(what string, lines []ReceiptItem, total Amount) {
			var sum Amount
			ids := map[string]bool{}
			for _, it := range lines {
				if want, ok := lineAmount(it.Price, it.Quantity); !ok || want != it.Amount || it.Amount <= 0 {
					t.Fatalf("%s: line %+v is not price × quantity", what, it)
				}
				if ids[it.ID] || it.ID == "" || it.Title() == "" || !taxRates[it.Tax] || it.FPMode < 1 || it.FPMode > 7 {
					t.Fatalf("%s: line %+v breaks a rule", what, it)
				}
				ids[it.ID] = true
				sum += it.Amount
			}
			if sum != total {
				t.Fatalf("%s: lines sum to %s, want %s", what, sum, total)
			}
		}
		check("parsed", spec.Items, Amount(amount))
		if part <= 0 || part > amount {
			part = amount/2 + 1
		}
		check("scaled", spec.Scaled(Amount(part)), Amount(part))
	})
}
