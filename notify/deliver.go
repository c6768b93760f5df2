// Package notify delivers result notifications from the outbox to merchants, over POST or
// SOAP, with retries at growing intervals; it never decides business outcomes.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
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
	DefaultPerMerchant = 8                // of which one healthy merchant may hold at most this many
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
	// Counted, when set, is told the outcome of each attempt once it is recorded (/metrics).
	Counted func(outcome string)
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
