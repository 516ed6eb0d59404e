package lbdata

import (
	"strings"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// AdminStates answers the admin_state_up questions of the roll-up, usually
// from one get-socket read of the LB with per-object reads as fallback
// (events-and-status §7). Ids are passed exactly as taken from the row, so
// an id of a disabled key ends in ":D"; Octavia does not know such an id
// and the lookup must return false (the object is then reported OFFLINE).
type AdminStates interface {
	LBAdminUp() bool
	PoolAdminUp(id string) bool
	ListenerAdminUp(id string) bool
}

// RollUp computes the operating status of one row and everything on it
// (events-and-status §7). Corrupt values are tolerated as RollUpChecked
// describes; use that variant to log them.
func RollUp(name string, ext map[string]string, admin AdminStates) octavia.Status {
	st, _ := RollUpChecked(name, ext, admin)
	return st
}

// RollUpChecked computes the roll-up of one row named name (the LB id):
//
//   - members: one entry per neutron:member_status item, in JSON order;
//   - pools: one per pool-family key in sorted key order, id = second "_"
//     field (":D" kept, Octavia strips it on send);
//   - listeners: one per listener-family key in sorted key order;
//   - the LB.
//
// Every entry has provisioning status ACTIVE. A corrupt member status is
// treated as {} and reported; member entries are only split for their id,
// so entries that do not fully parse still count as in the reference.
// The lists are present even when empty.
func RollUpChecked(name string, ext map[string]string, admin AdminStates) (octavia.Status, []*CorruptValueError) {
	var warns []*CorruptValueError
	ms, w := MemberStatusFrom(ext)
	if w != nil {
		warns = append(warns, w)
	}

	st := octavia.Status{
		Listeners: []octavia.StatusEntry{},
		Pools:     []octavia.StatusEntry{},
		Members:   []octavia.StatusEntry{},
	}
	for _, id := range ms.IDs() {
		s, _ := ms.Get(id)
		st.Members = append(st.Members, active(id, s))
	}

	keys := sortedKeys(ext)
	poolStatus := map[string]string{}
	for _, k := range keys {
		if !IsPoolKey(k) {
			continue
		}
		pid := IDFromKey(k)
		s := poolOperating(ext[k], ms, admin.PoolAdminUp(pid))
		poolStatus[pid] = s
		st.Pools = append(st.Pools, active(pid, s))
	}

	var anyError, anyDegraded bool
	for _, k := range keys {
		if !IsListenerKey(k) {
			continue
		}
		lid := IDFromKey(k)
		s := octavia.OperatingOffline
		if admin.ListenerAdminUp(lid) {
			s = listenerOperating(ext[k], poolStatus)
		}
		anyError = anyError || s == octavia.OperatingError
		anyDegraded = anyDegraded || s == octavia.OperatingDegraded
		st.Listeners = append(st.Listeners, active(lid, s))
	}

	lb := octavia.OperatingOnline
	switch {
	case !admin.LBAdminUp():
		lb = octavia.OperatingOffline
	case anyError:
		lb = octavia.OperatingError
	case anyDegraded:
		lb = octavia.OperatingDegraded
	}
	st.LoadBalancers = []octavia.StatusEntry{active(name, lb)}
	return st, warns
}

func active(id, operating string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: octavia.ProvisioningActive, OperatingStatus: operating}
}

// poolOperating applies step 3 of the roll-up to one pool value.
func poolOperating(value string, ms *MemberStatus, adminUp bool) string {
	if !adminUp || ms.Len() == 0 {
		return octavia.OperatingOffline
	}
	members, errors := 0, 0
	for _, e := range PoolEntries(value) {
		id, ok := MemberIDOfEntry(e)
		if !ok {
			continue
		}
		members++
		if s, ok := ms.Get(id); ok && s == octavia.OperatingError {
			errors++
		}
	}
	switch {
	case members > 0 && errors == members:
		return octavia.OperatingError
	case errors > 0:
		return octavia.OperatingDegraded
	default:
		return octavia.OperatingOnline
	}
}

// listenerOperating applies step 4 to an enabled listener: its pools are
// the text after the first "_" of each comma part containing "pool_"
// ("80:pool_X" → "X", the quirk "80:pool_X:D" → "X:D"); a pool unknown
// on the row counts as ONLINE.
func listenerOperating(value string, poolStatus map[string]string) string {
	var anyError, anyDegraded bool
	for _, part := range strings.Split(value, ",") {
		if !strings.Contains(part, PrefixPool) {
			continue
		}
		_, pid, _ := strings.Cut(part, "_")
		switch poolStatus[pid] {
		case octavia.OperatingError:
			anyError = true
		case octavia.OperatingDegraded:
			anyDegraded = true
		}
	}
	switch {
	case anyError:
		return octavia.OperatingError
	case anyDegraded:
		return octavia.OperatingDegraded
	default:
		return octavia.OperatingOnline
	}
}
