// Package wire is the one mapping between the domain (gateway) and the Assist wire fields:
// the web services, the result notifications and the pages all take their field values, the
// checkvalue and the signature from here (docs/protocol.md#4-responses).
//
// Which fields a message carries, and in which order, is not decided here: the types gowsdl
// generates from wsdl/ say that, and Project copies values into them by wire name. A WSDL
// field this package cannot fill is an error when the plan is made (see Plan), so the server
// cannot drift from its WSDLs without a failing test.
package wire

// Name is one field of an order or operation on the wire.
type Name int

// The wire fields. An order-level field and an operation-level field of the same wire name are
// one Name: the mapping that fills Fields decides which value it holds (the order's
// billnumber in orderstate, the operation's extended one in an operation's reply).
const (
	MerchantID Name = iota
	OrderNumber
	BillNumber
	TestMode
	OrderComment
	OrderAmount
	OrderCurrency
	Amount
	Currency
	Rate
	FirstName
	LastName
	MiddleName
	Email
	OrderDate
	OrderState
	OperationType
	OperationState
	OperationDate
	ResponseCode
	Message
	CustomerMessage
	Recommendation
	ApprovalCode
	MeanTypeName
	MeanSubtype
	MeanNumber
	CardHolder
	CardExpirationDate
	IssueBank
	BankCountry
	IPAddress
	ProtocolTypeName
	ProcessingName
	SlipNo
	Token
	RecurringState
	CustomerNumber
	PacketDate
	Signature
	Checkvalue
	numNames
)

var names = [numNames]string{
	MerchantID: "merchant_id", OrderNumber: "ordernumber", BillNumber: "billnumber", TestMode: "testmode",
	OrderComment: "ordercomment", OrderAmount: "orderamount", OrderCurrency: "ordercurrency", Amount: "amount",
	Currency: "currency", Rate: "rate", FirstName: "firstname", LastName: "lastname", MiddleName: "middlename",
	Email: "email", OrderDate: "orderdate", OrderState: "orderstate", OperationType: "operationtype",
	OperationState: "operationstate", OperationDate: "operationdate", ResponseCode: "responsecode",
	Message: "message", CustomerMessage: "customermessage", Recommendation: "recommendation",
	ApprovalCode: "approvalcode", MeanTypeName: "meantypename", MeanSubtype: "meansubtype",
	MeanNumber: "meannumber", CardHolder: "cardholder", CardExpirationDate: "cardexpirationdate",
	IssueBank: "issuebank", BankCountry: "bankcountry", IPAddress: "ipaddress",
	ProtocolTypeName: "protocoltypename", ProcessingName: "processingname", SlipNo: "slipno", Token: "token",
	RecurringState: "recurringstate", CustomerNumber: "customernumber", PacketDate: "packetdate",
	Signature: "signature", Checkvalue: "checkvalue",
}

var byName = func() map[string]Name {
	m := make(map[string]Name, numNames)
	for n, s := range names {
		m[s] = Name(n)
	}
	return m
}()

// String is the field's wire name, lowercase as docs/protocol.md writes it.
func (n Name) String() string { return names[n] }

// Lookup finds a field by its wire name.
func Lookup(name string) (Name, bool) {
	n, ok := byName[name]
	return n, ok
}

// Fields holds one message's values by wire name; a field without a value is "".
type Fields [numNames]string

// Customer is the payer as Assist's PHP SDK reads it from a JSON answer's "customer" object:
// firstname, lastname, middlename, email, ipaddress (the payer's address, not an operation's).
type Customer [5]string

// CustomerKeys are the keys of Customer's values, in order.
var CustomerKeys = [5]string{"firstname", "lastname", "middlename", "email", "ipaddress"}
