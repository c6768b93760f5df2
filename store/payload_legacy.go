package store

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"soapgate/gateway"
)

// decodePayload reads a notification's frozen payload. Databases written before the payload
// became a domain snapshot hold the wire fields themselves ({"Order":[{"Name","Value"}…],
// "Operation":[…]}); those are read back into a snapshot so that they are still delivered.
func decodePayload(s string) (gateway.Payload, error) {
	var p gateway.Payload
	err := json.Unmarshal([]byte(s), &p)
	if err == nil {
		return p, nil
	}
	var old struct {
		Order, Operation []struct{ Name, Value string }
	}
	if json.Unmarshal([]byte(s), &old) != nil || old.Order == nil {
		return p, err
	}
	v := map[string]string{}
	for _, f := range old.Operation {
		v[f.Name] = f.Value
	}
	for _, f := range old.Order {
		v[f.Name] = f.Value
	}
	o, op := &p.Order, &p.Op
	bill, seq, _ := strings.Cut(v["billnumber"], ".")
	o.BillNumber, o.OrderNumber, o.MerchantID = bill, v["ordernumber"], v["merchant_id"]
	o.TestMode, o.Comment, o.Currency = v["testmode"] == "1", v["ordercomment"], v["ordercurrency"]
	o.Amount, _ = gateway.ParseAmount(v["orderamount"])
	o.Customer = gateway.Customer{FirstName: v["firstname"], LastName: v["lastname"], MiddleName: v["middlename"], Email: v["email"]}
	o.State, o.Created = gateway.State(v["orderstate"]), legacyDate(v["orderdate"])
	if bin, last4, ok := strings.Cut(v["meannumber"], "******"); ok {
		o.Card = gateway.Card{Bin: bin, Last4: last4}
	}
	o.Card.Brand, o.Card.Holder = v["meantypename"], v["cardholder"]
	if mm, yy, ok := strings.Cut(v["cardexpirationdate"], "/"); ok {
		o.Card.ExpMonth, o.Card.ExpYear = mm, "20"+yy
	}
	op.Seq, _ = strconv.Atoi(seq)
	t, _ := strconv.Atoi(v["operationtype"])
	op.Type, op.State = gateway.OpType(t), gateway.OpState(v["operationstate"])
	op.Amount, _ = gateway.ParseAmount(v["amount"])
	op.Currency, op.ResponseCode, op.Message = v["currency"], v["responsecode"], v["message"]
	op.CustomerMessage, op.Recommendation, op.ApprovalCode = v["customermessage"], v["recommendation"], v["approvalcode"]
	op.IPAddress, op.Created = v["ipaddress"], legacyDate(v["operationdate"])
	p.Token, p.RecurringState, p.CustomerNumber = v["token"], v["recurringstate"], v["customernumber"]
	return p, nil
}

func legacyDate(s string) time.Time {
	t, _ := time.Parse(gateway.DateLayout, s)
	return t
}
