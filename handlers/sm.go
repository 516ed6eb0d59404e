package handlers

import (
	"maps"
	"slices"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// Service_Monitor results (events-and-status §6) are applied by the status
// engine in package health (health.ApplyServiceMonitor). A burst is the
// engine's health.RowCache: the member-status caches live in the burst, so
// that the events of a burst and the full resync share one parse and one
// write per row.

// smKey is what a Service_Monitor row matches on an LB row (NB §15).
type smKey = health.MonitorKey

func smKeyOf(sm *sb.ServiceMonitor) smKey { return health.MonitorKeyOf(sm) }

// smMemberStatus maps a Service_Monitor change to the member status written
// (events-and-status §6 step 2).
func smMemberStatus(sm *sb.ServiceMonitor, deleted bool) string {
	return health.ProbeStatus(sm, deleted)
}

// buildSMIndex indexes the LB rows by the Service_Monitor keys their
// ip_port_mappings can match, once per burst.
func (b *burst) buildSMIndex() {
	b.smIndex = health.IndexMonitoredRows(b.t)
}

// serviceMonitor is hm_update_event (events-and-status §6): the first
// member at the monitor's exact address and port gets its new status in
// neutron:member_status of every matching row. The roll-up and the status
// message follow per burst.
func (b *burst) serviceMonitor(sm *sb.ServiceMonitor, deleted bool) {
	health.ApplyServiceMonitor(b, b.log, sm, deleted)
}

// LB, MonitorIndex, MemberIndex and Statuses implement health.RowCache.

func (b *burst) LB(uuid string) *nb.LoadBalancer { return b.t.LB(uuid) }

func (b *burst) MonitorIndex() map[smKey][]string {
	if b.smIndex == nil {
		b.buildSMIndex()
	}
	return b.smIndex
}

func (b *burst) MemberIndex(lb *nb.LoadBalancer) map[string]string { return b.memberIndex(lb) }

func (b *burst) Statuses(lb *nb.LoadBalancer) *health.RowStatuses {
	if ms := b.memberStatus(lb); ms != nil {
		return ms.RowStatuses
	}
	return nil
}

// memberIndex returns the row's health.MemberIndex (keys
// health.Endpoint(ip, port), first entry winning), built once per burst.
func (b *burst) memberIndex(lb *nb.LoadBalancer) map[string]string {
	if idx, ok := b.members[lb.UUID]; ok {
		return idx
	}
	idx := health.MemberIndex(lb, b.log)
	b.members[lb.UUID] = idx
	return idx
}

// poolMembers returns the members of every pool key of the row (enabled or
// disabled), keys in sorted order, entries in pool order. Malformed entries
// are logged with the row and skipped (health.PoolMembers).
func (b *burst) poolMembers(lb *nb.LoadBalancer) []lbdata.Member {
	return slices.Collect(health.PoolMembers(lb, b.log))
}

// memberStatuses is a row's neutron:member_status during a burst
// (health.RowStatuses), nil RowStatuses when the value is corrupt.
type memberStatuses struct {
	*health.RowStatuses
	// dirty tells flush to consider the row: set for every loaded row,
	// as the engine changes RowStatuses directly; writeTo writes only
	// real changes.
	dirty bool
}

// memberStatus returns the row's cached member statuses, nil if the value
// cannot be parsed (logged once; the row is left alone).
func (b *burst) memberStatus(lb *nb.LoadBalancer) *memberStatuses {
	ms, ok := b.statuses[lb.UUID]
	if !ok {
		rs := health.LoadRowStatuses(lb, b.log)
		ms = &memberStatuses{RowStatuses: rs, dirty: rs != nil}
		b.statuses[lb.UUID] = ms
	}
	if ms.RowStatuses == nil {
		return nil
	}
	return ms
}

func (ms *memberStatuses) get(id string) (string, bool) { return ms.Get(id) }

func (ms *memberStatuses) set(id, status string) { ms.Set(id, status) }

// writeTo stores the statuses in the row in json.dumps form.
func (ms *memberStatuses) writeTo(lb *nb.LoadBalancer) error { return ms.WriteTo(lb) }

// rowChange is a row whose member statuses a burst changed: the roll-up of
// before and after tells which Octavia statuses changed.
type rowChange struct {
	name          string
	uuid          string
	before, after map[string]string
}

// statusChanges returns the rows whose neutron:member_status the burst
// changed, sorted by UUID.
func (b *burst) statusChanges() []rowChange {
	var out []rowChange
	for _, uuid := range slices.Sorted(maps.Keys(b.statuses)) {
		ms := b.statuses[uuid]
		if ms.RowStatuses == nil || !ms.Changed() {
			continue
		}
		lb := b.t.LB(uuid)
		if lb == nil {
			continue
		}
		before := ms.Before()
		if lb.ExternalIDs[lbdata.KeyMemberStatus] == before[lbdata.KeyMemberStatus] {
			if _, had := before[lbdata.KeyMemberStatus]; had {
				continue
			}
		}
		out = append(out, rowChange{name: lb.Name, uuid: uuid, before: before, after: maps.Clone(lb.ExternalIDs)})
	}
	return out
}
