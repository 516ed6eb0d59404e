package health

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// This file is the status engine's write side (events-and-status §6, §8):
// Service_Monitor results into neutron:member_status. It is the one
// implementation, used by the agent's handlers (through RowCache, so that a
// burst shares its caches with the resync) and by ApplyServiceMonitors.
//
// It is built for storms: 5,000 monitors of one pool flipping in one SB
// transaction cost one index of the rows, one member index and one parse
// of neutron:member_status per row, and one encoding per row per Txn
// (Flush), not one per event.

// MonitorKey is what a Service_Monitor row matches on an LB row
// (nb-data-contract §15): the ip_port_mappings key (member IP, bracketed
// when IPv6), its exact value `<logical_port>:<src_ip>` (src bracketed when
// IPv6) and the LB protocol.
type MonitorKey struct {
	IP, Value, Protocol string
}

// MonitorKeyOf returns the key a Service_Monitor row matches. An empty
// protocol counts as tcp, ovn-northd's default.
func MonitorKeyOf(sm *sb.ServiceMonitor) MonitorKey {
	k, v := mappingOf(sm)
	return MonitorKey{IP: k, Value: v, Protocol: smProtocol(sm)}
}

// ProbeStatus is the member status a Service_Monitor event writes
// (events-and-status §6 step 2): deleted -> OFFLINE, status offline ->
// ERROR, online/error/empty -> ONLINE.
func ProbeStatus(sm *sb.ServiceMonitor, deleted bool) string {
	switch {
	case deleted:
		return octavia.OperatingOffline
	case sm.Status != nil && *sm.Status == sb.ServiceMonitorStatusOffline:
		return octavia.OperatingError
	default:
		return octavia.OperatingOnline
	}
}

// IndexMonitoredRows indexes the provider's LB rows of t by the
// Service_Monitor keys their ip_port_mappings can match; each list is
// sorted by UUID. One pass per Txn makes every event a map lookup. Foreign
// rows (Neutron port forwarding, NB §3.3) are never written and not indexed.
func IndexMonitoredRows(t *nbtxn.Txn) map[MonitorKey][]string {
	// Sized up front: growing it key by key rehashed a 5,000-mapping
	// index a dozen times.
	size := 0
	t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		size += len(lb.IPPortMappings)
		return true
	})
	index := make(map[MonitorKey][]string, size)
	t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		if len(lb.IPPortMappings) == 0 || lbdata.IsForeignRow(lb.ExternalIDs) {
			return true
		}
		proto := ""
		if lb.Protocol != nil {
			proto = *lb.Protocol
		}
		for k, v := range lb.IPPortMappings {
			key := MonitorKey{IP: k, Value: v, Protocol: proto}
			index[key] = append(index[key], lb.UUID)
		}
		return true
	})
	for _, uuids := range index {
		slices.Sort(uuids)
	}
	return index
}

// Endpoint is the member index key of an address and port. IP addresses
// are compared in canonical form, so "fd00:0::5" and "fd00::5" are the same
// member; text that is no address is compared as is.
func Endpoint(ip string, port string) string {
	// Text without ':' is no IPv6 address, and a valid IPv4 address is
	// its own canonical form: only IPv6 needs parsing (5,000 members and
	// events per storm).
	if strings.Contains(ip, ":") {
		if a, err := lbdata.ParseIP(ip); err == nil {
			ip = a.String()
		}
	}
	return ip + " " + port
}

// MemberIndex returns Endpoint(ip, port) -> member id for the member
// entries of every pool key of the row (both key forms), keys in sorted
// order and entries in pool order, the first entry winning: the spec's
// exact match (events-and-status §6 Recommendation), where the reference's
// substring test can pick 10.0.0.10:8080 for 10.0.0.1:80. Malformed entries
// are logged with the row and skipped.
func MemberIndex(lb *nb.LoadBalancer, log *logrus.Entry) map[string]string {
	idx := map[string]string{}
	for m := range PoolMembers(lb, log) {
		if key := Endpoint(m.IP, m.Port); idx[key] == "" {
			idx[key] = m.ID
		}
	}
	return idx
}

// PoolMembers yields the members of every pool key of the row (both key
// forms, enabled or disabled), keys in sorted order and entries in pool
// order. Malformed entries are logged with the row and skipped. It is a
// sequence, not a slice, so that MemberIndex builds a 5,000-member index
// without an intermediate copy.
func PoolMembers(lb *nb.LoadBalancer, log *logrus.Entry) iter.Seq[lbdata.Member] {
	return func(yield func(lbdata.Member) bool) {
		for _, k := range slices.Sorted(maps.Keys(lb.ExternalIDs)) {
			if !lbdata.IsPoolKey(k) {
				continue
			}
			for _, entry := range strings.Split(lb.ExternalIDs[k], ",") {
				if entry == "" {
					continue
				}
				m, err := lbdata.ParseMemberEntry(entry)
				if err != nil {
					log.WithError(err).WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "key": k}).
						Warn("malformed member entry skipped")
					continue
				}
				if !yield(m) {
					return
				}
			}
		}
	}
}

// RowStatuses is one row's neutron:member_status during a Txn: parsed once,
// changed in memory, encoded once by WriteTo.
type RowStatuses struct {
	present bool   // the key existed
	orig    string // its value when loaded
	obj     *pyjson.Object
	before  map[string]string // the row's external_ids when loaded
	changed bool
}

// LoadRowStatuses parses the row's neutron:member_status (absent or empty
// is {}) and snapshots its external_ids. A value that does not parse is
// logged and nil returned: the row is left alone.
func LoadRowStatuses(lb *nb.LoadBalancer, log *logrus.Entry) *RowStatuses {
	raw, present := lb.ExternalIDs[lbdata.KeyMemberStatus]
	rs := &RowStatuses{present: present, orig: raw, before: maps.Clone(lb.ExternalIDs)}
	if !present || raw == "" {
		rs.obj = pyjson.NewObject()
		return rs
	}
	obj, err := pyjson.ParseObject(raw)
	if err != nil {
		log.WithError(err).WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "value": raw}).
			Error("corrupt neutron:member_status, row skipped")
		return nil
	}
	rs.obj = obj
	return rs
}

// Get returns a member's status; a non-string value reads as "".
func (rs *RowStatuses) Get(id string) (string, bool) {
	v, ok := rs.obj.Get(id)
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	return s, true
}

// Set records a member's status and reports whether it changed.
func (rs *RowStatuses) Set(id, status string) bool {
	if cur, ok := rs.obj.Get(id); ok && cur == status {
		return false
	}
	rs.obj.Set(id, status)
	rs.changed = true
	return true
}

// Changed reports whether Set changed anything since LoadRowStatuses.
func (rs *RowStatuses) Changed() bool { return rs.changed }

// Before returns the row's external_ids as they were when loaded (the
// "before" of the status roll-up).
func (rs *RowStatuses) Before() map[string]string { return rs.before }

// WriteTo stores the statuses in lb in json.dumps form; an unchanged value
// is not rewritten.
func (rs *RowStatuses) WriteTo(lb *nb.LoadBalancer) error {
	if !rs.changed {
		return nil
	}
	s, err := pyjson.Marshal(rs.obj)
	if err != nil {
		return fmt.Errorf("encode neutron:member_status: %w", err)
	}
	if rs.present && s == rs.orig {
		return nil
	}
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
	lb.ExternalIDs[lbdata.KeyMemberStatus] = s
	return nil
}

// RowCache is the per-Txn state the engine works on: a Txn's rows with
// their member index and member statuses, each built at most once. Batch
// implements it; the agent's burst implements it over the caches it shares
// with the full resync.
type RowCache interface {
	// LB returns the Txn's working copy of a row, nil if it is gone.
	LB(uuid string) *nb.LoadBalancer
	// MonitorIndex returns IndexMonitoredRows of the Txn.
	MonitorIndex() map[MonitorKey][]string
	// MemberIndex returns MemberIndex of the row.
	MemberIndex(lb *nb.LoadBalancer) map[string]string
	// Statuses returns the row's RowStatuses, nil when its value is corrupt.
	Statuses(lb *nb.LoadBalancer) *RowStatuses
}

// ApplyServiceMonitor is hm_update_event (events-and-status §6) for one
// event: the rows whose protocol and ip_port_mappings match the monitor
// exactly (NB §15) get ProbeStatus for the first member entry at the
// monitor's exact address and port. It returns the UUIDs of the rows that
// had such a member (written or already at that status). A row without
// such a member is logged and skipped; an event matching no row is
// ignored, as in the reference.
func ApplyServiceMonitor(c RowCache, log *logrus.Entry, sm *sb.ServiceMonitor, deleted bool) []string {
	rows := c.MonitorIndex()[MonitorKeyOf(sm)]
	if len(rows) == 0 {
		return nil
	}
	status := ProbeStatus(sm, deleted)
	port := strconv.Itoa(sm.Port)
	endpoint := Endpoint(sm.IP, port)
	var matched []string
	for _, uuid := range rows {
		lb := c.LB(uuid)
		if lb == nil {
			continue
		}
		id, ok := c.MemberIndex(lb)[endpoint]
		if !ok {
			log.WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "member": sm.IP + ":" + port}).
				Warn("Service_Monitor matches no member of the row, skipped")
			continue
		}
		rs := c.Statuses(lb)
		if rs == nil {
			continue
		}
		rs.Set(id, status)
		matched = append(matched, uuid)
	}
	return matched
}

// Batch is a RowCache of its own for one Txn: NewBatch, Apply every event,
// Flush before the Txn function returns.
type Batch struct {
	t        *nbtxn.Txn
	log      *logrus.Entry
	index    map[MonitorKey][]string
	members  map[string]map[string]string
	statuses map[string]*RowStatuses
	corrupt  map[string]bool
	matched  map[string]bool
}

// NewBatch returns an empty Batch over t.
func NewBatch(t *nbtxn.Txn, log *logrus.Entry) *Batch {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Batch{t: t, log: log, members: map[string]map[string]string{},
		statuses: map[string]*RowStatuses{}, corrupt: map[string]bool{}, matched: map[string]bool{}}
}

// LB implements RowCache.
func (x *Batch) LB(uuid string) *nb.LoadBalancer { return x.t.LB(uuid) }

// MonitorIndex implements RowCache.
func (x *Batch) MonitorIndex() map[MonitorKey][]string {
	if x.index == nil {
		x.index = IndexMonitoredRows(x.t)
	}
	return x.index
}

// MemberIndex implements RowCache.
func (x *Batch) MemberIndex(lb *nb.LoadBalancer) map[string]string {
	idx, ok := x.members[lb.UUID]
	if !ok {
		idx = MemberIndex(lb, x.log)
		x.members[lb.UUID] = idx
	}
	return idx
}

// Statuses implements RowCache.
func (x *Batch) Statuses(lb *nb.LoadBalancer) *RowStatuses {
	if rs, ok := x.statuses[lb.UUID]; ok || x.corrupt[lb.UUID] {
		return rs
	}
	rs := LoadRowStatuses(lb, x.log)
	if rs == nil {
		x.corrupt[lb.UUID] = true
		return nil
	}
	x.statuses[lb.UUID] = rs
	return rs
}

// Apply applies one event (ApplyServiceMonitor).
func (x *Batch) Apply(sm *sb.ServiceMonitor, deleted bool) {
	for _, uuid := range ApplyServiceMonitor(x, x.log, sm, deleted) {
		x.matched[uuid] = true
	}
}

// Matched returns the UUIDs of the rows events matched, sorted.
func (x *Batch) Matched() []string {
	return slices.Sorted(maps.Keys(x.matched))
}

// Flush writes the changed member statuses into the Txn's rows.
func (x *Batch) Flush() error {
	for _, uuid := range slices.Sorted(maps.Keys(x.statuses)) {
		lb := x.t.LB(uuid)
		if lb == nil {
			continue
		}
		if err := x.statuses[uuid].WriteTo(lb); err != nil {
			return fmt.Errorf("LB %s (%s): %w", lb.Name, uuid, err)
		}
	}
	return nil
}
