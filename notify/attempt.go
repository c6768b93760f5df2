package notify

// One attempt: sending a claimed notification, reading the merchant's answer, and recording
// the outcome in the write that ends the claim.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"soapgate/gateway"
)

func (d *Deliverer) timeout() time.Duration {
	if d.Client.Timeout > 0 {
		return d.Client.Timeout
	}
	return DefaultTimeout
}

// finished forgets a job; d.mu is held.
func (d *Deliverer) finished(j *job) {
	d.claimed--
	delete(d.mine, j.n.ID)
	close(j.done)
	select {
	case d.freed <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// run makes one attempt, frees its connection for the next, and records the outcome in the
// write that ends the claim. An attempt that got no answer makes the merchant failing: the
// claims it holds ahead are given back, and it is probed.
func (d *Deliverer) run(j *job) {
	defer d.wg.Done()
	a, answered, counts := d.deliver(j.n)
	var drop []*job
	d.mu.Lock()
	d.busy--
	h := d.state(j.merchant)
	h.busy--
	var recovered, probing bool
	if counts {
		if answered {
			recovered = h.failures >= d.ProbeAfter
			h.failures, h.probe = 0, 0
		} else {
			if h.failures++; h.failures >= d.ProbeAfter {
				probing = h.failures == d.ProbeAfter
				h.probe = j.n.ID
			}
			drop, h.queue = h.queue, nil
		}
	}
	d.mu.Unlock()
	// The moments an operator wants to see: a merchant's endpoint stops answering, and answers again.
	if probing {
		d.Logger.Warn("notification endpoint not answering: probing it with one notification, the others wait",
			"merchant_id", j.merchant, "failures", d.ProbeAfter, "probe", j.n.ID)
	} else if recovered {
		d.Logger.Info("notification endpoint answers again: its queue drains", "merchant_id", j.merchant)
	}
	d.send()
	d.record(j.n, a)
	if len(drop) > 0 {
		d.release(drop)
	}
	d.mu.Lock()
	d.finished(j)
	for _, x := range drop {
		d.finished(x)
	}
	d.mu.Unlock()
}

// deliver makes one attempt and works out the notification's next state. It runs on its
// own context: an attempt begun is finished and recorded even during shutdown. answered
// tells whether the merchant's endpoint answered; counts whether the attempt says anything
// about the endpoint at all.
func (d *Deliverer) deliver(n *gateway.Notification) (a gateway.DeliveryAttempt, answered, counts bool) {
	now := d.Clock.Now()
	a = gateway.DeliveryAttempt{At: now}
	m := d.Merchants.Get(n.MerchantID)
	if m == nil || m.Notify.URL == "" {
		a.Outcome, a.Error = "failed", "the merchant has no notification URL configured any more"
	} else {
		a, counts = d.attempt(context.Background(), m, n, now)
	}
	answered = a.Outcome == "delivered" || a.Outcome == "rejected"
	switch a.Outcome {
	case "delivered":
		n.State, n.DoneAt = gateway.NotifyDelivered, now
	case "rejected":
		n.State, n.DoneAt = gateway.NotifyRejected, now
	case "failed":
		n.State = gateway.NotifyFailed
	default:
		if i := n.Attempts - n.RoundBase; i >= len(d.Retries) {
			a.Outcome, n.State = "failed", gateway.NotifyFailed
		} else {
			n.NextAt = now.Add(d.Retries[max(i, 0)])
		}
	}
	n.Attempts++
	return a, answered, counts
}

// record writes an attempt and the notification's next state in the write that ends its claim.
func (d *Deliverer) record(n *gateway.Notification, a gateway.DeliveryAttempt) {
	var held bool
	err := d.Store.Update(context.Background(), func(tx gateway.Tx) (err error) {
		held, err = tx.FinishNotification(n, n.Claim, a)
		return err
	})
	if err != nil {
		d.Logger.Error("record notification attempt", "id", n.ID, "err", err)
		return
	}
	if d.Counted != nil {
		d.Counted(a.Outcome)
	}
	if !held {
		d.Logger.Warn("notification claim ran out during the attempt; its outcome is kept by the claim's new holder",
			"id", n.ID, "merchant_id", n.MerchantID, "billnumber", n.BillNumber, "outcome", a.Outcome)
	}
	// A refusal or giving up needs the operator (replay by hand): WARN, with the reason.
	level := slog.LevelInfo
	if a.Outcome == "rejected" || a.Outcome == "failed" {
		level = slog.LevelWarn
	}
	d.Logger.Log(context.Background(), level, "notification "+a.Outcome, "id", n.ID, "merchant_id", n.MerchantID, "billnumber", n.BillNumber,
		"attempt", n.Attempts, "status", a.HTTPStatus, "outcome", a.Outcome, "reason", a.Error)
}

// attempt sends the notification once and classifies the reply: delivered (0/0 echoing the
// billnumber and packetdate), rejected (non-zero codes, a SOAP Fault, a 4xx), or retry (no
// answer, a timeout, a connection error, a 5xx, anything else).
//
// sent tells whether a request went out, so that the outcome says something of the endpoint.
func (d *Deliverer) attempt(ctx context.Context, m *gateway.Merchant, n *gateway.Notification, now time.Time) (a gateway.DeliveryAttempt, sent bool) {
	a = gateway.DeliveryAttempt{At: now, Outcome: "retry"}
	packet := gateway.FormatDate(now)
	body, ctype, err := d.Message.build(m, n, packet)
	if err != nil {
		a.Error = err.Error()
		return a, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Notify.URL, bytes.NewReader(body))
	if err != nil {
		a.Outcome, a.Error = "failed", err.Error()
		return a, false
	}
	req.Header.Set("Content-Type", ctype)
	if m.Notify.Protocol == "soap" {
		req.Header.Set("SOAPAction", `"http://www.paysecure.ru/ws/PushPaymentResult"`)
	}
	res, err := d.Client.Do(req)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(res.Body, maxReply))
	a.HTTPStatus = res.StatusCode
	a.Excerpt = excerpt(reply)
	if err != nil {
		a.Error = err.Error()
		return a, true
	}
	ack, perr := parseAck(reply)
	switch {
	case perr == nil && ack.fault:
		a.Outcome, a.Error = "rejected", "SOAP Fault"
	case res.StatusCode >= 500 || res.StatusCode == 408 || res.StatusCode == 429:
		a.Error = "HTTP " + res.Status
	case res.StatusCode >= 400:
		a.Outcome, a.Error = "rejected", "HTTP "+res.Status
	case perr != nil || !ack.found:
		a.Error = "the reply is not a pushpaymentresult acknowledgement"
	case ack.first != "0" || ack.second != "0":
		a.Outcome, a.Error = "rejected", fmt.Sprintf("refused with %s/%s", ack.first, ack.second)
	case ack.billNumber != n.BillNumber || ack.packet != packet:
		a.Error = fmt.Sprintf("the acknowledgement echoes %q/%q, not %q/%q", ack.billNumber, ack.packet, n.BillNumber, packet)
	default:
		a.Outcome = "delivered"
	}
	return a, true
}

func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > excerptLen {
		s = s[:excerptLen]
	}
	return strings.ToValidUTF8(s, "")
}
