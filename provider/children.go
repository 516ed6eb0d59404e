package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// childResults is what the listeners, pools, health monitors and members
// of a fully populated create produced inside the transaction.
type childResults struct {
	steps   []childStep // listener, pool and HM messages, in the reference's order
	rollUps []rowRollUp // rows that got members, in order
}

// childStep is one message of the reference's sequence: known in the Txn
// (listener, pool), or an HM create whose message, a roll-up of the row as
// the HM create left it, is computed after the commit.
type childStep struct {
	st    octavia.Status
	hm    *health.CreateResult
	hmErr error
}

// rowRollUp is a row whose members were created, with the committed
// external_ids for the roll-up and the members' own results.
type rowRollUp struct {
	row     *nb.LoadBalancer
	name    string
	ext     map[string]string
	results []memberResult
}

// normalizeChildren fills the parent ids that nested objects of a fully
// populated LB may leave Unset (the LB id on listeners and pools, the pool
// id on its members and health monitor). It works on copies: the caller's
// object is not modified.
func normalizeChildren(lb *octavia.LoadBalancer) *octavia.LoadBalancer {
	out := *lb
	id := lb.LoadBalancerID
	if ls, ok := lb.Listeners.Get(); ok {
		cp := make([]octavia.Listener, len(ls))
		copy(cp, ls)
		for i := range cp {
			if !cp[i].LoadBalancerID.Set {
				cp[i].LoadBalancerID = id
			}
		}
		out.Listeners = octavia.Some(cp)
	}
	if ps, ok := lb.Pools.Get(); ok {
		cp := make([]octavia.Pool, len(ps))
		copy(cp, ps)
		for i := range cp {
			p := &cp[i]
			if !p.LoadBalancerID.Set {
				p.LoadBalancerID = id
			}
			if hm, ok := p.HealthMonitor.Get(); ok && !hm.PoolID.Set {
				hm.PoolID = p.PoolID
				p.HealthMonitor = octavia.Some(hm)
			}
			if ms, ok := p.Members.Get(); ok {
				mcp := make([]octavia.Member, len(ms))
				copy(mcp, ms)
				for j := range mcp {
					if !mcp[j].PoolID.Set {
						mcp[j].PoolID = p.PoolID
					}
				}
				p.Members = octavia.Some(mcp)
			}
		}
		out.Pools = octavia.Some(cp)
	}
	return &out
}

// createChildren writes the listeners, then each pool with its members, of
// a fully populated create into the Txn (operations.md §4.1).
func (d *Driver) createChildren(ctx context.Context, t *nbtxn.Txn, lb *octavia.LoadBalancer) (*childResults, error) {
	res := &childResults{}
	lbID := lb.LoadBalancerID.V
	lbActive := entry(lbID, octavia.ProvisioningActive, "")
	for i := range lb.Listeners.Or(nil) {
		l := &lb.Listeners.V[i]
		if err := d.createListener(ctx, t, l); err != nil {
			return nil, err
		}
		var st octavia.Status
		st.Add(octavia.KindListeners, entry(l.ListenerID.V, octavia.ProvisioningActive, onlineIf(l.AdminStateUp.Or(true))))
		st.Add(octavia.KindLoadBalancers, lbActive)
		res.steps = append(res.steps, childStep{st: st})
	}
	sc := newSubnetCache(d)
	byRow := map[string]int{}
	for i := range lb.Pools.Or(nil) {
		p := &lb.Pools.V[i]
		row, err := d.createPool(ctx, t, p)
		if err != nil {
			return nil, err
		}
		var st octavia.Status
		st.Add(octavia.KindPools, entry(p.PoolID.V, octavia.ProvisioningActive, onlineIf(p.ListenerID.Or("") != "")))
		st.Add(octavia.KindLoadBalancers, lbActive)
		if lid := p.ListenerID.Or(""); lid != "" {
			st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningActive, ""))
		}
		res.steps = append(res.steps, childStep{st: st})
		if hm, ok := p.HealthMonitor.Get(); ok {
			// In the reference's place: after the pool, before its members,
			// which are then mapped like members created on a monitored pool.
			res.steps = append(res.steps, d.createHMInTxn(ctx, t, &hm))
		}
		ms := p.Members.Or(nil)
		if len(ms) == 0 {
			continue // the reference's empty member request sends nothing
		}
		members := make([]*octavia.Member, len(ms))
		subnets := make([]string, len(ms))
		for j := range ms {
			members[j] = &ms[j]
			// Members without subnet get the VIP subnet, without the CIDR
			// check of a single member create (operations.md §4.1).
			subnets[j] = ms[j].SubnetID.Or(lb.VIPSubnetID.Or(""))
		}
		results, err := d.addMembersToRow(ctx, t, row, lbdata.PoolKey(p.PoolID.V, p.AdminStateUp.Or(true)), members, subnets, sc)
		if err != nil {
			return nil, fmt.Errorf("members of pool %s: %w", p.PoolID.V, err)
		}
		if k, ok := byRow[row.UUID]; ok {
			res.rollUps[k].results = append(res.rollUps[k].results, results...)
		} else {
			byRow[row.UUID] = len(res.rollUps)
			res.rollUps = append(res.rollUps, rowRollUp{row: row, name: row.Name, results: results})
		}
	}
	// Snapshot the rows as they will be committed (this is the end of the
	// Run function).
	for k := range res.rollUps {
		res.rollUps[k].ext = maps.Clone(res.rollUps[k].row.ExternalIDs)
		res.rollUps[k].row = nil
	}
	return res, nil
}

// createHMInTxn creates a pool's HM in the Txn of a fully populated (LB
// or pool) create. An HM that cannot be written (corrupt
// octavia:healthmonitors on a re-created row) does not fail the call: the
// Txn is unchanged by it and its step reports the HM ERROR, as the
// reference's separate hm_create request would.
func (d *Driver) createHMInTxn(ctx context.Context, t *nbtxn.Txn, hm *octavia.HealthMonitor) childStep {
	if d.health == nil {
		err := errors.New("pool carries a health monitor but no health engine is configured")
		var st octavia.Status
		st.Add(octavia.KindHealthMonitors, entry(hm.HealthMonitorID.Or(""), octavia.ProvisioningError, octavia.OperatingError))
		d.log.WithError(err).WithField("hm_id", hm.HealthMonitorID.Or("")).Error("health monitor create failed")
		return childStep{st: st}
	}
	res, err := d.health.CreateInTxn(ctx, t, hm)
	return childStep{hm: &res, hmErr: err}
}

// finishChildren folds the children's status messages into the LB's, in
// the reference's order; later messages update earlier entries of the same
// object (octavia.Status.MergeLatest), so the one message sent holds what
// the reference's sequence (operations.md §4.1) leaves Octavia with.
//
// The sequence is: each listener's, then per pool the pool's, its HM's (the
// roll-up of the row without the pool's members, plus the HM) and its
// members'. The member messages are roll-ups of the committed row, which
// also hold every listener, pool and member of that row, so they are
// merged last, one per row: the reference's later messages report the same
// objects with the same end state. What the HM steps contribute in the end
// is the HM entries themselves, and the pool of an HM without members.
func (d *Driver) finishChildren(ctx context.Context, st octavia.Status, ch *childResults) octavia.Status {
	for _, s := range ch.steps {
		if s.hm != nil {
			st.MergeLatest(d.health.CreateStatus(ctx, *s.hm, s.hmErr))
			continue
		}
		st.MergeLatest(s.st)
	}
	for _, r := range ch.rollUps {
		st.MergeLatest(withMembers(d.rollUp(ctx, r.name, r.ext), r.results, false))
	}
	return st
}
