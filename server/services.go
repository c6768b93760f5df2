package server

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

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

// operation is one row of the service table: a WSDL operation served by a port method over
// the types gowsdl generated. A new operation is a WSDL element, a row here and a gateway
// method behind its port method (ports.go).
type operation struct {
	element string       // the SOAP Body's request element
	aliases []string     // other request elements that mean the same operation
	name    string       // JSON key of the answer, and the operation's name in logs
	sign    *wire.Signed // the request Signature rule of operations that move money; nil: none
	json    jsonStyle
	xmlWrap string    // wrapper around the records in the XML format (cancel's "orders")
	resp    *respPlan // the generated response type's layout
	call    func(ctx context.Context, params map[string]string) (reflect.Value, error)
	custom  func(b *bytes.Buffer, v reflect.Value) // a JSON-only answer (saved cards); nil: resp
}

// service is one path (and its aliases), its WSDL and its operations.
type service struct {
	paths    []string // the first is canonical; the WSDL is served beside it
	wsdl     string   // file in wsdl/; "" for JSON-only services
	ops      []*operation
	formOp   func(c *call) string // the operation a form or JSON post means; nil: ops[0]
	jsonOnly bool                 // answers JSON only, to POST only
}

// pick finds the operation a call names: the SOAP Body's element, or for a form or JSON post
// the service's choice. nil when it names none.
func (svc *service) pick(c *call) *operation {
	if c == nil {
		return nil
	}
	var el string
	switch {
	case c.soap:
		el = c.operation
	case svc.formOp != nil:
		el = svc.formOp(c)
	default:
		return svc.ops[0]
	}
	for _, o := range svc.ops {
		if o.element == el || slices.Contains(o.aliases, el) {
			return o
		}
	}
	return nil
}

func (svc *service) orDefault(o *operation) *operation {
	if o == nil {
		return svc.ops[0]
	}
	return o
}

// services is the table of every service the server answers (docs/protocol.md#2-services-and-transports).
func (s *Server) services() ([]*service, error) {
	p := ports{s}
	var errs []error
	op := func(o *operation, err error) *operation {
		errs = append(errs, err)
		return o
	}
	svcs := []*service{
		{paths: []string{"/orderstate/orderstate.cfm"}, wsdl: "orderstate.wsdl", ops: []*operation{
			op(port("orderstate", "orderstate", p.OrderstateContext)),
		}},
		{paths: []string{"/orderresult/orderresult.cfm"}, wsdl: "orderresult.wsdl", ops: []*operation{
			op(port("orderresult", "orderresult", p.OrderresultContext)).with(jsonOrders, ""),
		}},
		{paths: []string{"/charge/charge.cfm"}, wsdl: "charge.wsdl", ops: []*operation{
			op(port("charge", "charge", p.ChargeContext)),
		}},
		{paths: []string{"/cancel/wscancel.cfm", "/cancel/cancel.cfm"}, wsdl: "wscancel.wsdl", ops: []*operation{
			op(port("WSCancelRequestParams", "wscancel", p.WscancelContext)).with(jsonCancel, "orders").alias("wscancel"),
		}},
		{paths: []string{"/pay/silentpay.cfm"}, wsdl: "silentpay.wsdl", ops: []*operation{
			op(port("silentpay", "silentpay", p.SilentpayContext)).signed(wire.PaymentSigned),
		}},
		{paths: []string{"/recurrent/rp.cfm"}, wsdl: "rp.wsdl", ops: []*operation{
			// X is taken over the new ordernumber, amount and currency.
			op(port("rp", "rp", p.RpContext)).signed(wire.RecurringSigned),
		}},
		{paths: []string{"/pay/tokenpay.cfm"}, wsdl: "tokenpay.wsdl", ops: []*operation{
			op(port("tokenpay", "tokenpay", p.TokenpayContext)).signed(wire.PaymentSigned),
		}},
		{paths: []string{"/scheduler/scheduler.cfm"}, wsdl: "scheduler.wsdl", formOp: schedulerOp, ops: []*operation{
			op(port(opGetSchedule, "getscheduledoperation", p.GetScheduledOperationContext)).with(jsonItems, ""),
			// Creating or editing a schedule creates future charges: the merchant's policy applies.
			op(port(opSetSchedule, "setscheduledoperation", p.SetScheduledOperationContext)).signed(wire.ScheduleSigned),
		}},
		{paths: []string{"/pay/oneclick/v1/token.cfm"}, jsonOnly: true, ops: []*operation{savedCards("token", p.tokens)}},
		{paths: []string{"/pay/oneclick/v1/rem_token.cfm"}, jsonOnly: true, ops: []*operation{savedCards("rem_token", p.removeToken)}},
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return svcs, nil
}

// The port interfaces gowsdl generated; ports implements every one of them, so a WSDL whose
// operations or types change without the server following does not build.
var (
	_ orderstate.OrderStatePortType   = ports{}
	_ orderresult.OrderResultPortType = ports{}
	_ charge.ChargePortType           = ports{}
	_ wscancel.WSCancelPortType       = ports{}
	_ silentpay.SilentPayPortType     = ports{}
	_ rp.RecurrentPortType            = ports{}
	_ tokenpay.TokenPayPortType       = ports{}
	_ scheduler.SchedulerPortType     = ports{}
)

// port makes a row from a generated port method: the request is decoded into the generated
// request type by its elements' names, and the answer is written from the generated response.
func port[Req, Resp any](element, name string, fn func(context.Context, *Req) (*Resp, error)) (*operation, error) {
	resp, err := planResponse(reflect.TypeFor[Resp]())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", element, err)
	}
	req, err := planRequest(reflect.TypeFor[Req]())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", element, err)
	}
	return &operation{element: element, name: name, resp: resp,
		call: func(ctx context.Context, params map[string]string) (reflect.Value, error) {
			r := new(Req)
			req.fill(reflect.ValueOf(r).Elem(), params)
			out, err := fn(ctx, r)
			if err != nil {
				return reflect.Value{}, err
			}
			return reflect.ValueOf(out).Elem(), nil
		}}, nil
}

func (o *operation) with(j jsonStyle, xmlWrap string) *operation {
	o.json, o.xmlWrap = j, xmlWrap
	return o
}

func (o *operation) alias(el ...string) *operation {
	o.aliases = append(o.aliases, el...)
	return o
}

func (o *operation) signed(s *wire.Signed) *operation {
	o.sign = s
	return o
}

// reqPlan decodes parameters into a generated request type: each string element by its name.
type reqPlan struct {
	index []int
	name  []string // lowercase, as parameters are keyed
}

func planRequest(t reflect.Type) (*reqPlan, error) {
	fields, err := wire.XMLFields(t)
	if err != nil {
		return nil, err
	}
	p := &reqPlan{}
	for _, f := range fields {
		if f.Kind == wire.Text {
			p.index, p.name = append(p.index, f.Index), append(p.name, strings.ToLower(f.Name))
		}
	}
	return p, nil
}

func (p *reqPlan) fill(v reflect.Value, params map[string]string) {
	for i, idx := range p.index {
		if val, ok := params[p.name[i]]; ok {
			v.Field(idx).SetString(val)
		}
	}
}

// Scheduler operations.
const (
	opSetSchedule = "SetScheduledOperation"
	opGetSchedule = "GetScheduledOperation"
)

// planFields mark a form or JSON post to the scheduler as SetScheduledOperation.
var planFields = []string{"amount", "currency", "description", "startdate", "periodlength", "periodtype", "enddate",
	"retrycount", "retryperiodhours", "state"}

// schedulerOp names the operation of a form or JSON post: the "method" parameter when sent,
// else Set when it carries any plan field, else Get.
func schedulerOp(c *call) string {
	switch m := c.get("method"); {
	case strings.EqualFold(m, opSetSchedule):
		return opSetSchedule
	case strings.EqualFold(m, opGetSchedule):
		return opGetSchedule
	case m != "":
		return m
	}
	for _, f := range planFields {
		if c.get(f) != "" {
			return opSetSchedule
		}
	}
	return opGetSchedule
}
