// Package notify delivers result notifications from the outbox to merchants, over POST or
// SOAP, with retries at growing intervals; it never decides business outcomes.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
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
	DefaultPerMerchant = 4                // of which one healthy merchant may hold at most this many
	DefaultProbeAfter  = 3                // attempts in a row without an answer before a merchant is only probed
	maxReply           = 64 << 10         // bytes of a reply read
	excerptLen         = 200              // bytes of a reply kept with the attempt
	pollInterval       = 500 * time.Millisecond
	listInterval       = 10 * time.Second // how often merchants that are no longer configured are looked for
	passGather         = 2 * time.Millisecond
)

// Deliverer sends due notifications (docs/protocol.md#8-notifications).
//
// Every attempt starts only after a committed claim on a due row (a lease with a deadline,
// owner Owner), and its outcome and next due time are written in the same write that ends
// the claim. Two dispatchers, in this process or in others sharing the database, therefore
// never attempt one notification at once, and never before it is due; a process that dies
// mid-attempt leaves a lease that runs out, and the notification is due again.
//
// Dispatch is fair: each merchant has its own due queue, and the free slots are dealt
// round robin, one per merchant per round. A healthy merchant holds at most PerMerchant
// attempts; after an attempt that got no answer a merchant gets one at a time, and after
// ProbeAfter in a row only the notification that failed last is retried, on its schedule
// (the probe), while its other notifications wait with their attempts unspent, until the
// merchant answers again. A dead endpoint thus costs one connection, and the others'
// notifications go out at once whatever its backlog.
type Deliverer struct {
	Store       gateway.Store
	Merchants   *gateway.Merchants
	Clock       gateway.Clock
	Message     Message
	Client      *http.Client    // its Timeout bounds each attempt; DefaultTimeout when nil
	Retries     []time.Duration // intervals after each failed attempt; len(Retries)+1 attempts in all
	Concurrency int
	PerMerchant int
	ProbeAfter  int
	Kick        <-chan struct{} // a commit queued notifications
	Logger      *slog.Logger
	// Owner names this deliverer in its claims; host:pid:random when empty. Each process
	// must have its own.
	Owner string
	// Lease is how long a claim holds: longer than a claim waits for a connection plus an
	// attempt with its write, so that only a dead process's claims run out. Three times the
	// client's timeout, at least 10 s more than it, when 0.
	Lease time.Duration
	// Wall is the clock of leases (processes die in real time, whatever a test clock
	// says); the real clock when nil.
	Wall gateway.Clock

	initOnce sync.Once
	pass     sync.Mutex // one dispatch pass at a time: the counts below stay true
	mu       sync.Mutex
	busy     int                       // attempts sending now (at most Concurrency)
	claimed  int                       // claims held and not yet finished (at most maxClaimed)
	health   map[string]*merchantState // by merchant id
	mine     map[int64]chan struct{}   // claimed and not finished; closed when finished
	extra    []string                  // merchants with pending notifications that are not configured
	listed   time.Time                 // when extra was listed (wall)
	next     string                    // round robin of claims: the merchant served first in the next pass
	nextSend string                    // round robin of sending
	freed    chan struct{}             // an attempt ended: claims can be taken again
	wg       sync.WaitGroup
}

// merchantState is what the deliverer holds and has learnt of a merchant's endpoint.
type merchantState struct {
	queue    []*job // claimed, waiting for a connection
	busy     int    // attempts sending now
	failures int    // attempts in a row that got no answer
	probe    int64  // while failures >= ProbeAfter: the notification that probes the endpoint
}

// job is a claimed notification on its way.
type job struct {
	merchant string
	n        *gateway.Notification
	done     chan struct{}
}

// A healthy merchant's claims run ahead of its connections by this many times PerMerchant,
// so that the next attempt starts as one ends, without waiting for a claim's commit; the
// claims of all merchants are capped at claimAhead times Concurrency.
const claimAhead = 2

func (d *Deliverer) init() {
	d.initOnce.Do(func() {
		d.health, d.mine, d.freed = map[string]*merchantState{}, map[int64]chan struct{}{}, make(chan struct{}, 1)
		if d.Client == nil {
			d.Client = &http.Client{Timeout: DefaultTimeout}
		}
		if d.Retries == nil {
			d.Retries = DefaultRetries
		}
		if d.Concurrency <= 0 {
			d.Concurrency = DefaultConcurrency
		}
		if d.PerMerchant <= 0 {
			d.PerMerchant = DefaultPerMerchant
		}
		if d.ProbeAfter <= 0 {
			d.ProbeAfter = DefaultProbeAfter
		}
		if d.Logger == nil {
			d.Logger = slog.Default()
		}
		if d.Wall == nil {
			d.Wall = gateway.RealClock{}
		}
		if d.Lease <= 0 {
			timeout := d.Client.Timeout
			if timeout <= 0 {
				timeout = DefaultTimeout
			}
			d.Lease = max(3*timeout, timeout+10*time.Second)
		}
		if d.Owner == "" {
			d.Owner = NewOwner()
		}
	})
}

// NewTransport is the HTTP transport for deliveries: the default one, keeping as many idle
// connections per merchant as it may have attempts at once (the default keeps 2, so a
// merchant taking 4 at a time would open a new connection for every other attempt).
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultPerMerchant
	return t
}

// NewOwner names a process for its claims: host, pid and a random part, so that a restarted
// process never takes its predecessor's claims for its own.
func NewOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Run dispatches due notifications when a commit queues some, when an attempt ends and
// every half second, until ctx ends; then it waits for the attempts in flight.
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
			d.giveBack()
			return
		case <-d.Kick:
		case <-d.freed:
		case <-t.C:
		}
		// Let the wake-ups of a busy moment gather: one pass then reads and claims for
		// many attempts in one write instead of one each. Attempts keep starting meanwhile
		// from the claims held ahead.
		time.Sleep(passGather)
	}
}

// RunDue delivers everything due at now and waits for it, including notifications that
// become sendable because an earlier one of their order was just delivered, and the
// attempts the background loop has in flight (which may have claimed what is due first).
// The test clock's moves use it.
func (d *Deliverer) RunDue(ctx context.Context, now time.Time) error {
	d.init()
	for {
		started, err := d.dispatch(ctx, now)
		if err != nil {
			return err
		}
		if len(started) == 0 {
			// Nothing more to start here: wait for what is in flight, which may make an
			// order's next notification sendable, and look again.
			if started = d.inflight(); len(started) == 0 {
				return nil
			}
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

// inflight returns the done channels of the attempts in flight.
func (d *Deliverer) inflight() []chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]chan struct{}, 0, len(d.mine))
	for _, done := range d.mine {
		out = append(out, done)
	}
	return out
}

// candidate is a due notification a pass may claim.
type candidate struct {
	merchant string
	n        *gateway.Notification
}

// dispatch is one pass: it reads each merchant's due queue as far as the merchant may take
// more claims, deals the free claims round robin, claims what it dealt in one write, and
// starts attempts on what committed as connections allow.
func (d *Deliverer) dispatch(ctx context.Context, now time.Time) ([]chan struct{}, error) {
	d.pass.Lock()
	defer d.pass.Unlock()
	defer d.send()
	wall := d.Wall.Now()
	if err := d.listExtra(ctx, wall); err != nil {
		return nil, err
	}
	merchants := d.rotation()

	// What each merchant may claim now.
	d.mu.Lock()
	free := claimAhead*d.Concurrency - d.claimed
	want := make(map[string]int, len(merchants))
	probes := map[string]int64{}
	for _, id := range merchants {
		h := d.state(id)
		held := len(h.queue) + h.busy
		switch {
		case h.failures >= d.ProbeAfter:
			want[id] = 1 - held
			probes[id] = h.probe
		case h.failures > 0:
			want[id] = 1 - held
		default:
			want[id] = claimAhead*d.PerMerchant - held
		}
	}
	d.mu.Unlock()
	if free <= 0 {
		return nil, nil
	}

	// Each merchant's queue, read in one snapshot.
	queues := make(map[string][]*gateway.Notification, len(merchants))
	err := d.Store.View(ctx, func(tx gateway.Tx) error {
		for _, id := range merchants {
			if want[id] <= 0 {
				continue
			}
			due, err := tx.DueNotifications(id, now, wall, want[id])
			if err != nil {
				return fmt.Errorf("due notifications of %s: %w", id, err)
			}
			if probe, ok := probes[id]; ok {
				if due, err = d.probeOnly(tx, id, probe, due, now, wall); err != nil {
					return err
				}
			}
			queues[id] = d.notMine(due, want[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Deal the free claims: one per merchant per round, starting where the last pass stopped.
	var dealt []candidate
	last := ""
	for round := 0; len(dealt) < free; round++ {
		progress := false
		for _, id := range merchants {
			if round < len(queues[id]) && len(dealt) < free {
				dealt, last, progress = append(dealt, candidate{id, queues[id][round]}), id, true
			}
		}
		if !progress {
			break
		}
	}
	if len(dealt) == 0 {
		return nil, nil
	}
	d.next = nextAfter(merchants, last)

	// Claim them in one write; only what committed is attempted.
	claim := gateway.Claim{Owner: d.Owner, Until: wall.Add(d.Lease).Truncate(time.Millisecond)}
	var claimed []candidate
	err = d.Store.Update(ctx, func(tx gateway.Tx) error {
		claimed = claimed[:0]
		for _, c := range dealt {
			ok, err := tx.ClaimNotification(c.n.ID, now, wall, claim)
			if err != nil {
				return fmt.Errorf("claim notification %d: %w", c.n.ID, err)
			}
			if ok {
				claimed = append(claimed, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	started := make([]chan struct{}, 0, len(claimed))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range claimed {
		j := &job{merchant: c.merchant, n: c.n, done: make(chan struct{})}
		c.n.Claim = claim
		started = append(started, j.done)
		d.claimed++
		d.mine[c.n.ID] = j.done
		h := d.state(c.merchant)
		h.queue = append(h.queue, j)
	}
	return started, nil
}

// send starts attempts on claimed notifications while connections are free: a healthy
// merchant at most PerMerchant at once, a failing one 1, all merchants at most Concurrency,
// dealt round robin.
func (d *Deliverer) send() {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id, h := range d.health {
		if len(h.queue) > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	i, _ := slices.BinarySearch(ids, d.nextSend)
	ids = append(ids[i:len(ids):len(ids)], ids[:i]...)
	// An attempt must be able to end, with its write, before its claim does.
	latest := d.Wall.Now().Add(d.timeout() + time.Second)
	for progress := true; progress && d.busy < d.Concurrency; {
		progress = false
		for _, id := range ids {
			h := d.health[id]
			limit := d.PerMerchant
			if h.failures > 0 {
				limit = 1
			}
			if len(h.queue) == 0 || h.busy >= limit || d.busy >= d.Concurrency {
				continue
			}
			j := h.queue[0]
			h.queue = h.queue[1:]
			if j.n.Claim.Until.Before(latest) {
				// Claimed too long ago (a slow merchant's queue): let the claim run out
				// rather than risk a second sender; the notification is due again then.
				d.finished(j)
				continue
			}
			d.busy++
			h.busy++
			d.nextSend, progress = nextAfter(ids, id), true
			d.wg.Add(1)
			go d.run(j)
		}
	}
}

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

// giveBack releases, at shutdown, the claims taken ahead and not yet sent, so that the next
// process sends them at once instead of after their leases.
func (d *Deliverer) giveBack() {
	d.mu.Lock()
	var queued []*job
	for _, h := range d.health {
		queued, h.queue = append(queued, h.queue...), nil
	}
	d.mu.Unlock()
	if len(queued) == 0 {
		return
	}
	d.release(queued)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, j := range queued {
		d.finished(j)
	}
}

// release gives back claims that will not be attempted, so that they are due again at once.
func (d *Deliverer) release(jobs []*job) {
	err := d.Store.Update(context.Background(), func(tx gateway.Tx) error {
		for _, j := range jobs {
			if err := tx.ReleaseNotification(j.n.ID, j.n.Claim); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.Logger.Error("release notification claims", "err", err)
	}
}

// probeOnly narrows a failing merchant's due queue to its probe: the notification that
// failed last, when it is due again (the claim checks that again, atomically). Once the
// probe is no longer pending (it failed for good, or another process delivered it), the
// oldest due notification becomes the probe.
func (d *Deliverer) probeOnly(tx gateway.Tx, merchant string, probe int64, due []*gateway.Notification, now, wall time.Time) ([]*gateway.Notification, error) {
	n, err := tx.NotificationByID(probe)
	if err != nil && !errors.Is(err, gateway.ErrNoRows) {
		return nil, err
	}
	if err == nil && n.State == gateway.NotifyPending {
		if n.NextAt.After(now) || (n.Claim.Owner != "" && !n.Claim.Until.Before(wall)) {
			return nil, nil // not due yet, or being attempted: the others wait
		}
		return []*gateway.Notification{n}, nil
	}
	d.mu.Lock()
	d.state(merchant).probe = 0
	d.mu.Unlock()
	return due[:min(len(due), 1)], nil
}

// notMine drops the notifications this deliverer is attempting already (its own leases do
// not run out while it works; this only guards against a slow writer), keeping at most n.
func (d *Deliverer) notMine(due []*gateway.Notification, n int) []*gateway.Notification {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := due[:0]
	for _, x := range due {
		if _, ok := d.mine[x.ID]; !ok && len(out) < n {
			out = append(out, x)
		}
	}
	return out
}

// state returns a merchant's state; d.mu is held.
func (d *Deliverer) state(id string) *merchantState {
	h := d.health[id]
	if h == nil {
		h = &merchantState{}
		d.health[id] = h
	}
	return h
}

// rotation lists the merchants whose queues a pass reads, starting at d.next: the
// configured ones with a notification URL, and those found with pending notifications that
// are no longer configured (their notifications fail at once).
func (d *Deliverer) rotation() []string {
	var ids []string
	for _, m := range d.Merchants.All() {
		if m.Notify.URL != "" {
			ids = append(ids, m.ID)
		}
	}
	d.mu.Lock()
	ids = append(ids, d.extra...)
	d.mu.Unlock()
	sort.Strings(ids)
	ids = slices.Compact(ids)
	i, _ := slices.BinarySearch(ids, d.next)
	return append(ids[i:len(ids):len(ids)], ids[:i]...)
}

// nextAfter is the merchant after last in the rotation.
func nextAfter(rotation []string, last string) string {
	for i, id := range rotation {
		if id == last && i+1 < len(rotation) {
			return rotation[i+1]
		}
	}
	if len(rotation) > 0 {
		return rotation[0]
	}
	return ""
}

// listExtra looks, now and then, for merchants with pending notifications that have no
// notification URL configured (any more), one index seek per merchant.
func (d *Deliverer) listExtra(ctx context.Context, wall time.Time) error {
	d.mu.Lock()
	fresh := !d.listed.IsZero() && wall.Sub(d.listed) < listInterval && !wall.Before(d.listed)
	d.mu.Unlock()
	if fresh {
		return nil
	}
	var extra []string
	err := d.Store.View(ctx, func(tx gateway.Tx) error {
		for after := ""; ; {
			id, err := tx.PendingMerchantAfter(after)
			if errors.Is(err, gateway.ErrNoRows) {
				return nil
			} else if err != nil {
				return fmt.Errorf("merchants with pending notifications: %w", err)
			}
			if m := d.Merchants.Get(id); m == nil || m.Notify.URL == "" {
				extra = append(extra, id)
			}
			after = id
		}
	})
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.extra, d.listed = extra, wall
	d.mu.Unlock()
	return nil
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
