package gateway

import (
	"strconv"
	"time"
)

// State is an order's orderstate as docs/protocol.md spells it.
type State string

const (
	StateInProcess       State = "In Process"
	StateDelayed         State = "Delayed"
	StateApproved        State = "Approved"
	StatePartialDelayed  State = "PartialDelayed"
	StateCanceled        State = "Canceled"
	StatePartialCanceled State = "PartialCanceled"
	StateDeclined        State = "Declined"
	StateTimeout         State = "Timeout"
)

// HoldsMoney reports whether a payment in this state blocks a new payment under the same
// ordernumber (code 10/204): it is being paid, or money is authorised or charged.
func (s State) HoldsMoney() bool {
	switch s {
	case StateInProcess, StateDelayed, StateApproved, StatePartialDelayed, StatePartialCanceled:
		return true
	}
	return false
}

// OpType is the protocol's operationtype.
type OpType int

const (
	OpPayment   OpType = 100
	OpConfirm   OpType = 200
	OpCancel    OpType = 300
	OpRecurring OpType = 400
)

func (t OpType) String() string { return strconv.Itoa(int(t)) }

// OpState is an operation's operationstate.
type OpState string

const (
	OpSuccess   OpState = "Success"
	OpFailed    OpState = "Failed"
	OpInProcess OpState = "In Process"
)

// Card is what the gateway keeps of a card: never the full number or the CVC.
type Card struct {
	Bin      string // first six digits
	Last4    string
	Brand    string // VISA, MasterCard, MIR
	ExpMonth string // "01".."12"
	ExpYear  string // four digits
	Holder   string
	Ref      string // the processor's reference to charge it again
}

// KeptDigits splits a card number into the only digits the gateway keeps: the first six and
// the last four of a number of 16 digits or more (the display rule of PCI DSS), and never
// more than half the digits of a shorter one (13 digits: the first two and the last four).
func KeptDigits(number string) (bin, last4 string) {
	n := len(number)
	if n < 8 {
		return "", ""
	}
	first := 6
	if n < 16 {
		first = n/2 - 4
	}
	return number[:first], number[n-4:]
}

// Masked is the card number as responses show it: 411111******1111.
func (c Card) Masked() string {
	if c.Bin == "" {
		return ""
	}
	return c.Bin + "******" + c.Last4
}

// Expiry is MM/YY, the cardexpirationdate of responses.
func (c Card) Expiry() string {
	if c.ExpMonth == "" {
		return ""
	}
	y := c.ExpYear
	if len(y) == 4 {
		y = y[2:]
	}
	return c.ExpMonth + "/" + y
}

// Customer is who pays, as the merchant told us.
type Customer struct {
	FirstName, LastName, MiddleName, Email, MobilePhone, IPAddress string
	Buyer
}

// Buyer is the payer's address and other phones (Address, HomePhone, WorkPhone, Fax,
// Country, State, City, Zip), kept with the order as sent; checkBuyer bounds them.
type Buyer struct {
	Address, HomePhone, WorkPhone, Fax, Country, State, City, Zip string
}

// Order is one payment attempt under a merchant's ordernumber; BillNumber is the gateway's.
type Order struct {
	ID          int64
	BillNumber  string
	MerchantID  string
	OrderNumber string
	Amount      Amount
	Currency    string
	Comment     string
	Customer    Customer
	State       State
	TwoStage    bool
	TestMode    bool
	Captured    Amount // money charged: all of it at one-stage approval, the confirmed part for two-stage
	Refunded    Amount
	Card        Card
	Created     time.Time
	Updated     time.Time
	LastSeq     int // the last operation's sequence number
}

// Operation is one step on an order: the payment (.1), then each confirm or cancel.
type Operation struct {
	ID               int64
	OrderID          int64
	Seq              int
	Type             OpType
	State            OpState
	Amount           Amount
	Currency         string
	ResponseCode     string
	Message          string
	CustomerMessage  string
	Recommendation   string
	ApprovalCode     string
	ExternalRefundID string
	IPAddress        string
	Created          time.Time
}

// ExtBillNumber is the operation's extended billnumber, <billnumber>.<n>.
func (o *Operation) ExtBillNumber(order *Order) string {
	return order.BillNumber + "." + strconv.Itoa(o.Seq)
}

// Reply is the outcome of an operation: the order after it and the operation itself.
type Reply struct {
	Order          *Order
	Op             *Operation
	ISOCode        string // the processor's code for a payment ("00" approved)
	Token          string // the saved card's token, when the payment saved one
	RecurringState string // "Activated" when the payment stored recurring consent
	CustomerNumber string // the customer the card was saved for
}

// Event is what a merchant is notified of (config notify.events).
type Event string

const (
	EventPayment   Event = "payment"   // a payment approved, delayed or declined
	EventCharge    Event = "charge"    // a confirm
	EventCancel    Event = "cancel"    // a void or refund
	EventRecurring Event = "recurring" // a merchant-initiated recurring charge
)

// OrderDetail is an order with all its operations, as orderresult lists them.
type OrderDetail struct {
	Order *Order
	Ops   []*Operation
}
