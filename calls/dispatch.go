package calls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// Dispatch runs the provider call named call (an octavia-lib ProviderDriver
// method name) with its keyword arguments args on d.
//
// Every argument is decoded and checked before d is called, so a call with a
// bad argument changes nothing. An unknown call, a missing or unexpected
// argument, or a JSON value of the wrong type is answered with a
// *octavia.ProviderError of type DriverError naming the call and argument.
// Errors returned by d are passed through unchanged.
//
// result is nil except for create_vip_port, whose result is the two-element
// list octavia-lib returns: [vip_dict, additional_vip_dicts].
func Dispatch(ctx context.Context, d Driver, call string, args map[string]json.RawMessage) (result any, err error) {
	c, err := Prepare(call, args)
	if err != nil {
		return nil, err
	}
	return c.Run(ctx, d)
}

// Validator runs the synchronous validation of a provider call without
// doing its work (*provider.Driver implements it). `ovn-octavia serve`
// answers Octavia with it and runs the call later, in order, as the
// reference queues its work after validating in the API process.
type Validator interface {
	ValidateLoadBalancerCreate(ctx context.Context, lb *octavia.LoadBalancer) error
	ValidateLoadBalancerUpdate(ctx context.Context, old, new *octavia.LoadBalancer) error
	ValidateLoadBalancerDelete(ctx context.Context, lb *octavia.LoadBalancer) error

	ValidateListenerCreate(ctx context.Context, l *octavia.Listener) error
	ValidateListenerUpdate(ctx context.Context, old, new *octavia.Listener) error
	ValidateListenerDelete(ctx context.Context, l *octavia.Listener) error

	ValidatePoolCreate(ctx context.Context, p *octavia.Pool) error
	ValidatePoolUpdate(ctx context.Context, old, new *octavia.Pool) error
	ValidatePoolDelete(ctx context.Context, p *octavia.Pool) error

	ValidateMemberCreate(ctx context.Context, m *octavia.Member) error
	ValidateMemberUpdate(ctx context.Context, old, new *octavia.Member) error
	ValidateMemberDelete(ctx context.Context, m *octavia.Member) error
	ValidateMemberBatchUpdate(ctx context.Context, poolID string, members []*octavia.Member) error

	ValidateHealthMonitorCreate(ctx context.Context, hm *octavia.HealthMonitor) error
	ValidateHealthMonitorUpdate(ctx context.Context, old, new *octavia.HealthMonitor) error
	ValidateHealthMonitorDelete(ctx context.Context, hm *octavia.HealthMonitor) error
}

// Call is a provider call whose arguments are decoded and checked, ready to
// be validated and run.
type Call struct {
	name string
	prepared
}

// Prepare decodes and checks the arguments of the call named call, with the
// errors Dispatch gives for an unknown call or a bad argument.
func Prepare(call string, args map[string]json.RawMessage) (*Call, error) {
	h, ok := handlers[call]
	if !ok {
		return nil, octavia.NewDriverError(fmt.Sprintf("unknown provider call %q", call))
	}
	a := &argReader{call: call, raw: args, used: make(map[string]bool, len(args))}
	p, err := h(a)
	if err != nil {
		return nil, err
	}
	if err := a.checkUnexpected(); err != nil {
		return nil, err
	}
	return &Call{name: call, prepared: p}, nil
}

// Name is the call's octavia-lib method name.
func (c *Call) Name() string { return c.name }

// Immediate reports whether the call's answer is its work and must be run
// before answering: create_vip_port returns the port it creates, and
// failover, L7, flavor and availability-zone calls only answer an error.
// Validate is then a no-op.
func (c *Call) Immediate() bool { return c.validate == nil }

// Validate runs the call's synchronous validation on v (nil for an
// Immediate call).
func (c *Call) Validate(ctx context.Context, v Validator) error {
	if c.validate == nil {
		return nil
	}
	return c.validate(ctx, v)
}

// Run runs the call on d; see Dispatch for the result.
func (c *Call) Run(ctx context.Context, d Driver) (any, error) {
	return c.run(ctx, d)
}

// Names returns every call name Dispatch knows, sorted.
func Names() []string {
	names := make([]string, 0, len(handlers))
	for n := range handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// runFunc is a call with its arguments decoded.
type runFunc func(ctx context.Context, d Driver) (any, error)

// validateFunc is the validation of a call with its arguments decoded.
type validateFunc func(ctx context.Context, v Validator) error

// prepared is a call with its arguments decoded: its work, and its
// validation (nil for a call whose work is its answer).
type prepared struct {
	run      runFunc
	validate validateFunc
}

// handler decodes the arguments of one call; it returns the call to run or
// the argument error.
type handler func(a *argReader) (prepared, error)

// done adapts a driver method without result.
func done(err error) (any, error) { return nil, err }

// single prepares a call taking one data-model object.
func single[T any](name string, run func(Driver, context.Context, *T) error, validate func(Validator, context.Context, *T) error) handler {
	return func(a *argReader) (prepared, error) {
		v, err := object[T](a, name)
		if err != nil {
			return prepared{}, err
		}
		return prepared{
			run:      func(ctx context.Context, d Driver) (any, error) { return done(run(d, ctx, v)) },
			validate: func(ctx context.Context, val Validator) error { return validate(val, ctx, v) },
		}, nil
	}
}

// update prepares an *_update call (old and new object).
func update[T any](oldName, newName string, run func(Driver, context.Context, *T, *T) error,
	validate func(Validator, context.Context, *T, *T) error) handler {
	return func(a *argReader) (prepared, error) {
		oldV, newV, err := pair[T](a, oldName, newName)
		if err != nil {
			return prepared{}, err
		}
		return prepared{
			run:      func(ctx context.Context, d Driver) (any, error) { return done(run(d, ctx, oldV, newV)) },
			validate: func(ctx context.Context, val Validator) error { return validate(val, ctx, oldV, newV) },
		}, nil
	}
}

var handlers = map[string]handler{
	"loadbalancer_create": single("loadbalancer", Driver.LoadBalancerCreate, Validator.ValidateLoadBalancerCreate),
	"loadbalancer_update": update("old_loadbalancer", "new_loadbalancer", Driver.LoadBalancerUpdate, Validator.ValidateLoadBalancerUpdate),
	"loadbalancer_delete": func(a *argReader) (prepared, error) {
		lb, err := object[octavia.LoadBalancer](a, "loadbalancer")
		if err != nil {
			return prepared{}, err
		}
		// octavia-lib: loadbalancer_delete(loadbalancer, cascade=False).
		cascade, err := a.optionalBool("cascade")
		if err != nil {
			return prepared{}, err
		}
		return prepared{
			run: func(ctx context.Context, d Driver) (any, error) {
				return done(d.LoadBalancerDelete(ctx, lb, cascade))
			},
			validate: func(ctx context.Context, v Validator) error { return v.ValidateLoadBalancerDelete(ctx, lb) },
		}, nil
	},
	"loadbalancer_failover": func(a *argReader) (prepared, error) {
		id, err := a.requiredString("loadbalancer_id")
		if err != nil {
			return prepared{}, err
		}
		return prepared{run: func(ctx context.Context, d Driver) (any, error) { return done(d.LoadBalancerFailover(ctx, id)) }}, nil
	},
	"create_vip_port": func(a *argReader) (prepared, error) {
		lbID, err := a.requiredString("loadbalancer_id")
		if err != nil {
			return prepared{}, err
		}
		projectID, err := a.nullableString("project_id")
		if err != nil {
			return prepared{}, err
		}
		vip, err := object[octavia.VIP](a, "vip_dictionary")
		if err != nil {
			return prepared{}, err
		}
		add, err := optionalList[octavia.AdditionalVIP](a, "additional_vip_dicts")
		if err != nil {
			return prepared{}, err
		}
		additional := make([]octavia.AdditionalVIP, len(add))
		for i, v := range add {
			additional[i] = *v
		}
		return prepared{run: func(ctx context.Context, d Driver) (any, error) {
			v, av, err := d.CreateVIPPort(ctx, lbID, projectID, vip, additional)
			if err != nil {
				return nil, err
			}
			if av == nil {
				av = []octavia.AdditionalVIP{} // a list, never null
			}
			return []any{v, av}, nil
		}}, nil
	},

	"listener_create": single("listener", Driver.ListenerCreate, Validator.ValidateListenerCreate),
	"listener_update": update("old_listener", "new_listener", Driver.ListenerUpdate, Validator.ValidateListenerUpdate),
	"listener_delete": single("listener", Driver.ListenerDelete, Validator.ValidateListenerDelete),

	"pool_create": single("pool", Driver.PoolCreate, Validator.ValidatePoolCreate),
	"pool_update": update("old_pool", "new_pool", Driver.PoolUpdate, Validator.ValidatePoolUpdate),
	"pool_delete": single("pool", Driver.PoolDelete, Validator.ValidatePoolDelete),

	"member_create": single("member", Driver.MemberCreate, Validator.ValidateMemberCreate),
	"member_update": update("old_member", "new_member", Driver.MemberUpdate, Validator.ValidateMemberUpdate),
	"member_delete": single("member", Driver.MemberDelete, Validator.ValidateMemberDelete),
	"member_batch_update": func(a *argReader) (prepared, error) {
		poolID, err := a.requiredString("pool_id")
		if err != nil {
			return prepared{}, err
		}
		members, err := requiredList[octavia.Member](a, "members")
		if err != nil {
			return prepared{}, err
		}
		return prepared{
			run: func(ctx context.Context, d Driver) (any, error) {
				return done(d.MemberBatchUpdate(ctx, poolID, members))
			},
			validate: func(ctx context.Context, v Validator) error {
				return v.ValidateMemberBatchUpdate(ctx, poolID, members)
			},
		}, nil
	},

	"health_monitor_create": single("healthmonitor", Driver.HealthMonitorCreate, Validator.ValidateHealthMonitorCreate),
	"health_monitor_update": update("old_healthmonitor", "new_healthmonitor", Driver.HealthMonitorUpdate, Validator.ValidateHealthMonitorUpdate),
	"health_monitor_delete": single("healthmonitor", Driver.HealthMonitorDelete, Validator.ValidateHealthMonitorDelete),

	// Calls the reference leaves to octavia-lib's defaults. Their arguments
	// are still required (Python would raise a TypeError for a missing one
	// before reaching the default body), but not interpreted.
	octavia.MethodL7PolicyCreate: unused(Driver.L7PolicyCreate, "l7policy"),
	octavia.MethodL7PolicyUpdate: unused(Driver.L7PolicyUpdate, "old_l7policy", "new_l7policy"),
	octavia.MethodL7PolicyDelete: unused(Driver.L7PolicyDelete, "l7policy"),
	octavia.MethodL7RuleCreate:   unused(Driver.L7RuleCreate, "l7rule"),
	octavia.MethodL7RuleUpdate:   unused(Driver.L7RuleUpdate, "old_l7rule", "new_l7rule"),
	octavia.MethodL7RuleDelete:   unused(Driver.L7RuleDelete, "l7rule"),

	octavia.MethodGetSupportedFlavorMetadata:           unused(Driver.GetSupportedFlavorMetadata),
	octavia.MethodValidateFlavor:                       unused(Driver.ValidateFlavor, "flavor_metadata"),
	octavia.MethodGetSupportedAvailabilityZoneMetadata: unused(Driver.GetSupportedAvailabilityZoneMetadata),
	octavia.MethodValidateAvailabilityZone:             unused(Driver.ValidateAvailabilityZone, "availability_zone_metadata"),
}

// unused adapts a driver method that takes no argument: the named
// arguments must be present but are not decoded. The method's answer is
// the call's whole work, so it has no separate validation.
func unused(method func(Driver, context.Context) error, argNames ...string) handler {
	return func(a *argReader) (prepared, error) {
		for _, n := range argNames {
			if _, err := a.present(n); err != nil {
				return prepared{}, err
			}
		}
		return prepared{run: func(ctx context.Context, d Driver) (any, error) { return done(method(d, ctx)) }}, nil
	}
}

// argReader hands out the arguments of one call and remembers which were
// read, so that unexpected ones can be refused.
type argReader struct {
	call string
	raw  map[string]json.RawMessage
	used map[string]bool
}

func (a *argReader) errorf(format string, args ...any) *octavia.ProviderError {
	return octavia.NewDriverError(a.call + ": " + fmt.Sprintf(format, args...))
}

// present returns the raw value of a required argument.
func (a *argReader) present(name string) (json.RawMessage, error) {
	a.used[name] = true
	v, ok := a.raw[name]
	if !ok {
		return nil, a.errorf("missing argument %q", name)
	}
	return v, nil
}

// optional returns the raw value of an optional argument, nil when it is
// absent or null.
func (a *argReader) optional(name string) json.RawMessage {
	a.used[name] = true
	v, ok := a.raw[name]
	if !ok || isNull(v) {
		return nil
	}
	return v
}

func (a *argReader) checkUnexpected() error {
	var extra []string
	for n := range a.raw {
		if !a.used[n] {
			extra = append(extra, fmt.Sprintf("%q", n))
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return a.errorf("unexpected argument %s", strings.Join(extra, ", "))
}

func (a *argReader) requiredString(name string) (string, error) {
	raw, err := a.present(name)
	if err != nil {
		return "", err
	}
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", a.errorf("argument %q: expected string, got %s", name, kind(raw))
	}
	return s, nil
}

// nullableString is a required argument that may be null ("" then).
func (a *argReader) nullableString(name string) (string, error) {
	raw, err := a.present(name)
	if err != nil {
		return "", err
	}
	if isNull(raw) {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", a.errorf("argument %q: expected string or null, got %s", name, kind(raw))
	}
	return s, nil
}

// optionalBool is an argument with default False; null counts as False, as
// Python's truth test of None does.
func (a *argReader) optionalBool(name string) (bool, error) {
	raw := a.optional(name)
	if raw == nil {
		return false, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		return false, a.errorf("argument %q: expected boolean, got %s", name, kind(raw))
	}
	return b, nil
}

// object decodes a required data-model argument.
func object[T any](a *argReader, name string) (*T, error) {
	raw, err := a.present(name)
	if err != nil {
		return nil, err
	}
	return decode[T](a, name, raw)
}

// pair decodes the old and new objects of an *_update call.
func pair[T any](a *argReader, oldName, newName string) (*T, *T, error) {
	oldV, err := object[T](a, oldName)
	if err != nil {
		return nil, nil, err
	}
	newV, err := object[T](a, newName)
	if err != nil {
		return nil, nil, err
	}
	return oldV, newV, nil
}

func decode[T any](a *argReader, name string, raw json.RawMessage) (*T, error) {
	v := new(T)
	if err := octavia.Unmarshal(raw, v); err != nil {
		return nil, a.errorf("argument %q: %v", name, err)
	}
	return v, nil
}

// requiredList decodes a required JSON list of data-model objects.
func requiredList[T any](a *argReader, name string) ([]*T, error) {
	raw, err := a.present(name)
	if err != nil {
		return nil, err
	}
	return decodeList[T](a, name, raw)
}

// optionalList decodes an optional list; absent or null is an empty list.
func optionalList[T any](a *argReader, name string) ([]*T, error) {
	raw := a.optional(name)
	if raw == nil {
		return nil, nil
	}
	return decodeList[T](a, name, raw)
}

func decodeList[T any](a *argReader, name string, raw json.RawMessage) ([]*T, error) {
	var items []json.RawMessage
	if isNull(raw) || json.Unmarshal(raw, &items) != nil {
		return nil, a.errorf("argument %q: expected array, got %s", name, kind(raw))
	}
	out := make([]*T, len(items))
	for i, item := range items {
		v, err := decode[T](a, fmt.Sprintf("%s[%d]", name, i), item)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// kind names the JSON type of raw for error texts: octavia.JSONKind, except
// that a boolean is "boolean", the word these argument errors also use for
// the expected kind ("expected boolean, got string").
func kind(raw json.RawMessage) string {
	if k := octavia.JSONKind(bytes.TrimSpace(raw)); k != "bool" {
		return k
	}
	return "boolean"
}
