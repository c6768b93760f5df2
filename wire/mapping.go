package wire

import (
	"strconv"

	"soapgate/gateway"
	"soapgate/signer"
)

// Acquirer is what the wire says about the processor and the cards it knows: the issuing
// bank and its country (issuebank, bankcountry) and the processing's name. The test
// processor answers with sandbox values; a real connector would with its own.
type Acquirer interface {
	Issuer(card gateway.Card) (bank, country string)
	ProcessingName() string
}

// ProtocolNet is the protocoltypename of a payment made over the gateway's API.
const ProtocolNet = "NET"

// Mapping fills wire fields from the domain and seals them (checkvalue, signature) per the
// merchant's response_security. The zero Mapping fills every field it can and signs nothing.
type Mapping struct {
	Signer   *signer.Signer // the gateway's RSA key; nil: no signatures
	Acquirer Acquirer       // nil: issuebank, bankcountry and processingname stay empty
}

// Order fills the fields of an order as orderstate and orderresult list it: the order's own
// billnumber, amount and currency.
func (mp Mapping) Order(m *gateway.Merchant, o *gateway.Order) Fields {
	var f Fields
	c := o.Customer
	f[MerchantID] = m.ID
	f[OrderNumber], f[BillNumber] = o.OrderNumber, o.BillNumber
	f[TestMode], f[OrderComment] = digit(o.TestMode), o.Comment
	f[OrderAmount], f[OrderCurrency] = o.Amount.String(), o.Currency
	f[FirstName], f[LastName], f[MiddleName], f[Email] = c.FirstName, c.LastName, c.MiddleName, c.Email
	f[OrderDate], f[OrderState] = gateway.FormatDate(o.Created), string(o.State)
	return f
}

// Operation fills the fields of one operation on an order, as orderresult and the SOAP
// notification list it.
func (mp Mapping) Operation(o *gateway.Order, op *gateway.Operation) Fields {
	var f Fields
	mp.operation(&f, o, op)
	return f
}

func (mp Mapping) operation(f *Fields, o *gateway.Order, op *gateway.Operation) {
	card := o.Card
	f[BillNumber], f[OperationType], f[OperationState] = op.ExtBillNumber(o), op.Type.String(), string(op.State)
	f[Amount], f[Currency], f[Rate] = op.Amount.String(), op.Currency, "1"
	f[MeanTypeName], f[MeanNumber], f[CardHolder], f[CardExpirationDate] = card.Brand, card.Masked(), card.Holder, card.Expiry()
	f[IssueBank], f[BankCountry] = mp.Issuer(card)
	f[IPAddress], f[ResponseCode], f[Message] = op.IPAddress, op.ResponseCode, op.Message
	f[CustomerMessage], f[Recommendation], f[ApprovalCode] = op.CustomerMessage, op.Recommendation, op.ApprovalCode
	f[ProtocolTypeName], f[OperationDate] = ProtocolNet, gateway.FormatDate(op.Created)
	if mp.Acquirer != nil {
		f[ProcessingName] = mp.Acquirer.ProcessingName()
	}
	f[SlipNo] = strconv.FormatInt(op.ID, 10)
}

// Reply fills the fields of an operation's outcome as charge, cancel, silentpay, rp and
// tokenpay answer it and as a notification reports it: the order's fields, then the
// operation's over them (billnumber is the operation's extended one, amount its amount).
func (mp Mapping) Reply(m *gateway.Merchant, r *gateway.Reply) Fields {
	f := mp.Order(m, r.Order)
	mp.operation(&f, r.Order, r.Op)
	f[Token], f[RecurringState], f[CustomerNumber] = r.Token, r.RecurringState, r.CustomerNumber
	return f
}

// Issuer is the bank that issued a card and its country, as the acquirer knows them; empty
// for an operation without a card.
func (mp Mapping) Issuer(card gateway.Card) (bank, country string) {
	if card.Bin == "" || mp.Acquirer == nil {
		return "", ""
	}
	return mp.Acquirer.Issuer(card)
}

// CustomerOf is the payer of an order, for JSON answers.
func CustomerOf(o *gateway.Order) Customer {
	c := o.Customer
	return Customer{c.FirstName, c.LastName, c.MiddleName, c.Email, c.IPAddress}
}

// X names the fields whose values, concatenated after the merchant_id, make the X of a
// checkvalue and signature (docs/protocol.md#46-checkvalue-and-signature).
type X struct{ Amount, Currency Name }

var (
	// OrderX seals orderstate and orderresult: merchant_id+ordernumber+orderamount+ordercurrency+orderstate.
	OrderX = X{OrderAmount, OrderCurrency}
	// ReplyX seals operation answers and notifications: merchant_id+ordernumber+amount+currency+orderstate.
	ReplyX = X{Amount, Currency}
)

// Seal sets packetdate and, per the merchant's response_security, the checkvalue (md5, both)
// and the signature (rsa, both) over x.
func (mp Mapping) Seal(m *gateway.Merchant, f *Fields, x X, packetDate string) error {
	f[PacketDate] = packetDate
	s := m.ID + f[OrderNumber] + f[x.Amount] + f[x.Currency] + f[OrderState]
	f[Checkvalue], f[Signature] = "", ""
	if m.ResponseSecurity != "rsa" {
		f[Checkvalue] = signer.Checkvalue(m.Secret, s)
	}
	if m.ResponseSecurity != "md5" && mp.Signer != nil {
		sig, err := mp.Signer.Sign(s)
		if err != nil {
			return err
		}
		f[Signature] = sig
	}
	return nil
}

func digit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
