// Package processor holds the acquirer connectors. Test is the sandbox processor of
// docs/protocol.md#6-test-processor: it decides by card and by amount, so every outcome is reproducible.
package processor

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"soapgate/gateway"
)

// Profiles are how the test processor remembers a card without its number: the reference
// it hands out names the card's behaviour, never the digits.
const (
	profileApprove  = "ok"
	profileLuhn     = "d14"   // fails the Luhn check
	profileFlaky341 = "341"   // merchant-initiated charges decline twice after each approval
	profile3DS      = "3ds"   // asks for 3-D Secure on the payment page
	profileSlow     = "slow"  // approves, but every call takes SlowDelay
	profileNoRec    = "norec" // approves, but the card cannot be bound for recurring charges
)

// Sandbox cards with a behaviour of their own (docs/protocol.md#6-test-processor).
const (
	// ChallengeCard asks for 3-D Secure on the payment page; ChallengeCode passes it.
	ChallengeCard = "4000000000003063"
	ChallengeCode = "1234"
	// SlowCard approves, but every processor call about it takes SlowDelay: integrators
	// test their timeouts with it.
	SlowCard = "4000000000000127"
	// NoRecurringCard approves, but its issuer refuses to bind it for merchant-initiated
	// (recurring) charges: a payment asking for recurring consent answers recurringstate Error.
	NoRecurringCard = "4000000000000226"
)

// DefaultSlowDelay is how long each call about SlowCard takes unless Test.SlowDelay says otherwise.
const DefaultSlowDelay = 5 * time.Second

// flakyMITDeclines is how many merchant-initiated attempts after each approval card
// 4000000000000341 declines with 51 before it approves again.
const flakyMITDeclines = 2

// declineCards are the protocol's cards that decline, by ISO 8583 code.
var declineCards = map[string]string{
	"4000000000000002": "05",
	"4000000000009995": "51",
	"4000000000000069": "54",
}

// amountTriggers decline an amount whose kopecks are one of these codes.
var amountTriggers = map[string]bool{"05": true, "14": true, "51": true, "54": true, "57": true, "61": true, "65": true}

// Test is the sandbox processor. It is stateless: its "tables" are the card table and the
// amount triggers, and the profile carried in each card reference. The zero value is the
// processor the sandbox serves.
type Test struct {
	// SlowDelay is how long every call about SlowCard takes; DefaultSlowDelay when zero.
	// Tests shorten it.
	SlowDelay time.Duration
}

// The test processor is the gateway's acquirer and decides which cards need 3-D Secure.
var (
	_ gateway.Processor  = Test{}
	_ gateway.Challenger = Test{}
)

// Tokenize keeps bin, last four, brand, expiry and holder, and a reference naming the profile.
func (Test) Tokenize(c gateway.CardData) (gateway.Card, error) {
	profile := profileApprove
	switch {
	case !Luhn(c.Number):
		profile = profileLuhn
	case declineCards[c.Number] != "":
		profile = "d" + declineCards[c.Number]
	case c.Number == "4000000000000341":
		profile = profileFlaky341
	case c.Number == ChallengeCard:
		profile = profile3DS
	case c.Number == SlowCard:
		profile = profileSlow
	case c.Number == NoRecurringCard:
		profile = profileNoRec
	}
	year := c.ExpYear
	if len(year) == 2 {
		year = "20" + year
	}
	month := c.ExpMonth
	if len(month) == 1 {
		month = "0" + month
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return gateway.Card{}, err
	}
	bin, last4 := gateway.KeptDigits(c.Number)
	return gateway.Card{
		Bin: bin, Last4: last4, Brand: Brand(c.Number),
		ExpMonth: month, ExpYear: year, Holder: strings.TrimSpace(c.Holder),
		Ref: "tp_" + profile + "_" + hex.EncodeToString(nonce[:]),
	}, nil
}

// Authorize decides by the card's profile, its expiry and the amount's kopecks.
func (t Test) Authorize(ctx context.Context, req gateway.AuthRequest) (gateway.AuthResult, error) {
	if err := t.wait(ctx, req.Card); err != nil {
		return gateway.AuthResult{}, err
	}
	return decide(req), nil
}

// Settle answers like Authorize: the test processor's decisions are a function of the request.
func (t Test) Settle(ctx context.Context, req gateway.AuthRequest) (gateway.AuthResult, error) {
	return t.Authorize(ctx, req)
}

// Capture, Void and Refund always succeed in the sandbox (after SlowDelay for SlowCard).
func (t Test) Capture(ctx context.Context, req gateway.OpRequest) error { return t.wait(ctx, req.Card) }
func (t Test) Void(ctx context.Context, req gateway.OpRequest) error    { return t.wait(ctx, req.Card) }
func (t Test) Refund(ctx context.Context, req gateway.OpRequest) error  { return t.wait(ctx, req.Card) }

// SettleOp answers for a capture, void or refund the gateway did not record the outcome of.
// The sandbox does each of them whenever asked, so its record of any such request is "done".
func (t Test) SettleOp(ctx context.Context, req gateway.OpRequest) (bool, error) {
	if err := t.wait(ctx, req.Card); err != nil {
		return false, err
	}
	return true, nil
}

// RequiresChallenge reports whether the card asks for 3-D Secure on the payment page.
func (Test) RequiresChallenge(card gateway.Card) bool { return Profile(card.Ref) == profile3DS }

// PassesChallenge reports whether code is the issuer's one-time code for the card.
func (Test) PassesChallenge(_ gateway.Card, code string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(code)), []byte(ChallengeCode)) == 1
}

// wait takes SlowDelay for SlowCard, or until ctx ends, as a slow acquirer would.
func (t Test) wait(ctx context.Context, card gateway.Card) error {
	if Profile(card.Ref) != profileSlow {
		return nil
	}
	d := t.SlowDelay
	if d <= 0 {
		d = DefaultSlowDelay
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("test processor: %w", ctx.Err())
	}
}

func decide(req gateway.AuthRequest) gateway.AuthResult {
	profile := Profile(req.Card.Ref)
	switch {
	case profile == profileLuhn:
		return decline("14")
	case strings.HasPrefix(profile, "d"):
		return decline(profile[1:])
	case expired(req.Card, req.Now):
		return decline("54")
	case profile == profileFlaky341 && req.MerchantInitiated && req.MITAttempt <= flakyMITDeclines:
		// The attempt number comes from the gateway's own record of the series, so the
		// answer is the same when a charge is settled again after a restart.
		return decline("51")
	case amountTriggers[req.Amount.Kopecks()]:
		return decline(req.Amount.Kopecks())
	}
	return gateway.AuthResult{Approved: true, ISOCode: "00", ApprovalCode: approvalCode(req.BillNumber),
		RecurringRefused: profile == profileNoRec}
}

func decline(iso string) gateway.AuthResult { return gateway.AuthResult{ISOCode: iso} }

// Profile returns the behaviour named in a test processor reference.
func Profile(ref string) string {
	parts := strings.SplitN(ref, "_", 3)
	if len(parts) != 3 || parts[0] != "tp" {
		return ""
	}
	return parts[1]
}

func expired(c gateway.Card, now time.Time) bool {
	var y, m int
	if _, err := fmt.Sscanf(c.ExpYear+" "+c.ExpMonth, "%d %d", &y, &m); err != nil {
		return true
	}
	// A card is valid through the last day of its expiry month.
	return !now.Before(time.Date(y, time.Month(m)+1, 1, 0, 0, 0, 0, time.UTC))
}

// approvalCode is six digits derived from the billnumber, so a settle repeats it.
func approvalCode(bill string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(bill); i++ {
		h = (h ^ uint32(bill[i])) * 16777619
	}
	return fmt.Sprintf("%06d", h%1000000)
}

// Luhn reports whether a digit string passes the Luhn check.
func Luhn(number string) bool {
	sum, double := 0, false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return len(number) > 0 && sum%10 == 0
}

// Brand names the card scheme from the number's prefix.
func Brand(number string) string {
	switch {
	case strings.HasPrefix(number, "220"):
		return "MIR"
	case strings.HasPrefix(number, "4"):
		return "VISA"
	case len(number) >= 2 && number[0] == '5' && number[1] >= '1' && number[1] <= '5',
		len(number) >= 4 && number[:4] >= "2221" && number[:4] <= "2720":
		return "MasterCard"
	}
	return "Unknown"
}
