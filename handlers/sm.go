package handlers

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// smKey is what a Service_Monitor row matches on an LB row
// (nb-data-contract §15): the ip_port_mappings key (member IP, bracketed
// when IPv6), its exact value `<logical_port>:<src_ip>` (src bracketed when
// IPv6) and the protocol.
type smKey struct {
	ip, value, protocol string
}

func bracketIPv6(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		return "[" + ip + "]"
	}
	return ip
}

func smKeyOf(sm *sb.ServiceMonitor) smKey {
	proto := sb.ServiceMonitorProtocolTCP // ovn-northd's default for an empty protocol
	if sm.Protocol != nil && *sm.Protocol != "" {
		proto = *sm.Protocol
	}
	return smKey{
		ip:       bracketIPv6(sm.IP),
		value:    sm.LogicalPort + ":" + bracketIPv6(sm.SrcIP),
		protocol: proto,
	}
}

// smMemberStatus maps a Service_Monitor change to the member status written
// (events-and-status §6 step 2).
func smMemberStatus(sm *sb.ServiceMonitor, deleted bool) string {
	switch {
	case deleted:
		return octavia.OperatingOffline
	case sm.Status != nil && *sm.Status == sb.ServiceMonitorStatusOffline:
		return octavia.OperatingError
	default:
		return octavia.OperatingOnline
	}
}

// buildSMIndex indexes every LB row by the Service_Monitor keys its
// ip_port_mappings can match, once per burst.
func (b *burst) buildSMIndex() {
	b.smIndex = map[smKey][]string{}
	b.t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		if len(lb.IPPortMappings) == 0 {
			return true
		}
		proto := ""
		if lb.Protocol != nil {
			proto = *lb.Protocol
		}
		for k, v := range lb.IPPortMappings {
			key := smKey{ip: k, value: v, protocol: proto}
			b.smIndex[key] = append(b.smIndex[key], lb.UUID)
		}
		return true
	})
	for k := range b.smIndex {
		slices.Sort(b.smIndex[k])
	}
}

// serviceMonitor is hm_update_event (events-and-status §6): the member the
// monitor probes gets its new status in neutron:member_status of every
// matching row. The roll-up and the status message follow per burst.
func (b *burst) serviceMonitor(sm *sb.ServiceMonitor, deleted bool) {
	if b.smIndex == nil {
		b.buildSMIndex()
	}
	rows := b.smIndex[smKeyOf(sm)]
	if len(rows) == 0 {
		return
	}
	status := smMemberStatus(sm, deleted)
	port := strconv.Itoa(sm.Port)
	for _, uuid := range rows {
		lb := b.t.LB(uuid)
		if lb == nil {
			continue
		}
		id, ok := b.memberIndex(lb)[sm.IP+" "+port]
		if !ok {
			b.log.WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "member": sm.IP + ":" + port}).
				Warn("Service_Monitor matches no member of the row, skipped")
			continue
		}
		if ms := b.memberStatus(lb); ms != nil {
			ms.set(id, status)
		}
	}
}

// memberIndex returns (ip + " " + port) -> member id of the row, first entry
// in sorted key order winning. The exact IP and port are compared, not the
// reference's substring test (events-and-status §6 Recommendation).
// Malformed entries are logged with the row and skipped.
func (b *burst) memberIndex(lb *nb.LoadBalancer) map[string]string {
	if idx, ok := b.members[lb.UUID]; ok {
		return idx
	}
	idx := map[string]string{}
	for _, m := range b.poolMembers(lb) {
		k := m.IP + " " + m.Port
		if _, seen := idx[k]; !seen {
			idx[k] = m.ID
		}
	}
	b.members[lb.UUID] = idx
	return idx
}

// poolMembers returns the members of every pool key of the row (enabled or
// disabled), keys in sorted order, entries in pool order. Malformed entries
// are logged with the row and skipped.
func (b *burst) poolMembers(lb *nb.LoadBalancer) []lbdata.Member {
	var out []lbdata.Member
	for _, k := range slices.Sorted(maps.Keys(lb.ExternalIDs)) {
		if !strings.Contains(k, "pool_") || strings.Contains(k, "listener_") {
			continue
		}
		for _, entry := range strings.Split(lb.ExternalIDs[k], ",") {
			if entry == "" {
				continue
			}
			m, err := lbdata.ParseMemberEntry(entry)
			if err != nil {
				b.log.WithError(err).WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "key": k}).
					Warn("malformed member entry skipped")
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

// memberStatuses is a row's parsed neutron:member_status during a burst.
type memberStatuses struct {
	lbName    string
	present   bool   // the key existed
	orig      string // its value before the burst
	obj       *pyjson.Object
	before    map[string]string // the row's external_ids before the burst
	dirty     bool
	corrupted bool
}

// memberStatus returns the row's cached member statuses, nil if the value
// cannot be parsed (logged once; the row is left alone).
func (b *burst) memberStatus(lb *nb.LoadBalancer) *memberStatuses {
	if ms, ok := b.statuses[lb.UUID]; ok {
		if ms.corrupted {
			return nil
		}
		return ms
	}
	raw, present := lb.ExternalIDs[lbdata.KeyMemberStatus]
	ms := &memberStatuses{lbName: lb.Name, present: present, orig: raw, before: maps.Clone(lb.ExternalIDs)}
	b.statuses[lb.UUID] = ms
	if !present || raw == "" {
		ms.obj = pyjson.NewObject()
		return ms
	}
	obj, err := pyjson.ParseObject(raw)
	if err != nil {
		ms.corrupted = true
		b.log.WithError(err).WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID, "value": raw}).
			Error("corrupt neutron:member_status, row skipped")
		return nil
	}
	ms.obj = obj
	return ms
}

func (ms *memberStatuses) get(id string) (string, bool) {
	v, ok := ms.obj.Get(id)
	if !ok {
		return "", false
	}
	s, _ := v.(string)
	return s, true
}

func (ms *memberStatuses) set(id, status string) {
	if cur, ok := ms.get(id); ok && cur == status {
		return
	}
	ms.obj.Set(id, status)
	ms.dirty = true
}

// writeTo stores the statuses in the row in json.dumps form.
func (ms *memberStatuses) writeTo(lb *nb.LoadBalancer) error {
	s, err := pyjson.Marshal(ms.obj)
	if err != nil {
		return fmt.Errorf("encode neutron:member_status: %w", err)
	}
	if ms.present && s == ms.orig {
		return nil
	}
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
	lb.ExternalIDs[lbdata.KeyMemberStatus] = s
	return nil
}

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
		if !ms.dirty {
			continue
		}
		lb := b.t.LB(uuid)
		if lb == nil {
			continue
		}
		if ms.present && lb.ExternalIDs[lbdata.KeyMemberStatus] == ms.orig {
			continue
		}
		out = append(out, rowChange{name: lb.Name, uuid: uuid, before: ms.before, after: maps.Clone(lb.ExternalIDs)})
	}
	return out
}
