package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// lbdata.OptAffinityTimeout is the only Load_Balancer option the provider manages
// (nb-data-contract §10).
const defaultAffinityTimeout = 360

// PoolCreate is pool_create (operations.md §9.1). A pool carrying a health
// monitor gets it in the same transaction, right after the pool (the
// reference queues hm_create next), and one status message holding what
// the reference's two (pool, then HM roll-up) end with.
func (d *Driver) PoolCreate(ctx context.Context, p *octavia.Pool) error {
	if err := d.ValidatePoolCreate(ctx, p); err != nil {
		return err
	}
	hm, withHM := p.HealthMonitor.Get()
	if withHM && !hm.PoolID.Set {
		hm.PoolID = p.PoolID // nested: the pool is its parent
	}
	lbID, pid := p.LoadBalancerID.V, p.PoolID.V
	log := d.log.WithFields(logrus.Fields{"call": "pool_create", "lb_id": lbID, "pool_id": pid})
	var hmStep *childStep
	err := d.runLogged(ctx, log, func(t *nbtxn.Txn) error {
		hmStep = nil
		if _, err := d.createPool(ctx, t, p); err != nil {
			return err
		}
		if withHM {
			s := d.createHMInTxn(ctx, t, &hm)
			hmStep = &s
		}
		return nil
	})
	var st octavia.Status
	if err != nil {
		log.WithError(err).Error("pool create failed")
		st.Add(octavia.KindPools, entry(pid, octavia.ProvisioningError, ""))
	} else {
		// The operating status depends only on listener_id, as in the
		// reference (the next roll-up corrects a disabled pool).
		st.Add(octavia.KindPools, entry(pid, octavia.ProvisioningActive, onlineIf(p.ListenerID.Or("") != "")))
	}
	st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	if lid := p.ListenerID.Or(""); lid != "" {
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningActive, ""))
	}
	switch {
	case hmStep != nil && hmStep.hm != nil:
		st.MergeLatest(d.health.CreateStatus(ctx, *hmStep.hm, hmStep.hmErr))
	case hmStep != nil:
		st.MergeLatest(hmStep.st)
	case withHM:
		// No row holds the pool: the reference's hm_create answers this.
		st.Add(octavia.KindHealthMonitors, entry(hm.HealthMonitorID.V, octavia.ProvisioningError, octavia.OperatingNoMonitor))
	}
	d.send(ctx, "pool_create", st)
	return nil
}

// createPool writes the pool into its protocol row and returns the row.
func (d *Driver) createPool(ctx context.Context, t *nbtxn.Txn, p *octavia.Pool) (*nb.LoadBalancer, error) {
	row, err := d.protocolRow(ctx, t, p.LoadBalancerID.V, p.Protocol.V, p.LBAlgorithm.V)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, fmt.Errorf("pool %s: %w", p.PoolID.V, errNoRow)
	}
	pid, up := p.PoolID.V, p.AdminStateUp.Or(true)
	key := lbdata.PoolKey(pid, up)
	if _, ok := row.ExternalIDs[key]; !ok {
		// A repeated create keeps the members; a create with the other
		// admin state renames the key.
		other := lbdata.PoolKey(pid, !up)
		v, had := row.ExternalIDs[other]
		delete(row.ExternalIDs, other)
		if !had {
			v = ""
		}
		row.ExternalIDs[key] = v
	}
	if lid := p.ListenerID.Or(""); lid != "" {
		linkListener(row, lid, pid)
	}
	if sp, ok := p.SessionPersistence.Get(); ok && !sp.Empty() {
		setAffinity(row, sp)
	}
	row.SelectionFields = selectionFieldsFor(p.LBAlgorithm.V)
	recomputeVIPs(row)
	return row, nil
}

// linkListener appends the pool to the enabled listener's value unless it
// is there already. Quirk avoided (nb-data-contract §6): the enabled pool
// key form is linked even when the pool is created disabled, so the value
// stays usable.
func linkListener(row *nb.LoadBalancer, listenerID, poolID string) {
	lk := lbdata.ListenerKey(listenerID, true)
	v, ok := row.ExternalIDs[lk]
	if !ok {
		return
	}
	pk := lbdata.PoolKey(poolID, true)
	if strings.Contains(v, pk) {
		return
	}
	if strings.HasSuffix(v, ":") {
		row.ExternalIDs[lk] = v + pk
	} else {
		row.ExternalIDs[lk] = v + "," + pk
	}
}

// setAffinity writes options:affinity_timeout from a non-empty session
// persistence. Quirk avoided (nb-data-contract §10): a null timeout is
// written as the default 360, not as the string "None".
func setAffinity(row *nb.LoadBalancer, sp octavia.SessionPersistence) {
	if row.Options == nil {
		row.Options = map[string]string{}
	}
	row.Options[lbdata.OptAffinityTimeout] = strconv.Itoa(sp.PersistenceTimeout.Or(defaultAffinityTimeout))
}

// PoolUpdate is pool_update (operations.md §9.2).
func (d *Driver) PoolUpdate(ctx context.Context, old, new *octavia.Pool) error {
	if err := d.ValidatePoolUpdate(ctx, old, new); err != nil {
		return err
	}
	pid := new.PoolID.Or(old.PoolID.V)
	lbID := old.LoadBalancerID.V
	up, upSet := new.AdminStateUp.Get()
	sp, spSet := new.SessionPersistence.Get()
	spSet = spSet && !sp.Empty()
	var st octavia.Status
	if !upSet && !new.SessionPersistence.Set {
		st.Add(octavia.KindPools, entry(pid, octavia.ProvisioningActive, ""))
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
		d.send(ctx, "pool_update", st)
		return nil
	}
	var (
		listeners []string
		notFound  bool
	)
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		listeners, notFound = nil, false
		row := rowByProtocol(t, lbID, old.Protocol.Or(""))
		if row == nil {
			notFound = true
			return fmt.Errorf("pool %s: %w", pid, errNoRow)
		}
		listeners = health.ListenersOfPool(row.ExternalIDs, pid)
		if upSet {
			if key := poolKeyOf(row, pid); key != "" && key != lbdata.PoolKey(pid, up) {
				v := row.ExternalIDs[key]
				delete(row.ExternalIDs, key)
				row.ExternalIDs[lbdata.PoolKey(pid, up)] = v
				recomputeVIPs(row)
			}
		}
		if spSet {
			setAffinity(row, sp)
		}
		return nil
	})
	if err != nil {
		d.log.WithError(err).WithFields(logrus.Fields{"lb_id": lbID, "pool_id": pid}).Error("pool update failed")
		st.Add(octavia.KindPools, entry(pid, octavia.ProvisioningError, ""))
		if notFound {
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, ""))
		} else {
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
			addListeners(&st, listeners)
		}
		d.send(ctx, "pool_update", st)
		return nil
	}
	// Quirk avoided (operations.md §9.2): an update of session persistence
	// alone is reported ACTIVE (without operating status), not ERROR.
	oper := ""
	if upSet {
		oper = onlineIf(up)
	}
	st.Add(octavia.KindPools, entry(pid, octavia.ProvisioningActive, oper))
	st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	addListeners(&st, listeners)
	d.send(ctx, "pool_update", st)
	return nil
}

func addListeners(st *octavia.Status, ids []string) {
	st.Touch(octavia.KindListeners)
	for _, id := range ids {
		st.Add(octavia.KindListeners, entry(id, octavia.ProvisioningActive, ""))
	}
}

// PoolDelete is pool_delete (operations.md §9.3): the pool's health monitor
// (first, as the reference queues it first), then its members and the pool
// itself, in one transaction and one status message holding what the
// reference's messages (HM, members, pool) end with.
func (d *Driver) PoolDelete(ctx context.Context, p *octavia.Pool) error {
	if err := d.ValidatePoolDelete(ctx, p); err != nil {
		return err
	}
	lbID, pid := p.LoadBalancerID.V, p.PoolID.V
	log := d.log.WithFields(logrus.Fields{"call": "pool_delete", "lb_id": lbID, "pool_id": pid})
	hm, withHM := p.HealthMonitor.Get()
	withHM = withHM && d.health != nil
	var (
		hmRes     health.DeleteResult
		listeners []string
		members   []string
		found     bool
	)
	err := d.runLogged(ctx, log, func(t *nbtxn.Txn) error {
		hmRes, listeners, members, found = health.DeleteResult{}, nil, nil, false
		if withHM {
			hmRes = d.health.DeleteInTxn(t, &hm)
		}
		row := rowByProtocol(t, lbID, p.Protocol.Or(""))
		if row == nil || poolKeyOf(row, pid) == "" {
			if r, _ := health.RowByPool(t, pid); r != nil {
				row = r
			}
		}
		seen := map[string]bool{}
		for _, m := range p.Members.Or(nil) {
			if id := m.MemberID.Or(""); id != "" && !seen[id] {
				seen[id] = true
				members = append(members, id)
			}
		}
		if row == nil {
			return nil
		}
		found = true
		listeners = health.ListenersOfPool(row.ExternalIDs, pid)
		ids, err := d.deletePoolFromRow(ctx, t, row, pid, newSubnetCache(d))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				members = append(members, id)
			}
		}
		return nil
	})
	var st, poolSt octavia.Status
	if withHM {
		st = health.DeleteStatus(hmRes, err)
	}
	for _, id := range members {
		poolSt.Add(octavia.KindMembers, entry(id, octavia.ProvisioningDeleted, ""))
	}
	if err != nil {
		log.WithError(err).Error("pool delete failed")
		poolSt = octavia.Status{}
		poolSt.Add(octavia.KindPools, entry(pid, octavia.ProvisioningError, ""))
	} else {
		poolSt.Add(octavia.KindPools, entry(pid, octavia.ProvisioningDeleted, ""))
	}
	poolSt.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	if found {
		addListeners(&poolSt, listeners)
	}
	st.MergeLatest(poolSt)
	d.send(ctx, "pool_delete", st)
	return nil
}

// deletePoolFromRow removes the pool and its members from the row: member
// mappings and switch references, member statuses, listener links,
// affinity_timeout, and the row itself (or its protocol) when it is left
// empty. It returns the ids of the members removed.
//
// Quirk avoided (operations.md §9.3): both key forms are removed before the
// emptiness test, so deleting a disabled pool can empty the row.
func (d *Driver) deletePoolFromRow(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, pid string, sc *subnetCache) ([]string, error) {
	var ids []string
	ms := memberStatus(row)
	for _, key := range []string{lbdata.PoolKey(pid, true), lbdata.PoolKey(pid, false)} {
		v, ok := row.ExternalIDs[key]
		if !ok {
			continue
		}
		entries, err := lbdata.ParsePoolValue(v)
		if err != nil {
			d.log.WithError(err).WithField("pool_id", pid).Warn("skipping corrupt member entries of deleted pool")
		}
		for _, m := range entries {
			if _, err := d.removeMember(ctx, t, row, key, m, sc); err != nil {
				return nil, err
			}
			ms.Delete(m.ID)
			ids = append(ids, m.ID)
		}
		delete(row.ExternalIDs, key)
	}
	if err := setMemberStatus(row, ms); err != nil {
		return nil, err
	}
	pk := lbdata.PoolKey(pid, true)
	for _, k := range slices.Sorted(maps.Keys(row.ExternalIDs)) {
		if !strings.HasPrefix(k, lbdata.PrefixListener) {
			continue
		}
		v := row.ExternalIDs[k]
		if !strings.Contains(v, pk) {
			continue
		}
		port := strings.SplitN(v, ":", 2)[0]
		row.ExternalIDs[k] = port + ":"
	}
	// Removed on the deletion of any pool of the row, as in the reference
	// (nb-data-contract §10).
	delete(row.Options, lbdata.OptAffinityTimeout)
	if !dropIfEmpty(t, row) {
		recomputeVIPs(row)
	}
	return ids, nil
}
