package calls

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/provider"
)

var _ Validator = (*provider.Driver)(nil)

// validatorRecorder records which validation ran; every method answers err.
type validatorRecorder struct {
	Validator // nil: a method not overridden below panics, failing the test
	method    string
	lb        *octavia.LoadBalancer
	poolID    string
	members   []*octavia.Member
	err       error
}

func (v *validatorRecorder) ValidateLoadBalancerCreate(_ context.Context, lb *octavia.LoadBalancer) error {
	v.method, v.lb = "ValidateLoadBalancerCreate", lb
	return v.err
}

func (v *validatorRecorder) ValidateLoadBalancerDelete(_ context.Context, lb *octavia.LoadBalancer) error {
	v.method, v.lb = "ValidateLoadBalancerDelete", lb
	return v.err
}

func (v *validatorRecorder) ValidateMemberBatchUpdate(_ context.Context, poolID string, ms []*octavia.Member) error {
	v.method, v.poolID, v.members = "ValidateMemberBatchUpdate", poolID, ms
	return v.err
}

func rawArgs(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPrepareValidatesWithoutRunning(t *testing.T) {
	ctx := context.Background()
	c, err := Prepare("loadbalancer_create", rawArgs(t, `{"loadbalancer": {"loadbalancer_id": "lb1", "vip_address": "10.0.0.9"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name() != "loadbalancer_create" || c.Immediate() {
		t.Fatalf("name %q immediate %v", c.Name(), c.Immediate())
	}
	refused := octavia.NewUnsupportedOption("no")
	v := &validatorRecorder{err: refused}
	if err := c.Validate(ctx, v); !errors.Is(err, refused) {
		t.Fatalf("Validate = %v, want the validator's error", err)
	}
	if v.method != "ValidateLoadBalancerCreate" || v.lb.LoadBalancerID.V != "lb1" || v.lb.VIPAddress.V != "10.0.0.9" {
		t.Fatalf("validator got %s %+v", v.method, v.lb)
	}
	r := &recorder{}
	if _, err := c.Run(ctx, r); err != nil || r.method != "LoadBalancerCreate" || r.args[0] != v.lb {
		t.Fatalf("Run: err %v, method %q, same object %v", err, r.method, r.args[0] == v.lb)
	}
}

func TestPrepareValidatesDeleteAndBatch(t *testing.T) {
	ctx := context.Background()
	c, err := Prepare("loadbalancer_delete", rawArgs(t, `{"loadbalancer": {"loadbalancer_id": "lb1"}, "cascade": true}`))
	if err != nil {
		t.Fatal(err)
	}
	v := &validatorRecorder{}
	if err := c.Validate(ctx, v); err != nil || v.method != "ValidateLoadBalancerDelete" || v.lb.LoadBalancerID.V != "lb1" {
		t.Fatalf("Validate: %v %s", err, v.method)
	}
	c, err = Prepare("member_batch_update", rawArgs(t, `{"pool_id": "p1", "members": [{"member_id": "m1", "address": "10.0.0.5"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(ctx, v); err != nil || v.method != "ValidateMemberBatchUpdate" || v.poolID != "p1" ||
		len(v.members) != 1 || v.members[0].Address.V != "10.0.0.5" {
		t.Fatalf("Validate: %v %s %q %v", err, v.method, v.poolID, v.members)
	}
}

func TestPrepareImmediateCalls(t *testing.T) {
	for call, args := range map[string]string{
		"create_vip_port":               `{"loadbalancer_id": "lb1", "project_id": null, "vip_dictionary": {}}`,
		"loadbalancer_failover":         `{"loadbalancer_id": "lb1"}`,
		"l7policy_create":               `{"l7policy": {}}`,
		"get_supported_flavor_metadata": `{}`,
	} {
		c, err := Prepare(call, rawArgs(t, args))
		if err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		if !c.Immediate() {
			t.Errorf("%s: not immediate", call)
		}
		// No validation to run: a nil Validator is never touched.
		if err := c.Validate(context.Background(), nil); err != nil {
			t.Errorf("%s: Validate = %v", call, err)
		}
	}
}

func TestPrepareArgumentErrors(t *testing.T) {
	_, err := Prepare("pool_create", rawArgs(t, `{"pool": {}, "extra": 1}`))
	pe := octavia.AsProviderError(err)
	if pe == nil || pe.Type != octavia.TypeDriverError || pe.UserFault != `pool_create: unexpected argument "extra"` {
		t.Fatalf("got %v", err)
	}
	if _, err := Prepare("nope", nil); err == nil || err.Error() != `DriverError: unknown provider call "nope"` {
		t.Fatalf("got %v", err)
	}
}
