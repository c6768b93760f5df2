package gateway

import (
	"context"
	"time"
)

// Store keeps orders and operations. Update runs fn in one durable write transaction: when
// Update returns nil, everything fn wrote is committed and synced; when fn fails, nothing it
// wrote remains. The store may commit several callers' fns together (group commit), and may
// run fn again from the start when a concurrent writer made its transaction fail (PostgreSQL:
// a deadlock between processes): fn reads and writes only through tx, and sets what it hands
// back to its caller afresh on each run.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
}

// Window is a half-open time range [From, To).
type Window struct{ From, To time.Time }

// Tx is what the domain may read and write inside a transaction: orders and operations,
// and each feature's own tables.
type Tx interface {
	OrderTx
	SettingsTx
	OutboxTx
	RecurringTx
	PageTx
	DelayedTx
	ReceiptTx
}

// The domain's helpers take the narrowest part of Tx they use; these are the combinations.
type (
	// settleTx records a payment's outcome: the order, its extras or series, its receipt,
	// the notification.
	settleTx interface {
		OrderTx
		RecurringTx
		OutboxTx
		ReceiptTx
	}
	// outcomeTx records a confirm's or cancel's outcome and its notification (and ends the
	// series of a voided initial payment).
	outcomeTx interface {
		OrderTx
		RecurringTx
		OutboxTx
		ReceiptTx
	}
	// pageOrderTx moves a payment page and its order together.
	pageOrderTx interface {
		OrderTx
		PageTx
	}
	// seriesTx reads an initial order with its series and writes charges on it.
	seriesTx interface {
		OrderTx
		RecurringTx
	}
)

// OrderTx reads and writes orders and their operations.
type OrderTx interface {
	OrderByBill(merchantID, billNumber string) (*Order, error) // ErrNoRows when absent
	OrdersByNumber(merchantID, orderNumber string, w Window) ([]*Order, error)
	Orders(merchantID string, w Window) ([]*Order, error)
	// OrderHoldingMoney returns a payment under the ordernumber whose state HoldsMoney, or ErrNoRows.
	OrderHoldingMoney(merchantID, orderNumber string) (*Order, error)
	OrdersInState(state State) ([]*Order, error)
	OrderByID(id int64) (*Order, error) // ErrNoRows when absent

	InsertOrder(o *Order) error // sets o.ID; a taken billnumber is ErrBillTaken
	UpdateOrder(o *Order) error

	Operations(orderID int64) ([]*Operation, error)
	InsertOperation(op *Operation) error // sets op.ID
	UpdateOperation(op *Operation) error // state, codes and messages
	// OperationsInState lists operations in the state across all orders, by order and seq.
	OperationsInState(state OpState) ([]*Operation, error)
}

// SettingsTx keeps small named values, such as where a test clock stands.
type SettingsTx interface {
	Setting(name string) (string, error) // ErrNoRows when unset
	SetSetting(name, value string) error
}

// ErrBillTaken is returned by InsertOrder when the billnumber exists already.
var ErrBillTaken = Errorf(2, 1, "billnumber collision")

// Clock tells the time; tests move a test clock instead of sleeping.
type Clock interface{ Now() time.Time }

// RealClock is the wall clock in UTC.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now().UTC() }

// CardData is a card as a customer entered it. It lives only for the duration of a request.
type CardData struct {
	Number, ExpMonth, ExpYear, CVC, Holder string
}

// AuthRequest asks the processor to authorise a payment.
type AuthRequest struct {
	BillNumber string
	Amount     Amount
	Currency   string
	Card       Card // tokenised: Ref names the card to the processor
	Now        time.Time
	// MerchantInitiated marks a charge the merchant started on a stored card (rp, a
	// scheduled occurrence), as card networks require; MITAttempt is its number among the
	// series' merchant-initiated attempts since the series' last approval (1 for the first).
	MerchantInitiated bool
	MITAttempt        int
}

// AuthResult is the processor's answer.
type AuthResult struct {
	Approved     bool
	ISOCode      string // "00" approved, else the ISO 8583 decline code
	ApprovalCode string
	// RecurringRefused: the payment is approved, but the issuer will not bind the card for
	// merchant-initiated charges, so recurring consent given with it cannot be used
	// (recurringstate Error).
	RecurringRefused bool
}

// MoneyOp is what a confirm or cancel asks of the processor.
type MoneyOp string

const (
	MoneyCapture MoneyOp = "capture" // charge all or part of an authorisation
	MoneyVoid    MoneyOp = "void"    // release an authorisation, or its unconfirmed rest
	MoneyRefund  MoneyOp = "refund"  // give back part or all of what was charged
)

// OpRequest asks the processor to move money on an authorised payment. BillNumber and Seq
// name the request: the same operation asked again (or settled) has the same pair.
type OpRequest struct {
	Op         MoneyOp
	BillNumber string
	Seq        int // the operation's number on the order
	Amount     Amount
	Currency   string
	Card       Card // the order's card (tokenised)
}

// Processor is the acquirer connection. The test processor implements it; a real connector
// would too. Tokenize never leaves the machine and keeps no card number in the Card it returns.
// The gateway never calls Authorize, Settle, Capture, Refund, Void or SettleOp inside a store
// transaction: a slow acquirer must not hold up the single writer.
type Processor interface {
	Tokenize(card CardData) (Card, error)
	Authorize(ctx context.Context, req AuthRequest) (AuthResult, error)
	// Settle answers for an authorisation whose outcome the gateway did not record (a crash
	// between asking and writing): the processor's own record of the same request.
	Settle(ctx context.Context, req AuthRequest) (AuthResult, error)
	Capture(ctx context.Context, req OpRequest) error
	Refund(ctx context.Context, req OpRequest) error
	Void(ctx context.Context, req OpRequest) error
	// SettleOp answers for a capture, void or refund whose outcome the gateway did not
	// record: whether the processor did it, from its own record of the same request.
	SettleOp(ctx context.Context, req OpRequest) (done bool, err error)
}

// Challenger is implemented by processors that know which cards need 3-D Secure on the
// payment page and check the issuer's one-time code. Without it no card is challenged.
type Challenger interface {
	RequiresChallenge(card Card) bool
	PassesChallenge(card Card, code string) bool
}
