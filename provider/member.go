package provider

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// subnetCache holds the Neutron reads of one provider call: subnets (a
// batch of 1000 members on one subnet costs one GET) and, for the health
// engine's member mapping, the HM ports of the member subnets. The reads
// are idempotent, so the cache survives nbtxn.Run retries.
type subnetCache struct {
	d  *Driver
	lk *health.Lookups
}

func newSubnetCache(d *Driver) *subnetCache {
	return &subnetCache{d: d, lk: health.NewLookups()}
}

func (c *subnetCache) get(ctx context.Context, id string) (*neutron.Subnet, error) {
	if c.d.neutron == nil {
		return nil, errors.New("no Neutron client configured")
	}
	s, err := c.lk.Subnet(ctx, c.d.neutron, id)
	if err != nil {
		return nil, fmt.Errorf("get subnet %s: %w", id, err)
	}
	return s, nil
}

// memberEntry converts an Octavia member (subnet resolved) to its NB form.
func memberEntry(m *octavia.Member, subnetID string) lbdata.Member {
	return lbdata.Member{ID: m.MemberID.V, IP: m.Address.V, Port: strconv.Itoa(m.ProtocolPort.V), SubnetID: subnetID}
}

// addMember appends the member to the pool value and associates the row
// with the member's switch and the routers of its subnet (operations.md
// §10.1 steps 1–4). It returns the member's operating status, and an error
// when the switch/router association failed (the entry stays, as in the
// reference).
//
// A member whose identical entry already exists is left alone and keeps its
// recorded status: repeating a create writes nothing.
func (d *Driver) addMember(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, poolKey string,
	m lbdata.Member, up bool, ms *lbdata.MemberStatus, sc *subnetCache) (string, error) {
	e := m.Entry()
	v, added := lbdata.PoolAddEntry(row.ExternalIDs[poolKey], e)
	if !added {
		if s := memberStatusOf(ms, m.ID); s != "" {
			return s, nil
		}
		if !up {
			return octavia.OperatingOffline, nil
		}
		return octavia.OperatingNoMonitor, nil
	}
	row.ExternalIDs[poolKey] = v
	sn, err := sc.get(ctx, m.SubnetID)
	if err != nil {
		return octavia.OperatingNoMonitor, err
	}
	if err := assoc.AddSwitchRef(t, row, assoc.OVNName(sn.NetworkID), 1); err != nil {
		return octavia.OperatingNoMonitor, err
	}
	for _, lr := range assoc.RoutersOfSubnet(t, sn.NetworkID, sn.CIDR) {
		assoc.AttachToRouter(t, row, lr)
	}
	switch {
	case !up:
		return octavia.OperatingOffline, nil
	case hasHealthChecks(row) && d.health != nil:
		st, err := d.health.MapMember(ctx, t, sc.lk, row, m)
		if err != nil {
			d.log.WithError(err).WithField("member_id", m.ID).Warn("mapping member for health checks failed")
			return octavia.OperatingError, nil
		}
		return st, nil
	}
	return octavia.OperatingNoMonitor, nil
}

// removeMember removes the identical entry from the pool value (operations.md
// §10.3 step 1–2): its health-check mapping, its switch reference, and its
// subnet's HM port when no entry of the row uses that subnet any more. It
// reports whether the entry was there.
func (d *Driver) removeMember(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, poolKey string,
	m lbdata.Member, sc *subnetCache) (bool, error) {
	v, found := lbdata.PoolRemoveEntry(row.ExternalIDs[poolKey], m.Entry())
	if !found {
		return false, nil
	}
	monitored := hasHealthChecks(row) && d.health != nil
	if monitored {
		d.health.UnmapMember(t, row, m)
	}
	row.ExternalIDs[poolKey] = v
	if m.SubnetID != "" {
		sn, err := sc.get(ctx, m.SubnetID)
		if err != nil {
			return true, err
		}
		if err := assoc.RemoveSwitchRef(t, row, assoc.OVNName(sn.NetworkID)); err != nil {
			return true, err
		}
		if monitored && !subnetInUse(row, m.SubnetID) {
			d.health.CleanupHMPort(t, m.SubnetID)
		}
	}
	return true, nil
}

// subnetInUse reports whether any pool entry of the row is on the subnet.
func subnetInUse(row *nb.LoadBalancer, subnetID string) bool {
	for k, v := range row.ExternalIDs {
		if !strings.HasPrefix(k, lbdata.PrefixPool) {
			continue
		}
		entries, _ := lbdata.ParsePoolValue(v)
		for _, e := range entries {
			if e.SubnetID == subnetID {
				return true
			}
		}
	}
	return false
}

// resolveSubnet returns the member's subnet: its own, or, when Unset/empty,
// the VIP subnet of its LB when the address lies in it (operations.md §1.2).
// "" means not inferable (V8/V9/V10 for the caller).
func (d *Driver) resolveSubnet(ctx context.Context, m *octavia.Member, sc *subnetCache) (string, error) {
	if s := m.SubnetID.Or(""); s != "" {
		return s, nil
	}
	if d.get == nil {
		return "", nil
	}
	pool, err := d.get.GetPool(ctx, m.PoolID.V)
	if err != nil {
		return "", fmt.Errorf("get pool %s from Octavia: %w", m.PoolID.V, err)
	}
	if pool == nil || pool.LoadBalancerID.Or("") == "" {
		return "", nil
	}
	lb, err := d.get.GetLoadBalancer(ctx, pool.LoadBalancerID.V)
	if err != nil {
		return "", fmt.Errorf("get load balancer %s from Octavia: %w", pool.LoadBalancerID.V, err)
	}
	if lb == nil || lb.VIPSubnetID.Or("") == "" {
		return "", nil
	}
	sn, err := sc.get(ctx, lb.VIPSubnetID.V)
	if err != nil {
		if errors.Is(err, neutron.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	p, err := netip.ParsePrefix(sn.CIDR)
	a, aerr := netip.ParseAddr(m.Address.V)
	if err != nil || aerr != nil || !p.Contains(a) {
		return "", nil
	}
	return lb.VIPSubnetID.V, nil
}

// checkMemberFamily is V7 against the row holding the member's pool.
func (d *Driver) checkMemberFamily(ctx context.Context, poolID string, addrs []string) error {
	var vips []string
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error { // read-only: commits nothing
		if row, _ := health.RowByPool(t, poolID); row != nil {
			vips = vipAddrs(row.ExternalIDs)
		}
		return nil
	})
	if err != nil {
		return octavia.NewDriverError(err.Error())
	}
	for _, a := range addrs {
		if err := checkFamily(vips, a); err != nil {
			return err
		}
	}
	return nil
}

// memberResult is the outcome of one member of a create/update/delete.
type memberResult struct {
	id     string
	prov   string
	oper   string
	failed bool
}

// MemberCreate is member_create (operations.md §10.1).
func (d *Driver) MemberCreate(ctx context.Context, m *octavia.Member) error {
	sc := newSubnetCache(d)
	subnet, err := d.validateMemberCreate(ctx, m, sc)
	if err != nil {
		return err
	}
	d.createMembers(ctx, "member_create", m.PoolID.V, []*octavia.Member{m}, []string{subnet}, sc)
	return nil
}

// validateMemberCreate is the synchronous part of member_create (V5, V7
// against the pool's NB row, V8) and returns the member's subnet.
func (d *Driver) validateMemberCreate(ctx context.Context, m *octavia.Member, sc *subnetCache) (string, error) {
	if err := octavia.ValidateMemberCreate(m); err != nil {
		return "", err
	}
	if err := d.checkMemberFamily(ctx, m.PoolID.V, []string{m.Address.V}); err != nil {
		return "", err
	}
	return d.requireSubnet(ctx, m, sc, octavia.ErrSubnetRequiredCreate)
}

// requireSubnet resolves the member's subnet (operations.md §1.2); missing
// is the error of missing() (V8, V9 or V10 for the caller).
func (d *Driver) requireSubnet(ctx context.Context, m *octavia.Member, sc *subnetCache,
	missing func() *octavia.ProviderError) (string, error) {
	subnet, err := d.resolveSubnet(ctx, m, sc)
	if err != nil {
		return "", octavia.NewDriverError(err.Error())
	}
	if subnet == "" {
		return "", missing()
	}
	return subnet, nil
}

// createMembers adds members of one pool in one transaction and sends the
// roll-up of the row with their results.
func (d *Driver) createMembers(ctx context.Context, call, poolID string, ms []*octavia.Member, subnets []string, sc *subnetCache) {
	log := d.log.WithFields(logrus.Fields{"call": call, "pool_id": poolID})
	results, name, ext, err := d.runOnPoolRow(ctx, log, poolID, func(t *nbtxn.Txn, row *nb.LoadBalancer, key string) ([]memberResult, error) {
		return d.addMembersToRow(ctx, t, row, key, ms, subnets, sc)
	})
	if err != nil {
		// Quirk avoided (operations.md §10.1): the reference sends nothing
		// when no row holds the pool; the members are reported ERROR.
		log.WithError(err).Error("member create failed")
		var st octavia.Status
		for _, m := range ms {
			st.Add(octavia.KindMembers, entry(m.MemberID.V, octavia.ProvisioningError, octavia.OperatingError))
		}
		st.Add(octavia.KindPools, entry(poolID, octavia.ProvisioningActive, ""))
		d.send(ctx, call, st)
		return
	}
	st := d.rollUp(ctx, name, ext)
	st = withMembers(st, results, false)
	d.send(ctx, call, st)
}

// runOnPoolRow runs fn on the row holding poolID in ONE transaction (fn
// runs again on a conflict, so it starts from the row it is given each
// time) and returns fn's member results with the row's name and
// external_ids as committed, for the roll-up. An error after the commit (an
// HM port cleanup) is logged, not returned: the members are written.
func (d *Driver) runOnPoolRow(ctx context.Context, log *logrus.Entry, poolID string,
	fn func(t *nbtxn.Txn, row *nb.LoadBalancer, key string) ([]memberResult, error)) ([]memberResult, string, map[string]string, error) {
	var (
		results []memberResult
		name    string
		ext     map[string]string
	)
	err := d.runLogged(ctx, log, func(t *nbtxn.Txn) error {
		results, name, ext = nil, "", nil
		row, key := health.RowByPool(t, poolID)
		if row == nil {
			return fmt.Errorf("pool %s: %w", poolID, errNoRow)
		}
		var err error
		if results, err = fn(t, row, key); err != nil {
			return err
		}
		name, ext = row.Name, maps.Clone(row.ExternalIDs)
		return nil
	})
	return results, name, ext, err
}

// addMembersToRow adds members and writes their statuses and vips.
func (d *Driver) addMembersToRow(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, key string,
	ms []*octavia.Member, subnets []string, sc *subnetCache) ([]memberResult, error) {
	status := memberStatus(row)
	results := make([]memberResult, 0, len(ms))
	for i, m := range ms {
		up := m.AdminStateUp.Or(true)
		s, err := d.addMember(ctx, t, row, key, memberEntry(m, subnets[i]), up, status, sc)
		r := memberResult{id: m.MemberID.V, prov: octavia.ProvisioningActive, oper: s}
		if err != nil {
			// Quirk avoided (operations.md §10.1): a member whose
			// association failed is reported ERROR, not ACTIVE.
			d.log.WithError(err).WithField("member_id", m.MemberID.V).Error("member association failed")
			r = memberResult{id: m.MemberID.V, prov: octavia.ProvisioningError, oper: octavia.OperatingError, failed: true}
			s = octavia.OperatingNoMonitor
		}
		status.Set(m.MemberID.V, s)
		results = append(results, r)
	}
	if err := setMemberStatus(row, status); err != nil {
		return nil, err
	}
	recomputeVIPs(row)
	return results, nil
}

// withMembers reports failed members (or every member when all is set) with
// their own result in place of the roll-up's entry.
func withMembers(st octavia.Status, results []memberResult, all bool) octavia.Status {
	var over octavia.Status
	all = all || st.Members == nil // no roll-up: report every member
	for _, r := range results {
		if all || r.failed {
			over.Add(octavia.KindMembers, entry(r.id, r.prov, r.oper))
		}
	}
	st.MergeLatest(over)
	return st
}

// rollUp computes the status roll-up of a row (events-and-status §7) with
// Octavia's admin states from the get socket, through the health engine
// (which owns the status engine). Without one, or when Octavia does not
// know the LB, the result holds only what the caller adds (its members'
// own entries): the reference would send nothing at all there.
func (d *Driver) rollUp(ctx context.Context, name string, ext map[string]string) octavia.Status {
	if d.health == nil {
		return octavia.Status{}
	}
	st, err := d.health.RollUp(ctx, &nb.LoadBalancer{Name: name, ExternalIDs: ext})
	if err != nil {
		d.log.WithError(err).WithField("lb_id", name).Warn("status roll-up failed; reporting the call's own objects only")
		return octavia.Status{}
	}
	return st
}

// MemberUpdate is member_update (operations.md §10.2).
func (d *Driver) MemberUpdate(ctx context.Context, old, new *octavia.Member) error {
	if err := d.ValidateMemberUpdate(ctx, old, new); err != nil {
		return err
	}
	m := *old
	m.MemberID = octavia.Some(new.MemberID.Or(old.MemberID.V))
	m.AdminStateUp = new.AdminStateUp
	d.updateMembers(ctx, "member_update", old.PoolID.V, []*octavia.Member{&m})
	return nil
}

// updateMembers applies admin-state changes (operations.md §10.2). Every
// member's AdminStateUp is the supplied value (Unset = not supplied).
func (d *Driver) updateMembers(ctx context.Context, call, poolID string, ms []*octavia.Member) {
	log := d.log.WithFields(logrus.Fields{"call": call, "pool_id": poolID})
	sc := newSubnetCache(d)
	results, name, ext, err := d.runOnPoolRow(ctx, log, poolID, func(t *nbtxn.Txn, row *nb.LoadBalancer, key string) ([]memberResult, error) {
		return d.updateMembersInRow(ctx, t, row, key, ms, sc)
	})
	if err != nil {
		// Quirk avoided: the reference computes ERROR entries here but
		// never sends them.
		log.WithError(err).Error("member update failed")
		var st octavia.Status
		for _, m := range ms {
			st.Add(octavia.KindMembers, entry(m.MemberID.V, octavia.ProvisioningError, octavia.OperatingNoMonitor))
		}
		d.send(ctx, call, st)
		return
	}
	st := d.rollUp(ctx, name, ext)
	d.send(ctx, call, withMembers(st, results, true))
}

// updateMembersInRow computes and writes the new statuses, vips and
// mappings.
func (d *Driver) updateMembersInRow(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, key string,
	ms []*octavia.Member, sc *subnetCache) ([]memberResult, error) {
	status := memberStatus(row)
	monitored := hasHealthChecks(row)
	// Corrupt entries are skipped: they cannot be mapped anyway.
	entries, _ := lbdata.ParsePoolValue(row.ExternalIDs[key])
	byID := map[string]lbdata.Member{}
	for _, e := range entries {
		if _, ok := byID[e.ID]; !ok {
			byID[e.ID] = e
		}
	}
	results := make([]memberResult, 0, len(ms))
	recompute := false
	for _, m := range ms {
		id := m.MemberID.V
		last := memberStatusOf(status, id)
		if last == "" {
			last = octavia.OperatingNoMonitor
		}
		var next string
		up, supplied := m.AdminStateUp.Get()
		switch {
		case !supplied:
			// Quirk avoided (operations.md §10.2): without admin_state_up
			// the recorded status is kept rather than reset to NO_MONITOR.
			next = last
		case !up:
			next = octavia.OperatingOffline
		case monitored && last == octavia.OperatingError:
			next = octavia.OperatingError
		case monitored:
			next = octavia.OperatingOnline
		default:
			next = octavia.OperatingNoMonitor
		}
		if (next == octavia.OperatingOffline) != (last == octavia.OperatingOffline) || (supplied && up) {
			recompute = true
		}
		status.Set(id, next)
		if monitored && supplied && d.health != nil {
			if e, ok := byID[id]; ok {
				if up {
					if s, err := d.health.MapMember(ctx, t, sc.lk, row, e); err != nil || s == octavia.OperatingError {
						next = octavia.OperatingError
						status.Set(id, next)
					}
				} else {
					d.health.UnmapMember(t, row, e)
				}
			}
		}
		results = append(results, memberResult{id: id, prov: octavia.ProvisioningActive, oper: next})
	}
	if err := setMemberStatus(row, status); err != nil {
		return nil, err
	}
	if recompute {
		recomputeVIPs(row)
	}
	return results, nil
}

// MemberDelete is member_delete (operations.md §10.3).
func (d *Driver) MemberDelete(ctx context.Context, m *octavia.Member) error {
	sc := newSubnetCache(d)
	subnet, err := d.validateMemberDelete(ctx, m, sc)
	if err != nil {
		return err
	}
	d.deleteMembers(ctx, "member_delete", m.PoolID.V, []lbdata.Member{memberEntry(m, subnet)}, sc)
	return nil
}

// validateMemberDelete is the synchronous part of member_delete (V9) and
// returns the member's subnet.
func (d *Driver) validateMemberDelete(ctx context.Context, m *octavia.Member, sc *subnetCache) (string, error) {
	if err := octavia.ValidateMemberDelete(m); err != nil {
		return "", err
	}
	return d.requireSubnet(ctx, m, sc, octavia.ErrSubnetRequiredDelete)
}

// deleteMembers removes members of one pool in one transaction and sends
// the roll-up with the members reported DELETED.
func (d *Driver) deleteMembers(ctx context.Context, call, poolID string, ms []lbdata.Member, sc *subnetCache) {
	log := d.log.WithFields(logrus.Fields{"call": call, "pool_id": poolID})
	results, name, ext, err := d.runOnPoolRow(ctx, log, poolID, func(t *nbtxn.Txn, row *nb.LoadBalancer, key string) ([]memberResult, error) {
		return d.deleteMembersFromRow(ctx, t, row, key, ms, sc)
	})
	if err != nil {
		log.WithError(err).Error("member delete failed")
		var st octavia.Status
		for _, m := range ms {
			st.Add(octavia.KindMembers, entry(m.ID, octavia.ProvisioningError, ""))
		}
		d.send(ctx, call, st)
		return
	}
	st := d.rollUp(ctx, name, ext)
	// The roll-up no longer lists the deleted members; replace its member
	// list by theirs, as the reference does.
	st.Members = nil
	d.send(ctx, call, withMembers(st, results, true))
}

func (d *Driver) deleteMembersFromRow(ctx context.Context, t *nbtxn.Txn, row *nb.LoadBalancer, key string,
	ms []lbdata.Member, sc *subnetCache) ([]memberResult, error) {
	status := memberStatus(row)
	results := make([]memberResult, 0, len(ms))
	for _, m := range ms {
		found, err := d.removeMember(ctx, t, row, key, m, sc)
		if err != nil {
			return nil, err
		}
		if !found {
			d.log.WithFields(logrus.Fields{"member_id": m.ID, "entry": m.Entry()}).Warn("member to delete not found in its pool")
		}
		status.Delete(m.ID)
		results = append(results, memberResult{id: m.ID, prov: octavia.ProvisioningDeleted})
	}
	if err := setMemberStatus(row, status); err != nil {
		return nil, err
	}
	recomputeVIPs(row)
	return results, nil
}

// MemberBatchUpdate is member_batch_update (operations.md §10.4): members
// not in the pool are created, matching ones updated, the rest deleted,
// all in ONE transaction and one status message (the reference sends one
// per create/update/delete request; ours holds the final roll-up with the
// deleted members added).
func (d *Driver) MemberBatchUpdate(ctx context.Context, poolID string, members []*octavia.Member) error {
	sc := newSubnetCache(d)
	plan, err := d.validateBatch(ctx, poolID, members, sc)
	if err != nil {
		return err
	}
	vals, current := plan.members, plan.current
	remaining := map[string]bool{}
	for _, e := range current {
		remaining[e.Entry()] = true
	}
	var (
		creates, updates []*octavia.Member
		createSubnets    []string
	)
	for i := range vals {
		m := &vals[i]
		if !m.AdminStateUp.Set || m.AdminStateUp.Null {
			m.AdminStateUp = octavia.Some(true)
		}
		e := memberEntry(m, plan.subnets[i]).Entry()
		if remaining[e] {
			delete(remaining, e)
			updates = append(updates, m)
			continue
		}
		creates = append(creates, m)
		createSubnets = append(createSubnets, plan.subnets[i])
	}
	var deletes []lbdata.Member
	for _, e := range current {
		if remaining[e.Entry()] {
			deletes = append(deletes, e)
		}
	}

	log := d.log.WithFields(logrus.Fields{"call": "member_batch_update", "pool_id": poolID})
	results, name, ext, err := d.runOnPoolRow(ctx, log, poolID, func(t *nbtxn.Txn, row *nb.LoadBalancer, key string) ([]memberResult, error) {
		var results []memberResult
		if len(creates) > 0 {
			r, err := d.addMembersToRow(ctx, t, row, key, creates, createSubnets, sc)
			if err != nil {
				return nil, err
			}
			results = append(results, r...)
		}
		if len(updates) > 0 {
			r, err := d.updateMembersInRow(ctx, t, row, key, updates, sc)
			if err != nil {
				return nil, err
			}
			results = append(results, r...)
		}
		if len(deletes) > 0 {
			r, err := d.deleteMembersFromRow(ctx, t, row, key, deletes, sc)
			if err != nil {
				return nil, err
			}
			results = append(results, r...)
		}
		return results, nil
	})
	if err != nil {
		log.WithError(err).Error("member batch update failed")
		var st octavia.Status
		for _, m := range vals {
			st.Add(octavia.KindMembers, entry(m.MemberID.V, octavia.ProvisioningError, octavia.OperatingError))
		}
		d.send(ctx, "member_batch_update", st)
		return nil
	}
	st := d.rollUp(ctx, name, ext)
	d.send(ctx, "member_batch_update", withMembers(st, results, true))
	return nil
}

// batchPlan is what the synchronous part of member_batch_update learned:
// the members (pool_id filled), their subnets, and the pool's current
// parseable entries.
type batchPlan struct {
	members []octavia.Member
	subnets []string
	current []lbdata.Member
}

// validateBatch is the synchronous part of member_batch_update: V6, V15
// (the pool has an NB row), V7 and V10 for every member.
func (d *Driver) validateBatch(ctx context.Context, poolID string, members []*octavia.Member, sc *subnetCache) (*batchPlan, error) {
	plan := &batchPlan{members: make([]octavia.Member, len(members)), subnets: make([]string, len(members))}
	for i, m := range members {
		if m == nil {
			return nil, octavia.NewDriverError(fmt.Sprintf("member %d is null", i))
		}
		plan.members[i] = *m
		if !plan.members[i].PoolID.Set {
			plan.members[i].PoolID = octavia.Some(poolID)
		}
	}
	if err := octavia.ValidateBatchMembers(poolID, plan.members); err != nil {
		return nil, err
	}
	var vips []string
	found := false
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error { // read-only: commits nothing
		row, key := health.RowByPool(t, poolID)
		if row == nil {
			return nil
		}
		found = true
		vips = vipAddrs(row.ExternalIDs)
		// A corrupt entry matches no request and is not deleted either:
		// only entries we can parse are ours to reconcile.
		plan.current, _ = lbdata.ParsePoolValue(row.ExternalIDs[key])
		return nil
	})
	if err != nil {
		return nil, octavia.NewDriverError(fmt.Sprintf("reading pool %s: %v", poolID, err))
	}
	if !found {
		return nil, octavia.ErrPoolNotInNB(poolID) // V15, as the spec recommends
	}
	for i := range plan.members {
		m := &plan.members[i]
		if err := checkFamily(vips, m.Address.V); err != nil {
			return nil, err
		}
		subnet, err := d.requireSubnet(ctx, m, sc, octavia.ErrSubnetRequiredBatch)
		if err != nil {
			return nil, err
		}
		plan.subnets[i] = subnet
	}
	return plan, nil
}
