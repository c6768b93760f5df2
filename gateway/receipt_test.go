package gateway

import (
	"strings"
	"testing"
)

// TestParseReceipt checks the receipt rules one by one: what is accepted, what each line
// becomes, and that every refusal is 5/110 naming the field (and the item).
func TestParseReceipt(t *testing.T) {
	line := func(fields string) string { return `{"items":[` + fields + `]}` }
	for _, tc := range []struct {
		name   string
		req    ReceiptRequest
		amount Amount
		want   string // the lines as id:price×qty=amount/tax/fpmode, or "none", or the error's text
	}{
		{"no receipt fields", ReceiptRequest{}, 100, "none"},
		{"generatereceipt 0 forbids, bad lines and all", ReceiptRequest{Generate: "0", ChequeItems: "junk"}, 100, "none"},
		{"generatereceipt other", ReceiptRequest{Generate: "yes"}, 100, "5/110: generatereceipt must be 0 or 1"},
		{"generatereceipt 1 needs a tax", ReceiptRequest{Generate: "1"}, 100, "5/110: tax is required for a receipt"},
		{"one line, defaults", ReceiptRequest{Tax: "VAT20"}, 12345, "1:123.45×1=123.45/vat20/4 Order o-1"},
		{"one line, named", ReceiptRequest{Tax: "novat", Line: "Book", FPMode: "1"}, 500, "1:5.00×1=5.00/novat/1 Book"},
		{"items: numbers and strings, defaults from the request", ReceiptRequest{Tax: "vat0", FPMode: "2",
			ChequeItems: line(`{"id":1,"product":"P","price":"1,50","quantity":"2","amount":3},{"id":"x","name":"N","price":7,"quantity":0.5,"amount":3.5,"tax":"vat122","fpmode":"7"}`)},
			650, "1:1.50×2=3.00/vat0/2 P; x:7.00×0.5=3.50/vat122/7 N"},
		{"half a kopeck rounds up", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":"0.01","quantity":"0.5","amount":"0.01","tax":"vat10"}`)},
			1, "1:0.01×0.5=0.01/vat10/4 A"},
		{"just under half rounds down", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":"0.01","quantity":"0.499","amount":"0.01","tax":"vat10"}`)},
			1, "5/110: chequeitems item 1: amount 0.01 is not price × quantity (0.01 × 0.499 = 0.00)"},
		{"key case as Assist's clients vary it", ReceiptRequest{ChequeItems: `{"Items":[{"ID":"1","Name":"A","Price":1,"Quantity":1,"Amount":1,"Tax":"vat5"}]}`},
			100, "1:1.00×1=1.00/vat5/4 A"},
		{"every rate", ReceiptRequest{ChequeItems: line(strings.Join(func() []string {
			var out []string
			for i, r := range strings.Fields("novat vat0 vat5 vat7 vat10 vat18 vat20 vat22 vat105 vat107 vat110 vat118 vat120 vat122") {
				out = append(out, `{"id":"`+string(rune('a'+i))+`","name":"A","price":1,"quantity":1,"amount":1,"tax":"`+r+`"}`)
			}
			return out
		}(), ","))}, 1400, "14 lines"},
		{"taxationsystem", ReceiptRequest{Tax: "vat20", TaxationSystem: "9"}, 100, "5/110: taxationsystem must be 0 to 5"},
		{"sum short", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":1,"quantity":1,"amount":1,"tax":"vat20"}`)}, 200,
			"5/110: chequeitems: the items sum to 1.00, the order amount is 2.00"},
		{"unique ids", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":1,"quantity":1,"amount":1,"tax":"vat20"},{"id":1,"name":"B","price":1,"quantity":1,"amount":1,"tax":"vat20"}`)}, 200,
			`5/110: chequeitems item 2: id "1" is also item 1's (ids must be unique)`},
		{"huge quantity", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":999999999999999,"quantity":99999999.999,"amount":1,"tax":"vat20"}`)}, 100,
			"5/110: chequeitems item 1: amount 1.00 is not price × quantity (999999999999999.00 × 99999999.999 is too large)"},
		{"quantity too many digits", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":1,"quantity":123456789,"amount":1,"tax":"vat20"}`)}, 100,
			"5/110: chequeitems item 1: quantity"},
		{"boolean price", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"A","price":true,"quantity":1,"amount":1,"tax":"vat20"}`)}, 100,
			"5/110: chequeitems item 1 is not an object"},
		{"too many items", ReceiptRequest{ChequeItems: line(strings.Repeat(`{"id":"1"},`, 100) + `{"id":"1"}`)}, 100,
			"5/110: chequeitems has more than 100 items"},
		{"trailing data", ReceiptRequest{ChequeItems: `{"items":[]} {}`}, 100, "5/110: chequeitems must be JSON"},
		{"name too long", ReceiptRequest{ChequeItems: line(`{"id":"1","name":"` + strings.Repeat("n", 129) + `","price":1,"quantity":1,"amount":1,"tax":"vat20"}`)}, 100,
			"5/110: chequeitems item 1: name is longer than 128 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := parseReceipt(tc.req, tc.amount, "o-1", "")
			var got string
			switch {
			case err != nil:
				got = err.Error()
			case spec == nil:
				got = "none"
			case strings.HasSuffix(tc.want, " lines"):
				got = itoa(len(spec.Items)) + " lines"
			default:
				var parts []string
				for _, it := range spec.Items {
					parts = append(parts, it.ID+":"+it.Price.String()+"×"+it.Quantity.String()+"="+it.Amount.String()+"/"+it.Tax+"/"+itoa(it.FPMode)+" "+it.Title())
				}
				got = strings.Join(parts, "; ")
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if err != nil && AsError(err).Second != CodeParam {
				t.Fatalf("not 5/110: %v", err)
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// TestReceiptSpec_Scaled checks that scaled lines always sum to the target exactly, keep
// amount = price × quantity, and that the whole total leaves the lines as they were.
func TestReceiptSpec_Scaled(t *testing.T) {
	spec := &ReceiptSpec{Total: 10000, Items: []ReceiptItem{
		{ID: "a", Price: 3333, Quantity: 1000, Amount: 3333, Tax: "vat20", FPMode: 4},
		{ID: "b", Price: 1111, Quantity: 3000, Amount: 3333, Tax: "vat20", FPMode: 4},
		{ID: "c", Price: 1667, Quantity: 2000, Amount: 3334, Tax: "vat10", FPMode: 4},
	}}
	for _, target := range []Amount{1, 2, 3, 99, 100, 3333, 5000, 9999, 10000, 12345, 999999999} {
		lines := spec.Scaled(target)
		var sum Amount
		for _, l := range lines {
			sum += l.Amount
			if want, _ := lineAmount(l.Price, l.Quantity); want != l.Amount || l.Amount <= 0 {
				t.Fatalf("target %s: line %+v is not price × quantity", target, l)
			}
		}
		if sum != target {
			t.Fatalf("target %s: lines sum to %s", target, sum)
		}
	}
	if got := spec.Scaled(10000); len(got) != 3 || got[2] != spec.Items[2] {
		t.Fatalf("the whole total changed the lines: %+v", got)
	}
	// 50.00 of 100.00: halves, rounded down, the last line the remainder; 16.66 does not
	// divide by 3 to the kopeck, so line b becomes one unit, while 16.68 is 2 × 8.34.
	got := spec.Scaled(5000)
	if got[0].Amount != 1666 || got[1].Amount != 1666 || got[2].Amount != 1668 || got[1].Quantity != 1000 ||
		got[2].Quantity != 2000 || got[2].Price != 834 {
		t.Fatalf("half: %+v", got)
	}
	// Beyond int64 in the intermediate product (15-digit amounts) without overflow.
	big := &ReceiptSpec{Total: 999999999999999, Items: []ReceiptItem{{ID: "1", Price: 999999999999998, Quantity: 1000, Amount: 999999999999998}, {ID: "2", Price: 1, Quantity: 1000, Amount: 1}}}
	if got := big.Scaled(999999999999990); got[0].Amount+got[1].Amount != 999999999999990 {
		t.Fatalf("big: %+v", got)
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "1.5": "1.5", "0,125": "0.125", "2.000": "2", "99999999.999": "99999999.999"} {
		if q, ok := ParseQuantity(in); !ok || q.String() != want {
			t.Errorf("ParseQuantity(%q) = %v %v, want %s", in, q, ok, want)
		}
	}
	for _, in := range []string{"", "0", "0.000", "-1", "1.2345", "1e3", ".5", "123456789", "1.5.5", "١"} {
		if q, ok := ParseQuantity(in); ok {
			t.Errorf("ParseQuantity(%q) = %v, want refused", in, q)
		}
	}
}
