package notify

// Dispatch: reading each merchant's due queue, dealing claims round robin, claiming them in
// one write, handing connections out, and giving claims back (docs/protocol.md#8-notifications).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"soapgate/gateway"
)

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
