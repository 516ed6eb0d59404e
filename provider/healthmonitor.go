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

// validateHMCreate is V11 (NB schema), then V12, V13 and the ids, before
// anything is written.
func (d *Driver) validateHMCreate(hm *octavia.HealthMonitor) error {
	if err := d.checkHealthCheckSchema(); err != nil {
		return err
	}
	return octavia.ValidateHealthMonitorCreate(hm)
}

// checkHealthCheckSchema is V11: the NB Load_Balancer table must have the
// health_check column (OVN >= 2.12).
func (d *Driver) checkHealthCheckSchema() error {
	s := d.store.Client().Schema()
	tbl, ok := s.Tables[nb.LoadBalancerTable]
	if !ok {
		return octavia.ErrHealthCheckUnsupported()
	}
	if _, ok := tbl.Columns["health_check"]; !ok {
		return octavia.ErrHealthCheckUnsupported()
	}
	return nil
}

// HealthMonitorCreate is health_monitor_create (operations.md §12.1),
// delegated to the health engine after validation.
func (d *Driver) HealthMonitorCreate(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := d.validateHMCreate(hm); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
	}
	return d.health.Create(ctx, hm)
}

// createHealthMonitor creates the HM a pool carried (pool create, fully
// populated LB create); its outcome is reported by the health engine.
func (d *Driver) createHealthMonitor(ctx context.Context, hm *octavia.HealthMonitor) {
	if d.health == nil {
		d.log.WithField("hm_id", hm.HealthMonitorID.Or("")).Error("pool carries a health monitor but no health engine is configured")
		var st octavia.Status
		st.Add(octavia.KindHealthMonitors, entry(hm.HealthMonitorID.Or(""), octavia.ProvisioningError, octavia.OperatingError))
		d.send(ctx, "health_monitor_create", st)
		return
	}
	if err := d.health.Create(ctx, hm); err != nil {
		d.log.WithError(err).WithField("hm_id", hm.HealthMonitorID.Or("")).Error("health monitor create failed")
	}
}

// HealthMonitorUpdate is health_monitor_update (operations.md §12.2).
func (d *Driver) HealthMonitorUpdate(ctx context.Context, old, new *octavia.HealthMonitor) error {
	if err := d.checkHealthCheckSchema(); err != nil {
		return err
	}
	if err := octavia.ValidateHealthMonitorUpdate(old, new); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
	}
	return d.health.Update(ctx, old, new)
}

// HealthMonitorDelete is health_monitor_delete (operations.md §12.5).
func (d *Driver) HealthMonitorDelete(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := octavia.ValidateHealthMonitorDelete(hm); err != nil {
		return err
	}
	if d.health == nil {
		return errNoHealth()
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

func (a monitorsAdapter) MapMember(ctx context.Context, t *nbtxn.Txn, lb *nb.LoadBalancer, mem lbdata.Member) (string, error) {
	st, err := a.m.MapMember(ctx, t, lb, toHealthMember(mem))
	if err != nil {
		return "", fmt.Errorf("map member %s: %w", mem.ID, err)
	}
	return st, nil
}

func (a monitorsAdapter) UnmapMember(t *nbtxn.Txn, lb *nb.LoadBalancer, mem lbdata.Member) {
	a.m.UnmapMember(t, lb, toHealthMember(mem))
}

func (a monitorsAdapter) CleanupHMPort(t *nbtxn.Txn, subnetID string) {
	a.m.CleanupHMPort(t, subnetID)
}

func (a monitorsAdapter) RollUp(ctx context.Context, lb *nb.LoadBalancer) (octavia.Status, error) {
	return a.m.RollUp(ctx, lb)
}

func toHealthMember(m lbdata.Member) health.Member {
	return health.Member{ID: m.ID, IP: m.IP, Port: m.Port, SubnetID: m.SubnetID}
}
