package server

import (
	"strconv"
	"time"

	"soapgate/gateway"
	"soapgate/signer"
)

// kv is one field of an order or operation on the wire.
type kv struct{ k, v string }

// record is an order as written out: its fields, and for orderresult its operations.
type record struct {
	fields   []kv
	ops      [][]kv
	customer [5]kv // firstname, lastname, middlename, email, ipaddress: the JSON "customer" object
}

func customerOf(o *gateway.Order) [5]kv {
	c := o.Customer
	return [5]kv{{"firstname", c.FirstName}, {"lastname", c.LastName}, {"middlename", c.MiddleName}, {"email", c.Email}, {"ipaddress", c.IPAddress}}
}

// Field lists of contract section 4, in wire order. The WSDLs declare the same (see
// docs/wire-shapes.md); a test compares them with the generated types.
var (
	stateFields   = []string{"ordernumber", "billnumber", "orderamount", "ordercurrency", "orderstate", "packetdate", "signature", "checkvalue"}
	resultFields  = []string{"ordernumber", "billnumber", "testmode", "ordercomment", "orderamount", "ordercurrency", "firstname", "lastname", "middlename", "email", "orderdate", "orderstate", "packetdate", "signature", "checkvalue"}
	opFields      = []string{"billnumber", "operationtype", "operationstate", "amount", "currency", "rate", "meantypename", "meansubtype", "meannumber", "cardholder", "cardexpirationdate", "issuebank", "bankcountry", "ipaddress", "responsecode", "message", "customermessage", "recommendation", "approvalcode", "protocoltypename", "processingname", "operationdate"}
	opOrderFields = []string{"ordernumber", "responsecode", "recommendation", "message", "customermessage", "ordercomment", "orderdate", "amount", "currency", "rate", "meantypename", "meansubtype", "meannumber", "lastname", "firstname", "middlename", "email", "issuebank", "bankcountry", "approvalcode", "cardholder", "cardexpirationdate", "protocoltypename", "testmode", "orderstate", "processingname", "operationtype", "billnumber", "orderamount", "ordercurrency", "slipno", "packetdate", "signature", "checkvalue", "token", "recurringstate"}
)

// Constant values of the sandbox's operations.
const (
	issueBank       = "TEST BANK"
	bankCountry     = "RU"
	processingName  = "soapgate test processor"
	protocolNet     = "NET"
	meanSubtypeNone = ""
)

func formatDate(t time.Time) string { return gateway.FormatDate(t) }

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// checks computes the checkvalue and signature over X per the merchant's response_security.
type checks struct {
	signer *signer.Signer
}

func (c checks) of(m *gateway.Merchant, x string) (checkvalue, signature string, err error) {
	sec := m.ResponseSecurity
	if sec != "rsa" {
		checkvalue = signer.Checkvalue(m.Secret, x)
	}
	if sec != "md5" && c.signer != nil {
		signature, err = c.signer.Sign(x)
	}
	return checkvalue, signature, err
}

// values maps field names to an order's values; filled lazily per list.
type values map[string]string

func orderValues(m *gateway.Merchant, o *gateway.Order, packet string) values {
	return values{
		"ordernumber": o.OrderNumber, "billnumber": o.BillNumber, "orderamount": o.Amount.String(),
		"ordercurrency": o.Currency, "orderstate": string(o.State), "packetdate": packet,
		"testmode": boolDigit(o.TestMode), "ordercomment": o.Comment,
		"firstname": o.Customer.FirstName, "lastname": o.Customer.LastName,
		"middlename": o.Customer.MiddleName, "email": o.Customer.Email,
		"orderdate": formatDate(o.Created), "merchant_id": m.ID,
	}
}

func opValues(o *gateway.Order, op *gateway.Operation) values {
	card := o.Card
	return values{
		"billnumber": op.ExtBillNumber(o), "operationtype": op.Type.String(), "operationstate": string(op.State),
		"amount": op.Amount.String(), "currency": op.Currency, "rate": "1", "meantypename": card.Brand,
		"meansubtype": meanSubtypeNone, "meannumber": card.Masked(), "cardholder": card.Holder,
		"cardexpirationdate": card.Expiry(), "issuebank": bankIf(card), "bankcountry": countryIf(card),
		"ipaddress": op.IPAddress, "responsecode": op.ResponseCode, "message": op.Message,
		"customermessage": op.CustomerMessage, "recommendation": op.Recommendation,
		"approvalcode": op.ApprovalCode, "protocoltypename": protocolNet, "processingname": processingName,
		"operationdate": formatDate(op.Created),
	}
}

func bankIf(c gateway.Card) string {
	if c.Bin == "" {
		return ""
	}
	return issueBank
}

func countryIf(c gateway.Card) string {
	if c.Bin == "" {
		return ""
	}
	return bankCountry
}

func pick(names []string, v values) []kv {
	out := make([]kv, len(names))
	for i, n := range names {
		out[i] = kv{n, v[n]}
	}
	return out
}

// stateRecord is an order as orderstate lists it; X = merchant_id+ordernumber+orderamount+ordercurrency+orderstate.
func (c checks) stateRecord(m *gateway.Merchant, o *gateway.Order, packet string, names []string) (record, error) {
	v := orderValues(m, o, packet)
	var err error
	v["checkvalue"], v["signature"], err = c.of(m, m.ID+o.OrderNumber+o.Amount.String()+o.Currency+string(o.State))
	return record{fields: pick(names, v), customer: customerOf(o)}, err
}

// opRecord is an operation's reply (charge, cancel, silentpay, rp, tokenpay);
// X = merchant_id+ordernumber+amount+currency+orderstate, amount being the operation's.
func (c checks) opRecord(m *gateway.Merchant, r *gateway.Reply, packet string) (record, error) {
	v := orderValues(m, r.Order, packet)
	for k, val := range opValues(r.Order, r.Op) {
		v[k] = val
	}
	v["slipno"] = strconv.FormatInt(r.Op.ID, 10)
	v["token"], v["recurringstate"] = r.Token, r.RecurringState
	v["orderstate"] = string(r.Order.State)
	var err error
	v["checkvalue"], v["signature"], err = c.of(m, m.ID+r.Order.OrderNumber+r.Op.Amount.String()+r.Op.Currency+string(r.Order.State))
	return record{fields: pick(opOrderFields, v), customer: customerOf(r.Order)}, err
}

// resultRecord is an order with its operations, as orderresult lists it.
func (c checks) resultRecord(m *gateway.Merchant, d gateway.OrderDetail, packet string) (record, error) {
	rec, err := c.stateRecord(m, d.Order, packet, resultFields)
	for _, op := range d.Ops {
		rec.ops = append(rec.ops, pick(opFields, opValues(d.Order, op)))
	}
	return rec, err
}

// get returns a field's value from a record.
func (r record) get(name string) string {
	for _, f := range r.fields {
		if f.k == name {
			return f.v
		}
	}
	return ""
}
