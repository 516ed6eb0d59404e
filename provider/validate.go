package provider

import (
	"context"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// The Validate* methods run only the synchronous part of a provider call
// (operations.md §0, §1): the checks the call makes before it writes
// anything, with the same errors, and nothing else — no NB write, no Neutron
// write, no status. `ovn-octavia serve` answers Octavia's API with them and
// queues the call itself, as the reference validates in the API process and
// queues the work on its helper thread.
//
// Each call runs its Validate* method (or the helper behind it) first, so
// the checks live in one place; a queued call repeats them when it runs, so
// a check that depends on NB (V7, V11, V15) is decided again against the NB
// the call finds.

// ValidateLoadBalancerCreate is the validation of LoadBalancerCreate,
// children of a fully populated LB included.
func (d *Driver) ValidateLoadBalancerCreate(_ context.Context, lb *octavia.LoadBalancer) error {
	_, err := d.prepareLBCreate(lb)
	return err
}

// ValidateLoadBalancerUpdate is the validation of LoadBalancerUpdate.
func (d *Driver) ValidateLoadBalancerUpdate(_ context.Context, old, new *octavia.LoadBalancer) error {
	id := new.LoadBalancerID
	if !id.Set {
		id = old.LoadBalancerID
	}
	return octavia.CheckUUID("loadbalancer_id", id)
}

// ValidateLoadBalancerDelete is the validation of LoadBalancerDelete.
func (d *Driver) ValidateLoadBalancerDelete(_ context.Context, lb *octavia.LoadBalancer) error {
	return octavia.CheckUUID("loadbalancer_id", lb.LoadBalancerID)
}

// ValidateListenerCreate is the validation of ListenerCreate.
func (d *Driver) ValidateListenerCreate(_ context.Context, l *octavia.Listener) error {
	return octavia.ValidateListenerCreate(l)
}

// ValidateListenerUpdate is the validation of ListenerUpdate.
func (d *Driver) ValidateListenerUpdate(_ context.Context, old, new *octavia.Listener) error {
	return octavia.ValidateListenerUpdate(old, new)
}

// ValidateListenerDelete is the validation of ListenerDelete.
func (d *Driver) ValidateListenerDelete(_ context.Context, l *octavia.Listener) error {
	return octavia.ValidateListenerDelete(l)
}

// ValidatePoolCreate is the validation of PoolCreate, its nested health
// monitor included.
func (d *Driver) ValidatePoolCreate(_ context.Context, p *octavia.Pool) error {
	if err := octavia.ValidatePoolCreate(p); err != nil {
		return err
	}
	if hm, ok := p.HealthMonitor.Get(); ok {
		if !hm.PoolID.Set {
			hm.PoolID = p.PoolID // a copy: p is not modified
		}
		return d.validateHMCreate(&hm)
	}
	return nil
}

// ValidatePoolUpdate is the validation of PoolUpdate.
func (d *Driver) ValidatePoolUpdate(_ context.Context, old, new *octavia.Pool) error {
	return octavia.ValidatePoolUpdate(old, new)
}

// ValidatePoolDelete is the validation of PoolDelete.
func (d *Driver) ValidatePoolDelete(_ context.Context, p *octavia.Pool) error {
	return octavia.ValidatePoolDelete(p)
}

// ValidateMemberCreate is the validation of MemberCreate: V5, V7 against
// the NB row of the pool, and V8 (subnet given or inferable).
func (d *Driver) ValidateMemberCreate(ctx context.Context, m *octavia.Member) error {
	_, err := d.validateMemberCreate(ctx, m, newSubnetCache(d))
	return err
}

// ValidateMemberUpdate is the validation of MemberUpdate.
func (d *Driver) ValidateMemberUpdate(ctx context.Context, old, new *octavia.Member) error {
	if err := octavia.ValidateMemberUpdate(old, new); err != nil {
		return err
	}
	if a := new.Address.Or(""); a != "" {
		return d.checkMemberFamily(ctx, old.PoolID.V, []string{a})
	}
	return nil
}

// ValidateMemberDelete is the validation of MemberDelete (V9).
func (d *Driver) ValidateMemberDelete(ctx context.Context, m *octavia.Member) error {
	_, err := d.validateMemberDelete(ctx, m, newSubnetCache(d))
	return err
}

// ValidateMemberBatchUpdate is the validation of MemberBatchUpdate: V6,
// V15 (the pool has an NB row), V7 and V10 for every member.
func (d *Driver) ValidateMemberBatchUpdate(ctx context.Context, poolID string, members []*octavia.Member) error {
	_, err := d.validateBatch(ctx, poolID, members, newSubnetCache(d))
	return err
}

// ValidateHealthMonitorCreate is the validation of HealthMonitorCreate.
func (d *Driver) ValidateHealthMonitorCreate(_ context.Context, hm *octavia.HealthMonitor) error {
	if err := d.validateHMCreate(hm); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
	}
	return nil
}

// ValidateHealthMonitorUpdate is the validation of HealthMonitorUpdate.
func (d *Driver) ValidateHealthMonitorUpdate(_ context.Context, old, new *octavia.HealthMonitor) error {
	if err := health.CheckSchema(d.store.Client()); err != nil {
		return err
	}
	if err := octavia.ValidateHealthMonitorUpdate(old, new); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
	}
	return nil
}

// ValidateHealthMonitorDelete is the validation of HealthMonitorDelete.
func (d *Driver) ValidateHealthMonitorDelete(_ context.Context, hm *octavia.HealthMonitor) error {
	if err := octavia.ValidateHealthMonitorDelete(hm); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
	}
	return nil
}
