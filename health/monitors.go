package health

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// Getter reads Octavia objects from the driver agent's get socket
// (*octavia.GetClient). (nil, nil) means Octavia does not know the object.
type Getter interface {
	GetLoadBalancer(ctx context.Context, id string) (*octavia.LoadBalancer, error)
	GetPool(ctx context.Context, id string) (*octavia.Pool, error)
	GetListener(ctx context.Context, id string) (*octavia.Listener, error)
}

// StatusSender delivers a status dict to the driver agent's status socket
// (*octavia.StatusClient, which retries).
type StatusSender interface {
	Send(ctx context.Context, s octavia.Status) error
}

// Config holds the collaborators of Monitors.
type Config struct {
	Store   *nbtxn.Store
	Neutron neutron.Client
	Get     Getter
	Status  StatusSender
	Log     *logrus.Entry
}

// Monitors implements the health monitor provider calls and the status
// engine. It is safe for concurrent use (all NB writes go through the
// Store, which serializes them).
type Monitors struct {
	store   *nbtxn.Store
	neutron neutron.Client
	get     Getter
	status  StatusSender
	log     *logrus.Entry
	// rollups remembers the last roll-up of recently changed rows
	// (RollUpChange); nil disables it.
	rollups *rollupMemo
}

// New returns Monitors over cfg.
func New(cfg Config) *Monitors {
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Monitors{
		store:   cfg.Store,
		neutron: cfg.Neutron,
		get:     cfg.Get,
		status:  cfg.Status,
		log:     log.WithField("component", "health"),
		rollups: newRollupMemo(),
	}
}

// CheckSchema is V11 (operations.md §1): the NB schema of c must have the
// Load_Balancer health_check column (OVN >= 2.12).
func CheckSchema(c client.Client) error {
	tbl, ok := c.Schema().Tables[nb.LoadBalancerTable]
	if !ok {
		return octavia.ErrHealthCheckUnsupported()
	}
	if _, ok := tbl.Columns["health_check"]; !ok {
		return octavia.ErrHealthCheckUnsupported()
	}
	return nil
}

// hmOptions turns the HM timing fields into LBHC options (operations.md
// §12): delay -> interval, timeout -> timeout, max_retries ->
// success_count, max_retries_down -> failure_count. With required set
// (create) delay, timeout and max_retries must be supplied; max_retries_down
// defaults to 3, Octavia's API default. Supplied values must be positive: a
// zero or negative interval would make OVN probe continuously or never.
// Fields of the wrong JSON type never get here: octavia.Unmarshal rejects
// them with a *octavia.FieldError.
func hmOptions(hm *octavia.HealthMonitor, required bool) (map[string]string, error) {
	opts := map[string]string{}
	fields := []struct {
		name, opt string
		v         octavia.Opt[int]
		def       int
	}{
		{"delay", OptInterval, hm.Delay, 0},
		{"timeout", OptTimeout, hm.Timeout, 0},
		{"max_retries", OptSuccessCount, hm.MaxRetries, 0},
		{"max_retries_down", OptFailureCount, hm.MaxRetriesDown, 3},
	}
	for _, f := range fields {
		v, ok := f.v.Get()
		if !ok {
			if !required {
				continue // Unset or null on update: not supplied
			}
			if f.def == 0 {
				return nil, octavia.NewDriverError(fmt.Sprintf("invalid health monitor: %s is required", f.name))
			}
			v = f.def
		}
		if v <= 0 {
			return nil, octavia.NewDriverError(fmt.Sprintf(
				"invalid health monitor: %s must be a positive integer, got %d", f.name, v))
		}
		opts[f.opt] = strconv.Itoa(v)
	}
	return opts, nil
}

// RowByPool returns the working copy of the row holding a pool (NB §3.2
// "by pool id"): the first row (by UUID, rows created in the Txn last) with
// the enabled key, else the first with the disabled key; foreign rows are
// skipped. It also returns the key form found. The CRUD front end finds a
// pool's row the same way.
func RowByPool(t *nbtxn.Txn, poolID string) (*nb.LoadBalancer, string) {
	enabled, disabled := lbdata.PoolKey(poolID, true), lbdata.PoolKey(poolID, false)
	var enabledUUID, disabledUUID string
	t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		if lbdata.IsForeignRow(lb.ExternalIDs) {
			return true
		}
		if _, ok := lb.ExternalIDs[enabled]; ok {
			enabledUUID = lb.UUID
			return false
		}
		if _, ok := lb.ExternalIDs[disabled]; ok && disabledUUID == "" {
			disabledUUID = lb.UUID
		}
		return true
	})
	switch {
	case enabledUUID != "":
		return t.LB(enabledUUID), enabled
	case disabledUUID != "":
		return t.LB(disabledUUID), disabled
	}
	return nil, ""
}

// findRowByHM returns the row of an HM: the first row whose raw
// octavia:healthmonitors contains the id, else the row holding the pool
// (NB §3.2), and the HM's LBHCs on it.
func findRowByHM(t *nbtxn.Txn, hmID, poolID string) (*nb.LoadBalancer, []*nb.LoadBalancerHealthCheck) {
	var uuid string
	t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		if !lbdata.IsForeignRow(lb.ExternalIDs) && lbdata.HasHealthMonitorText(lb.ExternalIDs, hmID) {
			uuid = lb.UUID
			return false
		}
		return true
	})
	var lb *nb.LoadBalancer
	if uuid != "" {
		lb = t.LB(uuid)
	}
	if lb == nil && poolID != "" {
		lb, _ = RowByPool(t, poolID)
	}
	if lb == nil {
		return nil, nil
	}
	return lb, healthChecksOf(t, lb, hmID)
}

// send delivers a status; failures are logged, not returned: the NB work
// is done and the reference also only logs a status it could not deliver.
func (m *Monitors) send(ctx context.Context, s octavia.Status) {
	if m.status == nil || s.IsEmpty() {
		return
	}
	if err := m.status.Send(ctx, s); err != nil {
		m.log.WithError(err).WithField("status", s.String()).Error("cannot send status to Octavia")
	}
}

func hmEntry(id, prov, oper string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: prov, OperatingStatus: oper}
}

// ValidateCreate checks a health_monitor_create request before anything is
// written: V11 (the NB schema of c has Load_Balancer.health_check), V12, V13
// and the ids (octavia.ValidateHealthMonitorCreate), and the timing fields
// (delay, timeout and max_retries supplied, all positive). The CRUD front
// end calls it for HMs nested in pools so that a bad HM refuses the whole
// call.
func ValidateCreate(c client.Client, hm *octavia.HealthMonitor) error {
	if err := CheckSchema(c); err != nil {
		return err
	}
	if err := octavia.ValidateHealthMonitorCreate(hm); err != nil {
		return err
	}
	_, err := hmOptions(hm, true)
	return err
}

// CreateResult is what CreateInTxn did in its Txn; CreateStatus turns it
// into the status message.
type CreateResult struct {
	HMID, PoolID string
	// LB is the name (the LB id) of the row holding the pool; "" when no
	// row holds it, and nothing was written.
	LB string
	// Row is a snapshot (name and external_ids) of the row as the HM create
	// left it, for the status roll-up; later changes in the same Txn do not
	// show in it.
	Row *nb.LoadBalancer
	// Members are the pool's members, Listeners the listeners using it.
	Members   []Member
	Listeners []string
	// PortErr wraps ErrHMPortUnavailable when the HM port of a member
	// subnet could not be obtained (operations.md §12.1 step 4): the HM
	// failed, the pool's mappings were removed, the LBHC rows stay.
	PortErr error
	// AdminUp is the HM's admin_state_up (Unset = true).
	AdminUp bool
}

// Create is health_monitor_create (operations.md §12.1): CreateInTxn in
// one nbtxn.Run, then one status message (CreateStatus). Validation errors
// are returned as *octavia.ProviderError with nothing written; everything
// else is reported through the status socket.
func (m *Monitors) Create(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := ValidateCreate(m.store.Client(), hm); err != nil {
		return err
	}
	log := m.log.WithFields(logrus.Fields{"hm_id": hm.HealthMonitorID.V, "pool_id": hm.PoolID.V})
	var res CreateResult
	err := m.store.Run(ctx, func(t *nbtxn.Txn) error {
		var err error
		res, err = m.CreateInTxn(ctx, t, hm)
		return err
	})
	if nbtxn.OnlyAfterCommitFailed(err) {
		log.WithError(err).Warn("health monitor create: cleaning up an unused port failed")
		err = nil
	}
	m.send(ctx, m.CreateStatus(ctx, res, err))
	return nil
}

// CreateInTxn writes the HM into the caller's Txn (operations.md §12.1
// steps 1-4): the LBHC rows of the row holding the pool, the HM id in
// octavia:healthmonitors, member statuses ONLINE and the members'
// ip_port_mappings (which may find or create HM ports in Neutron: the
// lookups are repeatable, as nbtxn.Run requires). hm must have passed
// ValidateCreate.
//
// A pool that no row holds, or an HM port that cannot be obtained, is not
// an error: it is recorded in the result, for the status. An error means a
// corrupt octavia:healthmonitors on the row; the Txn is then unchanged, so
// the caller may abort or go on without the HM.
func (m *Monitors) CreateInTxn(ctx context.Context, t *nbtxn.Txn, hm *octavia.HealthMonitor) (CreateResult, error) {
	res := CreateResult{HMID: hm.HealthMonitorID.V, PoolID: hm.PoolID.V, AdminUp: hm.AdminStateUp.Or(true)}
	opts, err := hmOptions(hm, true)
	if err != nil {
		return res, err
	}
	log := m.log.WithFields(logrus.Fields{"hm_id": res.HMID, "pool_id": res.PoolID})
	lb, key := RowByPool(t, res.PoolID)
	if lb == nil {
		return res, nil
	}
	res.Listeners = ListenersOfPool(lb.ExternalIDs, res.PoolID)
	res.Members = parseMembers(lb.ExternalIDs[key])
	res.LB = lb.Name
	// First, as it is the only step that can fail: nothing is changed yet.
	if _, err := lbdata.AddHealthMonitor(lb.ExternalIDs, res.HMID); err != nil {
		return res, fmt.Errorf("load balancer %s: %w", lb.Name, err)
	}

	ms := memberStatuses(lb.ExternalIDs)
	for _, mem := range res.Members {
		// A disabled member stays OFFLINE: writing ONLINE (as the
		// reference does) would put it back into vips.
		if statusOf(ms, mem.ID) != octavia.OperatingOffline {
			ms.Set(mem.ID, octavia.OperatingOnline)
		}
	}
	ensureHealthChecks(t, lb, res.HMID, res.PoolID, opts)

	lk := NewLookups()
	for _, mem := range res.Members {
		if statusOf(ms, mem.ID) == octavia.OperatingOffline {
			continue // mapped when re-enabled
		}
		st, err := m.mapMember(ctx, t, lk, lb, mem)
		if errors.Is(err, ErrHMPortUnavailable) {
			// operations.md §12.1 step 4: the HM fails and this pool's
			// mappings go; the LBHC rows stay, as in the reference.
			res.PortErr = err
			m.UnmapPool(t, lb, res.PoolID)
			m.CleanupHMPort(t, mem.SubnetID)
			break
		}
		if err != nil {
			log.WithError(err).WithField("member_id", mem.ID).Warn("cannot map member")
		}
		ms.Set(mem.ID, st)
	}
	ms.Store(lb.ExternalIDs)
	res.Row = &nb.LoadBalancer{UUID: lb.UUID, Name: lb.Name, ExternalIDs: maps.Clone(lb.ExternalIDs)}
	return res, nil
}

// CreateStatus is the status message of an HM create (operations.md
// §12.1): err is the error of the Run (or of CreateInTxn) that wrote res.
//
//   - no row holds the pool (res.LB empty, err nil): HM ERROR/NO_MONITOR
//     only;
//   - failure (err, or the HM port unavailable): pool, its listeners and
//     members ACTIVE/ONLINE, LB ACTIVE, HM ERROR/ERROR;
//   - success: the roll-up of res.Row (admin states from the get socket)
//     plus the HM ACTIVE with ONLINE or OFFLINE (admin down).
func (m *Monitors) CreateStatus(ctx context.Context, res CreateResult, err error) octavia.Status {
	log := m.log.WithFields(logrus.Fields{"hm_id": res.HMID, "pool_id": res.PoolID})
	switch {
	case err == nil && res.LB == "":
		log.Warn("health monitor create: no load balancer holds the pool")
		var s octavia.Status
		s.Add(octavia.KindHealthMonitors, hmEntry(res.HMID, octavia.ProvisioningError, octavia.OperatingNoMonitor))
		return s
	case err != nil || res.PortErr != nil:
		if err == nil {
			err = res.PortErr
		}
		log.WithError(err).Error("health monitor create failed")
		return createFailureStatus(res.HMID, res.PoolID, res.Listeners, res.Members, res.LB)
	}
	s, rerr := m.RollUp(ctx, res.Row)
	if rerr != nil {
		log.WithError(rerr).Warn("health monitor create: roll-up failed; reporting the monitor only")
		s = octavia.Status{}
		s.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: res.LB, ProvisioningStatus: octavia.ProvisioningActive})
		s.Add(octavia.KindPools, octavia.StatusEntry{ID: res.PoolID, ProvisioningStatus: octavia.ProvisioningActive})
	}
	oper := octavia.OperatingOnline
	if !res.AdminUp {
		oper = octavia.OperatingOffline
	}
	s.Add(octavia.KindHealthMonitors, hmEntry(res.HMID, octavia.ProvisioningActive, oper))
	return s
}

// createFailureStatus is the status of a failed HM create (operations.md
// §12.1 step 3): pool, its listeners and members ACTIVE/ONLINE, LB ACTIVE,
// HM ERROR/ERROR.
func createFailureStatus(hmID, poolID string, listeners []string, members []Member, lb string) octavia.Status {
	var s octavia.Status
	s.Add(octavia.KindPools, hmEntry(poolID, octavia.ProvisioningActive, octavia.OperatingOnline))
	s.Touch(octavia.KindListeners)
	for _, l := range listeners {
		s.Add(octavia.KindListeners, hmEntry(l, octavia.ProvisioningActive, octavia.OperatingOnline))
	}
	s.Touch(octavia.KindMembers)
	for _, mem := range members {
		s.Add(octavia.KindMembers, hmEntry(mem.ID, octavia.ProvisioningActive, octavia.OperatingOnline))
	}
	if lb != "" {
		s.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: lb, ProvisioningStatus: octavia.ProvisioningActive})
	}
	s.Add(octavia.KindHealthMonitors, hmEntry(hmID, octavia.ProvisioningError, octavia.OperatingError))
	return s
}

// ListenersOfPool returns the ids of the listeners (either key form, key
// order) whose value references pool_<poolID>, as the reference finds them
// (a substring test on the value, operations.md §9.3). Ids of disabled keys
// keep their ":D", which is stripped when a status is sent.
func ListenersOfPool(ext map[string]string, poolID string) []string {
	want := lbdata.PoolKey(poolID, true)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(ext)) {
		if lbdata.IsListenerKey(k) && strings.Contains(ext[k], want) {
			out = append(out, lbdata.IDFromKey(k))
		}
	}
	return out
}

// Update is health_monitor_update (operations.md §12.2): the supplied
// (non-zero) timing fields of new are merged into every LBHC of the HM, in
// place (same LBHC rows).
func (m *Monitors) Update(ctx context.Context, old, new *octavia.HealthMonitor) error {
	if err := CheckSchema(m.store.Client()); err != nil {
		return err
	}
	if err := octavia.ValidateHealthMonitorUpdate(old, new); err != nil {
		return err
	}
	opts, err := hmOptions(new, false)
	if err != nil {
		return err
	}
	hmID := new.HealthMonitorID.V
	if !new.HealthMonitorID.Valid() {
		hmID = old.HealthMonitorID.V
	}
	poolID := old.PoolID.V
	oper := octavia.OperatingOnline
	if !new.AdminStateUp.Or(true) {
		oper = octavia.OperatingOffline
	}
	log := m.log.WithFields(logrus.Fields{"hm_id": hmID, "pool_id": poolID})

	var lbID string
	err = m.store.Run(ctx, func(t *nbtxn.Txn) error {
		lbID = ""
		lb, hcs := findRowByHM(t, hmID, poolID)
		if lb == nil || len(hcs) == 0 {
			return nil
		}
		lbID = lb.Name
		for _, hc := range hcs {
			if hc.Options == nil {
				hc.Options = map[string]string{}
			}
			maps.Copy(hc.Options, opts)
		}
		return nil
	})
	var s octavia.Status
	switch {
	case err != nil || lbID == "":
		if err != nil {
			log.WithError(err).Error("health monitor update failed")
		} else {
			log.Warn("health monitor update: no health check rows for the monitor")
		}
		s.Add(octavia.KindHealthMonitors, hmEntry(hmID, octavia.ProvisioningError, octavia.OperatingError))
	default:
		s.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: lbID, ProvisioningStatus: octavia.ProvisioningActive})
		s.Add(octavia.KindPools, octavia.StatusEntry{ID: poolID, ProvisioningStatus: octavia.ProvisioningActive})
		s.Add(octavia.KindHealthMonitors, hmEntry(hmID, octavia.ProvisioningActive, oper))
	}
	m.send(ctx, s)
	return nil
}

// Delete is health_monitor_delete (operations.md §12.5), accepting both
// pool key forms (the spec's recommendation): DeleteInTxn in one
// nbtxn.Run, then one status message (DeleteStatus).
func (m *Monitors) Delete(ctx context.Context, hm *octavia.HealthMonitor) error {
	if err := octavia.ValidateHealthMonitorDelete(hm); err != nil {
		return err
	}
	log := m.log.WithFields(logrus.Fields{"hm_id": hm.HealthMonitorID.V, "pool_id": hm.PoolID.V})
	var res DeleteResult
	err := m.store.Run(ctx, func(t *nbtxn.Txn) error {
		res = m.DeleteInTxn(t, hm)
		return nil
	})
	if nbtxn.OnlyAfterCommitFailed(err) {
		log.WithError(err).Warn("health monitor deleted; cleaning up its port failed")
		err = nil
	}
	if err != nil {
		log.WithError(err).Error("health monitor delete failed")
	} else if res.LB == "" {
		log.Warn("health monitor delete: no health check rows for the monitor")
	}
	m.send(ctx, DeleteStatus(res, err))
	return nil
}

// DeleteResult is what DeleteInTxn did in its Txn; DeleteStatus turns it
// into the status message.
type DeleteResult struct {
	HMID, PoolID string
	// LB is the name of the row the HM was removed from; "" when the HM
	// has no row or no LBHC, and nothing was written.
	LB string
	// Members are the pool's members (now NO_MONITOR), Listeners the
	// listeners using the pool.
	Members   []Member
	Listeners []string
}

// DeleteInTxn removes the HM in the caller's Txn (operations.md §12.5):
// the pool's members become NO_MONITOR, their mappings go (NB §12), the
// HM's LBHC rows are removed and its id leaves octavia:healthmonitors; the
// HM ports of the members' subnets are deleted after the commit when
// unused. hm must have passed octavia.ValidateHealthMonitorDelete.
func (m *Monitors) DeleteInTxn(t *nbtxn.Txn, hm *octavia.HealthMonitor) DeleteResult {
	res := DeleteResult{HMID: hm.HealthMonitorID.V, PoolID: hm.PoolID.V}
	lb, hcs := findRowByHM(t, res.HMID, res.PoolID)
	if lb == nil || len(hcs) == 0 {
		return res
	}
	res.LB = lb.Name
	res.Listeners = ListenersOfPool(lb.ExternalIDs, res.PoolID)
	if key, ok := poolKeyOf(lb.ExternalIDs, res.PoolID); ok {
		res.Members = parseMembers(lb.ExternalIDs[key])
	}
	ms := memberStatuses(lb.ExternalIDs)
	for _, mem := range res.Members {
		ms.Set(mem.ID, octavia.OperatingNoMonitor)
	}
	ms.Store(lb.ExternalIDs)
	m.UnmapPool(t, lb, res.PoolID)
	for _, hc := range hcs {
		t.RemoveHealthCheck(lb, hc)
	}
	if _, err := lbdata.RemoveHealthMonitor(lb.ExternalIDs, res.HMID); err != nil {
		// The LBHC rows are what monitors; a corrupt list must not
		// keep them alive.
		m.log.WithError(err).WithField("hm_id", res.HMID).Warn("cannot remove the monitor from a corrupt octavia:healthmonitors")
	}
	seen := map[string]bool{}
	for _, mem := range res.Members {
		if !seen[mem.SubnetID] {
			seen[mem.SubnetID] = true
			m.CleanupHMPort(t, mem.SubnetID)
		}
	}
	return res
}

// DeleteStatus is the status message of an HM delete (operations.md
// §12.5); err is the error of the Run that wrote res:
//
//   - failure: HM ERROR/ERROR;
//   - no LBHC of the HM: HM DELETED/NO_MONITOR;
//   - success: LB and pool ACTIVE, HM DELETED/NO_MONITOR, the pool's
//     members ACTIVE/NO_MONITOR, its listeners ACTIVE (list present even
//     when empty).
func DeleteStatus(res DeleteResult, err error) octavia.Status {
	var s octavia.Status
	switch {
	case err != nil:
		s.Add(octavia.KindHealthMonitors, hmEntry(res.HMID, octavia.ProvisioningError, octavia.OperatingError))
	case res.LB == "":
		s.Add(octavia.KindHealthMonitors, hmEntry(res.HMID, octavia.ProvisioningDeleted, octavia.OperatingNoMonitor))
	default:
		s.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: res.LB, ProvisioningStatus: octavia.ProvisioningActive})
		s.Add(octavia.KindPools, octavia.StatusEntry{ID: res.PoolID, ProvisioningStatus: octavia.ProvisioningActive})
		s.Add(octavia.KindHealthMonitors, hmEntry(res.HMID, octavia.ProvisioningDeleted, octavia.OperatingNoMonitor))
		for _, mem := range res.Members {
			s.Add(octavia.KindMembers, hmEntry(mem.ID, octavia.ProvisioningActive, octavia.OperatingNoMonitor))
		}
		s.Touch(octavia.KindListeners)
		for _, l := range res.Listeners {
			s.Add(octavia.KindListeners, octavia.StatusEntry{ID: l, ProvisioningStatus: octavia.ProvisioningActive})
		}
	}
	return s
}
