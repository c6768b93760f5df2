package server

import (
	"context"

	"soapgate/gateway"
)

// handlerFunc serves one operation for an authenticated merchant.
type handlerFunc func(s *Server, ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error)

// service is one row of the contract's service table: a path, its WSDL, its SOAP
// operations (request element → handler) and how its answer is shaped.
type service struct {
	paths []string // first is canonical
	wsdl  string   // file in wsdl/
	ops   map[string]handlerFunc
	form  handlerFunc // the operation a form or JSON post to the path means
	shape *shape
}

var services = []*service{
	{
		paths: []string{"/orderstate/orderstate.cfm"}, wsdl: "orderstate.wsdl",
		ops:   map[string]handlerFunc{"orderstate": (*Server).orderState},
		form:  (*Server).orderState,
		shape: &shape{name: "orderstate", soapElement: "orderstateResponse", fields: stateFields},
	},
	{
		paths: []string{"/orderresult/orderresult.cfm"}, wsdl: "orderresult.wsdl",
		ops:   map[string]handlerFunc{"orderresult": (*Server).orderResult},
		form:  (*Server).orderResult,
		shape: &shape{name: "orderresult", soapElement: "orderresultResponse", soapInner: "orderresult", fields: resultFields, jsonList: true},
	},
	{
		paths: []string{"/charge/charge.cfm"}, wsdl: "charge.wsdl",
		ops:   map[string]handlerFunc{"charge": (*Server).charge},
		form:  (*Server).charge,
		shape: &shape{name: "charge", soapElement: "chargeResponse", soapOrders: "orders", xmlOrders: "orders", fields: opOrderFields},
	},
	{
		paths: []string{"/cancel/wscancel.cfm", "/cancel/cancel.cfm"}, wsdl: "wscancel.wsdl",
		ops:   map[string]handlerFunc{"WSCancelRequestParams": (*Server).cancel, "wscancel": (*Server).cancel},
		form:  (*Server).cancel,
		shape: &shape{name: "wscancel", soapElement: "WSCancelResponseParams", xmlOrders: "orders", fields: opOrderFields, jsonCancel: true},
	},
	{
		paths: []string{"/pay/silentpay.cfm"}, wsdl: "silentpay.wsdl",
		ops:   map[string]handlerFunc{"silentpay": (*Server).silentPay},
		form:  (*Server).silentPay,
		shape: &shape{name: "silentpay", soapElement: "silentpayResponse", fields: opOrderFields},
	},
	{
		paths: []string{"/recurrent/rp.cfm"}, wsdl: "rp.wsdl",
		ops:   map[string]handlerFunc{"rp": (*Server).recurrent},
		form:  (*Server).recurrent,
		shape: &shape{name: "rp", soapElement: "rpResponse", soapOrders: "orders", xmlOrders: "orders", fields: opOrderFields},
	},
	{
		paths: []string{"/pay/tokenpay.cfm"}, wsdl: "tokenpay.wsdl",
		ops:   map[string]handlerFunc{"tokenpay": (*Server).tokenPay},
		form:  (*Server).tokenPay,
		shape: &shape{name: "tokenpay", soapElement: "PaymentTokenResponseParams", fields: opOrderFields},
	},
}

func (s *Server) orderState(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	w, err := gateway.ParseWindow(c.get, s.Gateway.Clock.Now())
	if err != nil {
		return nil, err
	}
	orders, err := s.Gateway.OrderState(ctx, m, c.get("ordernumber"), w)
	if err != nil {
		return nil, err
	}
	recs := make([]record, len(orders))
	for i, o := range orders {
		if recs[i], err = s.checks.stateRecord(m, o, packet, stateFields); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func (s *Server) orderResult(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	w, err := gateway.ParseWindow(c.get, s.Gateway.Clock.Now())
	if err != nil {
		return nil, err
	}
	details, err := s.Gateway.OrderResult(ctx, m, gateway.ResultQuery{OrderNumber: c.get("ordernumber"), BillNumber: c.get("billnumber"), Window: w})
	if err != nil {
		return nil, err
	}
	recs := make([]record, len(details))
	for i, d := range details {
		if recs[i], err = s.checks.resultRecord(m, d, packet); err != nil {
			return nil, err
		}
		if recs[i].ops == nil {
			recs[i].ops = [][]kv{}
		}
	}
	return recs, nil
}

func amountRequest(c *call) gateway.AmountRequest {
	return gateway.AmountRequest{BillNumber: c.get("billnumber"), Amount: c.get("amount"), Currency: c.get("currency"), IPAddress: clientIP(c.r)}
}

func (s *Server) charge(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	return s.opReply(m, packet)(s.Gateway.Confirm(ctx, m, amountRequest(c)))
}

func (s *Server) cancel(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	return s.opReply(m, packet)(s.Gateway.Cancel(ctx, m, gateway.CancelRequest{
		AmountRequest: amountRequest(c), Reason: c.get("cancelreason"), ExternalRefundID: c.get("externalrefundid"),
	}))
}

func (s *Server) silentPay(ctx context.Context, c *call, m *gateway.Merchant, packet string) ([]record, error) {
	if err := guard(c, m, "orderamount", "ordercurrency"); err != nil {
		return nil, err
	}
	ip := c.get("clientip")
	if ip == "" {
		ip = clientIP(c.r)
	}
	return s.opReply(m, packet)(s.Gateway.Pay(ctx, m, gateway.PayRequest{
		OrderNumber: c.get("ordernumber"), Amount: c.get("orderamount"), Currency: c.get("ordercurrency"),
		Comment: c.get("ordercomment"), TwoStage: c.get("delay"),
		Card: gateway.CardData{Number: c.get("cardnumber"), ExpMonth: c.get("expiremonth"), ExpYear: c.get("expireyear"),
			CVC: c.get("cvc2"), Holder: c.get("cardholder")},
		Customer: gateway.Customer{FirstName: c.get("firstname"), LastName: c.get("lastname"), MiddleName: c.get("middlename"),
			Email: c.get("email"), MobilePhone: c.get("mobilephone"), IPAddress: ip},
		CustomerNumber: c.get("customernumber"),
		Recurring: gateway.RecurringRequest{Indicator: c.get("recurringindicator"), MinAmount: c.get("recurringminamount"),
			MaxAmount: c.get("recurringmaxamount"), Period: c.get("recurringperiod"), MaxDate: c.get("recurringmaxdate")},
	}))
}

// opReply turns an operation's outcome into the one-order answer of charge, cancel and silentpay.
func (s *Server) opReply(m *gateway.Merchant, packet string) func(*gateway.Reply, error) ([]record, error) {
	return func(r *gateway.Reply, err error) ([]record, error) {
		if err != nil {
			return nil, err
		}
		rec, err := s.checks.opRecord(m, r, packet)
		return []record{rec}, err
	}
}
