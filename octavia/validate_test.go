package octavia

import (
	"errors"
	"testing"
)

const (
	lbID   = "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f"
	lisID  = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	poolID = "1b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e"
	memID  = "2c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f"
	hmID   = "3d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a"
	subID  = "4e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b"
)

// wantErr asserts err is a *ProviderError of the given type with exactly
// msg as both fault strings.
func wantErr(t *testing.T, err error, typ, msg string) {
	t.Helper()
	var pe *ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *ProviderError", err, err)
	}
	if pe.Type != typ {
		t.Errorf("type = %s, want %s", pe.Type, typ)
	}
	if pe.UserFault != msg {
		t.Errorf("user fault\n got  %q\n want %q", pe.UserFault, msg)
	}
	if pe.OperatorFault != msg {
		t.Errorf("operator fault\n got  %q\n want %q", pe.OperatorFault, msg)
	}
}

// The exact texts of operations.md §1 and §7, copied from the spec.
func TestValidationTextsMatchSpec(t *testing.T) {
	cases := []struct {
		name string
		err  *ProviderError
		typ  string
		msg  string
	}{
		{"V1", ErrUnsupportedProtocol("HTTP"), TypeUnsupportedOption, "OVN provider does not support HTTP protocol"},
		{"V2", ErrUnsupportedAlgorithm("ROUND_ROBIN"), TypeUnsupportedOption, "OVN provider does not support ROUND_ROBIN algorithm"},
		{"V3", ErrUnsupportedSessionPersistence("HTTP_COOKIE"), TypeUnsupportedOption, "OVN provider does not support HTTP_COOKIE session persistence. Only SOURCE_IP type is supported."},
		{"V4", ErrAllowedCIDRs(), TypeUnsupportedOption, "OVN provider does not support allowed_cidrs option"},
		{"V5", ErrMemberMonitorOptions(), TypeUnsupportedOption, "OVN Load Balancer does not support different member monitor address or port."},
		{"V6", ErrBatchMonitorOptions(), TypeUnsupportedOption, "OVN provider does not support monitor options"},
		{"V7", ErrIPVersionsMixing(), TypeUnsupportedOption, "OVN provider does not support mixing IPv4/IPv6 configuration within the same Load Balancer."},
		{"V8", ErrSubnetRequiredCreate(), TypeUnsupportedOption, "Subnet is required, or Loadbalancer associated with Pool must have a subnet, for Member creation with OVN Provider Driver if it is not the same as LB VIP subnet"},
		{"V9", ErrSubnetRequiredDelete(), TypeUnsupportedOption, "Subnet is required, or Loadbalancer associated with Pool must have a subnet, for Member deletion if it is with OVN Provider Driver if it is not the same as LB VIP subnet"},
		{"V10", ErrSubnetRequiredBatch(), TypeUnsupportedOption, "Subnet is required, or Loadbalancer associated with Pool must have a subnet, for Member batch update with OVN Provider Driver if it is not the same as LB VIP subnet"},
		{"V11", ErrHealthCheckUnsupported(), TypeUnsupportedOption, "OVN Load Balancer supports Health Check provider from version 2.12. Upgrade OVN in order to use it."},
		{"V12", ErrHMTypeNotSpecified(), TypeUnsupportedOption, "OVN provider health monitor type not specified."},
		{"V13", ErrUnsupportedHMType("HTTP"), TypeUnsupportedOption, "OVN provider does not support HTTP health monitor type. Supported types: UDP-CONNECT, TCP"},
		{"V14", ErrFailover(), TypeUnsupportedOption, "OVN provider does not support loadbalancer failover"},
		{"V15", ErrPoolNotInNB(poolID), TypeDriverError, "pool " + poolID + " not found in any OVN load balancer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.err, c.typ, c.msg) })
	}
}

func TestNotImplementedTexts(t *testing.T) {
	want := map[string]string{
		"l7policy_create":                          "This provider does not support creating l7policies.",
		"l7policy_update":                          "This provider does not support updating l7policies.",
		"l7policy_delete":                          "This provider does not support deleting l7policies.",
		"l7rule_create":                            "This provider does not support creating l7rules.",
		"l7rule_update":                            "This provider does not support updating l7rules.",
		"l7rule_delete":                            "This provider does not support deleting l7rules.",
		"get_supported_flavor_metadata":            "This provider does not support getting the supported flavor metadata.",
		"validate_flavor":                          "This provider does not support validating flavors.",
		"get_supported_availability_zone_metadata": "This provider does not support getting the supported availability zone metadata.",
		"validate_availability_zone":               "This provider does not support validating availability zones.",
	}
	for method, msg := range want {
		err, ok := ErrNotImplemented(method)
		if !ok {
			t.Errorf("%s: not known", method)
			continue
		}
		wantErr(t, err, TypeNotImplemented, msg)
	}
	if _, ok := ErrNotImplemented("member_create"); ok {
		t.Errorf("member_create must not be a not-implemented method")
	}
}

func TestProviderErrorBasics(t *testing.T) {
	err := error(ErrFailover())
	if err.Error() != "UnsupportedOptionError: OVN provider does not support loadbalancer failover" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, ErrFailover()) || errors.Is(err, ErrAllowedCIDRs()) {
		t.Errorf("errors.Is must compare type and text")
	}
	wrapped := AsProviderError(errors.New("boom"))
	wantErr(t, wrapped, TypeDriverError, "boom")
	if AsProviderError(nil) != nil {
		t.Errorf("nil must stay nil")
	}
	wantErr(t, NewDriverError(""), TypeDriverError, "An unknown driver error occurred.")
}

func validListener() Listener {
	return Listener{ListenerID: Some(lisID), LoadBalancerID: Some(lbID), Protocol: Some("TCP"), ProtocolPort: Some(80)}
}

func validPool() Pool {
	return Pool{PoolID: Some(poolID), LoadBalancerID: Some(lbID), Protocol: Some("UDP"), LBAlgorithm: Some("SOURCE_IP_PORT")}
}

func validMember() Member {
	return Member{MemberID: Some(memID), PoolID: Some(poolID), Address: Some("10.0.0.5"), ProtocolPort: Some(8080), SubnetID: Some(subID)}
}

func validHM() HealthMonitor {
	return HealthMonitor{HealthMonitorID: Some(hmID), PoolID: Some(poolID), Type: Some("TCP")}
}

func TestValidateListener(t *testing.T) {
	l := validListener()
	if err := ValidateListenerCreate(&l); err != nil {
		t.Fatalf("valid listener: %v", err)
	}
	l.Protocol = Some("HTTP")
	l.AllowedCIDRs = Some([]string{"10.0.0.0/8"})
	wantErr(t, ValidateListenerCreate(&l), TypeUnsupportedOption, "OVN provider does not support HTTP protocol") // V1 before V4
	l.Protocol = Opt[string]{}
	wantErr(t, ValidateListenerCreate(&l), TypeUnsupportedOption, "OVN provider does not support Unset protocol")
	l.Protocol = Some("SCTP")
	wantErr(t, ValidateListenerCreate(&l), TypeUnsupportedOption, "OVN provider does not support allowed_cidrs option")
	l.AllowedCIDRs = Some([]string{})
	if err := ValidateListenerCreate(&l); err != nil {
		t.Errorf("empty allowed_cidrs must pass: %v", err)
	}
	l.ProtocolPort = Some(0)
	wantErr(t, ValidateListenerCreate(&l), TypeDriverError, "invalid protocol_port 0: must be between 1 and 65535")
	l.ProtocolPort = Some(65536)
	wantErr(t, ValidateListenerCreate(&l), TypeDriverError, "invalid protocol_port 65536: must be between 1 and 65535")
	l = validListener()
	l.ListenerID = Some("L1")
	wantErr(t, ValidateListenerCreate(&l), TypeDriverError, `invalid listener_id "L1": not a canonical UUID`)
	l = validListener()
	l.DefaultPoolID = Null[string]()
	if err := ValidateListenerCreate(&l); err != nil {
		t.Errorf("null default_pool_id must pass: %v", err)
	}

	old, nw := validListener(), Listener{AllowedCIDRs: Some([]string{"0.0.0.0/0"})}
	wantErr(t, ValidateListenerUpdate(&old, &nw), TypeUnsupportedOption, "OVN provider does not support allowed_cidrs option")
	nw = Listener{AdminStateUp: Some(false), DefaultPoolID: Null[string]()}
	if err := ValidateListenerUpdate(&old, &nw); err != nil {
		t.Errorf("update: %v", err)
	}
	if err := ValidateListenerDelete(&old); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestValidatePool(t *testing.T) {
	p := validPool()
	if err := ValidatePoolCreate(&p); err != nil {
		t.Fatalf("valid pool: %v", err)
	}
	p.Protocol = Some("HTTP")
	wantErr(t, ValidatePoolCreate(&p), TypeUnsupportedOption, "OVN provider does not support HTTP protocol")
	p = validPool()
	p.LBAlgorithm = Some("ROUND_ROBIN")
	wantErr(t, ValidatePoolCreate(&p), TypeUnsupportedOption, "OVN provider does not support ROUND_ROBIN algorithm")
	p.LBAlgorithm = Null[string]()
	wantErr(t, ValidatePoolCreate(&p), TypeUnsupportedOption, "OVN provider does not support None algorithm")
	p = validPool()
	p.SessionPersistence = Some(SessionPersistence{Type: Some("APP_COOKIE"), CookieName: Some("c")})
	wantErr(t, ValidatePoolCreate(&p), TypeUnsupportedOption,
		"OVN provider does not support APP_COOKIE session persistence. Only SOURCE_IP type is supported.")
	p.SessionPersistence = Some(SessionPersistence{PersistenceTimeout: Some(10)})
	wantErr(t, ValidatePoolCreate(&p), TypeUnsupportedOption,
		"OVN provider does not support None session persistence. Only SOURCE_IP type is supported.")
	for _, sp := range []Opt[SessionPersistence]{Null[SessionPersistence](), Some(SessionPersistence{}), Some(SessionPersistence{Type: Some("SOURCE_IP")})} {
		p.SessionPersistence = sp
		if err := ValidatePoolCreate(&p); err != nil {
			t.Errorf("session_persistence %+v must pass: %v", sp, err)
		}
	}
	p = validPool()
	p.ListenerID = Some("nope")
	wantErr(t, ValidatePoolCreate(&p), TypeDriverError, `invalid listener_id "nope": not a canonical UUID`)

	old := validPool()
	if err := ValidatePoolUpdate(&old, &Pool{AdminStateUp: Some(true)}); err != nil {
		t.Errorf("update without protocol: %v", err)
	}
	wantErr(t, ValidatePoolUpdate(&old, &Pool{Protocol: Some("PROXY")}), TypeUnsupportedOption, "OVN provider does not support PROXY protocol")
	wantErr(t, ValidatePoolUpdate(&old, &Pool{LBAlgorithm: Some("LEAST_CONNECTIONS")}), TypeUnsupportedOption, "OVN provider does not support LEAST_CONNECTIONS algorithm")
	wantErr(t, ValidatePoolUpdate(&old, &Pool{SessionPersistence: Some(SessionPersistence{Type: Some("HTTP_COOKIE")})}), TypeUnsupportedOption,
		"OVN provider does not support HTTP_COOKIE session persistence. Only SOURCE_IP type is supported.")

	del := validPool()
	del.Members = Some([]Member{validMember()})
	del.HealthMonitor = Some(validHM())
	if err := ValidatePoolDelete(&del); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestValidateMember(t *testing.T) {
	m := validMember()
	if err := ValidateMemberCreate(&m); err != nil {
		t.Fatalf("valid member: %v", err)
	}
	m.SubnetID = Opt[string]{}
	if err := ValidateMemberCreate(&m); err != nil {
		t.Errorf("Unset subnet_id passes (inferred later): %v", err)
	}
	for _, mon := range []Member{
		{MonitorAddress: Some("10.0.0.9")},
		{MonitorPort: Some(9000)},
		{MonitorAddress: Some("10.0.0.9"), MonitorPort: Null[int]()},
	} {
		m := validMember()
		m.MonitorAddress, m.MonitorPort = mon.MonitorAddress, mon.MonitorPort
		wantErr(t, ValidateMemberCreate(&m), TypeUnsupportedOption, "OVN Load Balancer does not support different member monitor address or port.")
		wantErr(t, ValidateBatchMember(poolID, &m), TypeUnsupportedOption, "OVN provider does not support monitor options")
	}
	m = validMember()
	m.MonitorAddress, m.MonitorPort = Null[string](), Some(0)
	if err := ValidateMemberCreate(&m); err != nil {
		t.Errorf("falsy monitor options must pass: %v", err)
	}
	m = validMember()
	m.Address = Some("10.0.0.300")
	wantErr(t, ValidateMemberCreate(&m), TypeDriverError, `invalid member address "10.0.0.300"`)
	m.Address = Some("fe80::1%eth0")
	wantErr(t, ValidateMemberCreate(&m), TypeDriverError, `invalid member address "fe80::1%eth0"`)
	m.Address = Opt[string]{}
	wantErr(t, ValidateMemberCreate(&m), TypeDriverError, "missing member address")
	m = validMember()
	m.ProtocolPort = Null[int]()
	wantErr(t, ValidateMemberCreate(&m), TypeDriverError, "missing protocol_port")
	m = validMember()
	m.MemberID = Some("2C3D4E5F-6A7B-4C8D-8E9F-1A2B3C4D5E6F")
	wantErr(t, ValidateMemberCreate(&m), TypeDriverError, `invalid member_id "2C3D4E5F-6A7B-4C8D-8E9F-1A2B3C4D5E6F": not a canonical UUID`)

	old := validMember()
	wantErr(t, ValidateMemberUpdate(&old, &Member{MonitorPort: Some(1)}), TypeUnsupportedOption, "OVN Load Balancer does not support different member monitor address or port.")
	wantErr(t, ValidateMemberUpdate(&old, &Member{Address: Some("x")}), TypeDriverError, `invalid member address "x"`)
	if err := ValidateMemberUpdate(&old, &Member{AdminStateUp: Some(false)}); err != nil {
		t.Errorf("update: %v", err)
	}
	if err := ValidateMemberDelete(&old); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestValidateBatchMembers(t *testing.T) {
	a, b := validMember(), validMember()
	b.MemberID = Some("5f6a7b8c-9d0e-4f1a-8b2c-4d5e6f7a8b9c")
	b.Address = Some("fd00::7")
	if err := ValidateBatchMembers(poolID, []Member{a, b}); err != nil {
		t.Fatalf("valid batch: %v", err)
	}
	if err := ValidateBatchMembers(poolID, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	b.MonitorPort = Some(1)
	wantErr(t, ValidateBatchMembers(poolID, []Member{a, b}), TypeUnsupportedOption, "OVN provider does not support monitor options")
	wantErr(t, ValidateBatchMembers("p", []Member{a}), TypeDriverError, `invalid pool_id "p": not a canonical UUID`)
	c := validMember()
	c.PoolID = Some(hmID)
	wantErr(t, ValidateBatchMembers(poolID, []Member{c}), TypeDriverError,
		"member "+memID+" belongs to pool "+hmID+", not to pool "+poolID)
}

func TestValidateHealthMonitor(t *testing.T) {
	hm := validHM()
	if err := ValidateHealthMonitorCreate(&hm); err != nil {
		t.Fatalf("valid hm: %v", err)
	}
	hm.Type = Some("UDP-CONNECT")
	if err := ValidateHealthMonitorCreate(&hm); err != nil {
		t.Fatalf("UDP-CONNECT: %v", err)
	}
	hm.Type = Opt[string]{}
	wantErr(t, ValidateHealthMonitorCreate(&hm), TypeUnsupportedOption, "OVN provider health monitor type not specified.")
	hm.Type = Null[string]()
	wantErr(t, ValidateHealthMonitorCreate(&hm), TypeUnsupportedOption, "OVN provider does not support None health monitor type. Supported types: UDP-CONNECT, TCP")
	for _, typ := range []string{"PING", "HTTP", "HTTPS", "TLS-HELLO", "SCTP"} {
		hm.Type = Some(typ)
		wantErr(t, ValidateHealthMonitorCreate(&hm), TypeUnsupportedOption,
			"OVN provider does not support "+typ+" health monitor type. Supported types: UDP-CONNECT, TCP")
	}
	old := validHM()
	if err := ValidateHealthMonitorUpdate(&old, &HealthMonitor{Delay: Some(3)}); err != nil {
		t.Errorf("update (type not required): %v", err)
	}
	if err := ValidateHealthMonitorDelete(&old); err != nil {
		t.Errorf("delete: %v", err)
	}
}

func TestValidateLoadBalancer(t *testing.T) {
	lb := LoadBalancer{LoadBalancerID: Some(lbID), VIPAddress: Some("10.0.0.10"), VIPNetworkID: Some(subID),
		AdditionalVIPs: Some([]AdditionalVIP{{IPAddress: Some("fd00::10"), SubnetID: Some(subID), PortID: Null[string]()}})}
	if err := ValidateLoadBalancer(&lb); err != nil {
		t.Fatalf("valid lb: %v", err)
	}
	lb.AdditionalVIPs.V[0].IPAddress = Some("fd00::zz")
	wantErr(t, ValidateLoadBalancer(&lb), TypeDriverError, `invalid additional VIP ip_address "fd00::zz"`)
	lb.AdditionalVIPs = Opt[[]AdditionalVIP]{}
	lb.LoadBalancerID = Opt[string]{}
	wantErr(t, ValidateLoadBalancer(&lb), TypeDriverError, "missing loadbalancer_id")

	// Fully populated: listeners first, then per pool pool / HM / members.
	bad := validMember()
	bad.MonitorPort = Some(1)
	hm := validHM()
	hm.Type = Some("PING")
	pool := validPool()
	pool.HealthMonitor = Some(hm)
	pool.Members = Some([]Member{bad})
	l := validListener()
	full := LoadBalancer{LoadBalancerID: Some(lbID), Listeners: Some([]Listener{l}), Pools: Some([]Pool{pool})}
	wantErr(t, ValidateLoadBalancerChildren(&full), TypeUnsupportedOption,
		"OVN provider does not support PING health monitor type. Supported types: UDP-CONNECT, TCP")
	full.Pools.V[0].HealthMonitor = Some(validHM())
	wantErr(t, ValidateLoadBalancerChildren(&full), TypeUnsupportedOption,
		"OVN Load Balancer does not support different member monitor address or port.")
	full.Listeners.V[0].Protocol = Some("HTTPS")
	wantErr(t, ValidateLoadBalancerChildren(&full), TypeUnsupportedOption, "OVN provider does not support HTTPS protocol")
	full.Listeners.V[0].Protocol = Some("TCP")
	full.Pools.V[0].Members = Some([]Member{validMember()})
	if err := ValidateLoadBalancerChildren(&full); err != nil {
		t.Errorf("valid children: %v", err)
	}
	wantErr(t, ValidateFailover(lbID), TypeUnsupportedOption, "OVN provider does not support loadbalancer failover")
}

func TestValidateVIP(t *testing.T) {
	vip := VIP{VIPNetworkID: Some(subID), VIPSubnetID: Some(subID), VIPQoSPolicyID: Null[string]()}
	if err := ValidateVIP(lbID, &vip, nil); err != nil {
		t.Fatalf("valid vip: %v", err)
	}
	vip.VIPAddress = Some("1.2.3")
	wantErr(t, ValidateVIP(lbID, &vip, nil), TypeDriverError, `invalid vip_address "1.2.3"`)
	vip.VIPAddress = Opt[string]{}
	wantErr(t, ValidateVIP(lbID, &vip, []AdditionalVIP{{SubnetID: Some("s")}}), TypeDriverError, `invalid additional VIP subnet_id "s": not a canonical UUID`)
}

func TestIsCanonicalUUID(t *testing.T) {
	for s, want := range map[string]bool{
		lbID:                                    true,
		"94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7":   false,
		"94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f0": false,
		"94e7c5d23b1a-4f0e-9c1d-2a3b4c5d6e7f0":  false,
		"94E7C5D2-3B1A-4F0E-9C1D-2A3B4C5D6E7F":  false,
		"94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7g":  false,
		"":                                      false,
	} {
		if got := IsCanonicalUUID(s); got != want {
			t.Errorf("IsCanonicalUUID(%q) = %v", s, got)
		}
	}
}
