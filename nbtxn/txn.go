package nbtxn

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/model"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// Txn is a working view of NB for one Run. Reads see the cache overlaid with
// the Txn's own pending changes. Load_Balancer, Load_Balancer_Health_Check
// and NAT rows handed out are the Txn's working copies: change their fields
// in place and the change is committed. Switches, routers and ports are
// read-only copies; change switch and router membership with Attach*/Detach*.
//
// A Txn is used by one goroutine and lives for one call of the Run function.
type Txn struct {
	s *Store

	lbs       map[string]*nb.LoadBalancer // working copies by UUID (named UUID for new rows)
	lbOrig    map[string]*nb.LoadBalancer // the cache rows the copies started from
	lbCreated []string                    // named UUIDs in creation order
	lbDeleted map[string]bool
	lbByName  map[string][]string // lazily built name index of the cache

	hcs       map[string]*nb.LoadBalancerHealthCheck
	hcOrig    map[string]*nb.LoadBalancerHealthCheck
	hcCreated []string

	nats    map[string]*nb.NAT
	natOrig map[string]*nb.NAT

	// Membership changes of Logical_Switch/Logical_Router load_balancer sets:
	// table -> switch/router UUID -> LB UUID -> true (insert) / false (delete).
	members map[string]map[string]map[string]bool
	// The resulting sets, built on first read and then kept up to date by
	// every attach/detach/delete: a burst attaching a thousand LBs to one
	// switch reads that switch after each attach.
	effective map[string]map[string]*memberSet

	lsByName map[string]string
	lrByName map[string]string

	// Read-only rows are cloned from the cache once per Txn: handlers look
	// the same switch up for every LB of a burst.
	lsRows map[string]*nb.LogicalSwitch
	lrRows map[string]*nb.LogicalRouter

	afterCommit []func(context.Context) error
}

func newTxn(s *Store) *Txn {
	return &Txn{
		s:         s,
		lbs:       map[string]*nb.LoadBalancer{},
		lbOrig:    map[string]*nb.LoadBalancer{},
		lbDeleted: map[string]bool{},
		hcs:       map[string]*nb.LoadBalancerHealthCheck{},
		hcOrig:    map[string]*nb.LoadBalancerHealthCheck{},
		nats:      map[string]*nb.NAT{},
		lsRows:    map[string]*nb.LogicalSwitch{},
		lrRows:    map[string]*nb.LogicalRouter{},
		natOrig:   map[string]*nb.NAT{},
		members: map[string]map[string]map[string]bool{
			nb.LogicalSwitchTable: {},
			nb.LogicalRouterTable: {},
		},
		effective: map[string]map[string]*memberSet{
			nb.LogicalSwitchTable: {},
			nb.LogicalRouterTable: {},
		},
	}
}

func (t *Txn) table(name string) *cache.RowCache {
	c := t.s.c.Cache()
	if c == nil {
		return nil
	}
	return c.Table(name)
}

// cachedRows returns the read-only cache rows of a table. Callers must clone
// before handing a row out.
func (t *Txn) cachedRows(table string) map[string]model.Model {
	rc := t.table(table)
	if rc == nil {
		return nil
	}
	return rc.RowsShallow()
}

func (t *Txn) cachedRow(table, uuid string) model.Model {
	rc := t.table(table)
	if rc == nil {
		return nil
	}
	return rc.Row(uuid) // a clone
}

// ---- Load_Balancer ----

// LB returns the working copy of the Load_Balancer row with this UUID, or nil
// if it does not exist (or was deleted in this Txn).
func (t *Txn) LB(uuid string) *nb.LoadBalancer {
	if t.lbDeleted[uuid] {
		return nil
	}
	if lb, ok := t.lbs[uuid]; ok {
		return lb
	}
	m, ok := t.cachedRow(nb.LoadBalancerTable, uuid).(*nb.LoadBalancer)
	if !ok || m == nil {
		return nil
	}
	t.lbOrig[uuid] = m
	cp := m.DeepCopy()
	t.lbs[uuid] = cp
	return cp
}

// LBsByName returns the working copies of every row named name (an Octavia
// LB has one row per protocol), rows created in this Txn last.
func (t *Txn) LBsByName(name string) []*nb.LoadBalancer {
	if t.lbByName == nil {
		t.lbByName = map[string][]string{}
		for uuid, m := range t.cachedRows(nb.LoadBalancerTable) {
			lb := m.(*nb.LoadBalancer)
			t.lbByName[lb.Name] = append(t.lbByName[lb.Name], uuid)
		}
		for _, uuids := range t.lbByName {
			sort.Strings(uuids)
		}
	}
	var out []*nb.LoadBalancer
	for _, uuid := range t.lbByName[name] {
		if lb := t.LB(uuid); lb != nil && lb.Name == name {
			out = append(out, lb)
		}
	}
	for _, uuid := range t.lbCreated {
		if lb := t.lbs[uuid]; lb != nil && !t.lbDeleted[uuid] && lb.Name == name {
			out = append(out, lb)
		}
	}
	return out
}

// AllLBs returns working copies of every Load_Balancer row, cache rows sorted
// by UUID, then the rows created in this Txn. Foreign rows (Neutron port
// forwarding) are included: callers filter them.
func (t *Txn) AllLBs() []*nb.LoadBalancer {
	rows := t.cachedRows(nb.LoadBalancerTable)
	uuids := make([]string, 0, len(rows))
	for uuid := range rows {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	out := make([]*nb.LoadBalancer, 0, len(uuids)+len(t.lbCreated))
	for _, uuid := range uuids {
		if lb := t.LB(uuid); lb != nil {
			out = append(out, lb)
		}
	}
	for _, uuid := range t.lbCreated {
		if !t.lbDeleted[uuid] {
			out = append(out, t.lbs[uuid])
		}
	}
	return out
}

// ScanLBs calls fn with every Load_Balancer row without copying rows the Txn
// has not touched yet; fn must not modify the row it is given (call LB(uuid)
// for a working copy). It stops when fn returns false.
func (t *Txn) ScanLBs(fn func(lb *nb.LoadBalancer) bool) {
	rows := t.cachedRows(nb.LoadBalancerTable)
	uuids := make([]string, 0, len(rows))
	for uuid := range rows {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	for _, uuid := range uuids {
		if t.lbDeleted[uuid] {
			continue
		}
		lb, ok := t.lbs[uuid]
		if !ok {
			lb = rows[uuid].(*nb.LoadBalancer)
		}
		if !fn(lb) {
			return
		}
	}
	for _, uuid := range t.lbCreated {
		if !t.lbDeleted[uuid] && !fn(t.lbs[uuid]) {
			return
		}
	}
}

// CreateLB adds a new Load_Balancer row. The row gets a named UUID usable in
// this Txn (AttachSwitch, health checks); nil maps are created.
func (t *Txn) CreateLB(lb *nb.LoadBalancer) *nb.LoadBalancer {
	lb.UUID = t.newNamedUUID()
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
	if lb.Vips == nil {
		lb.Vips = map[string]string{}
	}
	if lb.Options == nil {
		lb.Options = map[string]string{}
	}
	if lb.IPPortMappings == nil {
		lb.IPPortMappings = map[string]string{}
	}
	t.lbs[lb.UUID] = lb
	t.lbCreated = append(t.lbCreated, lb.UUID)
	return lb
}

// DeleteLB deletes the row. Weak references from switches and routers go
// with it; its health checks are garbage-collected by ovsdb-server.
func (t *Txn) DeleteLB(lb *nb.LoadBalancer) {
	t.lbDeleted[lb.UUID] = true
	for _, table := range []string{nb.LogicalSwitchTable, nb.LogicalRouterTable} {
		for _, lbs := range t.members[table] {
			delete(lbs, lb.UUID)
		}
		for _, set := range t.effective[table] {
			set.remove(lb.UUID)
		}
	}
}

func (t *Txn) newNamedUUID() string {
	return fmt.Sprintf("u%010d", t.s.named.Add(1))
}

// ---- Load_Balancer_Health_Check ----

// HealthCheck returns the working copy of an LBHC row, or nil.
func (t *Txn) HealthCheck(uuid string) *nb.LoadBalancerHealthCheck {
	if hc, ok := t.hcs[uuid]; ok {
		return hc
	}
	m, ok := t.cachedRow(nb.LoadBalancerHealthCheckTable, uuid).(*nb.LoadBalancerHealthCheck)
	if !ok || m == nil {
		return nil
	}
	t.hcOrig[uuid] = m
	cp := m.DeepCopy()
	t.hcs[uuid] = cp
	return cp
}

// HealthChecksOf returns the working copies of the LBHC rows in lb's
// health_check column, in column order.
func (t *Txn) HealthChecksOf(lb *nb.LoadBalancer) []*nb.LoadBalancerHealthCheck {
	var out []*nb.LoadBalancerHealthCheck
	for _, uuid := range lb.HealthCheck {
		if hc := t.HealthCheck(uuid); hc != nil {
			out = append(out, hc)
		}
	}
	return out
}

// CreateHealthCheck inserts an LBHC row and references it from lb.
func (t *Txn) CreateHealthCheck(lb *nb.LoadBalancer, hc *nb.LoadBalancerHealthCheck) *nb.LoadBalancerHealthCheck {
	hc.UUID = t.newNamedUUID()
	if hc.Options == nil {
		hc.Options = map[string]string{}
	}
	if hc.ExternalIDs == nil {
		hc.ExternalIDs = map[string]string{}
	}
	t.hcs[hc.UUID] = hc
	t.hcCreated = append(t.hcCreated, hc.UUID)
	lb.HealthCheck = append(lb.HealthCheck, hc.UUID)
	return hc
}

// RemoveHealthCheck drops the reference from lb; ovsdb-server destroys the
// unreferenced (non-root) row.
func (t *Txn) RemoveHealthCheck(lb *nb.LoadBalancer, hc *nb.LoadBalancerHealthCheck) {
	kept := lb.HealthCheck[:0]
	for _, uuid := range lb.HealthCheck {
		if uuid != hc.UUID {
			kept = append(kept, uuid)
		}
	}
	lb.HealthCheck = kept
}

// ---- NAT ----

// NATs returns working copies of every NAT row, sorted by UUID.
func (t *Txn) NATs() []*nb.NAT {
	rows := t.cachedRows(nb.NATTable)
	uuids := make([]string, 0, len(rows))
	for uuid := range rows {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	out := make([]*nb.NAT, 0, len(uuids))
	for _, uuid := range uuids {
		if n, ok := t.nats[uuid]; ok {
			out = append(out, n)
			continue
		}
		orig := rows[uuid].(*nb.NAT)
		t.natOrig[uuid] = orig
		cp := orig.DeepCopy()
		t.nats[uuid] = cp
		out = append(out, cp)
	}
	return out
}

// ---- switches, routers and ports (read-only) ----

// Switch returns a read-only copy of a Logical_Switch with its load_balancer
// set reflecting this Txn's pending changes, or nil.
func (t *Txn) Switch(uuid string) *nb.LogicalSwitch {
	base, ok := t.lsRows[uuid]
	if !ok {
		base, _ = t.cachedRow(nb.LogicalSwitchTable, uuid).(*nb.LogicalSwitch)
		t.lsRows[uuid] = base
	}
	if base == nil {
		return nil
	}
	ls := *base
	ls.LoadBalancer = t.membership(nb.LogicalSwitchTable, uuid, base.LoadBalancer)
	return &ls
}

// SwitchByName returns the Logical_Switch named name (`neutron-<net_id>`), or nil.
func (t *Txn) SwitchByName(name string) *nb.LogicalSwitch {
	if t.lsByName == nil {
		t.lsByName = map[string]string{}
		for uuid, m := range t.cachedRows(nb.LogicalSwitchTable) {
			t.lsByName[m.(*nb.LogicalSwitch).Name] = uuid
		}
	}
	uuid, ok := t.lsByName[name]
	if !ok {
		return nil
	}
	return t.Switch(uuid)
}

// Router returns a read-only copy of a Logical_Router with pending
// load_balancer changes applied, or nil.
func (t *Txn) Router(uuid string) *nb.LogicalRouter {
	base, ok := t.lrRows[uuid]
	if !ok {
		base, _ = t.cachedRow(nb.LogicalRouterTable, uuid).(*nb.LogicalRouter)
		t.lrRows[uuid] = base
	}
	if base == nil {
		return nil
	}
	lr := *base
	lr.LoadBalancer = t.membership(nb.LogicalRouterTable, uuid, base.LoadBalancer)
	return &lr
}

// RouterByName returns the Logical_Router named name (`neutron-<router_id>`), or nil.
func (t *Txn) RouterByName(name string) *nb.LogicalRouter {
	if t.lrByName == nil {
		t.lrByName = map[string]string{}
		for uuid, m := range t.cachedRows(nb.LogicalRouterTable) {
			t.lrByName[m.(*nb.LogicalRouter).Name] = uuid
		}
	}
	uuid, ok := t.lrByName[name]
	if !ok {
		return nil
	}
	return t.Router(uuid)
}

// Routers returns read-only copies of every Logical_Router, sorted by UUID.
func (t *Txn) Routers() []*nb.LogicalRouter {
	rows := t.cachedRows(nb.LogicalRouterTable)
	uuids := make([]string, 0, len(rows))
	for uuid := range rows {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	out := make([]*nb.LogicalRouter, 0, len(uuids))
	for _, uuid := range uuids {
		if lr := t.Router(uuid); lr != nil {
			out = append(out, lr)
		}
	}
	return out
}

// Switches returns read-only copies of every Logical_Switch, sorted by UUID.
func (t *Txn) Switches() []*nb.LogicalSwitch {
	rows := t.cachedRows(nb.LogicalSwitchTable)
	uuids := make([]string, 0, len(rows))
	for uuid := range rows {
		uuids = append(uuids, uuid)
	}
	sort.Strings(uuids)
	out := make([]*nb.LogicalSwitch, 0, len(uuids))
	for _, uuid := range uuids {
		if ls := t.Switch(uuid); ls != nil {
			out = append(out, ls)
		}
	}
	return out
}

// LSP returns a read-only copy of a Logical_Switch_Port, or nil.
func (t *Txn) LSP(uuid string) *nb.LogicalSwitchPort {
	p, _ := t.cachedRow(nb.LogicalSwitchPortTable, uuid).(*nb.LogicalSwitchPort)
	return p
}

// LSPByName returns the Logical_Switch_Port named name (a Neutron port id), or nil.
func (t *Txn) LSPByName(name string) *nb.LogicalSwitchPort {
	rc := t.table(nb.LogicalSwitchPortTable)
	if rc == nil {
		return nil
	}
	_, m, err := rc.RowByModel(&nb.LogicalSwitchPort{Name: name})
	if err != nil || m == nil {
		return nil
	}
	p, _ := model.Clone(m).(*nb.LogicalSwitchPort)
	return p
}

// LRP returns a read-only copy of a Logical_Router_Port, or nil.
func (t *Txn) LRP(uuid string) *nb.LogicalRouterPort {
	p, _ := t.cachedRow(nb.LogicalRouterPortTable, uuid).(*nb.LogicalRouterPort)
	return p
}

// LRPByName returns the Logical_Router_Port named name (`lrp-<port_id>`), or nil.
func (t *Txn) LRPByName(name string) *nb.LogicalRouterPort {
	rc := t.table(nb.LogicalRouterPortTable)
	if rc == nil {
		return nil
	}
	_, m, err := rc.RowByModel(&nb.LogicalRouterPort{Name: name})
	if err != nil || m == nil {
		return nil
	}
	p, _ := model.Clone(m).(*nb.LogicalRouterPort)
	return p
}

// ---- switch and router membership ----

// AttachSwitch adds lb to the switch's load_balancer set ("may exist").
func (t *Txn) AttachSwitch(lsUUID string, lb *nb.LoadBalancer) {
	t.setMember(nb.LogicalSwitchTable, lsUUID, lb.UUID, true)
}

// DetachSwitch removes lb from the switch's load_balancer set ("if exists").
func (t *Txn) DetachSwitch(lsUUID string, lb *nb.LoadBalancer) {
	t.setMember(nb.LogicalSwitchTable, lsUUID, lb.UUID, false)
}

// AttachRouter adds lb to the router's load_balancer set.
func (t *Txn) AttachRouter(lrUUID string, lb *nb.LoadBalancer) {
	t.setMember(nb.LogicalRouterTable, lrUUID, lb.UUID, true)
}

// DetachRouter removes lb from the router's load_balancer set.
func (t *Txn) DetachRouter(lrUUID string, lb *nb.LoadBalancer) {
	t.setMember(nb.LogicalRouterTable, lrUUID, lb.UUID, false)
}

func (t *Txn) setMember(table, owner, lb string, insert bool) {
	byOwner := t.members[table]
	if byOwner[owner] == nil {
		byOwner[owner] = map[string]bool{}
	}
	byOwner[owner][lb] = insert
	if set := t.effective[table][owner]; set != nil {
		if insert {
			set.add(lb)
		} else {
			set.remove(lb)
		}
	}
}

// membership returns the owner's load_balancer set with this Txn's changes
// applied: the cache order, then LBs attached in this Txn in attach order.
func (t *Txn) membership(table, owner string, current []string) []string {
	set := t.effective[table][owner]
	if set == nil {
		if len(t.members[table][owner]) == 0 && len(t.lbDeleted) == 0 {
			return current // read-only, shared with the Txn's base copy
		}
		set = newMemberSet(current)
		for _, uuid := range current {
			if t.lbDeleted[uuid] {
				set.remove(uuid)
			}
		}
		for _, lb := range sortedKeys(t.members[table][owner]) {
			if t.members[table][owner][lb] {
				set.add(lb)
			} else {
				set.remove(lb)
			}
		}
		t.effective[table][owner] = set
	}
	return append([]string(nil), set.list...)
}

// memberSet is an ordered set of LB UUIDs with O(1) add and remove.
type memberSet struct {
	list []string
	idx  map[string]int
}

func newMemberSet(uuids []string) *memberSet {
	s := &memberSet{list: make([]string, 0, len(uuids)), idx: make(map[string]int, len(uuids))}
	for _, u := range uuids {
		s.add(u)
	}
	return s
}

func (s *memberSet) add(u string) {
	if _, ok := s.idx[u]; ok {
		return
	}
	s.idx[u] = len(s.list)
	s.list = append(s.list, u)
}

// remove keeps the order of the others: membership reads feed the order of
// work done on them, which must not depend on removal history.
func (s *memberSet) remove(u string) {
	i, ok := s.idx[u]
	if !ok {
		return
	}
	copy(s.list[i:], s.list[i+1:])
	s.list = s.list[:len(s.list)-1]
	delete(s.idx, u)
	for j := i; j < len(s.list); j++ {
		s.idx[s.list[j]] = j
	}
}

// SwitchesOf returns the switches whose load_balancer set holds lb.
func (t *Txn) SwitchesOf(lb *nb.LoadBalancer) []*nb.LogicalSwitch {
	var out []*nb.LogicalSwitch
	for _, ls := range t.Switches() {
		if contains(ls.LoadBalancer, lb.UUID) {
			out = append(out, ls)
		}
	}
	return out
}

// RoutersOf returns the routers whose load_balancer set holds lb.
func (t *Txn) RoutersOf(lb *nb.LoadBalancer) []*nb.LogicalRouter {
	var out []*nb.LogicalRouter
	for _, lr := range t.Routers() {
		if contains(lr.LoadBalancer, lb.UUID) {
			out = append(out, lr)
		}
	}
	return out
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// AfterCommit registers fn to run after the Txn committed (or found nothing
// to commit). Use it for side effects that must not be repeated or must not
// happen when the NB write fails, such as deleting Neutron ports.
func (t *Txn) AfterCommit(fn func(ctx context.Context) error) {
	t.afterCommit = append(t.afterCommit, fn)
}

func (t *Txn) runAfterCommit(ctx context.Context) error {
	var errs []error
	for _, fn := range t.afterCommit {
		if err := fn(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &AfterCommitError{Err: errors.Join(errs...)}
}

// AfterCommitError is what Run returns when the NB change stands (or there
// was none to make) and only work registered with AfterCommit failed.
// Callers tell it apart with errors.As: such a call did its NB work and must
// not be reported or cleaned up as failed.
type AfterCommitError struct{ Err error }

func (e *AfterCommitError) Error() string { return "after the nb commit: " + e.Err.Error() }
func (e *AfterCommitError) Unwrap() error { return e.Err }

// OnlyAfterCommitFailed reports whether err is an AfterCommitError.
func OnlyAfterCommitFailed(err error) bool {
	var ac *AfterCommitError
	return errors.As(err, &ac)
}
