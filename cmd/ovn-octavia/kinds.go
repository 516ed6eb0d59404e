package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"strconv"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/provider"
)

// The CRUD subcommands build the octavia-lib objects Octavia would pass and
// go through the same provider.Driver methods as `apply` and the Python
// shim.

type createFunc = func(ctx context.Context, d *provider.Driver, id string, std stdio) error
type deleteFunc = func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error

// optString is a string flag that records whether it was given.
func optString(v string) octavia.Opt[string] {
	if v == "" {
		return octavia.Opt[string]{}
	}
	return octavia.Some(v)
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func lbKind() *kind {
	return &kind{
		name: "loadbalancer", alias: "lb", title: "load balancer", idNoun: "load balancer",
		required: []string{"vip-network-id"},
		create: func(fs *flag.FlagSet) createFunc {
			netID := fs.String("vip-network-id", "", "Neutron `network` of the VIP (required)")
			subnetID := fs.String("vip-subnet-id", "", "Neutron `subnet` of the VIP")
			addr := fs.String("vip-address", "", "VIP `address` (default: Neutron allocates one)")
			portID := fs.String("vip-port-id", "", "existing Neutron `port` to use as the VIP port (default: the provider creates ovn-lb-vip-<id>)")
			project := fs.String("project-id", "", "`project` owning the VIP port")
			disabled := fs.Bool("disabled", false, "create with admin_state_up false")
			return func(ctx context.Context, d *provider.Driver, id string, std stdio) error {
				// As Octavia does: the provider makes the VIP port first
				// (create_vip_port), then the LB is created on its address.
				vip := &octavia.VIP{VIPNetworkID: octavia.Some(*netID), VIPSubnetID: optString(*subnetID),
					VIPAddress: optString(*addr), VIPPortID: optString(*portID)}
				got, _, err := d.CreateVIPPort(ctx, id, *project, vip, nil)
				if err != nil {
					return err
				}
				lb := &octavia.LoadBalancer{
					LoadBalancerID: octavia.Some(id),
					AdminStateUp:   octavia.Some(!*disabled),
					ProjectID:      optString(*project),
					VIPAddress:     got.VIPAddress,
					VIPNetworkID:   octavia.Some(*netID),
					VIPSubnetID:    got.VIPSubnetID,
					VIPPortID:      got.VIPPortID,
				}
				if !lb.VIPSubnetID.Valid() {
					lb.VIPSubnetID = optString(*subnetID)
				}
				return d.LoadBalancerCreate(ctx, lb)
			}
		},
		deleter: func(fs *flag.FlagSet) deleteFunc {
			cascade := fs.Bool("cascade", false, "also delete the listeners, pools, members and health monitors")
			return func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error {
				lb := &octavia.LoadBalancer{LoadBalancerID: octavia.Some(id)}
				if v := findLB(lbs, id); v != nil {
					lb.VIPAddress = optString(v.VIPAddress)
					lb.VIPPortID = optString(v.VIPPortID)
				}
				return d.LoadBalancerDelete(ctx, lb, *cascade)
			}
		},
		list: func(lbs []*lbView) ([]string, [][]string, []string, []any) {
			header := []string{"ID", "VIP", "VIP PORT", "ENABLED", "PROTOCOLS", "LISTENERS", "POOLS", "MEMBERS", "ROUTERS"}
			var rows [][]string
			var ids []string
			var objs []any
			for _, v := range lbs {
				members := 0
				for _, p := range v.Pools {
					members += len(p.Members)
				}
				vip := v.VIPAddress
				if len(v.AdditionalVIPs) > 0 {
					vip += "," + strings.Join(v.AdditionalVIPs, ",")
				}
				rows = append(rows, []string{v.ID, vip, v.VIPPortID, boolText(v.Enabled), strings.Join(v.Protocols, ","),
					strconv.Itoa(len(v.Listeners)), strconv.Itoa(len(v.Pools)), strconv.Itoa(members), strings.Join(v.Routers, ",")})
				ids = append(ids, v.ID)
				objs = append(objs, v)
			}
			return header, rows, ids, objsOrEmpty(objs)
		},
	}
}

func listenerKind() *kind {
	return &kind{
		name: "listener", title: "listener", idNoun: "listener",
		required: []string{"loadbalancer-id", "protocol-port"},
		create: func(fs *flag.FlagSet) createFunc {
			lbID := fs.String("loadbalancer-id", "", "`load balancer` of the listener (required)")
			proto := fs.String("protocol", "TCP", "`protocol`: TCP, UDP or SCTP")
			port := fs.Int("protocol-port", 0, "listening `port` on the VIP (required)")
			pool := fs.String("default-pool-id", "", "default `pool`")
			disabled := fs.Bool("disabled", false, "create with admin_state_up false")
			return func(ctx context.Context, d *provider.Driver, id string, _ stdio) error {
				return d.ListenerCreate(ctx, &octavia.Listener{
					ListenerID: octavia.Some(id), LoadBalancerID: octavia.Some(*lbID),
					Protocol: octavia.Some(strings.ToUpper(*proto)), ProtocolPort: octavia.Some(*port),
					DefaultPoolID: optString(*pool), AdminStateUp: octavia.Some(!*disabled),
				})
			}
		},
		deleter: func(*flag.FlagSet) deleteFunc {
			return func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error {
				l := findListener(lbs, id)
				if l == nil {
					return fmt.Errorf("listener %s not found in NB", id)
				}
				return d.ListenerDelete(ctx, &octavia.Listener{
					ListenerID: octavia.Some(id), LoadBalancerID: octavia.Some(l.LoadBalancerID),
					Protocol: octavia.Some(l.Protocol), ProtocolPort: octavia.Some(l.ProtocolPort),
				})
			}
		},
		list: func(lbs []*lbView) ([]string, [][]string, []string, []any) {
			header := []string{"ID", "LOADBALANCER", "PROTOCOL", "PORT", "DEFAULT POOL", "ENABLED"}
			var rows [][]string
			var ids []string
			var objs []any
			for _, v := range lbs {
				for _, l := range v.Listeners {
					rows = append(rows, []string{l.ID, l.LoadBalancerID, l.Protocol, strconv.Itoa(l.ProtocolPort),
						l.DefaultPoolID, boolText(l.Enabled)})
					ids = append(ids, l.ID)
					objs = append(objs, l)
				}
			}
			return header, rows, ids, objsOrEmpty(objs)
		},
	}
}

func poolKind() *kind {
	return &kind{
		name: "pool", title: "pool", idNoun: "pool",
		required: []string{"loadbalancer-id"},
		create: func(fs *flag.FlagSet) createFunc {
			lbID := fs.String("loadbalancer-id", "", "`load balancer` of the pool (required)")
			proto := fs.String("protocol", "TCP", "`protocol`: TCP, UDP or SCTP")
			alg := fs.String("lb-algorithm", octavia.AlgorithmSourceIPPort, "`algorithm`: SOURCE_IP_PORT or SOURCE_IP")
			listener := fs.String("listener-id", "", "`listener` whose default pool this becomes")
			persist := fs.String("session-persistence", "", "session persistence `type` (SOURCE_IP)")
			persistTimeout := fs.Int("persistence-timeout", 0, "session persistence timeout in `seconds` (default: the provider's 360)")
			disabled := fs.Bool("disabled", false, "create with admin_state_up false")
			return func(ctx context.Context, d *provider.Driver, id string, _ stdio) error {
				p := &octavia.Pool{
					PoolID: octavia.Some(id), LoadBalancerID: octavia.Some(*lbID),
					Protocol: octavia.Some(strings.ToUpper(*proto)), LBAlgorithm: octavia.Some(strings.ToUpper(*alg)),
					ListenerID: optString(*listener), AdminStateUp: octavia.Some(!*disabled),
				}
				if *persist != "" {
					sp := octavia.SessionPersistence{Type: octavia.Some(strings.ToUpper(*persist))}
					if *persistTimeout > 0 {
						sp.PersistenceTimeout = octavia.Some(*persistTimeout)
					}
					p.SessionPersistence = octavia.Some(sp)
				}
				return d.PoolCreate(ctx, p)
			}
		},
		deleter: func(*flag.FlagSet) deleteFunc {
			return func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error {
				p := findPool(lbs, id)
				if p == nil {
					return fmt.Errorf("pool %s not found in NB", id)
				}
				// Octavia passes the pool with its members and health
				// monitor; the driver deletes those first (operations.md §9.3).
				pool := &octavia.Pool{PoolID: octavia.Some(id), LoadBalancerID: octavia.Some(p.LoadBalancerID),
					Protocol: octavia.Some(p.Protocol)}
				members := []octavia.Member{}
				for _, m := range p.Members {
					members = append(members, memberObject(m))
				}
				pool.Members = octavia.Some(members)
				if p.HealthMonitorID != "" {
					pool.HealthMonitor = octavia.Some(octavia.HealthMonitor{
						HealthMonitorID: octavia.Some(p.HealthMonitorID), PoolID: octavia.Some(id)})
				}
				return d.PoolDelete(ctx, pool)
			}
		},
		list: func(lbs []*lbView) ([]string, [][]string, []string, []any) {
			header := []string{"ID", "LOADBALANCER", "PROTOCOL", "LISTENERS", "MEMBERS", "HEALTHMONITOR", "ENABLED"}
			var rows [][]string
			var ids []string
			var objs []any
			for _, v := range lbs {
				for _, p := range v.Pools {
					rows = append(rows, []string{p.ID, p.LoadBalancerID, p.Protocol, strings.Join(p.ListenerIDs, ","),
						strconv.Itoa(len(p.Members)), p.HealthMonitorID, boolText(p.Enabled)})
					ids = append(ids, p.ID)
					objs = append(objs, p)
				}
			}
			return header, rows, ids, objsOrEmpty(objs)
		},
	}
}

func memberObject(m memberView) octavia.Member {
	return octavia.Member{MemberID: octavia.Some(m.ID), PoolID: octavia.Some(m.PoolID),
		Address: octavia.Some(m.Address), ProtocolPort: octavia.Some(m.ProtocolPort), SubnetID: optString(m.SubnetID)}
}

func memberKind() *kind {
	return &kind{
		name: "member", title: "member", idNoun: "member",
		required: []string{"pool-id", "address", "protocol-port"},
		create: func(fs *flag.FlagSet) createFunc {
			pool := fs.String("pool-id", "", "`pool` of the member (required)")
			addr := fs.String("address", "", "member IP `address` (required)")
			port := fs.Int("protocol-port", 0, "member `port` (required)")
			subnet := fs.String("subnet-id", "", "Neutron `subnet` of the address (default: inferred from the LB VIP subnet)")
			disabled := fs.Bool("disabled", false, "create with admin_state_up false")
			return func(ctx context.Context, d *provider.Driver, id string, _ stdio) error {
				return d.MemberCreate(ctx, &octavia.Member{
					MemberID: octavia.Some(id), PoolID: octavia.Some(*pool), Address: octavia.Some(*addr),
					ProtocolPort: octavia.Some(*port), SubnetID: optString(*subnet), AdminStateUp: octavia.Some(!*disabled),
				})
			}
		},
		deleter: func(*flag.FlagSet) deleteFunc {
			return func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error {
				m := findMember(lbs, id)
				if m == nil {
					return fmt.Errorf("member %s not found in NB", id)
				}
				obj := memberObject(*m)
				return d.MemberDelete(ctx, &obj)
			}
		},
		list: func(lbs []*lbView) ([]string, [][]string, []string, []any) {
			header := []string{"ID", "POOL", "LOADBALANCER", "ADDRESS", "PORT", "SUBNET", "OPERATING STATUS"}
			var rows [][]string
			var ids []string
			var objs []any
			for _, v := range lbs {
				for _, p := range v.Pools {
					for _, m := range p.Members {
						rows = append(rows, []string{m.ID, m.PoolID, m.LoadBalancerID, m.Address,
							strconv.Itoa(m.ProtocolPort), m.SubnetID, m.OperatingStatus})
						ids = append(ids, m.ID)
						objs = append(objs, m)
					}
				}
			}
			return header, rows, ids, objsOrEmpty(objs)
		},
	}
}

func hmKind() *kind {
	return &kind{
		name: "healthmonitor", alias: "hm", title: "health monitor", idNoun: "health monitor",
		required: []string{"pool-id"},
		create: func(fs *flag.FlagSet) createFunc {
			pool := fs.String("pool-id", "", "`pool` to monitor (required)")
			typ := fs.String("type", octavia.HealthMonitorTCP, "monitor `type`: TCP or UDP-CONNECT")
			delay := fs.Int("delay", 10, "`seconds` between probes")
			timeout := fs.Int("timeout", 5, "probe timeout in `seconds`")
			retries := fs.Int("max-retries", 3, "successful probes before a member is ONLINE (`n`)")
			retriesDown := fs.Int("max-retries-down", 3, "failed probes before a member is in ERROR (`n`)")
			disabled := fs.Bool("disabled", false, "create with admin_state_up false")
			return func(ctx context.Context, d *provider.Driver, id string, _ stdio) error {
				return d.HealthMonitorCreate(ctx, &octavia.HealthMonitor{
					HealthMonitorID: octavia.Some(id), PoolID: octavia.Some(*pool),
					Type: octavia.Some(strings.ToUpper(*typ)), Delay: octavia.Some(*delay), Timeout: octavia.Some(*timeout),
					MaxRetries: octavia.Some(*retries), MaxRetriesDown: octavia.Some(*retriesDown),
					AdminStateUp: octavia.Some(!*disabled),
				})
			}
		},
		deleter: func(*flag.FlagSet) deleteFunc {
			return func(ctx context.Context, d *provider.Driver, lbs []*lbView, id string) error {
				h := findHM(lbs, id)
				if h == nil {
					return fmt.Errorf("health monitor %s not found in NB", id)
				}
				return d.HealthMonitorDelete(ctx, &octavia.HealthMonitor{
					HealthMonitorID: octavia.Some(id), PoolID: octavia.Some(h.PoolID)})
			}
		},
		list: func(lbs []*lbView) ([]string, [][]string, []string, []any) {
			header := []string{"ID", "POOL", "LOADBALANCER", "VIPS", "INTERVAL", "TIMEOUT", "SUCCESS", "FAILURE"}
			var rows [][]string
			var ids []string
			var objs []any
			for _, v := range lbs {
				for _, h := range v.HealthMonitors {
					rows = append(rows, []string{h.ID, h.PoolID, h.LoadBalancerID, strings.Join(h.VIPs, ","),
						h.Options[lbdata.HCOptInterval], h.Options[lbdata.HCOptTimeout],
						h.Options[lbdata.HCOptSuccessCount], h.Options[lbdata.HCOptFailureCount]})
					ids = append(ids, h.ID)
					objs = append(objs, h)
				}
			}
			return header, rows, ids, objsOrEmpty(objs)
		},
	}
}

// objsOrEmpty makes --json print [] rather than null for nothing.
func objsOrEmpty(objs []any) []any {
	if objs == nil {
		return []any{}
	}
	return objs
}
