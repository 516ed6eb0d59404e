package lbdata

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// MemberStatus is the parsed neutron:member_status value: member id →
// Octavia operating status, in JSON order (events-and-status §8). The zero
// value is empty and ready to use.
type MemberStatus struct {
	ids    []string
	status map[string]string
}

// ParseMemberStatus parses a neutron:member_status value; every status
// must be a string. On error it returns an empty MemberStatus and the error.
func ParseMemberStatus(s string) (*MemberStatus, error) {
	ms := &MemberStatus{}
	o, err := pyjson.ParseObject(s)
	if err != nil {
		return ms, fmt.Errorf("member status: %w", err)
	}
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		st, ok := v.(string)
		if !ok {
			return &MemberStatus{}, fmt.Errorf("member status of %q: %w", k, errNotString)
		}
		ms.Set(k, st)
	}
	return ms, nil
}

// MemberStatusFrom reads neutron:member_status of a row: absent gives an
// empty MemberStatus and no error; a corrupt value gives an empty one and
// the error (the roll-up and vips treat it as {}).
func MemberStatusFrom(ext map[string]string) (*MemberStatus, *CorruptValueError) {
	v, ok := ext[KeyMemberStatus]
	if !ok {
		return &MemberStatus{}, nil
	}
	ms, err := ParseMemberStatus(v)
	if err != nil {
		return ms, corrupt(KeyMemberStatus, v, err)
	}
	return ms, nil
}

// Get returns the status of a member.
func (ms *MemberStatus) Get(id string) (string, bool) {
	s, ok := ms.status[id]
	return s, ok
}

// Set records a status; an existing member keeps its position.
func (ms *MemberStatus) Set(id, status string) {
	if ms.status == nil {
		ms.status = make(map[string]string)
	}
	if _, ok := ms.status[id]; !ok {
		ms.ids = append(ms.ids, id)
	}
	ms.status[id] = status
}

// Delete removes a member.
func (ms *MemberStatus) Delete(id string) {
	if _, ok := ms.status[id]; !ok {
		return
	}
	delete(ms.status, id)
	if i := slices.Index(ms.ids, id); i >= 0 {
		ms.ids = slices.Delete(ms.ids, i, i+1)
	}
}

// IDs returns the member ids in order.
func (ms *MemberStatus) IDs() []string { return slices.Clone(ms.ids) }

// Len returns the number of members.
func (ms *MemberStatus) Len() int { return len(ms.ids) }

// String returns the Python json.dumps form, e.g.
// {"m1": "ONLINE", "m2": "ERROR"}.
func (ms *MemberStatus) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ms.ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyjson.Quote(id))
		b.WriteString(": ")
		b.WriteString(pyjson.Quote(ms.status[id]))
	}
	b.WriteByte('}')
	return b.String()
}

// Store writes the value into ext, deleting the key when no member is
// left (events-and-status §8).
func (ms *MemberStatus) Store(ext map[string]string) {
	if ms.Len() == 0 {
		delete(ext, KeyMemberStatus)
		return
	}
	ext[KeyMemberStatus] = ms.String()
}

// IsOffline reports whether the member is recorded OFFLINE (disabled): it
// is then left out of vips (nb-data-contract §7).
func (ms *MemberStatus) IsOffline(id string) bool {
	s, ok := ms.Get(id)
	return ok && s == octavia.OperatingOffline
}

// ParseHealthMonitors parses octavia:healthmonitors, a JSON array of HM id
// strings.
func ParseHealthMonitors(s string) ([]string, error) {
	v, err := pyjson.Parse([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("health monitors: %w", err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("health monitors: %s is not a JSON array", s)
	}
	ids := make([]string, 0, len(arr))
	for i, e := range arr {
		id, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("health monitors: element %d: %w", i, errNotString)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// FormatHealthMonitors returns the Python json.dumps form, e.g.
// ["hm1", "hm2"].
func FormatHealthMonitors(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = pyjson.Quote(id)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// HealthMonitorsFrom reads octavia:healthmonitors of a row (absent → nil).
func HealthMonitorsFrom(ext map[string]string) ([]string, error) {
	v, ok := ext[KeyHealthMonitors]
	if !ok {
		return nil, nil
	}
	ids, err := ParseHealthMonitors(v)
	if err != nil {
		return nil, corrupt(KeyHealthMonitors, v, err)
	}
	return ids, nil
}

// AddHealthMonitor appends id to the row's octavia:healthmonitors once.
// A corrupt current value is an error and ext is left unchanged.
func AddHealthMonitor(ext map[string]string, id string) (changed bool, err error) {
	ids, err := HealthMonitorsFrom(ext)
	if err != nil {
		return false, err
	}
	if slices.Contains(ids, id) {
		return false, nil
	}
	ext[KeyHealthMonitors] = FormatHealthMonitors(append(ids, id))
	return true, nil
}

// RemoveHealthMonitor removes id from the row's octavia:healthmonitors,
// deleting the key when the list becomes empty. A corrupt current value is
// an error and ext is left unchanged.
func RemoveHealthMonitor(ext map[string]string, id string) (changed bool, err error) {
	ids, err := HealthMonitorsFrom(ext)
	if err != nil {
		return false, err
	}
	rest := slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == id })
	if len(rest) == len(ids) {
		return false, nil
	}
	if len(rest) == 0 {
		delete(ext, KeyHealthMonitors)
	} else {
		ext[KeyHealthMonitors] = FormatHealthMonitors(rest)
	}
	return true, nil
}

// HasHealthMonitorText reports whether the raw octavia:healthmonitors text
// contains id as a substring: the reference's lookup of an HM's row
// (nb-data-contract §3.2).
func HasHealthMonitorText(ext map[string]string, id string) bool {
	return strings.Contains(ext[KeyHealthMonitors], id)
}
