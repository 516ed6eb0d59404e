package calls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/provider"
)

// recorder is a Driver that records the method called and the decoded
// arguments it got; Dispatch's job is exactly that routing and decoding.
// CreateVIPPort echoes its input with a port id, as the provider does for a
// user-supplied port.
type recorder struct {
	method string
	args   []any
	err    error
}

func (r *recorder) rec(method string, args ...any) error {
	r.method, r.args = method, args
	return r.err
}

func (r *recorder) LoadBalancerCreate(_ context.Context, lb *octavia.LoadBalancer) error {
	return r.rec("LoadBalancerCreate", lb)
}
func (r *recorder) LoadBalancerUpdate(_ context.Context, o, n *octavia.LoadBalancer) error {
	return r.rec("LoadBalancerUpdate", o, n)
}
func (r *recorder) LoadBalancerDelete(_ context.Context, lb *octavia.LoadBalancer, cascade bool) error {
	return r.rec("LoadBalancerDelete", lb, cascade)
}
func (r *recorder) LoadBalancerFailover(_ context.Context, id string) error {
	return r.rec("LoadBalancerFailover", id)
}
func (r *recorder) CreateVIPPort(_ context.Context, lbID, projectID string, vip *octavia.VIP, add []octavia.AdditionalVIP) (*octavia.VIP, []octavia.AdditionalVIP, error) {
	if err := r.rec("CreateVIPPort", lbID, projectID, vip, add); err != nil {
		return nil, nil, err
	}
	out := *vip
	out.VIPPortID = octavia.Some("port-" + lbID)
	return &out, add, nil
}
func (r *recorder) ListenerCreate(_ context.Context, l *octavia.Listener) error {
	return r.rec("ListenerCreate", l)
}
func (r *recorder) ListenerUpdate(_ context.Context, o, n *octavia.Listener) error {
	return r.rec("ListenerUpdate", o, n)
}
func (r *recorder) ListenerDelete(_ context.Context, l *octavia.Listener) error {
	return r.rec("ListenerDelete", l)
}
func (r *recorder) PoolCreate(_ context.Context, p *octavia.Pool) error {
	return r.rec("PoolCreate", p)
}
func (r *recorder) PoolUpdate(_ context.Context, o, n *octavia.Pool) error {
	return r.rec("PoolUpdate", o, n)
}
func (r *recorder) PoolDelete(_ context.Context, p *octavia.Pool) error {
	return r.rec("PoolDelete", p)
}
func (r *recorder) MemberCreate(_ context.Context, m *octavia.Member) error {
	return r.rec("MemberCreate", m)
}
func (r *recorder) MemberUpdate(_ context.Context, o, n *octavia.Member) error {
	return r.rec("MemberUpdate", o, n)
}
func (r *recorder) MemberDelete(_ context.Context, m *octavia.Member) error {
	return r.rec("MemberDelete", m)
}
func (r *recorder) MemberBatchUpdate(_ context.Context, poolID string, ms []*octavia.Member) error {
	return r.rec("MemberBatchUpdate", poolID, ms)
}
func (r *recorder) HealthMonitorCreate(_ context.Context, hm *octavia.HealthMonitor) error {
	return r.rec("HealthMonitorCreate", hm)
}
func (r *recorder) HealthMonitorUpdate(_ context.Context, o, n *octavia.HealthMonitor) error {
	return r.rec("HealthMonitorUpdate", o, n)
}
func (r *recorder) HealthMonitorDelete(_ context.Context, hm *octavia.HealthMonitor) error {
	return r.rec("HealthMonitorDelete", hm)
}

func (r *recorder) L7PolicyCreate(context.Context) error { return r.rec("L7PolicyCreate") }
func (r *recorder) L7PolicyUpdate(context.Context) error { return r.rec("L7PolicyUpdate") }
func (r *recorder) L7PolicyDelete(context.Context) error { return r.rec("L7PolicyDelete") }
func (r *recorder) L7RuleCreate(context.Context) error   { return r.rec("L7RuleCreate") }
func (r *recorder) L7RuleUpdate(context.Context) error   { return r.rec("L7RuleUpdate") }
func (r *recorder) L7RuleDelete(context.Context) error   { return r.rec("L7RuleDelete") }
func (r *recorder) GetSupportedFlavorMetadata(context.Context) error {
	return r.rec("GetSupportedFlavorMetadata")
}
func (r *recorder) ValidateFlavor(context.Context) error { return r.rec("ValidateFlavor") }
func (r *recorder) GetSupportedAvailabilityZoneMetadata(context.Context) error {
	return r.rec("GetSupportedAvailabilityZoneMetadata")
}
func (r *recorder) ValidateAvailabilityZone(context.Context) error {
	return r.rec("ValidateAvailabilityZone")
}

func args(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test args %s: %v", s, err)
	}
	return m
}

func TestDispatchRoutesAndDecodes(t *testing.T) {
	lbID := "94e7c431-912b-496c-a247-d52875d44ac7"
	cases := []struct {
		call   string
		args   string
		method string
		want   []any
	}{
		{"loadbalancer_create", `{"loadbalancer": {"loadbalancer_id": "` + lbID + `", "vip_address": "172.24.4.9", "admin_state_up": true}}`,
			"LoadBalancerCreate", []any{&octavia.LoadBalancer{LoadBalancerID: octavia.Some(lbID),
				VIPAddress: octavia.Some("172.24.4.9"), AdminStateUp: octavia.Some(true)}}},
		{"loadbalancer_update", `{"old_loadbalancer": {"loadbalancer_id": "a"}, "new_loadbalancer": {"loadbalancer_id": "a", "admin_state_up": false, "name": null}}`,
			"LoadBalancerUpdate", []any{&octavia.LoadBalancer{LoadBalancerID: octavia.Some("a")},
				&octavia.LoadBalancer{LoadBalancerID: octavia.Some("a"), AdminStateUp: octavia.Some(false), Name: octavia.Null[string]()}}},
		{"loadbalancer_delete", `{"loadbalancer": {"loadbalancer_id": "a"}}`,
			"LoadBalancerDelete", []any{&octavia.LoadBalancer{LoadBalancerID: octavia.Some("a")}, false}},
		{"loadbalancer_delete", `{"loadbalancer": {"loadbalancer_id": "a"}, "cascade": true}`,
			"LoadBalancerDelete", []any{&octavia.LoadBalancer{LoadBalancerID: octavia.Some("a")}, true}},
		{"loadbalancer_delete", `{"loadbalancer": {"loadbalancer_id": "a"}, "cascade": null}`,
			"LoadBalancerDelete", []any{&octavia.LoadBalancer{LoadBalancerID: octavia.Some("a")}, false}},
		{"loadbalancer_failover", `{"loadbalancer_id": "a"}`, "LoadBalancerFailover", []any{"a"}},
		{"listener_create", `{"listener": {"listener_id": "l", "protocol": "TCP", "protocol_port": 80}}`,
			"ListenerCreate", []any{&octavia.Listener{ListenerID: octavia.Some("l"), Protocol: octavia.Some("TCP"), ProtocolPort: octavia.Some(80)}}},
		{"listener_update", `{"old_listener": {"listener_id": "l"}, "new_listener": {"default_pool_id": null}}`,
			"ListenerUpdate", []any{&octavia.Listener{ListenerID: octavia.Some("l")}, &octavia.Listener{DefaultPoolID: octavia.Null[string]()}}},
		{"listener_delete", `{"listener": {"listener_id": "l"}}`, "ListenerDelete", []any{&octavia.Listener{ListenerID: octavia.Some("l")}}},
		{"pool_create", `{"pool": {"pool_id": "p", "lb_algorithm": "SOURCE_IP_PORT"}}`,
			"PoolCreate", []any{&octavia.Pool{PoolID: octavia.Some("p"), LBAlgorithm: octavia.Some("SOURCE_IP_PORT")}}},
		{"pool_update", `{"old_pool": {"pool_id": "p"}, "new_pool": {"admin_state_up": false}}`,
			"PoolUpdate", []any{&octavia.Pool{PoolID: octavia.Some("p")}, &octavia.Pool{AdminStateUp: octavia.Some(false)}}},
		{"pool_delete", `{"pool": {"pool_id": "p"}}`, "PoolDelete", []any{&octavia.Pool{PoolID: octavia.Some("p")}}},
		{"member_create", `{"member": {"member_id": "m", "address": "10.0.0.5", "protocol_port": 80}}`,
			"MemberCreate", []any{&octavia.Member{MemberID: octavia.Some("m"), Address: octavia.Some("10.0.0.5"), ProtocolPort: octavia.Some(80)}}},
		{"member_update", `{"old_member": {"member_id": "m"}, "new_member": {"admin_state_up": true}}`,
			"MemberUpdate", []any{&octavia.Member{MemberID: octavia.Some("m")}, &octavia.Member{AdminStateUp: octavia.Some(true)}}},
		{"member_delete", `{"member": {"member_id": "m"}}`, "MemberDelete", []any{&octavia.Member{MemberID: octavia.Some("m")}}},
		{"member_batch_update", `{"pool_id": "p", "members": [{"member_id": "m1"}, {"member_id": "m2"}]}`,
			"MemberBatchUpdate", []any{"p", []*octavia.Member{{MemberID: octavia.Some("m1")}, {MemberID: octavia.Some("m2")}}}},
		{"member_batch_update", `{"pool_id": "p", "members": []}`,
			"MemberBatchUpdate", []any{"p", []*octavia.Member{}}},
		{"health_monitor_create", `{"healthmonitor": {"healthmonitor_id": "h", "type": "TCP"}}`,
			"HealthMonitorCreate", []any{&octavia.HealthMonitor{HealthMonitorID: octavia.Some("h"), Type: octavia.Some("TCP")}}},
		{"health_monitor_update", `{"old_healthmonitor": {"healthmonitor_id": "h"}, "new_healthmonitor": {"delay": 5}}`,
			"HealthMonitorUpdate", []any{&octavia.HealthMonitor{HealthMonitorID: octavia.Some("h")}, &octavia.HealthMonitor{Delay: octavia.Some(5)}}},
		{"health_monitor_delete", `{"healthmonitor": {"healthmonitor_id": "h"}}`,
			"HealthMonitorDelete", []any{&octavia.HealthMonitor{HealthMonitorID: octavia.Some("h")}}},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			r := &recorder{}
			res, err := Dispatch(context.Background(), r, tc.call, args(t, tc.args))
			if err != nil {
				t.Fatalf("Dispatch: %v", err)
			}
			if res != nil {
				t.Errorf("result = %#v, want nil", res)
			}
			if r.method != tc.method {
				t.Fatalf("called %q, want %q", r.method, tc.method)
			}
			if !reflect.DeepEqual(r.args, tc.want) {
				t.Errorf("args:\n got %s\nwant %s", dump(r.args), dump(tc.want))
			}
		})
	}
}

func dump(v []any) string {
	s := ""
	for _, a := range v {
		s += fmt.Sprintf("%+v ", a)
	}
	return s
}

func TestCreateVIPPortResultShape(t *testing.T) {
	r := &recorder{}
	res, err := Dispatch(context.Background(), r, "create_vip_port", args(t, `{
		"loadbalancer_id": "lb1", "project_id": "proj",
		"vip_dictionary": {"vip_network_id": "net", "vip_subnet_id": "sub", "vip_address": "10.0.0.9"},
		"additional_vip_dicts": [{"network_id": "net", "subnet_id": "sub6"}]}`))
	if err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	if r.args[0] != "lb1" || r.args[1] != "proj" {
		t.Errorf("ids = %v %v", r.args[0], r.args[1])
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"vip_address":"10.0.0.9","vip_network_id":"net","vip_port_id":"port-lb1","vip_subnet_id":"sub"},` +
		`[{"network_id":"net","subnet_id":"sub6"}]]`
	if string(b) != want {
		t.Errorf("result\n got %s\nwant %s", b, want)
	}

	// Without additional VIPs (absent or null) the second element is [] and
	// the project may be null.
	for _, extra := range []string{``, `, "additional_vip_dicts": null`} {
		res, err = Dispatch(context.Background(), r, "create_vip_port", args(t,
			`{"loadbalancer_id": "lb1", "project_id": null, "vip_dictionary": {"vip_network_id": "net"}`+extra+`}`))
		if err != nil {
			t.Fatalf("Dispatch: %v", err)
		}
		b, _ = json.Marshal(res)
		if want := `[{"vip_network_id":"net","vip_port_id":"port-lb1"},[]]`; string(b) != want {
			t.Errorf("result\n got %s\nwant %s", b, want)
		}
		if r.args[1] != "" {
			t.Errorf("project = %q, want empty", r.args[1])
		}
	}
}

func TestDispatchArgumentErrors(t *testing.T) {
	cases := []struct{ call, args, text string }{
		{"loadbalancer_frobnicate", `{}`, `unknown provider call "loadbalancer_frobnicate"`},
		{"loadbalancer_create", `{}`, `loadbalancer_create: missing argument "loadbalancer"`},
		{"loadbalancer_create", `{"loadbalancer": null}`, `loadbalancer_create: argument "loadbalancer": expected object, got null`},
		{"loadbalancer_create", `{"loadbalancer": [1]}`, `loadbalancer_create: argument "loadbalancer": expected object, got array`},
		{"loadbalancer_create", `{"loadbalancer": {"admin_state_up": "yes"}}`,
			`loadbalancer_create: argument "loadbalancer": admin_state_up: expected boolean, got string`},
		{"loadbalancer_create", `{"loadbalancer": {}, "lb": {}}`, `loadbalancer_create: unexpected argument "lb"`},
		{"loadbalancer_update", `{"old_loadbalancer": {}}`, `loadbalancer_update: missing argument "new_loadbalancer"`},
		{"loadbalancer_delete", `{"loadbalancer": {}, "cascade": "yes"}`, `loadbalancer_delete: argument "cascade": expected boolean, got string`},
		{"loadbalancer_failover", `{"loadbalancer_id": 7}`, `loadbalancer_failover: argument "loadbalancer_id": expected string, got number`},
		{"loadbalancer_failover", `{"loadbalancer_id": true}`, `loadbalancer_failover: argument "loadbalancer_id": expected string, got boolean`},
		{"listener_create", `{"listener": {"protocol_port": "80"}}`,
			`listener_create: argument "listener": protocol_port: expected integer, got string`},
		{"create_vip_port", `{"loadbalancer_id": "a", "project_id": 1, "vip_dictionary": {}}`,
			`create_vip_port: argument "project_id": expected string or null, got number`},
		{"create_vip_port", `{"loadbalancer_id": "a", "project_id": "p", "vip_dictionary": {}, "additional_vip_dicts": {}}`,
			`create_vip_port: argument "additional_vip_dicts": expected array, got object`},
		{"member_batch_update", `{"pool_id": "p", "members": null}`, `member_batch_update: argument "members": expected array, got null`},
		{"member_batch_update", `{"pool_id": "p", "members": [{}, {"weight": "x"}]}`,
			`member_batch_update: argument "members[1]": weight: expected integer, got string`},
		{"l7policy_create", `{}`, `l7policy_create: missing argument "l7policy"`},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			r := &recorder{}
			_, err := Dispatch(context.Background(), r, tc.call, args(t, tc.args))
			var pe *octavia.ProviderError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *octavia.ProviderError", err)
			}
			if pe.Type != octavia.TypeDriverError || pe.UserFault != tc.text || pe.OperatorFault != tc.text {
				t.Errorf("got %+v, want DriverError %q", *pe, tc.text)
			}
			if r.method != "" {
				t.Errorf("driver method %s was called", r.method)
			}
		})
	}
}

func TestArgumentlessCalls(t *testing.T) {
	cases := []struct{ call, args, method string }{
		{"l7policy_create", `{"l7policy": {}}`, "L7PolicyCreate"},
		{"l7policy_update", `{"old_l7policy": {}, "new_l7policy": null}`, "L7PolicyUpdate"},
		{"l7policy_delete", `{"l7policy": {}}`, "L7PolicyDelete"},
		{"l7rule_create", `{"l7rule": {}}`, "L7RuleCreate"},
		{"l7rule_update", `{"old_l7rule": {}, "new_l7rule": {}}`, "L7RuleUpdate"},
		{"l7rule_delete", `{"l7rule": 1}`, "L7RuleDelete"},
		{"get_supported_flavor_metadata", `{}`, "GetSupportedFlavorMetadata"},
		{"validate_flavor", `{"flavor_metadata": {}}`, "ValidateFlavor"},
		{"get_supported_availability_zone_metadata", `{}`, "GetSupportedAvailabilityZoneMetadata"},
		{"validate_availability_zone", `{"availability_zone_metadata": {}}`, "ValidateAvailabilityZone"},
	}
	want, _ := octavia.ErrNotImplemented(octavia.MethodValidateFlavor)
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			r := &recorder{err: want}
			_, err := Dispatch(context.Background(), r, tc.call, args(t, tc.args))
			if r.method != tc.method {
				t.Errorf("called %q, want %q", r.method, tc.method)
			}
			if err != want {
				t.Errorf("err = %v, want the driver's", err)
			}
		})
	}
	// Their arguments are still required, and nothing else is accepted.
	r := &recorder{}
	if _, err := Dispatch(context.Background(), r, "validate_flavor", args(t, `{}`)); err == nil ||
		err.Error() != `DriverError: validate_flavor: missing argument "flavor_metadata"` || r.method != "" {
		t.Errorf("err = %v, method %q", err, r.method)
	}
	if _, err := Dispatch(context.Background(), r, "get_supported_flavor_metadata", args(t, `{"x": 1}`)); err == nil ||
		err.Error() != `DriverError: get_supported_flavor_metadata: unexpected argument "x"` || r.method != "" {
		t.Errorf("err = %v, method %q", err, r.method)
	}
}

func TestDriverErrorPassedThrough(t *testing.T) {
	want := octavia.ErrFailover()
	_, err := Dispatch(context.Background(), &recorder{err: want}, "loadbalancer_failover", args(t, `{"loadbalancer_id": "a"}`))
	if err != want {
		t.Errorf("err = %v, want %v", err, want)
	}
}

func TestNamesCoverOctaviaLib(t *testing.T) {
	want := []string{
		"create_vip_port", "get_supported_availability_zone_metadata", "get_supported_flavor_metadata",
		"health_monitor_create", "health_monitor_delete", "health_monitor_update",
		"l7policy_create", "l7policy_delete", "l7policy_update", "l7rule_create", "l7rule_delete", "l7rule_update",
		"listener_create", "listener_delete", "listener_update",
		"loadbalancer_create", "loadbalancer_delete", "loadbalancer_failover", "loadbalancer_update",
		"member_batch_update", "member_create", "member_delete", "member_update",
		"pool_create", "pool_delete", "pool_update",
		"validate_availability_zone", "validate_flavor",
	}
	if got := Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v", got)
	}
}

// The provider front end is the Driver this package is written for.
var _ Driver = (*provider.Driver)(nil)
