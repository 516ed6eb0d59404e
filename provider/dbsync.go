package provider

import (
	"context"
	"fmt"

	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// BuildLoadBalancer writes into t the NB rows that a fully populated
// loadbalancer_create of lb writes (operations.md §4, §4.1): the LB row, its
// listeners, pools, health monitors and members, with every association.
// It is LoadBalancerCreate's transaction body without status messages and
// without the failure cleanup of the VIP ports; db-sync uses it both to
// re-create a load balancer that lost its rows and to compute the rows a
// load balancer should have. extra is merged into the LB row's
// external_ids before the children are written (db-sync seeds the floating
// IP keys this way, so protocol rows, vips and health checks include them).
//
// The LB must have no row in t (delete them first to compute the desired
// state); lb is validated like a provider call (V1–V7) and a refused tree
// returns the *octavia.ProviderError, with t unchanged. Problems that the
// provider reports per object rather than failing the create (a member
// whose association failed, a health monitor that could not be written or
// whose HM port is unavailable) are returned as problems; the rows are then
// incomplete (db-sync refuses to apply them).
func (d *Driver) BuildLoadBalancer(ctx context.Context, t *nbtxn.Txn, lb *octavia.LoadBalancer,
	extra map[string]string) (problems []string, err error) {
	lb, err = d.prepareLBCreate(lb)
	if err != nil {
		return nil, err
	}
	if rows := rowsOf(t, lb.LoadBalancerID.V); len(rows) > 0 {
		return nil, fmt.Errorf("load balancer %s already has %d NB row(s)", lb.LoadBalancerID.V, len(rows))
	}
	if _, _, _, err := d.newLBRow(ctx, t, lb, extra); err != nil {
		return nil, err
	}
	if !lb.Listeners.Valid() && !lb.Pools.Valid() {
		return nil, nil
	}
	children, err := d.createChildren(ctx, t, lb)
	if err != nil {
		return nil, err
	}
	for _, s := range children.steps {
		switch {
		case s.hm == nil:
		case s.hmErr != nil:
			problems = append(problems, fmt.Sprintf("health monitor %s: %v", s.hm.HMID, s.hmErr))
		case s.hm.PortErr != nil:
			problems = append(problems, fmt.Sprintf("health monitor %s: %v", s.hm.HMID, s.hm.PortErr))
		case s.hm.LB == "":
			problems = append(problems, fmt.Sprintf("health monitor %s: no row holds pool %s", s.hm.HMID, s.hm.PoolID))
		}
	}
	for _, r := range children.rollUps {
		for _, m := range r.results {
			if m.failed {
				problems = append(problems, fmt.Sprintf("member %s: association failed (see log)", m.id))
			}
		}
	}
	return problems, nil
}
