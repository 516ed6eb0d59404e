// Package calls invokes provider calls by their octavia-lib ProviderDriver
// method name and keyword-argument names, the way Octavia calls a Python
// provider driver: `loadbalancer_create(loadbalancer=...)`,
// `member_batch_update(pool_id=..., members=[...])` and so on. Arguments
// arrive as JSON (the data-model objects' to_dict() shape, see
// octavia-interface.md §3) and are decoded into the octavia package's types,
// keeping Unset (absent key) apart from null.
//
// `ovn-octavia apply` runs steps through Dispatch; the Python shim's socket
// is meant to use it too, so both speak exactly the same call names.
package calls

import (
	"context"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// Driver is the provider front end Dispatch calls: one method per
// octavia-lib ProviderDriver method (*provider.Driver implements it). Each
// returns the synchronous answer of the call: a *octavia.ProviderError for a
// refused call, nil once the work is done and its status sent.
type Driver interface {
	LoadBalancerCreate(ctx context.Context, lb *octavia.LoadBalancer) error
	LoadBalancerUpdate(ctx context.Context, old, new *octavia.LoadBalancer) error
	LoadBalancerDelete(ctx context.Context, lb *octavia.LoadBalancer, cascade bool) error
	LoadBalancerFailover(ctx context.Context, lbID string) error
	CreateVIPPort(ctx context.Context, lbID, projectID string, vip *octavia.VIP,
		additional []octavia.AdditionalVIP) (*octavia.VIP, []octavia.AdditionalVIP, error)

	ListenerCreate(ctx context.Context, l *octavia.Listener) error
	ListenerUpdate(ctx context.Context, old, new *octavia.Listener) error
	ListenerDelete(ctx context.Context, l *octavia.Listener) error

	PoolCreate(ctx context.Context, p *octavia.Pool) error
	PoolUpdate(ctx context.Context, old, new *octavia.Pool) error
	PoolDelete(ctx context.Context, p *octavia.Pool) error

	MemberCreate(ctx context.Context, m *octavia.Member) error
	MemberUpdate(ctx context.Context, old, new *octavia.Member) error
	MemberDelete(ctx context.Context, m *octavia.Member) error
	MemberBatchUpdate(ctx context.Context, poolID string, members []*octavia.Member) error

	HealthMonitorCreate(ctx context.Context, hm *octavia.HealthMonitor) error
	HealthMonitorUpdate(ctx context.Context, old, new *octavia.HealthMonitor) error
	HealthMonitorDelete(ctx context.Context, hm *octavia.HealthMonitor) error

	// Calls the reference leaves to octavia-lib's defaults (NotImplementedError);
	// their arguments are not used.
	L7PolicyCreate(ctx context.Context) error
	L7PolicyUpdate(ctx context.Context) error
	L7PolicyDelete(ctx context.Context) error
	L7RuleCreate(ctx context.Context) error
	L7RuleUpdate(ctx context.Context) error
	L7RuleDelete(ctx context.Context) error
	GetSupportedFlavorMetadata(ctx context.Context) error
	ValidateFlavor(ctx context.Context) error
	GetSupportedAvailabilityZoneMetadata(ctx context.Context) error
	ValidateAvailabilityZone(ctx context.Context) error
}
