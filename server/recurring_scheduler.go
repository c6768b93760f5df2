package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"soapgate/gateway"
)

// The scheduler service (SetScheduledOperation / GetScheduledOperation) and the saved-card
// JSON services answer with shapes other than an order list, so they have handlers of their
// own; decoding, authentication and every error still go through the common code.

// RecurringRoutes returns the scheduler and saved-card services, to be mounted beside the
// service table (cmd passes them to Handler).
func (s *Server) RecurringRoutes() []Route {
	wsdlGet := s.wsdlHandler(&service{wsdl: "scheduler.wsdl"})
	return []Route{
		{Pattern: schedulerPath, Handler: s.schedulerHandler(wsdlGet)},
		{Pattern: "GET /scheduler/scheduler.wsdl", Handler: wsdlGet},
		{Pattern: "/pay/oneclick/v1/token.cfm", Handler: s.tokensHandler(false)},
		{Pattern: "/pay/oneclick/v1/rem_token.cfm", Handler: s.tokensHandler(true)},
	}
}

const schedulerPath = "/scheduler/scheduler.cfm"

// Scheduler operations and their answers.
const (
	opSetSchedule = "SetScheduledOperation"
	opGetSchedule = "GetScheduledOperation"
)

var (
	setScheduleShape = &shape{name: "setscheduledoperation", soapElement: "SetScheduledOperationResponse", fields: setScheduleFields}
	getScheduleShape = &shape{name: "getscheduledoperation", soapElement: "GetScheduledOperationResponse", fields: scheduleFields}

	setScheduleFields = []string{"operation", "state"}
	scheduleFields    = []string{"operation", "billnumber", "amount", "currency", "description", "startdate", "periodlength",
		"periodtype", "enddate", "state", "nextrun", "attempts", "lastresponsecode"}
	// planFields mark a form or JSON post as SetScheduledOperation (see schedulerOp).
	planFields = []string{"amount", "currency", "description", "startdate", "periodlength", "periodtype", "enddate",
		"retrycount", "retryperiodhours", "state"}
)

// schedulerOp names the operation of a call: the SOAP Body element; for a form or JSON post
// the "method" parameter when sent, else Set when it carries any plan field, else Get.
func schedulerOp(c *call) string {
	if c.soap {
		return c.operation
	}
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

func (s *Server) schedulerHandler(wsdlGet http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && isWSDLQuery(r) {
			wsdlGet(w, r)
			return
		}
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		c, ok := s.readCall(w, r)
		if !ok {
			return
		}
		op := schedulerOp(c.call)
		sh := getScheduleShape
		if op == opSetSchedule {
			sh = setScheduleShape
		}
		if c.err != nil {
			s.write(w, c.call, sh, nil, c.err)
			return
		}
		if op != opSetSchedule && op != opGetSchedule {
			s.write(w, c.call, sh, nil, gateway.Errorf(1, 1, "unknown operation %q at %s", op, r.URL.Path))
			return
		}
		m, err := s.Gateway.Merchants.Authenticate(c.get("merchant_id"), c.get("login"), c.get("password"))
		if err != nil {
			s.write(w, c.call, sh, nil, err)
			return
		}
		var recs [][]kv
		if op == opSetSchedule {
			recs, err = s.setSchedule(r.Context(), c.call, m)
		} else {
			recs, err = s.getSchedules(r.Context(), c.call, m)
		}
		if err != nil {
			s.write(w, c.call, sh, nil, err)
			return
		}
		writeScheduler(w, c.call, sh, recs)
		s.Logger.Info("request", "path", schedulerPath, "op", op, "merchant_id", m.ID, "status", http.StatusOK)
	}
}

// decodedCall is a call with the error its decoding met, if any.
type decodedCall struct {
	*call
	err error
}

// readCall reads and decodes a request like serve does; false when the answer is written.
func (s *Server) readCall(w http.ResponseWriter, r *http.Request) (decodedCall, bool) {
	body, err := readBody(w, r, s.MaxBody)
	if err == errTooLarge {
		w.Header().Set("Connection", "close")
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return decodedCall{}, false
	}
	if err != nil {
		w.Header().Set("Connection", "close")
		http.Error(w, "could not read request", http.StatusRequestTimeout)
		return decodedCall{}, false
	}
	c, err := decode(r, body, s.MaxDepth)
	return decodedCall{c, err}, true
}

func (s *Server) setSchedule(ctx context.Context, c *call, m *gateway.Merchant) ([][]kv, error) {
	sc, err := s.Gateway.SetSchedule(ctx, m, gateway.ScheduleRequest{
		Operation: c.get("operation"), BillNumber: c.get("billnumber"), Amount: c.get("amount"), Currency: c.get("currency"),
		Description: c.get("description"), StartDate: c.get("startdate"), PeriodLength: c.get("periodlength"),
		PeriodType: c.get("periodtype"), EndDate: c.get("enddate"), RetryCount: c.get("retrycount"),
		RetryPeriodHours: c.get("retryperiodhours"), State: c.get("state"),
	})
	if err != nil {
		return nil, err
	}
	return [][]kv{{{"operation", strconv.FormatInt(sc.ID, 10)}, {"state", string(sc.State)}}}, nil
}

func (s *Server) getSchedules(ctx context.Context, c *call, m *gateway.Merchant) ([][]kv, error) {
	list, err := s.Gateway.Schedules(ctx, m, gateway.ScheduleQuery{Operation: c.get("operation"),
		BillNumber: c.get("billnumber"), Skip: c.get("skip"), Take: c.get("take")})
	if err != nil {
		return nil, err
	}
	recs := make([][]kv, 0, len(list))
	for _, sc := range list {
		next := ""
		if sc.State == gateway.ScheduleActive {
			next = formatDate(sc.NextRun)
		}
		v := values{
			"operation": strconv.FormatInt(sc.ID, 10), "billnumber": sc.BillNumber, "amount": sc.Amount.String(),
			"currency": sc.Currency, "description": sc.Description, "startdate": formatDate(sc.Plan.Start),
			"periodlength": strconv.Itoa(sc.Plan.Length), "periodtype": string(sc.Plan.Unit),
			"enddate": formatDate(sc.Plan.End), "state": string(sc.State), "nextrun": next,
			"attempts": strconv.Itoa(sc.Attempts), "lastresponsecode": sc.LastCode,
		}
		recs = append(recs, pick(scheduleFields, v))
	}
	return recs, nil
}

// writeScheduler writes a successful scheduler answer in the call's format. Set answers its
// two fields directly under the response element; Get lists scheduledoperation elements.
func writeScheduler(w http.ResponseWriter, c *call, sh *shape, recs [][]kv) {
	var b bytes.Buffer
	set := sh == setScheduleShape
	item := func(b *bytes.Buffer, fields []kv) {
		if set {
			writeKVs(b, fields)
			return
		}
		b.WriteString("<scheduledoperation>")
		writeKVs(b, fields)
		b.WriteString("</scheduledoperation>")
	}
	switch {
	case c.soap || c.format == formatSOAP:
		v12 := c.soap && c.v12
		w.Header().Set("Content-Type", soapContentType(v12))
		soapOpen(&b, v12)
		b.WriteString(`<ws:` + sh.soapElement + ` xmlns:ws="` + nsWS + `"`)
		codeAttrs(&b, 0, 0, len(recs))
		b.WriteString(">")
		for _, r := range recs {
			item(&b, r)
		}
		b.WriteString("</ws:" + sh.soapElement + ">")
		soapClose(&b)
	case c.format == formatJSON:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		b.WriteString(`{"` + sh.name + `":`)
		if set {
			jsonFlat(&b, recs[0])
		} else {
			b.WriteString(`{"scheduledoperation":[`)
			for i, r := range recs {
				if i > 0 {
					b.WriteByte(',')
				}
				jsonFlat(&b, r)
			}
			b.WriteString("]}")
		}
		b.WriteString("}")
	case c.format == formatCSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(&b)
		cw.Comma = ';'
		cw.Write(sh.fields)
		for _, r := range recs {
			row := make([]string, len(r))
			for i, f := range r {
				row[i] = f.v
			}
			cw.Write(row)
		}
		cw.Flush()
	default:
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<result")
		codeAttrs(&b, 0, 0, len(recs))
		b.WriteString(">")
		for _, r := range recs {
			item(&b, r)
		}
		b.WriteString("</result>")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func writeKVs(b *bytes.Buffer, fields []kv) {
	for _, f := range fields {
		b.WriteString("<" + f.k + ">")
		writeXMLText(b, f.v)
		b.WriteString("</" + f.k + ">")
	}
}

func jsonFlat(b *bytes.Buffer, fields []kv) {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		jsonKV(b, f.k, f.v)
	}
	b.WriteByte('}')
}
