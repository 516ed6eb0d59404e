package octavia

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// Provisioning status values the provider reports.
const (
	ProvisioningActive  = "ACTIVE"
	ProvisioningDeleted = "DELETED"
	ProvisioningError   = "ERROR"
)

// Operating status values the provider reports.
const (
	OperatingOnline    = "ONLINE"
	OperatingOffline   = "OFFLINE"
	OperatingDegraded  = "DEGRADED"
	OperatingError     = "ERROR"
	OperatingNoMonitor = "NO_MONITOR"
)

// DisabledSuffix marks a disabled listener/pool key in NB external_ids; ids
// taken from such keys carry it and it is stripped before sending.
const DisabledSuffix = ":D"

// StatusEntry is one record of a status list. An empty ProvisioningStatus or
// OperatingStatus is omitted from the message.
type StatusEntry struct {
	ID                 string
	ProvisioningStatus string
	OperatingStatus    string
}

// Status is the dict sent to the driver agent's status socket
// (update_loadbalancer_status). A nil list is absent from the message; a
// non-nil empty list is sent as [] (LB delete sends "listeners": [] etc.).
type Status struct {
	LoadBalancers  []StatusEntry
	Listeners      []StatusEntry
	Pools          []StatusEntry
	Members        []StatusEntry
	HealthMonitors []StatusEntry
	L7Policies     []StatusEntry
	L7Rules        []StatusEntry
}

// Kind names one list of the status dict by its wire key.
type Kind string

// The kinds in the fixed order in which Marshal emits them.
const (
	KindLoadBalancers  Kind = "loadbalancers"
	KindListeners      Kind = "listeners"
	KindPools          Kind = "pools"
	KindMembers        Kind = "members"
	KindHealthMonitors Kind = "healthmonitors"
	KindL7Policies     Kind = "l7policies"
	KindL7Rules        Kind = "l7rules"
)

// Kinds returns every kind in wire order.
func Kinds() []Kind {
	return []Kind{KindLoadBalancers, KindListeners, KindPools, KindMembers,
		KindHealthMonitors, KindL7Policies, KindL7Rules}
}

// list returns a pointer to the list of kind k, nil for an unknown kind.
func (s *Status) list(k Kind) *[]StatusEntry {
	switch k {
	case KindLoadBalancers:
		return &s.LoadBalancers
	case KindListeners:
		return &s.Listeners
	case KindPools:
		return &s.Pools
	case KindMembers:
		return &s.Members
	case KindHealthMonitors:
		return &s.HealthMonitors
	case KindL7Policies:
		return &s.L7Policies
	case KindL7Rules:
		return &s.L7Rules
	}
	return nil
}

// List returns the list of kind k (nil when absent or k is unknown).
func (s *Status) List(k Kind) []StatusEntry {
	if l := s.list(k); l != nil {
		return *l
	}
	return nil
}

// Add appends entries to the list of kind k, making it present.
func (s *Status) Add(k Kind, e ...StatusEntry) {
	l := s.list(k)
	if l == nil {
		return
	}
	if *l == nil {
		*l = make([]StatusEntry, 0, len(e))
	}
	*l = append(*l, e...)
}

// Touch makes the list of kind k present (empty if it was absent).
func (s *Status) Touch(k Kind) {
	if l := s.list(k); l != nil && *l == nil {
		*l = []StatusEntry{}
	}
}

// IsEmpty reports whether no list is present.
func (s *Status) IsEmpty() bool {
	for _, k := range Kinds() {
		if s.List(k) != nil {
			return false
		}
	}
	return true
}

// Len returns the number of entries over all lists.
func (s *Status) Len() int {
	n := 0
	for _, k := range Kinds() {
		n += len(s.List(k))
	}
	return n
}

// Clone returns a deep copy (presence of empty lists kept).
func (s Status) Clone() Status {
	var out Status
	for _, k := range Kinds() {
		if l := s.List(k); l != nil {
			*out.list(k) = append([]StatusEntry{}, l...)
		}
	}
	return out
}

// Merge appends other's lists to s key by key; a list present in either is
// present in the result.
func (s *Status) Merge(other Status) {
	for _, k := range Kinds() {
		if l := other.List(k); l != nil {
			s.Add(k, l...)
		}
	}
}

// MergeLatest merges newer statuses into s, coalescing by (kind, id): an
// entry for an id already listed updates that entry in place instead of
// being appended. Field by field, a non-empty newer value replaces the
// older one and an empty one keeps it: a newer operating-only update must
// not drop a provisioning status still owed to Octavia (an object stays
// PENDING_* until it receives one). Duplicates within s are coalesced too.
func (s *Status) MergeLatest(newer Status) {
	for _, k := range Kinds() {
		old, nw := s.List(k), newer.List(k)
		if old == nil && nw == nil {
			continue
		}
		merged := make([]StatusEntry, 0, len(old)+len(nw))
		pos := make(map[string]int, len(old)+len(nw))
		for _, e := range append(append([]StatusEntry{}, old...), nw...) {
			i, seen := pos[e.ID]
			if !seen {
				pos[e.ID] = len(merged)
				merged = append(merged, e)
				continue
			}
			if e.ProvisioningStatus != "" {
				merged[i].ProvisioningStatus = e.ProvisioningStatus
			}
			if e.OperatingStatus != "" {
				merged[i].OperatingStatus = e.OperatingStatus
			}
		}
		*s.list(k) = merged
	}
}

// StripDisabledSuffix returns a copy of s with a trailing ":D" removed from
// every string of every entry, as the reference does before sending.
func (s Status) StripDisabledSuffix() Status {
	out := s.Clone()
	for _, k := range Kinds() {
		l := out.List(k)
		for i := range l {
			l[i].ID = strings.TrimSuffix(l[i].ID, DisabledSuffix)
			l[i].ProvisioningStatus = strings.TrimSuffix(l[i].ProvisioningStatus, DisabledSuffix)
			l[i].OperatingStatus = strings.TrimSuffix(l[i].OperatingStatus, DisabledSuffix)
		}
	}
	return out
}

// Encode renders the wire message in Python json.dumps style (", " and
// ": " separators, non-ASCII escaped), lists in Kinds() order, entries as
// {"id", "provisioning_status", "operating_status"}, with ":D" stripped.
// Octavia applies the lists in its own fixed order, so the key order is ours
// to choose; a fixed one makes messages comparable byte for byte.
func (s Status) Encode() []byte {
	s = s.StripDisabledSuffix()
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, k := range Kinds() {
		l := s.List(k)
		if l == nil {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		writePyString(&b, string(k))
		b.WriteString(": [")
		for i, e := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`{"id": `)
			writePyString(&b, e.ID)
			if e.ProvisioningStatus != "" {
				b.WriteString(`, "provisioning_status": `)
				writePyString(&b, e.ProvisioningStatus)
			}
			if e.OperatingStatus != "" {
				b.WriteString(`, "operating_status": `)
				writePyString(&b, e.OperatingStatus)
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes()
}

// MarshalJSON returns Encode's bytes. Note that encoding/json compacts the
// output of MarshalJSON methods (the separators lose their spaces); the
// wire format is Encode's.
func (s Status) MarshalJSON() ([]byte, error) {
	return s.Encode(), nil
}

// UnmarshalJSON decodes a status message. Unknown keys are ignored; a list
// given as null counts as absent.
func (s *Status) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("status message: %w", err)
	}
	var out Status
	for _, k := range Kinds() {
		r, ok := raw[string(k)]
		if !ok {
			continue
		}
		var entries []struct {
			ID                 string `json:"id"`
			ProvisioningStatus string `json:"provisioning_status"`
			OperatingStatus    string `json:"operating_status"`
		}
		if err := json.Unmarshal(r, &entries); err != nil {
			return fmt.Errorf("status message: %s: %w", k, err)
		}
		if entries == nil {
			continue
		}
		l := make([]StatusEntry, 0, len(entries))
		for _, e := range entries {
			l = append(l, StatusEntry(e))
		}
		*out.list(k) = l
	}
	*s = out
	return nil
}

// String renders the wire message, for logs.
func (s Status) String() string {
	return string(s.Encode())
}

// writePyString writes s as a JSON string the way Python's json.dumps does
// with its defaults (ensure_ascii), which is pyjson.Quote: the one encoder
// of that format in the code base.
func writePyString(b *bytes.Buffer, s string) {
	b.WriteString(pyjson.Quote(s))
}

// QuotePython returns s as a JSON string literal in Python json.dumps style
// (pyjson.Quote), for hand-built messages.
func QuotePython(s string) string {
	return pyjson.Quote(s)
}
