// Package notify delivers result notifications from the outbox to merchants, over POST or
// SOAP, with retries at growing intervals; it never decides business outcomes.
package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"soapgate/gateway"
)

// Defaults of the delivery policy (docs/protocol.md#8-notifications, Assist): the first attempt at once,
// then 1, 5, 15, 30, 60, 60 and 60 minutes after the previous one — 8 attempts in about 4 hours.
var DefaultRetries = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, time.Hour}

const (
	DefaultTimeout     = 10 * time.Second // per attempt
	DefaultConcurrency = 16               // deliveries in flight at once
	DefaultPerMerchant = 4                // of which one merchant may hold at most this many
	maxReply           = 64 << 10         // bytes of a reply read
	excerptLen         = 200              // bytes of a reply kept with the attempt
	pollInterval       = 500 * time.Millisecond
)

// Deliverer sends due notifications. Each order's notifications go one at a time in order;
// a slow merchant holds at most PerMerchant of the Concurrency slots.
type Deliverer struct {
	Store       gateway.Store
	Merchants   *gateway.Merchants
	Clock       gateway.Clock
	Message     Message
	Client      *http.Client    // its Timeout bounds each attempt; DefaultTimeout when nil
	Retries     []time.Duration // intervals after each failed attempt; len(Retries)+1 attempts in all
	Concurrency int
	PerMerchant int
	Kick        <-chan struct{} // a commit queued notifications
	Logger      *slog.Logger
	// Leases, when several processes share the database, make each attempt run in one of
	// them; nil: one process.
	Leases gateway.Leases

	mu          sync.Mutex
	inflight    map[int64]bool
	perMerchant map[string]int
	wg          sync.WaitGroup
}

func (d *Deliverer) init() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.inflight == nil {
		d.inflight, d.perMerchant = map[int64]bool{}, map[string]int{}
	}
	if d.Client == nil {
		d.Client = &http.Client{Timeout: DefaultTimeout}
	}
	if d.Retries == nil {
		d.Retries = DefaultRetries
	}
	if d.Concurrency == 0 {
		d.Concurrency = DefaultConcurrency
	}
	if d.PerMerchant == 0 {
		d.PerMerchant = DefaultPerMerchant
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
}

// Run dispatches due notifications when a commit queues some and every half second, until
// ctx ends; then it waits for the deliveries in flight.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	defer d.wg.Wait()
	for {
		if _, err := d.dispatch(ctx, d.Clock.Now()); err != nil && ctx.Err() == nil {
			d.Logger.Error("notification dispatch", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.Kick:
		case <-t.C:
		}
	}
}

// RunDue delivers everything due at now and waits for it, including notifications that
// become sendable because an earlier one of their order was just delivered. The test
// clock's moves use it.
func (d *Deliverer) RunDue(ctx context.Context, now time.Time) error {
	d.init()
	for {
		started, err := d.dispatch(ctx, now)
		if err != nil {
			return err
		}
		if len(started) == 0 {
			d.waitIdle(ctx)
			return nil
		}
		for _, done := range started {
			select {
			case <-done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// waitIdle waits for deliveries started by the background loop.
func (d *Deliverer) waitIdle(ctx context.Context) {
	for ctx.Err() == nil {
		d.mu.Lock()
		n := len(d.inflight)
		d.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dispatch starts a delivery for each due notification that has a free slot.
func (d *Deliverer) dispatch(ctx context.Context, now time.Time) ([]chan struct{}, error) {
	var due []*gateway.Notification
	err := d.Store.View(ctx, func(tx gateway.Tx) (err error) {
		due, err = tx.DueNotifications(now, 4*d.Concurrency)
		return err
	})
	if err != nil {
		return nil, err
	}
	var started []chan struct{}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range due {
		if d.inflight[n.ID] || len(d.inflight) >= d.Concurrency || d.perMerchant[n.MerchantID] >= d.PerMerchant {
			continue
		}
		d.inflight[n.ID] = true
		d.perMerchant[n.MerchantID]++
		done := make(chan struct{})
		started = append(started, done)
		d.wg.Add(1)
		go func(n *gateway.Notification) {
			defer d.wg.Done()
			defer close(done)
			d.deliver(n)
			d.mu.Lock()
			delete(d.inflight, n.ID)
			d.perMerchant[n.MerchantID]--
			d.mu.Unlock()
		}(n)
	}
	return started, nil
}

// deliver makes one attempt and records it with the notification's next state. It runs on
// its own context: an attempt begun is finished and recorded even during shutdown.
func (d *Deliverer) deliver(n *gateway.Notification) {
	ctx := context.Background()
	if d.Leases != nil {
		release, ok, err := d.Leases.TryLease(ctx, "notification/"+strconv.FormatInt(n.ID, 10))
		if err != nil || !ok {
			return // another process is sending it (or the lease could not be asked for: next pass)
		}
		defer release()
	}
	now := d.Clock.Now()
	// The due list may have been read before an attempt that finished meanwhile recorded its
	// outcome (a read snapshot is older than that commit): now that this delivery holds the
	// notification's slot, read it again and skip it unless it is still due as listed.
	var cur *gateway.Notification
	err := d.Store.View(ctx, func(tx gateway.Tx) (err error) {
		cur, err = tx.NotificationByID(n.ID)
		return err
	})
	if err != nil || cur.State != gateway.NotifyPending || cur.Attempts != n.Attempts || cur.NextAt.After(now) {
		return
	}
	a := gateway.DeliveryAttempt{At: now}
	m := d.Merchants.Get(n.MerchantID)
	if m == nil || m.Notify.URL == "" {
		a.Outcome, a.Error = "failed", "the merchant has no notification URL configured any more"
	} else {
		a = d.attempt(ctx, m, n, now)
	}
	switch a.Outcome {
	case "delivered":
		n.State = gateway.NotifyDelivered
	case "rejected":
		n.State = gateway.NotifyRejected
	case "failed":
		n.State = gateway.NotifyFailed
	default:
		if n.Attempts+1 > len(d.Retries) {
			a.Outcome, n.State = "failed", gateway.NotifyFailed
		} else {
			n.NextAt = now.Add(d.Retries[n.Attempts])
		}
	}
	n.Attempts++
	err = d.Store.Update(ctx, func(tx gateway.Tx) error {
		if err := tx.InsertAttempt(n.ID, a); err != nil {
			return err
		}
		return tx.UpdateNotification(n)
	})
	if err != nil {
		d.Logger.Error("record notification attempt", "id", n.ID, "err", err)
		return
	}
	// A refusal or giving up needs the operator (replay by hand): WARN, with the reason.
	level := slog.LevelInfo
	if a.Outcome == "rejected" || a.Outcome == "failed" {
		level = slog.LevelWarn
	}
	d.Logger.Log(ctx, level, "notification "+a.Outcome, "id", n.ID, "merchant_id", n.MerchantID, "billnumber", n.BillNumber,
		"attempt", n.Attempts, "status", a.HTTPStatus, "outcome", a.Outcome, "reason", a.Error)
}

// attempt sends the notification once and classifies the reply: delivered (0/0 echoing the
// billnumber and packetdate), rejected (non-zero codes, a SOAP Fault, a 4xx), or retry (no
// answer, a timeout, a connection error, a 5xx, anything else).
func (d *Deliverer) attempt(ctx context.Context, m *gateway.Merchant, n *gateway.Notification, now time.Time) gateway.DeliveryAttempt {
	a := gateway.DeliveryAttempt{At: now, Outcome: "retry"}
	packet := gateway.FormatDate(now)
	body, ctype, err := d.Message.build(m, n, packet)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Notify.URL, bytes.NewReader(body))
	if err != nil {
		a.Outcome, a.Error = "failed", err.Error()
		return a
	}
	req.Header.Set("Content-Type", ctype)
	if m.Notify.Protocol == "soap" {
		req.Header.Set("SOAPAction", `"http://www.paysecure.ru/ws/PushPaymentResult"`)
	}
	res, err := d.Client.Do(req)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(res.Body, maxReply))
	a.HTTPStatus = res.StatusCode
	a.Excerpt = excerpt(reply)
	if err != nil {
		a.Error = err.Error()
		return a
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
	return a
}

func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > excerptLen {
		s = s[:excerptLen]
	}
	return strings.ToValidUTF8(s, "")
}
