package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"soapgate/gateway"
	"soapgate/wire"
)

// detailData is the order page's content.
type detailData struct {
	Order         *gateway.Order
	Ops           []*gateway.Operation
	Notes         []gateway.NotificationDetail
	CanConfirm    bool
	CanCancel     bool
	CancelWhole   bool // Delayed, PartialDelayed: cancel voids what is held, no amount
	LeftConfirm   gateway.Amount
	LeftCancel    gateway.Amount
	Nonce         string
	Bill          func(op *gateway.Operation) string
	NotesProblem  string
	ActionConfirm string
	ActionCancel  string
	ActionReplay  string
	Buyer         []buyerField
	Receipts      []receiptView
}

// loadOrder reads the merchant's order by billnumber; another merchant's is not found.
func (h *Handler) loadOrder(r *http.Request, c *monitorCtx) (*gateway.OrderDetail, error) {
	bill, err := gateway.SplitBillNumber(r.PathValue("bill"))
	if err != nil {
		return nil, gateway.ErrNotFound
	}
	details, err := h.Pages.Gateway.OrderResult(r.Context(), c.m, gateway.ResultQuery{BillNumber: bill})
	if err != nil {
		return nil, err
	}
	if len(details) != 1 {
		return nil, gateway.ErrNotFound
	}
	return &details[0], nil
}

func (h *Handler) orderDetail(w http.ResponseWriter, r *http.Request, c *monitorCtx) {
	od, err := h.loadOrder(r, c)
	if errors.Is(err, gateway.ErrNotFound) {
		h.monitorNotFound(w, r)
		return
	}
	if err != nil {
		h.errorPage(w, r, c.lang, err)
		return
	}
	o := od.Order
	d := &detailData{Order: o, Ops: od.Ops, Nonce: token(12),
		Bill: func(op *gateway.Operation) string { return op.ExtBillNumber(o) }}
	base := "/monitor/orders/" + o.BillNumber + "/"
	d.ActionConfirm, d.ActionCancel, d.ActionReplay = base+"confirm", base+"cancel", base+"replay"
	switch o.State {
	case gateway.StateDelayed, gateway.StatePartialDelayed:
		d.CanConfirm, d.LeftConfirm = true, o.Amount-o.Captured
		d.CanCancel, d.LeftCancel = true, o.Amount-o.Captured
		// The authorisation (or its unconfirmed rest) is released whole: the form takes no
		// amount, which the gateway would refuse (10/202).
		d.CancelWhole = true
	case gateway.StateApproved, gateway.StatePartialCanceled:
		d.CanCancel, d.LeftCancel = true, o.Captured-o.Refunded
	}
	notes, err := h.Pages.Gateway.OrderNotifications(r.Context(), c.m, o.BillNumber)
	if err != nil && !errors.Is(err, gateway.ErrNotFound) {
		h.log(r).Error("monitor: notifications", "billnumber", o.BillNumber, "err", err)
		d.NotesProblem = text(c.lang, "mon.notesbad")
	}
	d.Notes = notes
	d.Buyer, d.Receipts = buyerFields(c.lang, o.Customer), h.orderReceipts(r.Context(), c.m, o)
	v := h.monitorView(c, text(c.lang, "mon.order")+" "+o.OrderNumber, r, d)
	v.Flash = h.sessions.takeFlash(c.s)
	h.render(w, http.StatusOK, "order", v)
}

// orderAction runs #confirm, #cancel or #replay through the same gateway operations as the
// web services, then shows the outcome in #flash on the order page (Post/Redirect/Get). A
// form's nonce makes a double submit one operation: a cancel sends it as externalrefundid,
// so the gateway itself refunds once; a confirm or replay checks it in the session.
func (h *Handler) orderAction(w http.ResponseWriter, r *http.Request, c *monitorCtx) {
	od, err := h.loadOrder(r, c)
	if errors.Is(err, gateway.ErrNotFound) {
		h.monitorNotFound(w, r)
		return
	}
	if err != nil {
		h.errorPage(w, r, c.lang, err)
		return
	}
	o := od.Order
	f := r.PostForm
	amount := strings.TrimSpace(f.Get("amount"))
	currency := ""
	if amount != "" {
		currency = o.Currency
	}
	nonce := strings.TrimSpace(f.Get("nonce"))
	if len(nonce) > 64 {
		nonce = nonce[:64]
	}
	req := gateway.AmountRequest{BillNumber: o.BillNumber, Amount: amount, Currency: currency, IPAddress: wire.ClientIP(r)}
	g := h.Pages.Gateway
	var reply *gateway.Reply
	var fl *flash
	action := r.PathValue("action")
	if action != "cancel" && nonce != "" && !h.sessions.useNonce(c.s, action+":"+nonce) {
		fl = &flash{OK: true, Message: text(c.lang, "mon.repeat")}
		h.redirectWithFlash(w, r, c, o, fl)
		return
	}
	switch action {
	case "confirm":
		reply, err = g.Confirm(r.Context(), c.m, req)
	case "cancel":
		ext := ""
		if nonce != "" {
			ext = "monitor-" + nonce
		}
		reply, err = g.Cancel(r.Context(), c.m, gateway.CancelRequest{AmountRequest: req, ExternalRefundID: ext})
	case "replay":
		id, perr := strconv.ParseInt(f.Get("notification"), 10, 64)
		if perr != nil || !hasNotification(r, g, c.m, o.BillNumber, id) {
			h.monitorNotFound(w, r)
			return
		}
		if err = g.ReplayNotification(r.Context(), c.m, id); err == nil {
			fl = &flash{OK: true, Message: text(c.lang, "mon.replayed")}
		}
	default:
		h.monitorNotFound(w, r)
		return
	}
	switch {
	case err != nil:
		e := gateway.AsError(err)
		code := itoa(e.First) + "/" + itoa(e.Second)
		msg, detail := explain(c.lang, e)
		if detail != "" && detail != msg {
			msg += " (" + detail + ")"
		}
		fl = &flash{Message: text(c.lang, "mon.failed") + ": " + code + " — " + msg}
	case reply != nil:
		fl = &flash{OK: true, Message: text(c.lang, "mon.done") + ": " + reply.Op.ExtBillNumber(reply.Order) + ", " +
			money(reply.Op.Amount, reply.Order.Currency, c.lang) + " → " + stateLabel(c.lang, reply.Order.State)}
	}
	h.monitorOutcome(r, c, action, o, reply, err) // oplog.go
	h.redirectWithFlash(w, r, c, o, fl)
}

func (h *Handler) redirectWithFlash(w http.ResponseWriter, r *http.Request, c *monitorCtx, o *gateway.Order, fl *flash) {
	h.sessions.setFlash(c.s, fl)
	http.Redirect(w, r, "/monitor/orders/"+o.BillNumber, http.StatusSeeOther)
}

// hasNotification reports whether the notification belongs to this order of the merchant.
func hasNotification(r *http.Request, g *gateway.Gateway, m *gateway.Merchant, bill string, id int64) bool {
	notes, err := g.OrderNotifications(r.Context(), m, bill)
	if err != nil {
		return false
	}
	for _, n := range notes {
		if n.ID == id {
			return true
		}
	}
	return false
}
