// Package lbdata is the data contract of the OVN Northbound rows the
// provider owns: the external_ids keys of Load_Balancer and
// Load_Balancer_Health_Check rows, the grammars of their values, the
// computation of the vips column and the Octavia status roll-up of a row
// (spec: nb-data-contract.md, events-and-status.md §6–§8).
//
// Everything here is a pure function over strings and maps: no I/O, no
// logging, no global state. Parsers validate and return errors on corrupt
// values instead of panicking; functions that must tolerate corrupt data the
// way the reference does (ComputeVIPs, RollUp) have a Checked variant that
// also returns what they skipped, so callers can log it with the row.
//
// Maps are read in sorted key order wherever order is observable, because
// the Python OVS IDL hands external_ids out sorted by key.
package lbdata

import (
	"strings"
)

// external_ids keys of a Load_Balancer row (nb-data-contract §4).
const (
	KeyVIP                  = "neutron:vip"
	KeyVIPPortID            = "neutron:vip_port_id"
	KeyEnabled              = "enabled"
	KeyAdditionalVIPs       = "neutron:additional_vips"
	KeyAdditionalVIPPortIDs = "neutron:additional_vip_port_ids"
	KeyVIPFIP               = "neutron:vip_fip"
	KeyAdditionalVIPFIPs    = "neutron:additional_vip_fips"
	KeyLRRef                = "lr_ref"
	KeyLSRefs               = "ls_refs"
	KeyMemberStatus         = "neutron:member_status"
	KeyHealthMonitors       = "octavia:healthmonitors"

	// Keys of foreign rows (port forwarding, nb-data-contract §3.3). Rows
	// whose KeyDeviceOwner is DeviceOwnerPortForwarding are never touched.
	KeyDeviceOwner            = "neutron:device_owner"
	DeviceOwnerPortForwarding = "port_forwarding_plugin"
	KeyFIPID                  = "neutron:fip_id"
	KeyRouterName             = "neutron:router_name"
)

// Prefixes and suffix of the per-object keys and of member entries.
const (
	PrefixListener = "listener_"
	PrefixPool     = "pool_"
	PrefixMember   = "member_"
	// SuffixDisabled marks a disabled listener or pool key (§7).
	SuffixDisabled = ":D"
)

// external_ids keys of a Load_Balancer_Health_Check row (§11).
const (
	KeyHCHealthMonitor = "octavia:healthmonitor"
	KeyHCPoolID        = "octavia:pool_id"
	KeyHCVIP           = "octavia:vip"
)

// Option keys of the Load_Balancer_Health_Check options column (§11) and of
// the Load_Balancer options column (§10).
const (
	HCOptInterval       = "interval"
	HCOptTimeout        = "timeout"
	HCOptSuccessCount   = "success_count"
	HCOptFailureCount   = "failure_count"
	OptAffinityTimeout  = "affinity_timeout"
	DefaultAffinityTime = "360"
)

// Keys the provider reads from Neutron-written rows of other NB tables
// (nb-data-contract §14).
const (
	KeyProvnetPhysicalNetwork = "neutron:provnet-physical-network" // Logical_Switch
	KeyCIDRs                  = "neutron:cidrs"                    // LSP of a router interface
	KeyPortName               = "neutron:port_name"
	KeyPortFIP                = "neutron:port_fip"
	KeyNetworkName            = "neutron:network_name"
	KeyProjectID              = "neutron:project_id"
	KeyGWPortID               = "neutron:gw_port_id" // Logical_Router
	KeyIsExtGW                = "neutron:is_ext_gw"  // Logical_Router_Port
	KeyFIPPortID              = "neutron:fip_port_id"
	OptRouterPort             = "router-port" // LSP options

	DeviceOwnerRouterInterface = "network:router_interface"
	DeviceOwnerRouterGateway   = "network:router_gateway"
	DeviceOwnerHMPort          = "ovn-lb-hm:distributed"
	LSPTypeRouter              = "router"
	HMPortPrefix               = "ovn-lb-hm-"
	VIPPortPrefix              = "ovn-lb-vip-"
	NeutronPrefix              = "neutron-"
	LRPPrefix                  = "lrp-"
)

// Python bool spellings used in external_ids (§16).
const (
	True  = "True"
	False = "False"
)

// FormatBool spells b the Python way: "True" or "False".
func FormatBool(b bool) string {
	if b {
		return True
	}
	return False
}

// Enabled reports whether a row's LB is enabled: only the exact string
// "False" disables, an absent key or any other value means enabled (§4).
func Enabled(ext map[string]string) bool {
	return ext[KeyEnabled] != False
}

// TrueLike parses a boolean the way oslo's strutils.bool_from_string does
// for flags such as neutron:is_ext_gw: "1", "t", "true", "on", "y", "yes"
// in any case, surrounding spaces ignored; anything else is false.
func TrueLike(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "on", "y", "yes":
		return true
	}
	return false
}

// ListenerKey returns listener_<id>, with ":D" appended when disabled.
func ListenerKey(id string, enabled bool) string {
	return withState(PrefixListener+id, enabled)
}

// PoolKey returns pool_<id>, with ":D" appended when disabled.
func PoolKey(id string, enabled bool) string {
	return withState(PrefixPool+id, enabled)
}

func withState(k string, enabled bool) string {
	if enabled {
		return k
	}
	return k + SuffixDisabled
}

// IDFromKey returns the second "_"-separated field of a key or value, as
// the reference extracts ids: "pool_X:D" gives "X:D" (the disabled suffix is
// kept), "listener_X" gives "X". A string without "_" gives "".
func IDFromKey(key string) string {
	parts := strings.SplitN(key, "_", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// IsListenerKey reports whether k belongs to the listener family: it
// contains "listener_" (a substring test, as in the reference).
func IsListenerKey(k string) bool {
	return strings.Contains(k, PrefixListener)
}

// IsPoolKey reports whether k belongs to the pool family: it contains
// "pool_" and is not a listener key (the listener test comes first).
func IsPoolKey(k string) bool {
	return !IsListenerKey(k) && strings.Contains(k, PrefixPool)
}

// IsDisabledKey reports whether k ends in ":D".
func IsDisabledKey(k string) bool {
	return strings.HasSuffix(k, SuffixDisabled)
}

// StripDisabled removes one trailing ":D" (ids from disabled keys carry it
// and it is removed before a status is sent).
func StripDisabled(s string) string {
	return strings.TrimSuffix(s, SuffixDisabled)
}

// RowEmpty reports whether a row has no listener and no pool: no key starts
// with "listener" or "pool" (§3.1, note the prefix test without "_").
func RowEmpty(ext map[string]string) bool {
	for k := range ext {
		if strings.HasPrefix(k, "listener") || strings.HasPrefix(k, "pool") {
			return false
		}
	}
	return true
}

// IsForeignRow reports whether a row was written by Neutron's port
// forwarding and must not be modified or matched by pool lookups (§3.3).
func IsForeignRow(ext map[string]string) bool {
	return ext[KeyDeviceOwner] == DeviceOwnerPortForwarding
}

// NeutronName returns "neutron-<id>", not doubling an existing prefix
// (§2).
func NeutronName(id string) string {
	if strings.HasPrefix(id, NeutronPrefix) {
		return id
	}
	return NeutronPrefix + id
}

// StripNeutron removes every occurrence of "neutron-", like the reference's
// reverse helper (§2).
func StripNeutron(name string) string {
	return strings.ReplaceAll(name, NeutronPrefix, "")
}

// SplitList splits a comma list of external_ids (additional VIPs, their
// port ids, additional FIPs). The empty string gives nil; parts are not
// trimmed (the writer never puts spaces in).
func SplitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}
