package health

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// Keys of the NB contract this package reads and writes
// (nb-data-contract.md §4, §11, §14).
const (
	keyVIP               = "neutron:vip"
	keyAdditionalVIPs    = "neutron:additional_vips"
	keyVIPFIP            = "neutron:vip_fip"
	keyAdditionalVIPFIPs = "neutron:additional_vip_fips"
	keyMemberStatus      = "neutron:member_status"
	keyHealthMonitors    = "octavia:healthmonitors"
	keyDeviceOwner       = "neutron:device_owner"
	deviceOwnerPF        = "port_forwarding_plugin"

	// Load_Balancer_Health_Check external_ids.
	KeyHCHealthMonitor = "octavia:healthmonitor"
	KeyHCPoolID        = "octavia:pool_id"
	KeyHCVIP           = "octavia:vip"

	// Logical_Switch_Port external_ids.
	keyLSPNetworkName = "neutron:network_name"
	keyLSPProjectID   = "neutron:project_id"

	poolPrefix     = "pool_"
	listenerPrefix = "listener_"
	disabledSuffix = ":D"
	switchPrefix   = "neutron-"
)

// Member is one entry of a pool value: member_<id>_<ip>:<port>_<subnet>
// (IPv6 unbracketed; SubnetID empty for legacy three-field entries).
type Member struct {
	ID, IP, Port, SubnetID string
}

// parseMembers splits a pool value into its entries. Entries that do not
// follow the grammar are skipped (and reported), never fatal: NB data from
// other writers must not stop the health engine.
func parseMembers(v string) (members []Member, bad []string) {
	if v == "" {
		return nil, nil
	}
	for _, e := range strings.Split(v, ",") {
		if e == "" {
			continue
		}
		m, err := parseMember(e)
		if err != nil {
			bad = append(bad, e)
			continue
		}
		members = append(members, m)
	}
	return members, bad
}

func parseMember(e string) (Member, error) {
	f := strings.Split(e, "_")
	if (len(f) != 3 && len(f) != 4) || f[0] != "member" || f[1] == "" {
		return Member{}, fmt.Errorf("malformed member entry %q", e)
	}
	i := strings.LastIndex(f[2], ":")
	if i <= 0 || i == len(f[2])-1 {
		return Member{}, fmt.Errorf("malformed member address %q", e)
	}
	m := Member{ID: f[1], IP: f[2][:i], Port: f[2][i+1:]}
	if len(f) == 4 {
		m.SubnetID = f[3]
	}
	return m, nil
}

// poolKeyOf returns the key holding pool id on the row ("pool_<id>" first,
// else "pool_<id>:D") and whether one exists.
func poolKeyOf(ext map[string]string, poolID string) (string, bool) {
	k := poolPrefix + poolID
	if _, ok := ext[k]; ok {
		return k, true
	}
	if _, ok := ext[k+disabledSuffix]; ok {
		return k + disabledSuffix, true
	}
	return "", false
}

// isPoolKey reports whether k belongs to the pool family (NB §4: contains
// "pool_", after the listener test).
func isPoolKey(k string) bool {
	return !strings.Contains(k, listenerPrefix) && strings.Contains(k, poolPrefix)
}

// sortedKeys returns the keys of an external_ids map in the order the
// Python IDL hands them out.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listenerPort returns the protocol_port of the first listener (in key
// order) whose value is "<port>:pool_<poolID>", or "".
func listenerPort(ext map[string]string, poolID string) string {
	want := poolPrefix + poolID
	for _, k := range sortedKeys(ext) {
		if !strings.Contains(k, listenerPrefix) {
			continue
		}
		parts := strings.Split(ext[k], ":")
		if len(parts) == 2 && parts[0] != "" && parts[1] == want {
			return parts[0]
		}
	}
	return ""
}

// memberStatuses parses neutron:member_status; an absent or corrupt value
// reads as an empty object (the reference does the same).
func memberStatuses(ext map[string]string) *pyjson.Object {
	raw, ok := ext[keyMemberStatus]
	if !ok || raw == "" {
		return pyjson.NewObject()
	}
	o, err := pyjson.ParseObject(raw)
	if err != nil {
		return pyjson.NewObject()
	}
	return o
}

// statusOf returns the member's recorded status ("" when absent).
func statusOf(ms *pyjson.Object, id string) string {
	v, ok := ms.Get(id)
	if !ok {
		return ""
	}
	s, _ := v.(string)
	return s
}

// setMemberStatuses writes the object back, or removes the key when empty.
func setMemberStatuses(lb *nb.LoadBalancer, ms *pyjson.Object) error {
	if ms.Len() == 0 {
		delete(lb.ExternalIDs, keyMemberStatus)
		return nil
	}
	s, err := pyjson.Marshal(ms)
	if err != nil {
		return fmt.Errorf("encode %s: %w", keyMemberStatus, err)
	}
	lb.ExternalIDs[keyMemberStatus] = s
	return nil
}

// healthMonitorIDs parses octavia:healthmonitors (a JSON array). Corrupt
// values read as empty; non-string elements are kept as they are.
func healthMonitorIDs(ext map[string]string) []any {
	raw, ok := ext[keyHealthMonitors]
	if !ok || raw == "" {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	var ids []any
	if err := d.Decode(&ids); err != nil {
		return nil
	}
	return ids
}

func setHealthMonitorIDs(lb *nb.LoadBalancer, ids []any) error {
	if len(ids) == 0 {
		delete(lb.ExternalIDs, keyHealthMonitors)
		return nil
	}
	s, err := pyjson.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode %s: %w", keyHealthMonitors, err)
	}
	lb.ExternalIDs[keyHealthMonitors] = s
	return nil
}

// vipAddresses returns the addresses an HM gets one LBHC for, in the
// reference's order: VIP, additional VIPs, VIP FIP, additional VIP FIPs.
func vipAddresses(ext map[string]string) []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if v != "" {
			out = append(out, v)
		}
	}
	add(ext[keyVIP])
	for _, v := range splitList(ext[keyAdditionalVIPs]) {
		add(v)
	}
	add(ext[keyVIPFIP])
	for _, v := range splitList(ext[keyAdditionalVIPFIPs]) {
		add(v)
	}
	return out
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// isIPv6 reports whether s parses as an IPv6 (not IPv4-mapped) address.
func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && !a.Is4In6()
}

// bracket returns s in brackets when it is an IPv6 address.
func bracket(s string) string {
	if isIPv6(s) {
		return "[" + s + "]"
	}
	return s
}

// unbracket strips one pair of surrounding brackets.
func unbracket(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// hostPort joins an address and a port, bracketing IPv6.
func hostPort(addr, port string) string {
	return bracket(addr) + ":" + port
}

// sameIP compares two address strings as IPs (so that differently written
// IPv6 forms match), falling back to string equality.
func sameIP(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := netip.ParseAddr(unbracket(a))
	y, err2 := netip.ParseAddr(unbracket(b))
	return err1 == nil && err2 == nil && x == y
}

// lspHasIP reports whether one of the tokens of the LSP's addresses is ip.
func lspHasIP(lsp *nb.LogicalSwitchPort, ip string) bool {
	for _, a := range lsp.Addresses {
		for _, tok := range strings.Fields(a) {
			if sameIP(tok, ip) {
				return true
			}
		}
	}
	return false
}

// switchName returns neutron-<id> without doubling the prefix.
func switchName(netID string) string {
	if strings.HasPrefix(netID, switchPrefix) {
		return netID
	}
	return switchPrefix + netID
}

// isForeign reports rows written by Neutron's port forwarding, which the
// provider never touches.
func isForeign(lb *nb.LoadBalancer) bool {
	return lb.ExternalIDs[keyDeviceOwner] == deviceOwnerPF
}
