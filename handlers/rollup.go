package handlers

import (
	"context"
	"errors"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// report rolls up the changed rows as they were before and after the burst
// (events-and-status §7, health.Monitors.RollUp) and hands both to the
// Reporter, which queues what differs. Rows of one LB are merged in order
// with later entries winning: Octavia applies concatenated lists in order,
// so that is what the reference's concatenation amounts to.
func (h *Handler) report(ctx context.Context, changes []rowChange) {
	if h.cfg.Reporter == nil || h.cfg.Health == nil || len(changes) == 0 {
		return
	}
	var before, after octavia.Status
	for _, c := range changes {
		log := h.log.WithFields(map[string]any{"lb": c.name, "lb_uuid": c.uuid})
		b, err := h.cfg.Health.RollUp(ctx, &nb.LoadBalancer{UUID: c.uuid, Name: c.name, ExternalIDs: c.before})
		if err == nil {
			var a octavia.Status
			a, err = h.cfg.Health.RollUp(ctx, &nb.LoadBalancer{UUID: c.uuid, Name: c.name, ExternalIDs: c.after})
			if err == nil {
				before.MergeLatest(b)
				after.MergeLatest(a)
				continue
			}
		}
		if errors.Is(err, health.ErrUnknownLoadBalancer) {
			// The reference crashes here and sends nothing.
			log.Warn("Octavia does not know the LB; status roll-up skipped")
			continue
		}
		log.WithError(err).Error("status roll-up failed; statuses of this LB not reported")
	}
	h.cfg.Reporter.Offer(before, after)
}
