package lbdata

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Member is one entry of a pool value (nb-data-contract §5):
//
//	member_<id>_<ip>:<port>_<subnet_id>
//
// IP is kept exactly as Octavia supplied it (IPv6 unbracketed).
type Member struct {
	ID       string
	IP       string
	Port     string // decimal
	SubnetID string
	// Legacy marks a three-field entry without subnet written by very old
	// releases; Entry reproduces it so exact-string removal still works.
	Legacy bool
}

// Entry returns the member entry string. A four-field entry with an empty
// SubnetID ends in "_", as the reference writes it.
func (m Member) Entry() string {
	e := PrefixMember + m.ID + "_" + m.IP + ":" + m.Port
	if m.Legacy {
		return e
	}
	return e + "_" + m.SubnetID
}

// Endpoint returns the backend as it appears in vips: "<ip>:<port>" or
// "[<ip6>]:<port>".
func (m Member) Endpoint() string {
	return JoinIPPort(m.IP, m.Port)
}

// NewMember builds a Member from Octavia's values, validating them so the
// resulting entry parses back: the id must not contain "_" or ",", the
// address must be an IP, the port 1–65535 (Octavia's range).
func NewMember(id, ip string, port int, subnetID string) (Member, error) {
	m := Member{ID: id, IP: ip, Port: strconv.Itoa(port), SubnetID: subnetID}
	if port < 1 || port > 65535 {
		return Member{}, fmt.Errorf("member %s: port %d out of range", id, port)
	}
	if strings.ContainsAny(subnetID, "_,") {
		return Member{}, fmt.Errorf("member %s: subnet id %q contains '_' or ','", id, subnetID)
	}
	if err := m.validate(); err != nil {
		return Member{}, fmt.Errorf("member %s: %w", id, err)
	}
	return m, nil
}

func (m Member) validate() error {
	if m.ID == "" {
		return errors.New("empty member id")
	}
	if strings.ContainsAny(m.ID, "_,") {
		return fmt.Errorf("member id %q contains '_' or ','", m.ID)
	}
	if _, err := ParseIP(m.IP); err != nil {
		return fmt.Errorf("member address: %w", err)
	}
	return validPort(m.Port)
}

// ParseMemberEntry parses one member entry: split on "_" into "member",
// id, "ip:port" and subnet, the address split at its last ":". Legacy
// three-field entries (no subnet) are accepted with Legacy set. The address
// must be an IP and the port decimal; the subnet may be empty.
func ParseMemberEntry(s string) (Member, error) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 && len(parts) != 4 {
		return Member{}, fmt.Errorf("member entry %q: want member_<id>_<ip>:<port>_<subnet>", s)
	}
	if parts[0] != "member" {
		return Member{}, fmt.Errorf("member entry %q does not start with %q", s, PrefixMember)
	}
	i := strings.LastIndexByte(parts[2], ':')
	if i < 0 {
		return Member{}, fmt.Errorf("member entry %q: %q is not <ip>:<port>", s, parts[2])
	}
	m := Member{ID: parts[1], IP: parts[2][:i], Port: parts[2][i+1:]}
	if len(parts) == 4 {
		m.SubnetID = parts[3]
	} else {
		m.Legacy = true
	}
	if strings.Contains(s, ",") {
		return Member{}, fmt.Errorf("member entry %q contains ','", s)
	}
	if err := m.validate(); err != nil {
		return Member{}, fmt.Errorf("member entry %q: %w", s, err)
	}
	return m, nil
}

// MemberIDOfEntry returns the id of an entry the way the status roll-up
// takes it: the second "_" field, without validating the rest.
func MemberIDOfEntry(entry string) (string, bool) {
	parts := strings.SplitN(entry, "_", 3)
	if len(parts) < 2 || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// PoolEntries splits a pool value into its entry strings; "" gives nil.
func PoolEntries(v string) []string {
	return SplitList(v)
}

// ParsePoolValue parses a pool value. The empty string is a pool without
// members (nil, nil). Corrupt entries are skipped: the result holds every
// entry that parses, in order, and the error (non-nil when any entry was
// skipped) lists the others.
func ParsePoolValue(v string) ([]Member, error) {
	var (
		out  []Member
		errs []error
	)
	for _, e := range PoolEntries(v) {
		m, err := ParseMemberEntry(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, m)
	}
	return out, errors.Join(errs...)
}

// FormatPoolValue joins the members' entries with "," (no spaces).
func FormatPoolValue(members []Member) string {
	entries := make([]string, len(members))
	for i, m := range members {
		entries[i] = m.Entry()
	}
	return strings.Join(entries, ",")
}

// PoolHasEntry reports whether the pool value holds exactly this entry
// string (members are identified by the whole entry, §5).
func PoolHasEntry(v, entry string) bool {
	for _, e := range PoolEntries(v) {
		if e == entry {
			return true
		}
	}
	return false
}

// PoolAddEntry appends entry to a pool value unless the identical string is
// already present; added reports whether it was appended.
func PoolAddEntry(v, entry string) (string, bool) {
	if PoolHasEntry(v, entry) {
		return v, false
	}
	if v == "" {
		return entry, true
	}
	return v + "," + entry, true
}

// PoolRemoveEntry removes the first entry identical to entry; removed
// reports whether one was found. Removing the last entry gives "".
func PoolRemoveEntry(v, entry string) (string, bool) {
	entries := PoolEntries(v)
	for i, e := range entries {
		if e == entry {
			return strings.Join(append(entries[:i:i], entries[i+1:]...), ","), true
		}
	}
	return v, false
}
