package handlers

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// report rolls up the changed rows as they were before and after the burst
// (events-and-status §7, health.Monitors.RollUpChange: one get-socket read
// for both) and hands both to the
// Reporter, which queues what differs. Rows of one LB are merged in order
// with later entries winning: Octavia applies concatenated lists in order,
// so that is what the reference's concatenation amounts to.
//
// A roll-up that fails because the get socket cannot be read (the driver
// agent restarting) is deferred, not lost: RetryDeferred and the next
// report of the same row pick it up, with the row's state from before the
// first failed report as "before".
func (h *Handler) report(ctx context.Context, changes []rowChange) {
	if h.cfg.Reporter == nil || h.cfg.Health == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range changes {
		if d, ok := h.deferred[c.uuid]; ok {
			changes[i].before = d.before
			delete(h.deferred, c.uuid)
		}
	}
	if len(changes) == 0 {
		return
	}
	var before, after octavia.Status
	for _, c := range changes {
		log := h.log.WithFields(map[string]any{"lb": c.name, "lb_uuid": c.uuid})
		b, a, err := h.cfg.Health.RollUpChange(ctx, c.uuid, c.name, c.before, c.after)
		if err == nil {
			before.MergeLatest(b)
			after.MergeLatest(a)
			continue
		}
		if errors.Is(err, health.ErrUnknownLoadBalancer) {
			// The reference crashes here and sends nothing.
			log.Warn("Octavia does not know the LB; status roll-up skipped")
			continue
		}
		log.WithError(err).Warn("status roll-up failed; deferred")
		h.deferred[c.uuid] = c
	}
	h.cfg.Reporter.Offer(before, after)
}

// HasDeferred reports whether roll-ups wait for the get socket.
func (h *Handler) HasDeferred() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.deferred) > 0
}

// RetryDeferred retries the deferred roll-ups.
func (h *Handler) RetryDeferred(ctx context.Context) {
	h.mu.Lock()
	var changes []rowChange
	for _, uuid := range slices.Sorted(maps.Keys(h.deferred)) {
		changes = append(changes, h.deferred[uuid])
	}
	clear(h.deferred)
	h.mu.Unlock()
	h.report(ctx, changes)
}
