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
	h, ok := handlers[call]
	if !ok {
		return nil, octavia.NewDriverError(fmt.Sprintf("unknown provider call %q", call))
	}
	a := &argReader{call: call, raw: args, used: make(map[string]bool, len(args))}
	run, err := h(a)
	if err != nil {
		return nil, err
	}
	if err := a.checkUnexpected(); err != nil {
		return nil, err
	}
	return run(ctx, d)
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

// handler decodes the arguments of one call; it returns the call to run or
// the argument error.
type handler func(a *argReader) (runFunc, error)

// done adapts a driver method without result.
func done(err error) (any, error) { return nil, err }

var handlers = map[string]handler{
	"loadbalancer_create": func(a *argReader) (runFunc, error) {
		lb, err := object[octavia.LoadBalancer](a, "loadbalancer")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.LoadBalancerCreate(ctx, lb)) }, nil
	},
	"loadbalancer_update": func(a *argReader) (runFunc, error) {
		oldV, newV, err := pair[octavia.LoadBalancer](a, "old_loadbalancer", "new_loadbalancer")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.LoadBalancerUpdate(ctx, oldV, newV)) }, nil
	},
	"loadbalancer_delete": func(a *argReader) (runFunc, error) {
		lb, err := object[octavia.LoadBalancer](a, "loadbalancer")
		if err != nil {
			return nil, err
		}
		// octavia-lib: loadbalancer_delete(loadbalancer, cascade=False).
		cascade, err := a.optionalBool("cascade")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) {
			return done(d.LoadBalancerDelete(ctx, lb, cascade))
		}, nil
	},
	"loadbalancer_failover": func(a *argReader) (runFunc, error) {
		id, err := a.requiredString("loadbalancer_id")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.LoadBalancerFailover(ctx, id)) }, nil
	},
	"create_vip_port": func(a *argReader) (runFunc, error) {
		lbID, err := a.requiredString("loadbalancer_id")
		if err != nil {
			return nil, err
		}
		projectID, err := a.nullableString("project_id")
		if err != nil {
			return nil, err
		}
		vip, err := object[octavia.VIP](a, "vip_dictionary")
		if err != nil {
			return nil, err
		}
		add, err := optionalList[octavia.AdditionalVIP](a, "additional_vip_dicts")
		if err != nil {
			return nil, err
		}
		additional := make([]octavia.AdditionalVIP, len(add))
		for i, v := range add {
			additional[i] = *v
		}
		return func(ctx context.Context, d Driver) (any, error) {
			v, av, err := d.CreateVIPPort(ctx, lbID, projectID, vip, additional)
			if err != nil {
				return nil, err
			}
			if av == nil {
				av = []octavia.AdditionalVIP{} // a list, never null
			}
			return []any{v, av}, nil
		}, nil
	},

	"listener_create": func(a *argReader) (runFunc, error) {
		l, err := object[octavia.Listener](a, "listener")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.ListenerCreate(ctx, l)) }, nil
	},
	"listener_update": func(a *argReader) (runFunc, error) {
		oldV, newV, err := pair[octavia.Listener](a, "old_listener", "new_listener")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.ListenerUpdate(ctx, oldV, newV)) }, nil
	},
	"listener_delete": func(a *argReader) (runFunc, error) {
		l, err := object[octavia.Listener](a, "listener")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.ListenerDelete(ctx, l)) }, nil
	},

	"pool_create": func(a *argReader) (runFunc, error) {
		p, err := object[octavia.Pool](a, "pool")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.PoolCreate(ctx, p)) }, nil
	},
	"pool_update": func(a *argReader) (runFunc, error) {
		oldV, newV, err := pair[octavia.Pool](a, "old_pool", "new_pool")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.PoolUpdate(ctx, oldV, newV)) }, nil
	},
	"pool_delete": func(a *argReader) (runFunc, error) {
		p, err := object[octavia.Pool](a, "pool")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.PoolDelete(ctx, p)) }, nil
	},

	"member_create": func(a *argReader) (runFunc, error) {
		m, err := object[octavia.Member](a, "member")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.MemberCreate(ctx, m)) }, nil
	},
	"member_update": func(a *argReader) (runFunc, error) {
		oldV, newV, err := pair[octavia.Member](a, "old_member", "new_member")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.MemberUpdate(ctx, oldV, newV)) }, nil
	},
	"member_delete": func(a *argReader) (runFunc, error) {
		m, err := object[octavia.Member](a, "member")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.MemberDelete(ctx, m)) }, nil
	},
	"member_batch_update": func(a *argReader) (runFunc, error) {
		poolID, err := a.requiredString("pool_id")
		if err != nil {
			return nil, err
		}
		members, err := requiredList[octavia.Member](a, "members")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) {
			return done(d.MemberBatchUpdate(ctx, poolID, members))
		}, nil
	},

	"health_monitor_create": func(a *argReader) (runFunc, error) {
		hm, err := object[octavia.HealthMonitor](a, "healthmonitor")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.HealthMonitorCreate(ctx, hm)) }, nil
	},
	"health_monitor_update": func(a *argReader) (runFunc, error) {
		oldV, newV, err := pair[octavia.HealthMonitor](a, "old_healthmonitor", "new_healthmonitor")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) {
			return done(d.HealthMonitorUpdate(ctx, oldV, newV))
		}, nil
	},
	"health_monitor_delete": func(a *argReader) (runFunc, error) {
		hm, err := object[octavia.HealthMonitor](a, "healthmonitor")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(d.HealthMonitorDelete(ctx, hm)) }, nil
	},

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
// arguments must be present but are not decoded.
func unused(method func(Driver, context.Context) error, argNames ...string) handler {
	return func(a *argReader) (runFunc, error) {
		for _, n := range argNames {
			if _, err := a.present(n); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context, d Driver) (any, error) { return done(method(d, ctx)) }, nil
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

// kind names the JSON type of raw for error texts.
func kind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
