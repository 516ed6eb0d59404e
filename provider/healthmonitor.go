package provider

import (
	"context"
	"fmt"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// errNoHealth refuses HM calls of a Driver built without health engine.
func errNoHealth() *octavia.ProviderError {
	return octavia.NewDriverError("health monitors are not available: no health engine configured")
}

// validateHMCreate is V11 (NB schema), then V12, V13, the ids and the
// timing fields, before anything is written.
func (d *Driver) validateHMCreate(hm *octavia.HealthMonitor) error {
	return health.ValidateCreate(d.store.Client(), hm)
}

// HealthMonitorCreate is health_monitor_create (operations.md §12.1),
// delegated to the health engine after validation.
func (d *Driver) HealthMonitorCreate(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := d.ValidateHealthMonitorCreate(ctx, hm); err != nil {
		return err
	}
	return d.health.Create(ctx, hm)
}

// HealthMonitorUpdate is health_monitor_update (operations.md §12.2).
func (d *Driver) HealthMonitorUpdate(ctx context.Context, old, new *octavia.HealthMonitor) error {
	if err := d.ValidateHealthMonitorUpdate(ctx, old, new); err != nil {
		return err
	}
	return d.health.Update(ctx, old, new)
}

// HealthMonitorDelete is health_monitor_delete (operations.md §12.5).
func (d *Driver) HealthMonitorDelete(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := d.ValidateHealthMonitorDelete(ctx, hm); err != nil {
		return err
	}
	return d.health.Delete(ctx, hm)
}

// FromMonitors adapts the health engine to the Health interface.
func FromMonitors(m *health.Monitors) Health {
	if m == nil {
		return nil
	}
	return monitorsAdapter{m}
}

type monitorsAdapter struct{ m *health.Monitors }

func (a monitorsAdapter) Create(ctx context.Context, hm *octavia.HealthMonitor) error {
	return a.m.Create(ctx, hm)
}

func (a monitorsAdapter) Update(ctx context.Context, old, new *octavia.HealthMonitor) error {
	return a.m.Update(ctx, old, new)
}

func (a monitorsAdapter) Delete(ctx context.Context, hm *octavia.HealthMonitor) error {
	return a.m.Delete(ctx, hm)
}

func (a monitorsAdapter) CreateInTxn(ctx context.Context, t *nbtxn.Txn, hm *octavia.HealthMonitor) (health.CreateResult, error) {
	return a.m.CreateInTxn(ctx, t, hm)
}

func (a monitorsAdapter) CreateStatus(ctx context.Context, res health.CreateResult, err error) octavia.Status {
	return a.m.CreateStatus(ctx, res, err)
}

func (a monitorsAdapter) DeleteInTxn(t *nbtxn.Txn, hm *octavia.HealthMonitor) health.DeleteResult {
	return a.m.DeleteInTxn(t, hm)
}

func (a monitorsAdapter) MapMember(ctx context.Context, t *nbtxn.Txn, lk *health.Lookups, lb *nb.LoadBalancer, mem lbdata.Member) (string, error) {
	st, err := a.m.MapMember(ctx, t, lk, lb, mem)
	if err != nil {
		return "", fmt.Errorf("map member %s: %w", mem.ID, err)
	}
	return st, nil
}

func (a monitorsAdapter) UnmapMember(t *nbtxn.Txn, lb *nb.LoadBalancer, mem lbdata.Member) {
	a.m.UnmapMember(t, lb, mem)
}

func (a monitorsAdapter) CleanupHMPort(t *nbtxn.Txn, subnetID string) {
	a.m.CleanupHMPort(t, subnetID)
}

func (a monitorsAdapter) RollUp(ctx context.Context, lb *nb.LoadBalancer) (octavia.Status, error) {
	return a.m.RollUp(ctx, lb)
}
