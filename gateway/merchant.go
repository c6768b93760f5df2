package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Merchant is a configured shop.
type Merchant struct {
	ID               string
	Name             string
	Login            string
	Password         string // plain text or a bcrypt hash ($2a$, $2b$, $2y$)
	Secret           string // checkvalue salt
	PublicKey        any    // *rsa.PublicKey or ed25519.PublicKey; nil when none is configured
	RequestSignature string // off | optional | required
	ResponseSecurity string // md5 | rsa | both
	// CheckvalueNoSeparator also accepts a request checkvalue over X without ';' separators.
	CheckvalueNoSeparator bool
	Currency              string
	TestMode              bool
	ReturnHosts           []string
	Notify                NotifyConfig
	// Disabled lists the capabilities the merchant may not use; the zero value enables all.
	Disabled Capabilities

	bcryptOK sync.Map // sha256(password) -> struct{}: bcrypt runs once per distinct good password
}

// Capabilities name what a merchant may use beyond one-stage card payments (config
// merchants[].two_stage, two_stage_for_saved_cards, card_on_file, recurring). A request that
// asks for a disabled one is refused before anything is written: a payment parameter with
// 5/110 naming it, rp with 10/210, SetScheduledOperation with 10/211.
type Capabilities struct {
	TwoStage              bool // Delay=1
	TwoStageForSavedCards bool // Delay=1 with a saved card (tokenpay, One Click)
	CardOnFile            bool // customernumber, token.cfm, tokenpay, One Click
	Recurring             bool // recurringindicator, rp, SetScheduledOperation
}

// errDisabled is the refusal of a payment parameter that asks for a disabled capability.
func errDisabled(param, what string) *Error {
	return Invalid(CodeParam, "%s: %s is not enabled for this merchant", param, what)
}

// checkTwoStage refuses Delay=1 when the merchant may not use two-stage payments (with a
// saved card, also when two_stage_for_saved_cards is off).
func (m *Merchant) checkTwoStage(twoStage, savedCard bool) error {
	switch {
	case !twoStage:
		return nil
	case m.Disabled.TwoStage:
		return errDisabled("delay", "two-stage payment")
	case savedCard && m.Disabled.TwoStageForSavedCards:
		return errDisabled("delay", "two-stage payment with a saved card")
	}
	return nil
}

// TwoStageWithSavedCards reports whether a two-stage payment may use a saved card.
func (m *Merchant) TwoStageWithSavedCards() bool {
	return !m.Disabled.TwoStage && !m.Disabled.TwoStageForSavedCards
}

// NotifyConfig is where and how a merchant hears of results (docs/protocol.md#8-notifications).
type NotifyConfig struct {
	URL      string         // empty: no notifications
	Protocol string         // post | soap
	Events   map[Event]bool // which events are sent
	XMLDSig  bool           // sign SOAP payloads with an enveloped XML-DSig signature
}

// Merchants is the registry of configured merchants.
type Merchants struct {
	byID map[string]*Merchant
	// dummy stands in for an unknown merchant, so that timing does not tell which ids
	// exist: its password is a bcrypt hash of the highest cost configured, if any is.
	dummy *Merchant
}

// NewMerchants indexes ms by id; ids must be unique (config checks).
func NewMerchants(ms []*Merchant) *Merchants {
	r := &Merchants{byID: make(map[string]*Merchant, len(ms)), dummy: &Merchant{Login: "\x00unknown", Password: "\x00unknown"}}
	cost := 0
	for _, m := range ms {
		r.byID[m.ID] = m
		if isBcrypt(m.Password) {
			if c, err := bcrypt.Cost([]byte(m.Password)); err == nil {
				cost = max(cost, c)
			}
		}
	}
	if cost > 0 {
		var random [16]byte
		rand.Read(random[:])
		if h, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(random[:])), cost); err == nil {
			r.dummy.Password = string(h)
		}
	}
	return r
}

// Get returns the merchant with the id, or nil.
func (r *Merchants) Get(id string) *Merchant { return r.byID[id] }

// All returns every merchant, ordered by id (the same order every call: banners, logs and
// round robins do not depend on map iteration).
func (r *Merchants) All() []*Merchant {
	out := make([]*Merchant, 0, len(r.byID))
	for _, m := range r.byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Merchant) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Authenticate checks merchant_id, login and password in that order of the error table:
// 5/100, 5/101, 5/102 for missing fields, then 10/100 for any mismatch.
func (r *Merchants) Authenticate(id, login, password string) (*Merchant, error) {
	id = strings.TrimSpace(id)
	if id == "" || !allDigits(id) || len(id) > 16 {
		return nil, Invalid(CodeMerchantID, "merchant_id is missing or malformed")
	}
	if login == "" {
		return nil, Invalid(CodeLogin, "login is missing")
	}
	if password == "" {
		return nil, Invalid(CodePassword, "password is missing")
	}
	m := r.byID[id]
	known := m != nil
	if !known {
		m = r.dummy
	}
	loginOK := subtle.ConstantTimeCompare([]byte(login), []byte(m.Login)) == 1
	passOK := m.checkPassword(password)
	if !known || !loginOK || !passOK {
		return nil, ErrAuth
	}
	return m, nil
}

func (m *Merchant) checkPassword(password string) bool {
	if !isBcrypt(m.Password) {
		return subtle.ConstantTimeCompare([]byte(password), []byte(m.Password)) == 1
	}
	sum := sha256.Sum256([]byte(password))
	if _, ok := m.bcryptOK.Load(sum); ok {
		return true
	}
	bcryptSlots <- struct{}{}
	err := bcrypt.CompareHashAndPassword([]byte(m.Password), []byte(password))
	<-bcryptSlots
	if err != nil {
		return false
	}
	m.bcryptOK.Store(sum, struct{}{})
	return true
}

// bcryptSlots bounds the bcrypt comparisons running at once to half the processors, so a
// flood of wrong passwords queues behind itself and never takes every core from the
// requests of other merchants.
var bcryptSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

func isBcrypt(s string) bool {
	return len(s) == 60 && (strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$"))
}
