package dbsync_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi/fakeoctavia"
)

// world is the topology of one spec: a VIP network (net1, 10.0.0.0/24)
// and a member network (net2, 10.1.0.0/24), both on router rtr, member VMs,
// and three load balancers built through the provider:
//
//   - a: LB, TCP listener, pool (listener_id) with two members on both
//     networks and a TCP health monitor, created call by call as Octavia
//     would send them;
//   - b: a fully populated create with a TCP and a UDP listener, each with
//     its pool and one member (two protocol rows);
//   - c: a bare LB.
type world struct {
	net1, sub1, net2, sub2, rtr string
	a, b, c                     *octavia.LoadBalancer
}

func (w *world) ids() []string {
	return []string{w.a.LoadBalancerID.V, w.b.LoadBalancerID.V, w.c.LoadBalancerID.V}
}

func lbTree(ctx context.Context, w *world, vip, portFIP string) *octavia.LoadBalancer {
	id := newID()
	port := vipPort(ctx, id, w.net1, w.sub1, vip, portFIP)
	return &octavia.LoadBalancer{
		LoadBalancerID: some(id), Name: some("lb-" + id[:8]), AdminStateUp: some(true), VIPAddress: some(vip),
		VIPNetworkID: some(w.net1), VIPSubnetID: some(w.sub1), VIPPortID: some(port),
	}
}

func listener(lbID, proto string, port int, pool string) octavia.Listener {
	return octavia.Listener{ListenerID: some(newID()), LoadBalancerID: some(lbID), Protocol: some(proto),
		ProtocolPort: some(port), AdminStateUp: some(true), DefaultPoolID: some(pool)}
}

func pool(id, lbID, listenerID, proto string, members ...octavia.Member) octavia.Pool {
	p := octavia.Pool{PoolID: some(id), LoadBalancerID: some(lbID), ListenerID: some(listenerID), Protocol: some(proto),
		LBAlgorithm: some("SOURCE_IP_PORT"), AdminStateUp: some(true)}
	for i := range members {
		members[i].PoolID = some(id)
	}
	p.Members = some(members)
	return p
}

func member(ip string, port int, subnetID string) octavia.Member {
	return octavia.Member{MemberID: some(newID()), Address: some(ip), ProtocolPort: some(port), SubnetID: some(subnetID), AdminStateUp: some(true)}
}

func tcpHM(poolID string) octavia.HealthMonitor {
	return octavia.HealthMonitor{HealthMonitorID: some(newID()), PoolID: some(poolID), Type: some("TCP"), Delay: some(10),
		Timeout: some(5), MaxRetries: some(3), MaxRetriesDown: some(4), AdminStateUp: some(true)}
}

// bare returns the LB part of a tree (what loadbalancer_create gets when
// the children come as separate calls).
func bare(lb *octavia.LoadBalancer) *octavia.LoadBalancer {
	cp := *lb
	cp.Listeners, cp.Pools = octavia.Opt[[]octavia.Listener]{}, octavia.Opt[[]octavia.Pool]{}
	return &cp
}

func publishTree(lb *octavia.LoadBalancer) {
	GinkgoHelper()
	Expect(env.tb.Agent.SetLoadBalancer(*lb)).To(Succeed())
}

func listOnOctavia(lbs ...*octavia.LoadBalancer) {
	var out []fakeoctavia.LoadBalancer
	for _, lb := range lbs {
		out = append(out, fakeoctavia.LoadBalancer{ID: lb.LoadBalancerID.V, Name: lb.Name.V, Provider: "ovn",
			ProvisioningStatus: "ACTIVE", VIPAddress: lb.VIPAddress.V, AdminStateUp: true})
	}
	// Another provider's LB is never synced.
	out = append(out, fakeoctavia.LoadBalancer{ID: newID(), Name: "amphora-lb", Provider: "amphora"})
	env.octavia.SetLoadBalancers(out...)
}

// buildWorld starts from an NB without Load_Balancer rows and creates the
// world through provider calls.
func buildWorld(ctx context.Context) *world {
	GinkgoHelper()
	wipeAllLBs(ctx)
	w := &world{net1: newID(), sub1: newID(), net2: newID(), sub2: newID(), rtr: newID()}
	network(ctx, w.net1)
	subnet(w.sub1, w.net1, "10.0.0.0/24")
	network(ctx, w.net2)
	subnet(w.sub2, w.net2, "10.1.0.0/24")
	router(ctx, w.rtr)
	routerInterface(ctx, w.rtr, w.net1, "10.0.0.1/24")
	routerInterface(ctx, w.rtr, w.net2, "10.1.0.1/24")
	for _, ip := range []string{"10.0.0.20", "10.0.0.21"} {
		vmPort(ctx, w.net1, w.sub1, ip)
	}
	for _, ip := range []string{"10.1.0.30", "10.1.0.31"} {
		vmPort(ctx, w.net2, w.sub2, ip)
	}
	d := env.driver

	// a: call by call.
	w.a = lbTree(ctx, w, "10.0.0.10", "")
	aID := w.a.LoadBalancerID.V
	poolA := newID()
	la := listener(aID, "TCP", 80, poolA)
	pa := pool(poolA, aID, la.ListenerID.V, "TCP", member("10.0.0.20", 8080, w.sub1), member("10.1.0.30", 8080, w.sub2))
	hm := tcpHM(poolA)
	pa.HealthMonitor = some(hm)
	w.a.Listeners, w.a.Pools = some([]octavia.Listener{la}), some([]octavia.Pool{pa})
	publishTree(w.a)
	Expect(d.LoadBalancerCreate(ctx, bare(w.a))).To(Succeed())
	first := la
	first.DefaultPoolID = octavia.Opt[string]{} // Octavia creates the listener before its pool
	Expect(d.ListenerCreate(ctx, &first)).To(Succeed())
	poolOnly := pa
	poolOnly.Members, poolOnly.HealthMonitor = octavia.Opt[[]octavia.Member]{}, octavia.Opt[octavia.HealthMonitor]{}
	Expect(d.PoolCreate(ctx, &poolOnly)).To(Succeed())
	for _, m := range pa.Members.V {
		Expect(d.MemberCreate(ctx, &m)).To(Succeed())
	}
	Expect(d.HealthMonitorCreate(ctx, &hm)).To(Succeed())

	// b: fully populated, two protocols.
	w.b = lbTree(ctx, w, "10.0.0.11", "")
	bID := w.b.LoadBalancerID.V
	p1, p2 := newID(), newID()
	l1, l2 := listener(bID, "TCP", 443, p1), listener(bID, "UDP", 53, p2)
	w.b.Listeners = some([]octavia.Listener{l1, l2})
	w.b.Pools = some([]octavia.Pool{
		pool(p1, bID, l1.ListenerID.V, "TCP", member("10.1.0.31", 443, w.sub2)),
		pool(p2, bID, l2.ListenerID.V, "UDP", member("10.0.0.21", 53, w.sub1)),
	})
	publishTree(w.b)
	Expect(d.LoadBalancerCreate(ctx, w.b)).To(Succeed())

	// c: bare.
	w.c = lbTree(ctx, w, "10.0.0.12", "")
	publishTree(w.c)
	Expect(d.LoadBalancerCreate(ctx, w.c)).To(Succeed())

	listOnOctavia(w.a, w.b, w.c)
	return w
}

// states returns lbState of each id.
func states(ctx context.Context, ids ...string) map[string][]rowState {
	GinkgoHelper()
	out := map[string][]rowState{}
	for _, id := range ids {
		out[id] = lbState(ctx, id)
	}
	return out
}
