package gateway

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Saved cards (card on file): a payment with a customernumber saves its card under a token;
// the merchant lists and removes a customer's tokens and pays with one (tokenpay, a
// customer-initiated payment). Tokens are the merchant's: another merchant's is not found.

// ErrTokenNotFound answers a token unknown to the merchant (or removed, or another merchant's).
var ErrTokenNotFound = &Error{10, 201, "token not found for this merchant and customer"}

// newToken draws a random UUID (version 4), upper-case as docs/protocol.md writes it.
func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return strings.ToUpper(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]))
}

// saveCard saves the order's card for the customer and returns its token. The same card
// (bin, last four and expiry) saved again for the customer keeps its token, so a customer who
// pays twice with one card does not collect duplicates.
func saveCard(tx RecurringTx, order *Order, customer string, now time.Time) (string, error) {
	cards, err := tx.SavedCards(order.MerchantID, customer)
	if err != nil {
		return "", err
	}
	for _, c := range cards {
		k := c.Card
		if k.Bin == order.Card.Bin && k.Last4 == order.Card.Last4 && k.ExpMonth == order.Card.ExpMonth && k.ExpYear == order.Card.ExpYear {
			c.Card, c.OrderID, c.Updated = order.Card, order.ID, now
			return c.Token, tx.UpdateSavedCard(c)
		}
	}
	c := &SavedCard{Token: newToken(), MerchantID: order.MerchantID, CustomerNumber: customer, OrderID: order.ID,
		Card: order.Card, Active: true, Created: now, Updated: now}
	return c.Token, tx.InsertSavedCard(c)
}

// TokenQuery names a customer's tokens (token.cfm) or one of them (rem_token.cfm).
type TokenQuery struct {
	CustomerNumber string
	Token          string
}

func (q TokenQuery) customer() (string, error) {
	c, err := parseCustomerNumber(q.CustomerNumber)
	if err == nil && c == "" {
		err = Invalid(CodeParam, "customernumber is missing")
	}
	return c, err
}

// Tokens lists a customer's saved cards; with a token, only that one (10/201 when unknown).
func (g *Gateway) Tokens(ctx context.Context, m *Merchant, q TokenQuery) ([]*SavedCard, error) {
	customer, err := q.customer()
	if err != nil {
		return nil, err
	}
	if m.Disabled.CardOnFile {
		// Removing a card stays possible: it only ever takes a capability away.
		return nil, errDisabled("customernumber", "card on file")
	}
	token := strings.ToUpper(strings.TrimSpace(q.Token))
	var cards []*SavedCard
	err = g.Store.View(ctx, func(tx Tx) (err error) {
		cards, err = tx.SavedCards(m.ID, customer)
		return err
	})
	if err != nil || token == "" {
		return cards, err
	}
	for _, c := range cards {
		if c.Token == token {
			return []*SavedCard{c}, nil
		}
	}
	return nil, ErrTokenNotFound
}

// RemoveToken removes a customer's saved card and returns the customer's remaining cards.
func (g *Gateway) RemoveToken(ctx context.Context, m *Merchant, q TokenQuery) ([]*SavedCard, error) {
	customer, err := q.customer()
	if err != nil {
		return nil, err
	}
	token := strings.ToUpper(strings.TrimSpace(q.Token))
	if token == "" {
		return nil, Invalid(CodeParam, "token is missing")
	}
	var cards []*SavedCard
	err = g.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.SavedCard(m.ID, token)
		if errors.Is(err, ErrNoRows) || (err == nil && c.CustomerNumber != customer) {
			return ErrTokenNotFound
		} else if err != nil {
			return err
		}
		c.Active, c.Updated = false, g.Clock.Now()
		if err := tx.UpdateSavedCard(c); err != nil {
			return err
		}
		cards, err = tx.SavedCards(m.ID, customer)
		return err
	})
	return cards, err
}

// TokenPayRequest is a customer-initiated payment with a saved card (tokenpay).
type TokenPayRequest struct {
	OrderNumber, Amount, Currency, Comment, TwoStage string
	Customer                                         Customer
	TokenType                                        string // must be 5: card on file
	PaymentToken                                     string // {"Token":"<UUID>","CustomerNumber":"<n>"}
	// Token and CustomerNumber stand in for PaymentToken when a JSON body sent it as an
	// object rather than a string (its members then arrive as parameters of their own).
	Token, CustomerNumber string
	Receipt               ReceiptRequest // the fiscal receipt's lines
}

// TokenTypeCOF is the tokentype of a saved card (card on file).
const TokenTypeCOF = "5"

func (r TokenPayRequest) token() (token, customer string, err error) {
	// tokentype is optional: card on file (5) when absent, as the card-on-file document says.
	if tt := strings.TrimSpace(r.TokenType); tt != "" && tt != TokenTypeCOF {
		return "", "", Invalid(CodeParam, "tokentype must be 5 (card on file)")
	}
	token, customer = r.Token, r.CustomerNumber
	if pt := strings.TrimSpace(r.PaymentToken); pt != "" {
		var v struct{ Token, CustomerNumber json.RawMessage }
		if json.Unmarshal([]byte(pt), &v) != nil {
			return "", "", Invalid(CodeParam, `paymenttoken must be {"Token":"<UUID>","CustomerNumber":"<customer>"}`)
		}
		token, customer = jsonText(v.Token), jsonText(v.CustomerNumber)
	}
	token = strings.ToUpper(strings.TrimSpace(token))
	if token == "" {
		return "", "", Invalid(CodeParam, "paymenttoken has no Token")
	}
	if customer, err = parseCustomerNumber(customer); err == nil && customer == "" {
		err = Invalid(CodeParam, "paymenttoken has no CustomerNumber")
	}
	return token, customer, err
}

// jsonText reads a JSON string or number as text (customer numbers are sent both ways).
func jsonText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// TokenPay charges a saved card at the customer's request. Like Pay, the order is committed
// In Process before the processor is asked.
func (g *Gateway) TokenPay(ctx context.Context, m *Merchant, req TokenPayRequest) (*Reply, error) {
	orderNumber, err := parseOrderNumber(req.OrderNumber)
	if err != nil {
		return nil, err
	}
	amount, ok := ParseAmount(req.Amount)
	if !ok {
		return nil, Invalid(CodeAmount, "orderamount is missing or not a valid amount")
	}
	currency, ok := ParseCurrency(req.Currency, m.Currency)
	if !ok {
		return nil, Invalid(CodeCurrency, "ordercurrency %q is not allowed", req.Currency)
	}
	twoStage, err := parseFlag("delay", req.TwoStage)
	if err != nil {
		return nil, err
	}
	if m.Disabled.CardOnFile {
		return nil, errDisabled("paymenttoken", "card on file")
	}
	if err := m.checkTwoStage(twoStage, true); err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, value string }{{"lastname", req.Customer.LastName},
		{"firstname", req.Customer.FirstName}, {"email", req.Customer.Email}} {
		if strings.TrimSpace(f.value) == "" {
			return nil, Invalid(CodeParam, "%s is required for a token payment", f.name)
		}
	}
	token, customer, err := req.token()
	if err != nil {
		return nil, err
	}
	receipt, err := checkPurchase(&PayRequest{OrderNumber: orderNumber, Amount: req.Amount, Comment: req.Comment,
		Customer: req.Customer, Receipt: req.Receipt})
	if err != nil {
		return nil, err
	}
	now := g.Clock.Now()
	var order *Order
	op := &Operation{Type: OpPayment, State: OpInProcess, Amount: amount, Currency: currency,
		ResponseCode: "AS300", Message: "In process", IPAddress: req.Customer.IPAddress, Created: now}
	err = g.Store.Update(ctx, func(tx Tx) error {
		c, err := tx.SavedCard(m.ID, token)
		if errors.Is(err, ErrNoRows) || (err == nil && c.CustomerNumber != customer) {
			return ErrTokenNotFound
		} else if err != nil {
			return err
		}
		if err := checkDuplicate(tx, m.ID, orderNumber, now); err != nil {
			return err
		}
		order = &Order{MerchantID: m.ID, OrderNumber: orderNumber, Amount: amount, Currency: currency,
			Comment: req.Comment, Customer: req.Customer, State: StateInProcess, TwoStage: twoStage,
			TestMode: m.TestMode, Card: c.Card, Created: now, Updated: now}
		if err := insertOrder(tx, order, op); err != nil {
			return err
		}
		return g.extrasCreated(tx, m, order, &PayExtras{CustomerNumber: customer, UsedToken: token, Receipt: receipt})
	})
	if err != nil {
		return nil, err
	}
	return g.Authorize(ctx, m, order, op)
}
