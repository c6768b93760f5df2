package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// PageStage is where a payment page stands.
type PageStage string

const (
	PageCard    PageStage = "card"    // waiting for the card form
	PageIssuer  PageStage = "3ds"     // the card needs 3-D Secure: waiting for the issuer's code
	PagePaying  PageStage = "paying"  // the card is on the order: the processor decides
	PageExpired PageStage = "expired" // nobody paid within the payment TTL: the order is Timeout
)

// Page is the payment page of one order: an unguessable id, where to send the customer back,
// and the one-time token that lets exactly one card submit through.
type Page struct {
	ID         string // unguessable, the last segment of /pay/order/<id>
	OrderID    int64
	MerchantID string // of the order (read with the page)
	BillNumber string // of the order (read with the page)
	Language   string // RU | EN
	ReturnURL  string // URL_RETURN: stands in for a missing OK or NO
	ReturnOK   string
	ReturnNo   string
	Stage      PageStage
	FormToken  string
	Card       Card // a tokenised card waiting for 3-D Secure; never the number or CVC
	Expires    time.Time
	Created    time.Time
	// Creator is the SHA-256 (hex) of the secret the creating browser holds in a cookie;
	// empty for a page made by payrequest.
	Creator string
}

// ReturnFor is where the customer goes after the payment: OK when the payment succeeded,
// NO otherwise, URL_RETURN when the one asked for is missing; "" means the result page.
func (p *Page) ReturnFor(paid bool) string {
	u := p.ReturnNo
	if paid {
		u = p.ReturnOK
	}
	if u == "" {
		u = p.ReturnURL
	}
	return u
}

// DefaultPaymentTTL is how long an unpaid payment-page order waits before it becomes Timeout.
const DefaultPaymentTTL = 24 * time.Hour

// ErrPageUsed means a submit arrived when its page no longer takes one (used token, a second
// tab, the back button): nothing was charged; the caller shows the page as it stands.
var ErrPageUsed = errors.New("payment page already submitted")

// Pages creates and pays payment-page orders. It implements Job: due pages become Timeout.
type Pages struct {
	Gateway *Gateway
	TTL     time.Duration // DefaultPaymentTTL when zero
}

func (p *Pages) ttl() time.Duration {
	if p.TTL <= 0 {
		return DefaultPaymentTTL
	}
	return p.TTL
}

// PageRequest is an order from /pay/order.cfm or /pay/payrequest.cfm, before any card.
type PageRequest struct {
	OrderNumber, Amount, Currency, Comment, TwoStage string
	Customer                                         Customer
	CustomerNumber                                   string
	Recurring                                        RecurringRequest
	Receipt                                          ReceiptRequest
	Language                                         string
	ReturnURL, ReturnOK, ReturnNo                    string

	// Who asks decides what happens to an unpaid page order under the same ordernumber:
	// a signed request gets that page back; an authenticated one (payrequest) closes it as
	// Timeout and makes a new one; a browser gets it back only with the creator's secret.
	Signed, Authenticated bool
	Creator               string // the browser's secret (its cookie), "" when it has none
}

// Create checks the request like silentpay and creates the order In Process without a card,
// with its page. The same ordernumber again, while its order is In Process with no card yet
// and for the same amount and currency, answers the existing page instead of 10/204.
func (p *Pages) Create(ctx context.Context, m *Merchant, req PageRequest) (*Page, *Order, error) {
	g := p.Gateway
	orderNumber, err := parseOrderNumber(req.OrderNumber)
	if err != nil {
		return nil, nil, err
	}
	amount, ok := ParseAmount(req.Amount)
	if !ok {
		return nil, nil, Invalid(CodeAmount, "orderamount is missing or not a valid amount")
	}
	currency, ok := ParseCurrency(req.Currency, m.Currency)
	if !ok {
		return nil, nil, Invalid(CodeCurrency, "ordercurrency %q is not allowed", req.Currency)
	}
	twoStage, err := parseFlag("delay", req.TwoStage)
	if err != nil {
		return nil, nil, err
	}
	if err := m.checkTwoStage(twoStage, false); err != nil {
		return nil, nil, err
	}
	for _, ru := range []struct{ name, v string }{{"url_return", req.ReturnURL}, {"url_return_ok", req.ReturnOK}, {"url_return_no", req.ReturnNo}} {
		if err := CheckReturnURL(m, ru.name, ru.v); err != nil {
			return nil, nil, err
		}
	}
	extras, err := g.parseExtras(m, PayRequest{OrderNumber: orderNumber, Amount: req.Amount, Currency: req.Currency,
		Comment: req.Comment, TwoStage: req.TwoStage, Customer: req.Customer, CustomerNumber: req.CustomerNumber, Recurring: req.Recurring,
		Receipt: req.Receipt})
	if err != nil {
		return nil, nil, err
	}
	// On the payment page the payer decides whether a new card is saved (#remember-card); the
	// customernumber alone only offers the customer's saved cards (One Click).
	extras.SaveCard = false
	lang := strings.ToUpper(strings.TrimSpace(req.Language))
	if lang != "EN" {
		lang = "RU"
	}
	now := g.Clock.Now()
	var page *Page
	var order *Order
	err = g.Store.Update(ctx, func(tx Tx) error {
		for {
			held, err := tx.OrderHoldingMoney(m.ID, orderNumber)
			if errors.Is(err, ErrNoRows) {
				break
			}
			if err != nil {
				return err
			}
			if held.State != StateInProcess || held.Card.Ref != "" {
				return ErrDuplicateOrder
			}
			pg, err := tx.PageByOrder(held.ID)
			if errors.Is(err, ErrNoRows) {
				return ErrDuplicateOrder
			} else if err != nil {
				return err
			}
			if !now.Before(pg.Expires) {
				// Due but not yet swept: expire it now, so it no longer blocks the ordernumber.
				if err := expire(tx, held, pg, now); err != nil {
					return err
				}
				continue
			}
			if pg.Stage == PageCard && req.Authenticated && !req.Signed {
				if err := expire(tx, held, pg, now); err != nil {
					return err
				}
				continue
			}
			if pg.Stage != PageCard || held.Amount != amount || held.Currency != currency || !(req.Signed || pg.createdBy(req.Creator)) {
				return ErrDuplicateOrder
			}
			page, order = pg, held
			return nil
		}
		order = &Order{
			MerchantID: m.ID, OrderNumber: orderNumber, Amount: amount, Currency: currency,
			Comment: req.Comment, Customer: req.Customer, State: StateInProcess, TwoStage: twoStage,
			TestMode: m.TestMode, Created: now, Updated: now,
		}
		op := &Operation{Type: OpPayment, State: OpInProcess, Amount: amount, Currency: currency,
			ResponseCode: "AS300", Message: "In process", IPAddress: req.Customer.IPAddress, Created: now}
		if err := insertOrder(tx, order, op); err != nil {
			return err
		}
		page = &Page{ID: randomID(32), OrderID: order.ID, MerchantID: m.ID, BillNumber: order.BillNumber,
			Language: lang, ReturnURL: strings.TrimSpace(req.ReturnURL), ReturnOK: strings.TrimSpace(req.ReturnOK),
			ReturnNo: strings.TrimSpace(req.ReturnNo), Stage: PageCard, FormToken: randomID(18),
			Expires: now.Add(p.ttl()), Created: now, Creator: creatorHash(req.Creator)}
		if err := tx.InsertPage(page); err != nil {
			return err
		}
		return g.extrasCreated(tx, m, order, extras)
	})
	if err != nil {
		return nil, nil, err
	}
	return page, order, nil
}

func creatorHash(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// createdBy reports whether secret is the one of the browser that created the page.
func (p *Page) createdBy(secret string) bool {
	return secret != "" && p.Creator != "" &&
		subtle.ConstantTimeCompare([]byte(creatorHash(secret)), []byte(p.Creator)) == 1
}

// CheckReturnURL accepts an empty value or an absolute http/https URL whose host is one of
// the merchant's return_hosts (any host when the list is empty); else 5/110.
func CheckReturnURL(m *Merchant, name, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Invalid(CodeParam, "%s must be an absolute http or https URL", name)
	}
	if len(m.ReturnHosts) == 0 {
		return nil
	}
	for _, h := range m.ReturnHosts {
		if strings.EqualFold(h, u.Hostname()) || strings.EqualFold(h, u.Host) {
			return nil
		}
	}
	return Invalid(CodeParam, "%s host %q is not one of the merchant's return hosts", name, u.Hostname())
}

// Load returns a page with its order and merchant; an unknown id is ErrNotFound.
func (p *Pages) Load(ctx context.Context, id string) (*Page, *OrderDetail, *Merchant, error) {
	var page *Page
	var detail *OrderDetail
	err := p.Gateway.Store.View(ctx, func(tx Tx) error {
		var err error
		if page, err = tx.PageByID(id); err != nil {
			return err
		}
		order, ops, err := loadOrder(tx, page.MerchantID, page.BillNumber)
		detail = &OrderDetail{Order: order, Ops: ops}
		return err
	})
	if errors.Is(err, ErrNoRows) || errors.Is(err, ErrNotFound) {
		return nil, nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, nil, err
	}
	m := p.Gateway.Merchants.Get(page.MerchantID)
	if m == nil {
		return nil, nil, nil, fmt.Errorf("page %s: merchant %s is no longer configured", id, page.MerchantID)
	}
	return page, detail, m, nil
}

// Submit takes the card form. A card the issuer challenges waits on the page for the 3-D
// Secure code (challenged true); any other card is attached to the order and authorised
// exactly like silentpay. A used token, or a page no longer waiting for a card, is
// ErrPageUsed and charges nothing. Card errors (5/110) leave the page as it was.
func (p *Pages) Submit(ctx context.Context, id, token string, cd CardData) (reply *Reply, challenged bool, err error) {
	return p.submitCard(ctx, id, token, cd, false)
}

// submitCard is Submit with the payer's consent to save the new card (remember), which is
// kept with the payment's extras and applied only if the payment is approved.
func (p *Pages) submitCard(ctx context.Context, id, token string, cd CardData, remember bool) (reply *Reply, challenged bool, err error) {
	g := p.Gateway
	cd.Number = strings.Join(strings.Fields(cd.Number), "")
	if err := validateCard(cd); err != nil {
		return nil, false, err
	}
	card, err := g.Processor.Tokenize(cd)
	if err != nil {
		return nil, false, fmt.Errorf("tokenize: %w", err)
	}
	if c, ok := g.Processor.(Challenger); ok {
		challenged = c.RequiresChallenge(card)
	}
	var m *Merchant
	var order *Order
	var op *Operation
	err = g.Store.Update(ctx, func(tx Tx) error {
		var page *Page
		var err error
		if page, order, op, m, err = p.takeToken(tx, id, token, PageCard); err != nil {
			return err
		}
		if remember && !m.Disabled.CardOnFile {
			if err := rememberCard(tx, order.ID); err != nil {
				return err
			}
		}
		if challenged {
			page.Stage, page.Card, page.FormToken = PageIssuer, card, randomID(18)
			return tx.UpdatePage(page)
		}
		page.Stage, page.FormToken = PagePaying, ""
		order.Card, order.Updated = card, g.Clock.Now()
		if err := tx.UpdatePage(page); err != nil {
			return err
		}
		return tx.UpdateOrder(order)
	})
	if err != nil || challenged {
		return nil, challenged, err
	}
	reply, err = g.Authorize(ctx, m, order, op)
	return reply, false, err
}

// Verify takes the simulated issuer page: a code the processor accepts for the card continues
// the payment through the processor, any other code declines it (AS100) without asking it.
func (p *Pages) Verify(ctx context.Context, id, token, code string) (*Reply, error) {
	g := p.Gateway
	var m *Merchant
	var order *Order
	var op *Operation
	var reply *Reply
	err := g.Store.Update(ctx, func(tx Tx) error {
		reply = nil // the store may run this again after a conflict (PostgreSQL)
		var page *Page
		var err error
		if page, order, op, m, err = p.takeToken(tx, id, token, PageIssuer); err != nil {
			return err
		}
		c, ok := g.Processor.(Challenger)
		passed := ok && c.PassesChallenge(page.Card, code)
		page.Stage, page.FormToken = PagePaying, ""
		order.Card, order.Updated, page.Card = page.Card, g.Clock.Now(), Card{}
		if err := tx.UpdatePage(page); err != nil {
			return err
		}
		if err := tx.UpdateOrder(order); err != nil {
			return err
		}
		if passed {
			return nil
		}
		reply, err = g.settle(tx, m, order, op, AuthResult{ISOCode: "05"}, EventPayment)
		return err
	})
	if err != nil || reply != nil {
		return reply, err
	}
	return g.Authorize(ctx, m, order, op)
}

// takeToken checks that the page waits at stage with this token and has not expired, and
// consumes the token: whatever follows, no second submit gets through.
func (p *Pages) takeToken(tx pageOrderTx, id, token string, stage PageStage) (*Page, *Order, *Operation, *Merchant, error) {
	page, err := tx.PageByID(id)
	if errors.Is(err, ErrNoRows) {
		return nil, nil, nil, nil, ErrNotFound
	} else if err != nil {
		return nil, nil, nil, nil, err
	}
	order, ops, err := loadOrder(tx, page.MerchantID, page.BillNumber)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if order.State != StateInProcess || page.Stage != stage || len(ops) == 0 || token == "" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(page.FormToken)) != 1 {
		return nil, nil, nil, nil, ErrPageUsed
	}
	if !p.Gateway.Clock.Now().Before(page.Expires) {
		return nil, nil, nil, nil, ErrPageUsed // past the TTL: the sweep makes it Timeout
	}
	m := p.Gateway.Merchants.Get(page.MerchantID)
	if m == nil {
		return nil, nil, nil, nil, fmt.Errorf("merchant %s is no longer configured", page.MerchantID)
	}
	return page, order, ops[0], m, nil
}
