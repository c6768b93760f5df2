package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
)

// Fiscal receipts (54-FZ): a payment may carry the lines of its receipt, Assist-style, as
// ChequeItems ({"items":[{"id","product","name","price","quantity","amount","tax","fpmode"}]})
// or, for a one-line receipt, as Tax, ReceiptLine and FPMode; TaxationSystem applies to the
// whole receipt and GenerateReceipt=0 forbids one. The lines are checked before anything is
// written and kept with the order (a ReceiptSpec); every operation that moves the customer's
// money then gets a receipt made from them (receipt_fiscal.go).

// ReceiptRequest is the receipt data of a payment, as the client sent it.
type ReceiptRequest struct {
	ChequeItems    string // JSON {"items":[…]}
	Generate       string // GenerateReceipt: "0" forbids a receipt, "1" asks for one
	Tax            string // one-line receipt: the rate (also the default of items without one)
	Line           string // ReceiptLine: the one line's name
	FPMode         string // one-line receipt: the payment method (also the items' default)
	TaxationSystem string // 0..5, the merchant's taxation system for this receipt
}

// sent reports whether the request carries any receipt field.
func (r ReceiptRequest) sent() bool {
	return strings.TrimSpace(r.ChequeItems+r.Generate+r.Tax+r.Line+r.FPMode+r.TaxationSystem) != ""
}

// Quantity is a receipt line's quantity in thousandths (54-FZ allows three decimals).
type Quantity int64

// String writes the quantity without trailing zeros: "1", "1.5", "0.125".
func (q Quantity) String() string {
	s := strconv.FormatInt(int64(q/1000), 10)
	if frac := int64(q % 1000); frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%03d", frac), "0")
		s += "." + f
	}
	return s
}

// maxQuantity bounds a quantity: 8 whole digits.
const maxQuantity = Quantity(99999999999)

// ParseQuantity reads a decimal such as "1", "2.5" or "0,125": positive, at most three
// decimals and eight whole digits.
func ParseQuantity(s string) (Quantity, bool) {
	s = strings.TrimSpace(s)
	whole, frac := s, ""
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		whole, frac = s[:i], s[i+1:]
	}
	if whole == "" || len(whole) > 8 || len(frac) > 3 || !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	for len(frac) < 3 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || v <= 0 || Quantity(v) > maxQuantity {
		return 0, false
	}
	return Quantity(v), true
}

// ReceiptItem is one line of a receipt. Money is in minor units; Amount is Price × Quantity
// rounded to the kopeck.
type ReceiptItem struct {
	ID       string   `json:"id"`
	Product  string   `json:"product,omitempty"`
	Name     string   `json:"name,omitempty"`
	Price    Amount   `json:"price"`
	Quantity Quantity `json:"quantity"`
	Amount   Amount   `json:"amount"`
	Tax      string   `json:"tax"`
	FPMode   int      `json:"fpmode"`
}

// Title is what a receipt prints for the line: its name, else the product.
func (it ReceiptItem) Title() string {
	if it.Name != "" {
		return it.Name
	}
	return it.Product
}

// ReceiptSpec is the receipt a payment asked for: lines that sum to Total, the order's amount.
type ReceiptSpec struct {
	Items          []ReceiptItem
	Total          Amount
	TaxationSystem string // "" when not sent, else "0".."5"
}

// Tax rates of 54-FZ as Assist names them: novat (no VAT), the rates, and the calculated
// rates vat1xx (rate/(100+rate), for prepayments).
var taxRates = map[string]bool{
	"novat": true, "vat0": true, "vat5": true, "vat7": true, "vat10": true, "vat18": true, "vat20": true, "vat22": true,
	"vat105": true, "vat107": true, "vat110": true, "vat118": true, "vat120": true, "vat122": true,
}

// Limits of a receipt's text and size (the fiscal document format's).
const (
	maxReceiptItems = 100
	maxItemID       = 64
	maxItemProduct  = 64
	maxItemName     = 128
	// DefaultFPMode is the payment method of a line that names none: 4, full payment.
	DefaultFPMode = 4
)

// parseReceipt checks a payment's receipt data against the order's amount. It returns nil
// when no receipt is asked for (no receipt field, or GenerateReceipt=0, which forbids one
// whatever else is sent). Every refusal is 5/110 naming the field (and the item).
func parseReceipt(r ReceiptRequest, amount Amount, orderNumber, comment string) (*ReceiptSpec, error) {
	if !r.sent() {
		return nil, nil
	}
	switch strings.TrimSpace(r.Generate) {
	case "0":
		return nil, nil // the merchant forbids a receipt for this payment
	case "", "1":
	default:
		return nil, Invalid(CodeParam, "generatereceipt must be 0 or 1")
	}
	spec := &ReceiptSpec{Total: amount}
	if ts := strings.TrimSpace(r.TaxationSystem); ts != "" {
		if len(ts) != 1 || ts[0] < '0' || ts[0] > '5' {
			return nil, Invalid(CodeParam, "taxationsystem must be 0 to 5")
		}
		spec.TaxationSystem = ts
	}
	defTax, err := parseTax("tax", r.Tax)
	if err != nil {
		return nil, err
	}
	defMode, err := parseFPMode("fpmode", r.FPMode, DefaultFPMode)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.ChequeItems) != "" {
		if spec.Items, err = ParseChequeItems(r.ChequeItems, defTax, defMode); err != nil {
			return nil, err
		}
		var sum Amount
		for _, it := range spec.Items {
			sum += it.Amount // at most 100 lines of 15 digits: no overflow
		}
		if sum != amount {
			return nil, Invalid(CodeParam, "chequeitems: the items sum to %s, the order amount is %s", sum, amount)
		}
		return spec, nil
	}
	// A one-line receipt: the whole amount, named by ReceiptLine.
	if defTax == "" {
		return nil, Invalid(CodeParam, "tax is required for a receipt (novat, vat0, vat5, vat7, vat10, vat18, vat20, vat22, vat105, vat107, vat110, vat118, vat120, vat122)")
	}
	name := strings.TrimSpace(r.Line)
	if err := checkText("receiptline", name, maxItemName); err != nil {
		return nil, err
	}
	if name == "" {
		name = truncate(strings.Join(strings.Fields(comment), " "), maxItemName)
	}
	if name == "" {
		name = truncate("Order "+orderNumber, maxItemName)
	}
	spec.Items = []ReceiptItem{{ID: "1", Name: name, Price: amount, Quantity: 1000, Amount: amount, Tax: defTax, FPMode: defMode}}
	return spec, nil
}

// jsonItem is one ChequeItems line as clients send it: numbers as JSON numbers or strings.
type jsonItem struct {
	ID       jsonScalar `json:"id"`
	Product  jsonScalar `json:"product"`
	Name     jsonScalar `json:"name"`
	Price    jsonScalar `json:"price"`
	Quantity jsonScalar `json:"quantity"`
	Amount   jsonScalar `json:"amount"`
	Tax      jsonScalar `json:"tax"`
	FPMode   jsonScalar `json:"fpmode"`
}

// jsonScalar is a JSON string's text or a number's literal (never parsed as a float).
type jsonScalar struct{ text string }

func (s *jsonScalar) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &s.text)
	case string(b) == "null":
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		s.text = string(b)
		return nil
	}
	return fmt.Errorf("not a string or number")
}

// ParseChequeItems reads and checks ChequeItems: {"items":[…]} with 1 to 100 lines, each
// with a unique id, a product or a name, price, quantity, amount = price × quantity to the
// kopeck, a tax rate (defTax when the line has none; "" makes it required) and fpmode 1–7
// (defMode when absent). Refusals are 5/110 naming the item and the field. It does not
// compare the sum with the order (parseReceipt does).
func ParseChequeItems(s string, defTax string, defMode int) ([]ReceiptItem, error) {
	var doc struct {
		Items *[]json.RawMessage `json:"items"`
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil || d.More() {
		return nil, Invalid(CodeParam, `chequeitems must be JSON {"items":[{"id","product","name","price","quantity","amount","tax","fpmode"}]}`)
	}
	if doc.Items == nil || len(*doc.Items) == 0 {
		return nil, Invalid(CodeParam, "chequeitems has no items")
	}
	if len(*doc.Items) > maxReceiptItems {
		return nil, Invalid(CodeParam, "chequeitems has more than %d items", maxReceiptItems)
	}
	items := make([]ReceiptItem, 0, len(*doc.Items))
	ids := map[string]int{}
	for i, raw := range *doc.Items {
		n := i + 1
		var ji jsonItem
		if err := json.Unmarshal(raw, &ji); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			return nil, Invalid(CodeParam, "chequeitems item %d is not an object of strings and numbers", n)
		}
		it, err := checkItem(n, ji, defTax, defMode)
		if err != nil {
			return nil, err
		}
		if first, dup := ids[it.ID]; dup {
			return nil, Invalid(CodeParam, "chequeitems item %d: id %q is also item %d's (ids must be unique)", n, it.ID, first)
		}
		ids[it.ID] = n
		items = append(items, it)
	}
	return items, nil
}

// checkItem checks line n of ChequeItems.
func checkItem(n int, ji jsonItem, defTax string, defMode int) (ReceiptItem, error) {
	bad := func(format string, args ...any) (ReceiptItem, error) {
		return ReceiptItem{}, Invalid(CodeParam, "chequeitems item %d: "+format, append([]any{n}, args...)...)
	}
	it := ReceiptItem{ID: strings.TrimSpace(ji.ID.text), Product: strings.TrimSpace(ji.Product.text), Name: strings.TrimSpace(ji.Name.text)}
	if it.ID == "" {
		return bad("id is missing")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"id", it.ID, maxItemID}, {"product", it.Product, maxItemProduct}, {"name", it.Name, maxItemName}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return bad("%s", err.(*Error).Message)
		}
	}
	if it.Product == "" && it.Name == "" {
		return bad("product or name is required")
	}
	var ok bool
	if it.Price, ok = ParseAmount(ji.Price.text); !ok {
		return bad("price is missing or not a valid amount")
	}
	if it.Quantity, ok = ParseQuantity(ji.Quantity.text); !ok {
		return bad("quantity is missing or not a positive number with at most 3 decimals")
	}
	if it.Amount, ok = ParseAmount(ji.Amount.text); !ok {
		return bad("amount is missing or not a valid amount")
	}
	if want, fits := lineAmount(it.Price, it.Quantity); !fits {
		return bad("amount %s is not price × quantity (%s × %s is too large)", it.Amount, it.Price, it.Quantity)
	} else if want != it.Amount {
		return bad("amount %s is not price × quantity (%s × %s = %s)", it.Amount, it.Price, it.Quantity, want)
	}
	tax, err := parseTax("tax", ji.Tax.text)
	if err != nil {
		return bad("%s", err.(*Error).Message)
	}
	if tax == "" {
		tax = defTax
	}
	if tax == "" {
		return bad("tax is missing")
	}
	it.Tax = tax
	if it.FPMode, err = parseFPMode("fpmode", ji.FPMode.text, defMode); err != nil {
		return bad("%s", err.(*Error).Message)
	}
	return it, nil
}

// lineAmount is price × quantity rounded half up to the kopeck; fits is false when it does
// not fit an Amount (then no amount can match it).
func lineAmount(price Amount, q Quantity) (Amount, bool) {
	p := new(big.Int).Mul(big.NewInt(int64(price)), big.NewInt(int64(q)))
	p.Add(p, big.NewInt(500))
	p.Quo(p, big.NewInt(1000))
	if !p.IsInt64() {
		return 0, false
	}
	return Amount(p.Int64()), true
}

// parseTax reads a tax rate in any letter case; "" when none was sent.
func parseTax(name, s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return "", nil
	}
	if !taxRates[t] {
		return "", Invalid(CodeParam, "%s %q is not a rate (novat, vat0, vat5, vat7, vat10, vat18, vat20, vat22, vat105, vat107, vat110, vat118, vat120, vat122)", name, truncate(s, 16))
	}
	return t, nil
}

// parseFPMode reads a payment method (признак способа расчёта), 1 to 7; def when empty.
func parseFPMode(name, s string, def int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	if len(s) != 1 || s[0] < '1' || s[0] > '7' {
		return 0, Invalid(CodeParam, "%s must be 1 to 7", name)
	}
	return int(s[0] - '0'), nil
}

func checkText(name, v string, max int) error {
	if len([]rune(v)) > max {
		return Invalid(CodeParam, "%s is longer than %d characters", name, max)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Invalid(CodeParam, "%s contains control characters", name)
	}
	return nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Scaled returns the spec's lines for a part of its total (a partial confirm or refund, a
// recurring charge of another amount): each line gets its share of total rounded down to
// the kopeck, and the last line the remainder, so that the lines sum to total exactly. A line
// keeps its quantity when its new amount divides by it to the kopeck, else it becomes one
// unit at its amount; lines whose share is 0.00 are left out. The whole total gives the
// lines unchanged.
func (s *ReceiptSpec) Scaled(total Amount) []ReceiptItem {
	out := make([]ReceiptItem, 0, len(s.Items))
	if total == s.Total {
		return append(out, s.Items...)
	}
	var sum Amount
	for i, it := range s.Items {
		var a Amount
		if i == len(s.Items)-1 {
			a = total - sum
		} else {
			a = share(it.Amount, total, s.Total)
		}
		sum += a
		if a <= 0 {
			continue
		}
		it.Amount = a
		// a ≤ 10^15 and a quantity is at most 10^11 thousandths: a×1000 fits an int64.
		if m := int64(a) * 1000; m%int64(it.Quantity) == 0 {
			it.Price = Amount(m / int64(it.Quantity))
		} else {
			it.Price, it.Quantity = a, 1000
		}
		out = append(out, it)
	}
	return out
}

// share is part × total / whole rounded down, without overflow (part ≤ whole, both > 0).
func share(part, total, whole Amount) Amount {
	if whole <= 0 || part <= 0 || total <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(part), uint64(total))
	if hi >= uint64(whole) {
		return total // part > whole: cannot happen for a checked spec
	}
	q, _ := bits.Div64(hi, lo, uint64(whole))
	return Amount(q)
}
