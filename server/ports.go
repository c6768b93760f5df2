package server

import (
	"bytes"
	"context"
	"reflect"
	"strconv"
	"strings"

	"soapgate/gateway"
	"soapgate/generated/charge"
	"soapgate/generated/orderresult"
	"soapgate/generated/orderstate"
	"soapgate/generated/rp"
	"soapgate/generated/scheduler"
	"soapgate/generated/silentpay"
	"soapgate/generated/tokenpay"
	"soapgate/generated/wscancel"
	"soapgate/wire"
)

// ports implements the port types gowsdl generated from wsdl/. Each method maps the generated
// request to a gateway call and the outcome to the generated response through package wire;
// the pipeline (pipeline.go) has authenticated the merchant and checked the policy before.
type ports struct{ s *Server }

// windowNames are the date-window parameters of orderstate and orderresult, in the order
// window takes their values.
var windowNames = [10]string{"startyear", "startmonth", "startday", "starthour", "startmin",
	"endyear", "endmonth", "endday", "endhour", "endmin"}

// window reads the optional date window of orderstate and orderresult (no map per request:
// orderstate is the hottest read).
func (p ports) window(v [10]string) (gateway.Window, error) {
	return gateway.ParseWindow(func(k string) string {
		for i, n := range windowNames {
			if n == k {
				return v[i]
			}
		}
		return ""
	}, p.s.Gateway.Clock.Now())
}

// order maps an order as orderstate and orderresult list it, sealed over its own amount.
func (p ports) order(x *exchange, o *gateway.Order) (*wire.Fields, error) {
	f := p.s.Wire.Order(x.merchant, o)
	x.customers = append(x.customers, wire.CustomerOf(o))
	return &f, p.s.Wire.Seal(x.merchant, &f, wire.OrderX, x.packet)
}

// reply maps an operation's outcome as charge, cancel, silentpay, rp and tokenpay answer it.
func (p ports) reply(x *exchange) func(r *gateway.Reply, err error) (*wire.Fields, error) {
	return func(r *gateway.Reply, err error) (*wire.Fields, error) {
		if err != nil {
			return nil, err
		}
		f := p.s.Wire.Reply(x.merchant, r)
		x.customers = append(x.customers, wire.CustomerOf(r.Order))
		return &f, p.s.Wire.Seal(x.merchant, &f, wire.ReplyX, x.packet)
	}
}

func (p ports) OrderstateContext(ctx context.Context, req *orderstate.Orderstate) (*orderstate.OrderstateResponse, error) {
	x := exchangeOf(ctx)
	w, err := p.window([10]string{req.Startyear, req.Startmonth, req.Startday, req.Starthour, req.Startmin,
		req.Endyear, req.Endmonth, req.Endday, req.Endhour, req.Endmin})
	if err != nil {
		return nil, err
	}
	orders, err := p.s.Gateway.OrderState(ctx, x.merchant, req.Ordernumber, w)
	if err != nil {
		return nil, err
	}
	resp := &orderstate.OrderstateResponse{Order: make([]*orderstate.Order, len(orders))}
	for i, o := range orders {
		f, err := p.order(x, o)
		if err != nil {
			return nil, err
		}
		resp.Order[i] = wire.Project(new(orderstate.Order), f)
	}
	return resp, nil
}

func (p ports) OrderresultContext(ctx context.Context, req *orderresult.Orderresult) (*orderresult.OrderresultResponse, error) {
	x := exchangeOf(ctx)
	w, err := p.window([10]string{req.Startyear, req.Startmonth, req.Startday, req.Starthour, req.Startmin,
		req.Endyear, req.Endmonth, req.Endday, req.Endhour, req.Endmin})
	if err != nil {
		return nil, err
	}
	details, err := p.s.Gateway.OrderResult(ctx, x.merchant, gateway.ResultQuery{OrderNumber: req.Ordernumber, BillNumber: req.Billnumber, Window: w})
	if err != nil {
		return nil, err
	}
	res := &orderresult.Result{Order: make([]*orderresult.Order, len(details))}
	for i, d := range details {
		f, err := p.order(x, d.Order)
		if err != nil {
			return nil, err
		}
		o := wire.Project(new(orderresult.Order), f)
		o.Operation = make([]*orderresult.Operation, len(d.Ops))
		for j, op := range d.Ops {
			of := p.s.Wire.Operation(d.Order, op)
			o.Operation[j] = wire.Project(new(orderresult.Operation), &of)
		}
		res.Order[i] = o
	}
	return &orderresult.OrderresultResponse{Orderresult: res}, nil
}

func (p ports) ChargeContext(ctx context.Context, req *charge.Charge) (*charge.ChargeResponse, error) {
	x := exchangeOf(ctx)
	f, err := p.reply(x)(p.s.Gateway.Confirm(ctx, x.merchant, gateway.AmountRequest{
		BillNumber: req.Billnumber, Amount: req.Amount, Currency: req.Currency, IPAddress: wire.ClientIP(x.r),
	}))
	if err != nil {
		return nil, err
	}
	return &charge.ChargeResponse{Orders: &charge.Orders{Order: []*charge.Order{wire.Project(new(charge.Order), f)}}}, nil
}

func (p ports) WscancelContext(ctx context.Context, req *wscancel.WSCancelRequestParams) (*wscancel.WSCancelResponseParams, error) {
	x := exchangeOf(ctx)
	f, err := p.reply(x)(p.s.Gateway.Cancel(ctx, x.merchant, gateway.CancelRequest{
		AmountRequest: gateway.AmountRequest{BillNumber: req.Billnumber, Amount: req.Amount, Currency: req.Currency, IPAddress: wire.ClientIP(x.r)},
		Reason:        req.Cancelreason, ExternalRefundID: req.Externalrefundid,
	}))
	if err != nil {
		return nil, err
	}
	return &wscancel.WSCancelResponseParams{Order: []*wscancel.Order{wire.Project(new(wscancel.Order), f)}}, nil
}

// payerIP is the payer's address a merchant's server sends as clientip, else the caller's.
func payerIP(x *exchange, sent string) string {
	if sent != "" {
		return sent
	}
	return wire.ClientIP(x.r)
}

func (p ports) SilentpayContext(ctx context.Context, req *silentpay.Silentpay) (*silentpay.SilentpayResponse, error) {
	x := exchangeOf(ctx)
	f, err := p.reply(x)(p.s.Gateway.Pay(ctx, x.merchant, gateway.PayRequest{
		OrderNumber: req.Ordernumber, Amount: req.Orderamount, Currency: req.Ordercurrency,
		Comment: req.Ordercomment, TwoStage: req.Delay,
		Card: gateway.CardData{Number: req.Cardnumber, ExpMonth: req.Expiremonth, ExpYear: req.Expireyear,
			CVC: req.Cvc2, Holder: req.Cardholder},
		Customer: gateway.Customer{FirstName: req.Firstname, LastName: req.Lastname, MiddleName: req.Middlename,
			Email: req.Email, MobilePhone: req.Mobilephone, IPAddress: payerIP(x, req.Clientip),
			Buyer: gateway.Buyer{Address: req.Address, HomePhone: req.Homephone, WorkPhone: req.Workphone, Fax: req.Fax,
				Country: req.Country, State: req.State, City: req.City, Zip: req.Zip}},
		CustomerNumber: req.Customernumber,
		Receipt: gateway.ReceiptRequest{ChequeItems: req.Chequeitems, Generate: req.Generatereceipt, Tax: req.Tax,
			Line: req.Receiptline, FPMode: req.Fpmode, TaxationSystem: req.Taxationsystem},
		Recurring: gateway.RecurringRequest{Indicator: req.Recurringindicator, MinAmount: req.Recurringminamount,
			MaxAmount: req.Recurringmaxamount, Period: req.Recurringperiod, MaxDate: req.Recurringmaxdate},
	}))
	if err != nil {
		return nil, err
	}
	return &silentpay.SilentpayResponse{Order: []*silentpay.Order{wire.Project(new(silentpay.Order), f)}}, nil
}

func (p ports) RpContext(ctx context.Context, req *rp.Rp) (*rp.RpResponse, error) {
	x := exchangeOf(ctx)
	f, err := p.reply(x)(p.s.Gateway.Recurrent(ctx, x.merchant, gateway.RecurringPayRequest{
		BillNumber: req.Billnumber, OrderNumber: req.Ordernumber, Amount: req.Amount,
		Currency: req.Currency, Comment: req.Ordercomment, IPAddress: wire.ClientIP(x.r),
	}))
	if err != nil {
		return nil, err
	}
	return &rp.RpResponse{Orders: &rp.Orders{Order: []*rp.Order{wire.Project(new(rp.Order), f)}}}, nil
}

func (p ports) TokenpayContext(ctx context.Context, req *tokenpay.Tokenpay) (*tokenpay.PaymentTokenResponseParams, error) {
	x := exchangeOf(ctx)
	f, err := p.reply(x)(p.s.Gateway.TokenPay(ctx, x.merchant, gateway.TokenPayRequest{
		OrderNumber: req.Ordernumber, Amount: req.Orderamount, Currency: req.Ordercurrency,
		Comment: req.Ordercomment, TwoStage: req.Delay,
		Customer: gateway.Customer{FirstName: req.Firstname, LastName: req.Lastname, MiddleName: req.Middlename,
			Email: req.Email, MobilePhone: req.Mobilephone, IPAddress: payerIP(x, req.Clientip),
			Buyer: gateway.Buyer{Address: req.Address, HomePhone: req.Homephone, WorkPhone: req.Workphone, Fax: req.Fax,
				Country: req.Country, State: req.State, City: req.City, Zip: req.Zip}},
		TokenType: req.Tokentype, PaymentToken: req.Paymenttoken,
		Token: req.Token, CustomerNumber: req.Customernumber,
		Receipt: gateway.ReceiptRequest{ChequeItems: req.Chequeitems, Generate: req.Generatereceipt, Tax: req.Tax,
			Line: req.Receiptline, FPMode: req.Fpmode, TaxationSystem: req.Taxationsystem},
	}))
	if err != nil {
		return nil, err
	}
	return &tokenpay.PaymentTokenResponseParams{Order: []*tokenpay.Order{wire.Project(new(tokenpay.Order), f)}}, nil
}

func (p ports) SetScheduledOperationContext(ctx context.Context, req *scheduler.SetScheduledOperation) (*scheduler.SetScheduledOperationResponse, error) {
	x := exchangeOf(ctx)
	sc, err := p.s.Gateway.SetSchedule(ctx, x.merchant, gateway.ScheduleRequest{
		Operation: req.Operation, BillNumber: req.Billnumber, Amount: req.Amount, Currency: req.Currency,
		Description: req.Description, StartDate: req.Startdate, PeriodLength: req.Periodlength,
		PeriodType: req.Periodtype, EndDate: req.Enddate, RetryCount: req.Retrycount,
		RetryPeriodHours: req.Retryperiodhours, State: req.State,
	})
	if err != nil {
		return nil, err
	}
	id := strconv.FormatInt(sc.ID, 10)
	return &scheduler.SetScheduledOperationResponse{Operation: id, CronOperationId: id, State: string(sc.State)}, nil
}

func (p ports) GetScheduledOperationContext(ctx context.Context, req *scheduler.GetScheduledOperation) (*scheduler.GetScheduledOperationResponse, error) {
	x := exchangeOf(ctx)
	list, err := p.s.Gateway.Schedules(ctx, x.merchant, gateway.ScheduleQuery{Operation: req.Operation,
		BillNumber: req.Billnumber, Skip: req.Skip, Take: req.Take})
	if err != nil {
		return nil, err
	}
	resp := &scheduler.GetScheduledOperationResponse{Scheduledoperation: make([]*scheduler.ScheduledOperation, len(list))}
	for i, sc := range list {
		next := ""
		if sc.State == gateway.ScheduleActive {
			next = gateway.FormatDate(sc.NextRun)
		}
		resp.Scheduledoperation[i] = &scheduler.ScheduledOperation{
			Operation: strconv.FormatInt(sc.ID, 10), Billnumber: sc.BillNumber, Amount: sc.Amount.String(),
			Currency: sc.Currency, Description: sc.Description, Startdate: gateway.FormatDate(sc.Plan.Start),
			Periodlength: strconv.Itoa(sc.Plan.Length), Periodtype: string(sc.Plan.Unit),
			Enddate: gateway.FormatDate(sc.Plan.End), State: string(sc.State), Nextrun: next,
			Attempts: strconv.Itoa(sc.Attempts), Lastresponsecode: sc.LastCode,
		}
	}
	return resp, nil
}

// The generated port interfaces also declare context-free methods, as a client uses them; on
// the server every call comes through the pipeline, which passes a context.

func (p ports) Orderstate(r *orderstate.Orderstate) (*orderstate.OrderstateResponse, error) {
	return p.OrderstateContext(context.Background(), r)
}
func (p ports) Orderresult(r *orderresult.Orderresult) (*orderresult.OrderresultResponse, error) {
	return p.OrderresultContext(context.Background(), r)
}
func (p ports) Charge(r *charge.Charge) (*charge.ChargeResponse, error) {
	return p.ChargeContext(context.Background(), r)
}
func (p ports) Wscancel(r *wscancel.WSCancelRequestParams) (*wscancel.WSCancelResponseParams, error) {
	return p.WscancelContext(context.Background(), r)
}
func (p ports) Silentpay(r *silentpay.Silentpay) (*silentpay.SilentpayResponse, error) {
	return p.SilentpayContext(context.Background(), r)
}
func (p ports) Rp(r *rp.Rp) (*rp.RpResponse, error) { return p.RpContext(context.Background(), r) }
func (p ports) Tokenpay(r *tokenpay.Tokenpay) (*tokenpay.PaymentTokenResponseParams, error) {
	return p.TokenpayContext(context.Background(), r)
}
func (p ports) SetScheduledOperation(r *scheduler.SetScheduledOperation) (*scheduler.SetScheduledOperationResponse, error) {
	return p.SetScheduledOperationContext(context.Background(), r)
}
func (p ports) GetScheduledOperation(r *scheduler.GetScheduledOperation) (*scheduler.GetScheduledOperationResponse, error) {
	return p.GetScheduledOperationContext(context.Background(), r)
}

// Saved cards (token.cfm, rem_token.cfm) speak JSON only and have no WSDL: their rows carry
// their own answer writer, while decoding, authentication and errors stay the pipeline's.

type cardList struct {
	cards     []*gateway.SavedCard
	banks     []string // each card's issuing bank
	removed   string   // rem_token.cfm: the token removed
	yearMonth int      // now, as YYYYMM: a card expired before it is not active
}

func savedCards(name string, fn func(ctx context.Context, params map[string]string) (cardList, error)) *operation {
	return &operation{element: name, name: name,
		call: func(ctx context.Context, params map[string]string) (reflect.Value, error) {
			l, err := fn(ctx, params)
			return reflect.ValueOf(l), err
		},
		custom: func(b *bytes.Buffer, v reflect.Value) { writeCards(b, v.Interface().(cardList)) },
	}
}

func (p ports) cards(ctx context.Context, params map[string]string, remove bool) (cardList, error) {
	x := exchangeOf(ctx)
	q := gateway.TokenQuery{CustomerNumber: params["customernumber"], Token: params["token"]}
	var l cardList
	var err error
	if remove {
		if _, err = p.s.Gateway.RemoveToken(ctx, x.merchant, q); err == nil {
			l.removed = strings.ToUpper(strings.TrimSpace(q.Token))
		}
		return l, err
	}
	l.cards, err = p.s.Gateway.Tokens(ctx, x.merchant, q)
	for _, c := range l.cards {
		bank, _ := p.s.Wire.Issuer(c.Card)
		l.banks = append(l.banks, bank)
	}
	now := p.s.Gateway.Clock.Now()
	l.yearMonth = now.Year()*100 + int(now.Month())
	return l, err
}

func (p ports) tokens(ctx context.Context, params map[string]string) (cardList, error) {
	return p.cards(ctx, params, false)
}

func (p ports) removeToken(ctx context.Context, params map[string]string) (cardList, error) {
	return p.cards(ctx, params, true)
}

// writeCards writes the cards as Assist's oneclick API does: a top-level array of token,
// post (last four), bin (a number), brand, bank, expire (MM.YYYY), active (false once the card
// has expired) and needCVC (true: paying with a saved card asks for its CVC); rem_token.cfm
// answers a message naming the removed token instead.
func writeCards(b *bytes.Buffer, l cardList) {
	if l.removed != "" {
		b.WriteString(`{"message":`)
		jsonString(b, "The card was removed")
		b.WriteString(`,"token":`)
		jsonString(b, l.removed)
		b.WriteByte('}')
		return
	}
	b.WriteByte('[')
	for i, c := range l.cards {
		if i > 0 {
			b.WriteByte(',')
		}
		k := c.Card
		active := atoiSafe(k.ExpYear)*100+atoiSafe(k.ExpMonth) >= l.yearMonth
		b.WriteByte('{')
		jsonKV(b, "expire", k.ExpMonth+"."+k.ExpYear)
		b.WriteByte(',')
		jsonKV(b, "token", c.Token)
		b.WriteByte(',')
		jsonKV(b, "bank", l.banks[i])
		b.WriteByte(',')
		jsonKV(b, "brand", k.Brand)
		b.WriteString(`,"bin":`)
		if bin := atoiSafe(k.Bin); bin > 0 {
			b.WriteString(strconv.Itoa(bin))
		} else {
			b.WriteString("null")
		}
		b.WriteString(`,"active":` + strconv.FormatBool(active) + `,"needCVC":true,`)
		jsonKV(b, "post", k.Last4)
		b.WriteByte('}')
	}
	b.WriteByte(']')
}

func atoiSafe(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}
