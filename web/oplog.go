package web

import (
	"errors"
	"log/slog"
	"net/http"

	"soapgate/gateway"
	"soapgate/obs"
)

// What the pages tell the operator's log: the outcome of each payment-page step and
// monitor action, on the request's logger so that the line carries the request id the
// access log line has. Card numbers and CVCs never reach these lines: only the order's
// numbers, states and codes do.

// log is the request's logger (it names the request id), else the handler's.
func (h *Handler) log(r *http.Request) *slog.Logger { return obs.Logger(r.Context(), h.Logger) }

// refused logs a payment request the page or the payment link refused, with its codes, and
// hands the codes to the access log.
func (h *Handler) refused(r *http.Request, what, merchantID string, err error) {
	e := gateway.AsError(err)
	req := obs.From(r.Context())
	req.SetMerchant(merchantID)
	req.SetCodes(e.First, e.Second)
	if e.First == 2 || e.First == 10 && e.Second == 100 {
		// An internal error is logged where it is answered; a failed login where the
		// credentials are checked (and by the access log, at WARN).
		return
	}
	h.log(r).Info(what+": refused", obs.KeyMerchant, obs.Merchant(merchantID), obs.KeyOutcome, "refused",
		"firstcode", e.First, "secondcode", e.Second, "reason", e.Message)
}

// pageOutcome logs what a card or issuer-code submit came to: approved, declined, a
// 3-D Secure challenge, a card field refused, a repeated submit, or still in process.
func (h *Handler) pageOutcome(r *http.Request, step string, reply *gateway.Reply, challenged bool, err error) {
	var attrs []any
	level := slog.LevelInfo
	var outcome string
	switch e := gateway.AsError(err); {
	case challenged:
		outcome = "3-D Secure"
	case errors.Is(err, gateway.ErrPageUsed):
		outcome = "repeated submit"
	case errors.Is(err, gateway.ErrNotFound):
		outcome, level = "page not found", slog.LevelWarn
	case err != nil && e.First == 5:
		outcome = "refused"
		attrs = append(attrs, "firstcode", e.First, "secondcode", e.Second, "reason", e.Message)
	case err != nil:
		outcome, level = "error", slog.LevelError
		attrs = append(attrs, "err", err)
	case reply == nil:
		outcome = "in process"
	case reply.Op.State == gateway.OpSuccess:
		outcome = "approved"
	case reply.Op.State == gateway.OpFailed:
		outcome = "declined"
	default:
		outcome = "in process"
	}
	if reply != nil && reply.Order != nil {
		obs.From(r.Context()).SetMerchant(reply.Order.MerchantID)
		attrs = append(attrs, obs.KeyMerchant, reply.Order.MerchantID, "billnumber", reply.Order.BillNumber,
			"orderstate", string(reply.Order.State), "responsecode", reply.Op.ResponseCode)
	}
	h.log(r).Log(r.Context(), level, "payment page: "+step, append([]any{obs.KeyOutcome, outcome}, attrs...)...)
}

// monitorOutcome logs a monitor action (confirm, cancel, replay) and how it ended.
func (h *Handler) monitorOutcome(r *http.Request, c *monitorCtx, action string, o *gateway.Order, reply *gateway.Reply, err error) {
	attrs := []any{obs.KeyMerchant, c.m.ID, "action", action, "billnumber", o.BillNumber}
	level := slog.LevelInfo
	if err != nil {
		e := gateway.AsError(err)
		attrs = append(attrs, obs.KeyOutcome, "failed", "firstcode", e.First, "secondcode", e.Second, "reason", e.Message)
		if e.First == 2 {
			level = slog.LevelError
			attrs = append(attrs, "err", err)
		}
	} else {
		attrs = append(attrs, obs.KeyOutcome, "done")
		if reply != nil {
			attrs = append(attrs, "operation", reply.Op.ExtBillNumber(reply.Order), "amount", reply.Op.Amount.String(),
				"orderstate", string(reply.Order.State))
		}
	}
	h.log(r).Log(r.Context(), level, "monitor: action", attrs...)
}
