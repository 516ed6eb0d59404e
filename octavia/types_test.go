package octavia

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestOptDecodeUnsetNullValue(t *testing.T) {
	var m Member
	if err := Unmarshal([]byte(`{"member_id": "m1", "subnet_id": null, "protocol_port": 80, "admin_state_up": false}`), &m); err != nil {
		t.Fatal(err)
	}
	if !m.MemberID.Set || m.MemberID.Null || m.MemberID.V != "m1" {
		t.Errorf("member_id = %+v, want value m1", m.MemberID)
	}
	if !m.SubnetID.Set || !m.SubnetID.Null {
		t.Errorf("subnet_id = %+v, want null", m.SubnetID)
	}
	if v, ok := m.SubnetID.Get(); ok || v != "" {
		t.Errorf("null Get() = %q, %v", v, ok)
	}
	if m.Address.Set || m.Address.Null {
		t.Errorf("address = %+v, want Unset", m.Address)
	}
	if got := m.AdminStateUp.Or(true); got != false {
		t.Errorf("admin_state_up false Or(true) = %v", got)
	}
	if got := m.Weight.Or(1); got != 1 {
		t.Errorf("Unset weight Or(1) = %d", got)
	}
	if p, ok := m.ProtocolPort.Get(); !ok || p != 80 {
		t.Errorf("protocol_port = %d, %v", p, ok)
	}
}

func TestOptMarshalOmitsUnsetRendersNull(t *testing.T) {
	m := Member{MemberID: Some("m1"), SubnetID: Null[string](), ProtocolPort: Some(80), AdminStateUp: Some(false)}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"member_id":"m1","admin_state_up":false,"protocol_port":80,"subnet_id":null}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Member
	if err := Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.SubnetID.Null || back.Address.Set || back.MemberID.V != "m1" {
		t.Errorf("round trip lost Unset/null: %+v", back)
	}
}

func TestUnmarshalUnknownKeysIgnored(t *testing.T) {
	var lb LoadBalancer
	err := Unmarshal([]byte(`{"loadbalancer_id": "lb", "some_future_field": {"a": [1, 2]}, "vip_address": "10.0.0.5"}`), &lb)
	if err != nil {
		t.Fatal(err)
	}
	if lb.LoadBalancerID.V != "lb" || lb.VIPAddress.V != "10.0.0.5" {
		t.Errorf("got %+v", lb)
	}
}

func TestUnmarshalWrongTypeNamesField(t *testing.T) {
	cases := []struct {
		name string
		in   string
		v    any
		want string
	}{
		{"string for int", `{"protocol_port": "80"}`, &Listener{}, "protocol_port: expected integer, got string"},
		{"bool for string", `{"address": true}`, &Member{}, "address: expected string, got bool"},
		{"float for int", `{"protocol_port": 80.5}`, &Member{}, "protocol_port: expected integer, got number 80.5"},
		{"number for bool", `{"admin_state_up": 1}`, &Pool{}, "admin_state_up: expected boolean, got number"},
		{"object for list", `{"allowed_cidrs": {}}`, &Listener{}, "allowed_cidrs: expected array, got object"},
		{"nested member", `{"pools": [{"members": [{"protocol_port": "x"}]}]}`, &LoadBalancer{}, "pools.members.protocol_port: expected integer, got string"},
		{"nested hm", `{"healthmonitor": {"delay": []}}`, &Pool{}, "healthmonitor.delay: expected integer, got array"},
		{"session persistence", `{"session_persistence": {"persistence_timeout": "1"}}`, &Pool{}, "session_persistence.persistence_timeout: expected integer, got string"},
		{"additional vip", `{"additional_vips": [{"ip_address": 5}]}`, &LoadBalancer{}, "additional_vips.ip_address: expected string, got number"},
		{"top-level array", `[1]`, &Member{}, "expected object, got array"},
		{"top-level null", `null`, &Member{}, "expected object, got null"},
		{"top-level bool", ` true`, &Member{}, "expected object, got bool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Unmarshal([]byte(c.in), c.v)
			if err == nil {
				t.Fatalf("no error")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FieldError", err, err)
			}
			if err.Error() != c.want {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
		})
	}
}

func TestUnmarshalSyntaxError(t *testing.T) {
	err := Unmarshal([]byte(`{"member_id": `), &Member{})
	if err == nil {
		t.Fatal("no error for truncated JSON")
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		t.Errorf("syntax error reported as field error: %v", err)
	}
}

func TestFullyPopulatedLoadBalancer(t *testing.T) {
	in := `{"loadbalancer_id": "lb1", "admin_state_up": true, "vip_subnet_id": "s1",
	 "additional_vips": [{"ip_address": "fd00::5", "network_id": "n2", "port_id": null, "subnet_id": "s2"}],
	 "flavor": {"a": 1}, "availability_zone": null,
	 "listeners": [{"listener_id": "l1", "protocol": "TCP", "protocol_port": 80, "default_pool": {"pool_id": "p1"}}],
	 "pools": [{"pool_id": "p1", "lb_algorithm": "SOURCE_IP_PORT",
	            "session_persistence": {"type": "SOURCE_IP", "persistence_timeout": 360},
	            "healthmonitor": {"healthmonitor_id": "h1", "type": "TCP", "delay": 5},
	            "members": [{"member_id": "m1", "address": "10.0.0.7", "protocol_port": 8080}, null]}]}`
	var lb LoadBalancer
	if err := Unmarshal([]byte(in), &lb); err != nil {
		t.Fatal(err)
	}
	if av := lb.AdditionalVIPs.V; len(av) != 1 || av[0].IPAddress.V != "fd00::5" || !av[0].PortID.Null {
		t.Errorf("additional_vips = %+v", av)
	}
	if string(lb.Flavor.V) != `{"a": 1}` || !lb.AvailabilityZone.Null {
		t.Errorf("flavor %s az %+v", lb.Flavor.V, lb.AvailabilityZone)
	}
	l := lb.Listeners.V[0]
	if l.ProtocolPort.V != 80 || l.DefaultPool.V.PoolID.V != "p1" {
		t.Errorf("listener = %+v", l)
	}
	p := lb.Pools.V[0]
	sp := p.SessionPersistence.V
	if sp.Type.V != "SOURCE_IP" || sp.PersistenceTimeout.V != 360 || sp.Keys != 2 || sp.Empty() {
		t.Errorf("session_persistence = %+v", sp)
	}
	if p.HealthMonitor.V.Delay.V != 5 || p.HealthMonitor.V.Type.V != "TCP" {
		t.Errorf("healthmonitor = %+v", p.HealthMonitor.V)
	}
	// octavia-lib renders recursion loops as null list items.
	if len(p.Members.V) != 2 || p.Members.V[0].Address.V != "10.0.0.7" || p.Members.V[1].MemberID.Set {
		t.Errorf("members = %+v", p.Members.V)
	}
}

func TestSessionPersistenceEmpty(t *testing.T) {
	var p Pool
	if err := Unmarshal([]byte(`{"session_persistence": {}}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.SessionPersistence.Valid() || !p.SessionPersistence.V.Empty() {
		t.Errorf("{} must be a supplied, empty dict: %+v", p.SessionPersistence)
	}
	if err := Unmarshal([]byte(`{"session_persistence": {"unknown": 1}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.SessionPersistence.V.Empty() {
		t.Errorf("a dict with an unknown key is not empty (Python truthiness)")
	}
}

func TestPyString(t *testing.T) {
	if got := PyString(Opt[string]{}); got != "Unset" {
		t.Errorf("Unset -> %q", got)
	}
	if got := PyString(Null[string]()); got != "None" {
		t.Errorf("null -> %q", got)
	}
	if got := PyString(Some("HTTP")); got != "HTTP" {
		t.Errorf("value -> %q", got)
	}
}
