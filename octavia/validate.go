package octavia

import (
	"fmt"
	"net/netip"
)

// Synchronous validation of provider calls that needs no NB or Neutron data:
// the reference's checks V1–V6 and V12–V14 (operations.md §1), in the
// reference's order, followed by generic input checks the reference leaves
// to the Octavia API (ids, addresses, ports). The CRUD layer adds V7–V11
// and V15, which need NB/Neutron data, using the constructors in errors.go.
//
// Every function returns nil or a *ProviderError.

// IsSupportedProtocol reports whether the provider handles the listener or
// pool protocol (V1).
func IsSupportedProtocol(p string) bool {
	return p == ProtocolTCP || p == ProtocolUDP || p == ProtocolSCTP
}

// IsSupportedAlgorithm reports whether the provider handles the pool
// algorithm (V2).
func IsSupportedAlgorithm(a string) bool {
	return a == AlgorithmSourceIPPort || a == AlgorithmSourceIP
}

// IsSupportedHealthMonitorType reports whether the provider handles the
// health monitor type (V13).
func IsSupportedHealthMonitorType(t string) bool {
	return t == HealthMonitorUDPConnect || t == HealthMonitorTCP
}

// checkProtocol is V1: Unset and null are unsupported values too.
func checkProtocol(p Opt[string]) error {
	if v, ok := p.Get(); ok && IsSupportedProtocol(v) {
		return nil
	}
	return ErrUnsupportedProtocol(PyString(p))
}

// checkAlgorithm is V2.
func checkAlgorithm(a Opt[string]) error {
	if v, ok := a.Get(); ok && IsSupportedAlgorithm(v) {
		return nil
	}
	return ErrUnsupportedAlgorithm(PyString(a))
}

// checkSessionPersistence is V3, applied when the field is supplied: a null
// or empty dict passes (Python: "if session and ...").
func checkSessionPersistence(sp Opt[SessionPersistence]) error {
	s, ok := sp.Get()
	if !ok || s.Empty() {
		return nil
	}
	if t, ok := s.Type.Get(); ok && t == SessionPersistenceSourceIP {
		return nil
	}
	// The reference reads the type with dict.get(): a missing key is None.
	typ := "None"
	if t, ok := s.Type.Get(); ok {
		typ = t
	}
	return ErrUnsupportedSessionPersistence(typ)
}

// checkAllowedCIDRs is V4: a non-empty list is refused.
func checkAllowedCIDRs(c Opt[[]string]) error {
	if v, ok := c.Get(); ok && len(v) > 0 {
		return ErrAllowedCIDRs()
	}
	return nil
}

// HasMonitorOptions reports whether a member carries a monitor address or
// port with a truthy value (V5, V6): both Unset, null, "" and 0 pass.
func HasMonitorOptions(m *Member) bool {
	return m.MonitorAddress.Or("") != "" || m.MonitorPort.Or(0) != 0
}

// ValidateLoadBalancer checks the load balancer's own fields for
// loadbalancer_create. Its listeners and pools (fully populated create) are
// checked by ValidateLoadBalancerChildren.
func ValidateLoadBalancer(lb *LoadBalancer) error {
	if err := CheckUUID("loadbalancer_id", lb.LoadBalancerID); err != nil {
		return err
	}
	if err := CheckOptionalUUID("vip_network_id", lb.VIPNetworkID); err != nil {
		return err
	}
	if err := CheckOptionalUUID("vip_subnet_id", lb.VIPSubnetID); err != nil {
		return err
	}
	if err := CheckOptionalUUID("vip_port_id", lb.VIPPortID); err != nil {
		return err
	}
	if lb.VIPAddress.Or("") != "" {
		if _, err := CheckIP("vip_address", lb.VIPAddress); err != nil {
			return err
		}
	}
	for _, av := range lb.AdditionalVIPs.Or(nil) {
		if err := validateAdditionalVIP(&av); err != nil {
			return err
		}
	}
	return nil
}

func validateAdditionalVIP(av *AdditionalVIP) error {
	if av.IPAddress.Or("") != "" {
		if _, err := CheckIP("additional VIP ip_address", av.IPAddress); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    Opt[string]
	}{{"additional VIP network_id", av.NetworkID}, {"additional VIP subnet_id", av.SubnetID}, {"additional VIP port_id", av.PortID}} {
		if err := CheckOptionalUUID(f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

// ValidateLoadBalancerChildren checks the listeners and pools of a fully
// populated loadbalancer_create in the reference's order: every listener,
// then per pool the pool, its health monitor and its members. Members
// without subnet_id get the LB's vip_subnet_id there, so V8 never applies.
// The NB-dependent checks (V7, V11) are the caller's; a caller that needs
// the reference's exact interleaving calls the per-object functions itself.
func ValidateLoadBalancerChildren(lb *LoadBalancer) error {
	for i := range lb.Listeners.Or(nil) {
		if err := ValidateListenerCreate(&lb.Listeners.V[i]); err != nil {
			return err
		}
	}
	for i := range lb.Pools.Or(nil) {
		p := &lb.Pools.V[i]
		if err := ValidatePoolCreate(p); err != nil {
			return err
		}
		if hm, ok := p.HealthMonitor.Get(); ok {
			if err := ValidateHealthMonitorCreate(&hm); err != nil {
				return err
			}
		}
		for j := range p.Members.Or(nil) {
			if err := ValidateMemberCreate(&p.Members.V[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidateLoadBalancerID checks the id given to loadbalancer_update,
// loadbalancer_delete and create_vip_port.
func ValidateLoadBalancerID(id string) error {
	return CheckUUID("loadbalancer_id", Some(id))
}

// ValidateFailover is V14: failover is never supported.
func ValidateFailover(string) error { return ErrFailover() }

// ValidateVIP checks create_vip_port's input.
func ValidateVIP(lbID string, vip *VIP, additional []AdditionalVIP) error {
	if err := ValidateLoadBalancerID(lbID); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    Opt[string]
	}{{"vip_network_id", vip.VIPNetworkID}, {"vip_subnet_id", vip.VIPSubnetID}, {"vip_port_id", vip.VIPPortID}} {
		if err := CheckOptionalUUID(f.name, f.v); err != nil {
			return err
		}
	}
	if vip.VIPAddress.Or("") != "" {
		if _, err := CheckIP("vip_address", vip.VIPAddress); err != nil {
			return err
		}
	}
	for i := range additional {
		if err := validateAdditionalVIP(&additional[i]); err != nil {
			return err
		}
	}
	return nil
}

// ValidateListenerCreate: V1, V4, then ids and port.
func ValidateListenerCreate(l *Listener) error {
	if err := checkProtocol(l.Protocol); err != nil {
		return err
	}
	if err := checkAllowedCIDRs(l.AllowedCIDRs); err != nil {
		return err
	}
	if err := CheckUUID("listener_id", l.ListenerID); err != nil {
		return err
	}
	if err := CheckUUID("loadbalancer_id", l.LoadBalancerID); err != nil {
		return err
	}
	if err := CheckPort("protocol_port", l.ProtocolPort); err != nil {
		return err
	}
	return CheckOptionalUUID("default_pool_id", l.DefaultPoolID)
}

// ValidateListenerUpdate: V4 on the new object; the row is found with the
// old object's loadbalancer_id and protocol.
func ValidateListenerUpdate(old, new *Listener) error {
	if err := checkAllowedCIDRs(new.AllowedCIDRs); err != nil {
		return err
	}
	if err := CheckUUID("listener_id", firstSet(new.ListenerID, old.ListenerID)); err != nil {
		return err
	}
	if err := CheckUUID("loadbalancer_id", old.LoadBalancerID); err != nil {
		return err
	}
	return CheckOptionalUUID("default_pool_id", new.DefaultPoolID)
}

// ValidateListenerDelete checks the ids of listener_delete.
func ValidateListenerDelete(l *Listener) error {
	if err := CheckUUID("listener_id", l.ListenerID); err != nil {
		return err
	}
	return CheckUUID("loadbalancer_id", l.LoadBalancerID)
}

// ValidatePoolCreate: V1, V2, V3 (if supplied), then ids. A health monitor
// carried by the pool is validated separately (after V11).
func ValidatePoolCreate(p *Pool) error {
	if err := checkProtocol(p.Protocol); err != nil {
		return err
	}
	if err := checkAlgorithm(p.LBAlgorithm); err != nil {
		return err
	}
	if err := checkSessionPersistence(p.SessionPersistence); err != nil {
		return err
	}
	if err := CheckUUID("pool_id", p.PoolID); err != nil {
		return err
	}
	if err := CheckUUID("loadbalancer_id", p.LoadBalancerID); err != nil {
		return err
	}
	return CheckOptionalUUID("listener_id", p.ListenerID)
}

// ValidatePoolUpdate: V1 and V2 when the new object supplies protocol or
// algorithm, V3 when it supplies session_persistence.
func ValidatePoolUpdate(old, new *Pool) error {
	if new.Protocol.Set {
		if err := checkProtocol(new.Protocol); err != nil {
			return err
		}
	}
	if new.LBAlgorithm.Set {
		if err := checkAlgorithm(new.LBAlgorithm); err != nil {
			return err
		}
	}
	if err := checkSessionPersistence(new.SessionPersistence); err != nil {
		return err
	}
	if err := CheckUUID("pool_id", firstSet(new.PoolID, old.PoolID)); err != nil {
		return err
	}
	return CheckUUID("loadbalancer_id", old.LoadBalancerID)
}

// ValidatePoolDelete checks the ids of pool_delete and of the members and
// health monitor it carries.
func ValidatePoolDelete(p *Pool) error {
	if err := CheckUUID("pool_id", p.PoolID); err != nil {
		return err
	}
	if err := CheckUUID("loadbalancer_id", p.LoadBalancerID); err != nil {
		return err
	}
	if hm, ok := p.HealthMonitor.Get(); ok {
		if err := CheckUUID("healthmonitor_id", hm.HealthMonitorID); err != nil {
			return err
		}
	}
	for i := range p.Members.Or(nil) {
		if err := ValidateMemberDelete(&p.Members.V[i]); err != nil {
			return err
		}
	}
	return nil
}

// ValidateMemberCreate: V5, then ids, address, port. subnet_id may be
// Unset or empty (inferred by the caller, V8).
func ValidateMemberCreate(m *Member) error {
	if HasMonitorOptions(m) {
		return ErrMemberMonitorOptions()
	}
	return validateMemberFields(m)
}

func validateMemberFields(m *Member) error {
	if err := CheckUUID("member_id", m.MemberID); err != nil {
		return err
	}
	if err := CheckUUID("pool_id", m.PoolID); err != nil {
		return err
	}
	if _, err := CheckIP("member address", m.Address); err != nil {
		return err
	}
	if err := CheckPort("protocol_port", m.ProtocolPort); err != nil {
		return err
	}
	return CheckOptionalUUID("subnet_id", m.SubnetID)
}

// ValidateMemberUpdate: V5 on the new object; a new address, when given,
// must parse. The entry is found with the old object's address and port.
func ValidateMemberUpdate(old, new *Member) error {
	if HasMonitorOptions(new) {
		return ErrMemberMonitorOptions()
	}
	if err := CheckUUID("member_id", firstSet(new.MemberID, old.MemberID)); err != nil {
		return err
	}
	if err := CheckUUID("pool_id", old.PoolID); err != nil {
		return err
	}
	if new.Address.Or("") != "" {
		if _, err := CheckIP("member address", new.Address); err != nil {
			return err
		}
	}
	if _, err := CheckIP("member address", old.Address); err != nil {
		return err
	}
	return CheckPort("protocol_port", old.ProtocolPort)
}

// ValidateMemberDelete checks member_delete's fields (no V-check applies
// before subnet inference, V9).
func ValidateMemberDelete(m *Member) error {
	return validateMemberFields(m)
}

// ValidateBatchMember checks one member of member_batch_update: V6, then its
// fields. The caller interleaves V7 and V10 per member, as the reference
// does.
func ValidateBatchMember(poolID string, m *Member) error {
	if HasMonitorOptions(m) {
		return ErrBatchMonitorOptions()
	}
	if err := validateMemberFields(m); err != nil {
		return err
	}
	if m.PoolID.V != poolID {
		return NewDriverError(fmt.Sprintf("member %s belongs to pool %s, not to pool %s", m.MemberID.V, m.PoolID.V, poolID))
	}
	return nil
}

// ValidateBatchMembers checks pool_id and every member of
// member_batch_update with ValidateBatchMember, all before anything is
// queued.
func ValidateBatchMembers(poolID string, members []Member) error {
	if err := CheckUUID("pool_id", Some(poolID)); err != nil {
		return err
	}
	for i := range members {
		if err := ValidateBatchMember(poolID, &members[i]); err != nil {
			return err
		}
	}
	return nil
}

// ValidateHealthMonitorCreate: V12, V13, then ids. V11 (NB schema) comes
// first and is the caller's.
func ValidateHealthMonitorCreate(hm *HealthMonitor) error {
	if !hm.Type.Set {
		return ErrHMTypeNotSpecified()
	}
	if t, ok := hm.Type.Get(); !ok || !IsSupportedHealthMonitorType(t) {
		return ErrUnsupportedHMType(PyString(hm.Type))
	}
	if err := CheckUUID("healthmonitor_id", hm.HealthMonitorID); err != nil {
		return err
	}
	return CheckUUID("pool_id", hm.PoolID)
}

// ValidateHealthMonitorUpdate checks the ids of health_monitor_update (the
// type is not checked on update, as in the reference).
func ValidateHealthMonitorUpdate(old, new *HealthMonitor) error {
	if err := CheckUUID("healthmonitor_id", firstSet(new.HealthMonitorID, old.HealthMonitorID)); err != nil {
		return err
	}
	return CheckUUID("pool_id", old.PoolID)
}

// ValidateHealthMonitorDelete checks the ids of health_monitor_delete.
func ValidateHealthMonitorDelete(hm *HealthMonitor) error {
	if err := CheckUUID("healthmonitor_id", hm.HealthMonitorID); err != nil {
		return err
	}
	return CheckUUID("pool_id", hm.PoolID)
}

// firstSet returns a if it was supplied, else b: update calls take the id
// from the new object, which Octavia fills, falling back to the old one.
func firstSet(a, b Opt[string]) Opt[string] {
	if a.Set {
		return a
	}
	return b
}

// IsCanonicalUUID reports whether s is a UUID in canonical lowercase
// 8-4-4-4-12 form, the form Octavia and Neutron ids take and the form the NB
// keys are built from.
func IsCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// CheckUUID requires field to carry a canonical UUID.
func CheckUUID(field string, v Opt[string]) error {
	s, ok := v.Get()
	if !ok || s == "" {
		return NewDriverError(fmt.Sprintf("missing %s", field))
	}
	if !IsCanonicalUUID(s) {
		return NewDriverError(fmt.Sprintf("invalid %s %q: not a canonical UUID", field, s))
	}
	return nil
}

// CheckOptionalUUID accepts Unset, null and "", otherwise requires a
// canonical UUID.
func CheckOptionalUUID(field string, v Opt[string]) error {
	if v.Or("") == "" {
		return nil
	}
	return CheckUUID(field, v)
}

// CheckIP requires what (e.g. "member address") to be an IPv4 or IPv6
// address without zone, and returns it.
func CheckIP(what string, v Opt[string]) (netip.Addr, error) {
	s, ok := v.Get()
	if !ok || s == "" {
		return netip.Addr{}, NewDriverError(fmt.Sprintf("missing %s", what))
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, NewDriverError(fmt.Sprintf("invalid %s %q", what, s))
	}
	return a, nil
}

// CheckPort requires field to be a TCP/UDP/SCTP port, 1–65535.
func CheckPort(field string, v Opt[int]) error {
	p, ok := v.Get()
	if !ok {
		return NewDriverError(fmt.Sprintf("missing %s", field))
	}
	if p < 1 || p > 65535 {
		return NewDriverError(fmt.Sprintf("invalid %s %d: must be between 1 and 65535", field, p))
	}
	return nil
}
