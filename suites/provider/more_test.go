package provider_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

var _ = Describe("create_vip_port", func() {
	It("creates the VIP and additional VIP ports, and reuses them on 409", func(ctx SpecContext) {
		lbID, net, sub, net2, sub2, project := newID(), newID(), newID(), newID(), newID(), newID()
		network(ctx, net, false)
		subnet(sub, net, "172.25.1.0/24")
		network(ctx, net2, false)
		subnet(sub2, net2, "fd25::/64")
		vip := &octavia.VIP{VIPNetworkID: some(net), VIPSubnetID: some(sub), VIPAddress: some("172.25.1.40")}
		add := []octavia.AdditionalVIP{{NetworkID: some(net2), SubnetID: some(sub2)}}
		out, outAdd, err := env.driver.CreateVIPPort(ctx, lbID, project, vip, add)
		Expect(err).NotTo(HaveOccurred())
		Expect(out.VIPAddress.V).To(Equal("172.25.1.40"))
		p, ok := env.neutron.Port(out.VIPPortID.V)
		Expect(ok).To(BeTrue())
		Expect(p.Name).To(Equal("ovn-lb-vip-" + lbID))
		Expect(p.DeviceOwner).To(Equal("ovn-lb:vip"))
		Expect(p.DeviceID).To(Equal("lb-" + lbID))
		Expect(p.ProjectID).To(Equal(project))
		Expect(outAdd).To(HaveLen(1))
		ap, ok := env.neutron.Port(outAdd[0].PortID.V)
		Expect(ok).To(BeTrue())
		Expect(ap.Name).To(Equal("ovn-lb-vip-additional-1-" + lbID))
		Expect(outAdd[0].NetworkID.V).To(Equal(net2))
		Expect(outAdd[0].SubnetID.V).To(Equal(sub2))
		Expect(outAdd[0].IPAddress.V).To(Equal(ap.FixedIPs[0].IPAddress))

		// Again: the address is taken (409), the port is found by name.
		out2, _, err := env.driver.CreateVIPPort(ctx, lbID, project, vip, nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(out2.VIPPortID.V).To(Equal(out.VIPPortID.V))
	}, SpecTimeout(30*time.Second))

	It("deletes what it created and answers a DriverError with Neutron's text on failure", func(ctx SpecContext) {
		lbID, net, sub := newID(), newID(), newID()
		network(ctx, net, false)
		subnet(sub, net, "172.25.2.0/24")
		before := len(env.neutron.Ports())
		env.neutron.FailNextWith("POST", "/v2.0/ports", 1, fakeneutron.Fault{Status: 400, Type: "BadRequest", Message: "no more addresses"})
		// The first POST (VIP) fails.
		_, _, err := env.driver.CreateVIPPort(ctx, lbID, newID(), &octavia.VIP{VIPNetworkID: some(net), VIPSubnetID: some(sub)}, nil)
		Expect(err).To(HaveOccurred())
		pe := err.(*octavia.ProviderError)
		Expect(pe.Type).To(Equal(octavia.TypeDriverError))
		Expect(pe.UserFault).To(Equal("no more addresses"))
		Expect(env.neutron.Ports()).To(HaveLen(before))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("load balancer create failures", func() {
	It("reports ERROR, writes no row and deletes our VIP port when an additional VIP port is missing", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		lb := lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)
		lb.AdditionalVIPs = some([]octavia.AdditionalVIP{{IPAddress: some("172.24.4.99"), PortID: some(newID()), NetworkID: some(x.net)}})
		resetAll()
		Expect(env.driver.LoadBalancerCreate(ctx, lb)).To(Succeed())
		Expect(messages()).To(Equal([]string{status(list("loadbalancers", se(x.lb, "ERROR", "ERROR")))}))
		Expect(rows(ctx, x.lb)).To(BeEmpty())
		_, ok := env.neutron.Port(x.vipPort)
		Expect(ok).To(BeFalse())
	}, SpecTimeout(30*time.Second))

	It("reports ERROR when no port holds the VIP", func(ctx SpecContext) {
		x := newExample()
		network(ctx, x.net, false)
		subnet(x.vipSubnet, x.net, "172.24.4.0/24")
		resetAll()
		Expect(env.driver.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(list("loadbalancers", se(x.lb, "ERROR", "ERROR")))}))
		Expect(rows(ctx, x.lb)).To(BeEmpty())
	}, SpecTimeout(30*time.Second))
})

// hmPort returns the fake Neutron's HM port of a subnet and its address
// there.
func hmPort(subnetID string) (fakeneutron.Port, string) {
	GinkgoHelper()
	var found []fakeneutron.Port
	for _, p := range env.neutron.Ports() {
		if p.Name == "ovn-lb-hm-"+subnetID {
			found = append(found, p)
		}
	}
	Expect(found).To(HaveLen(1))
	for _, ip := range found[0].FixedIPs {
		if ip.SubnetID == subnetID {
			return found[0], ip.IPAddress
		}
	}
	Fail("HM port without address on subnet " + subnetID)
	return fakeneutron.Port{}, ""
}

func tcpHM(id string) octavia.HealthMonitor {
	return octavia.HealthMonitor{
		HealthMonitorID: some(id), Type: some("TCP"), Delay: some(10), Timeout: some(5),
		MaxRetries: some(3), MaxRetriesDown: some(4), AdminStateUp: some(true),
	}
}

// createFullyPopulated sends one loadbalancer_create for the example's LB
// with a listener on its pool, the pool carrying an HM (pool_id left Unset,
// filled from the pool) and the given members, and expects it to take
// exactly ONE NB transaction.
func createFullyPopulated(ctx context.Context, x example, hmID string, members ...octavia.Member) {
	GinkgoHelper()
	lb := lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)
	lb.Listeners = some([]octavia.Listener{*listenerObj(x.listener, x.lb, "TCP", 80, x.pool)})
	p := *poolObj(x.pool, x.lb, x.listener, "TCP")
	if len(members) > 0 {
		p.Members = some(members)
	}
	p.HealthMonitor = some(tcpHM(hmID))
	lb.Pools = some([]octavia.Pool{p})
	publish(x.lb, []string{x.listener}, []string{x.pool})
	resetAll()
	stats := env.store.Stats()
	Expect(env.driver.LoadBalancerCreate(ctx, lb)).To(Succeed())
	Expect(env.store.Stats().Transactions - stats.Transactions).To(Equal(int64(1)))
}

var _ = Describe("fully populated create", func() {
	It("writes LB, listener, pool, HM and members in ONE transaction and one status message", func(ctx SpecContext) {
		x := newExample()
		lsp1 := x.setup(ctx)
		lsp2 := vmPort(ctx, x.net, x.vipSubnet, "172.24.4.20")
		hmID, m2 := newID(), newID()
		createFullyPopulated(ctx, x, hmID,
			*memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet),
			*memberObj(m2, x.pool, "172.24.4.20", 8080, ""), // no subnet: the VIP subnet
		)
		// The end of the reference's sequence (LB, listener, pool, HM
		// roll-up, member roll-up): everything mapped and ONLINE.
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(x.member, "ACTIVE", "ONLINE"), se(m2, "ACTIVE", "ONLINE")),
			list("healthmonitors", se(hmID, "ACTIVE", "ONLINE")),
		)}))

		r := row(ctx, x.lb)
		Expect(r.ExternalIDs).To(Equal(map[string]string{
			"enabled":                "True",
			"lr_ref":                 "neutron-" + x.router,
			"ls_refs":                `{"neutron-` + x.net + `": 3}`,
			"neutron:vip":            "172.24.4.9",
			"neutron:vip_port_id":    x.vipPort,
			"listener_" + x.listener: "80:pool_" + x.pool,
			"pool_" + x.pool: fmt.Sprintf("member_%s_%s.10:8080_%s,member_%s_172.24.4.20:8080_%s",
				x.member, x.mnet, x.memberSubnet, m2, x.vipSubnet),
			"neutron:member_status":  `{"` + x.member + `": "ONLINE", "` + m2 + `": "ONLINE"}`,
			"octavia:healthmonitors": `["` + hmID + `"]`,
		}))
		Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:80": x.mnet + ".10:8080,172.24.4.20:8080"}))
		hcs := lbhcOf(ctx, r)
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].Vip).To(Equal("172.24.4.9:80"))
		Expect(hcs[0].Options).To(Equal(map[string]string{
			"interval": "10", "timeout": "5", "success_count": "3", "failure_count": "4",
		}))
		Expect(hcs[0].ExternalIDs).To(Equal(map[string]string{
			"octavia:healthmonitor": hmID, "octavia:pool_id": x.pool, "octavia:vip": "172.24.4.9",
		}))
		// One HM port per member subnet, the mapping source on that subnet.
		port1, src1 := hmPort(x.memberSubnet)
		port2, src2 := hmPort(x.vipSubnet)
		Expect(port1.DeviceOwner).To(Equal("ovn-lb-hm:distributed"))
		Expect(port2.DeviceOwner).To(Equal("ovn-lb-hm:distributed"))
		Expect(r.IPPortMappings).To(Equal(map[string]string{
			x.mnet + ".10": lsp1 + ":" + src1,
			"172.24.4.20":  lsp2 + ":" + src2,
		}))
	}, SpecTimeout(30*time.Second))

	It("reports an unmappable member ERROR and the pool DEGRADED in the same single message", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		hmID, m2 := newID(), newID()
		createFullyPopulated(ctx, x, hmID,
			*memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet),
			*memberObj(m2, x.pool, "172.24.4.20", 8080, ""), // no LSP holds this address
		)
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "DEGRADED")),
			list("listeners", se(x.listener, "ACTIVE", "DEGRADED")),
			list("pools", se(x.pool, "ACTIVE", "DEGRADED")),
			list("members", se(x.member, "ACTIVE", "ONLINE"), se(m2, "ACTIVE", "ERROR")),
			list("healthmonitors", se(hmID, "ACTIVE", "ONLINE")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.HealthCheck).To(HaveLen(1))
		Expect(r.IPPortMappings).To(HaveLen(1))
		Expect(r.IPPortMappings).To(HaveKey(x.mnet + ".10"))
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + x.member + `": "ONLINE", "` + m2 + `": "ERROR"}`))
	}, SpecTimeout(30*time.Second))

	It("reports the members ERROR when their HM port cannot be created, still in one transaction", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		hmID := newID()
		env.neutron.FailNext("POST", "/v2.0/ports", 500, 1) // the HM port of the member subnet
		createFullyPopulated(ctx, x, hmID, *memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))
		// As the reference's member request after its hm_create: the HM
		// (created on the still empty pool) is ACTIVE, the member ERROR.
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ERROR")),
			list("listeners", se(x.listener, "ACTIVE", "ERROR")),
			list("pools", se(x.pool, "ACTIVE", "ERROR")),
			list("members", se(x.member, "ACTIVE", "ERROR")),
			list("healthmonitors", se(hmID, "ACTIVE", "ONLINE")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.HealthCheck).To(HaveLen(1))
		Expect(r.IPPortMappings).To(BeEmpty())
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + x.member + `": "ERROR"}`))
		for _, p := range env.neutron.Ports() {
			Expect(p.Name).NotTo(Equal("ovn-lb-hm-" + x.memberSubnet))
		}
		_, ok := env.neutron.Port(x.vipPort)
		Expect(ok).To(BeTrue())
	}, SpecTimeout(30*time.Second))

	It("reports a pool whose HM has no members as the HM create's roll-up does", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		hmID := newID()
		createFullyPopulated(ctx, x, hmID)
		// operations.md §4.1: the HM's roll-up of a row without
		// neutron:member_status reports the pool OFFLINE.
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "OFFLINE")),
			list("members"),
			list("healthmonitors", se(hmID, "ACTIVE", "ONLINE")),
		)}))
		hcs := lbhcOf(ctx, row(ctx, x.lb))
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].Vip).To(Equal("172.24.4.9:80"))
		Expect(row(ctx, x.lb).IPPortMappings).To(BeEmpty())
	}, SpecTimeout(30*time.Second))

	It("refuses an HM with a non-positive delay before writing anything", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		lb := lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)
		p := *poolObj(x.pool, x.lb, "", "TCP")
		hm := tcpHM(newID())
		hm.Delay = some(0)
		p.HealthMonitor = some(hm)
		lb.Pools = some([]octavia.Pool{p})
		resetAll()
		stats := env.store.Stats()
		err := env.driver.LoadBalancerCreate(ctx, lb)
		Expect(err).To(HaveOccurred())
		pe := err.(*octavia.ProviderError)
		Expect(pe.Type).To(Equal(octavia.TypeDriverError))
		Expect(pe.UserFault).To(Equal("invalid health monitor: delay must be a positive integer, got 0"))
		Expect(env.store.Stats().Transactions).To(Equal(stats.Transactions))
		Expect(rows(ctx, x.lb)).To(BeEmpty())
		Expect(messages()).To(BeEmpty())
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("pool create with a health monitor", func() {
	It("creates pool and HM in one transaction and one status message", func(ctx SpecContext) {
		x := newExample()
		lsp := x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, x.pool))).To(Succeed())
		hmID := newID()
		p := poolObj(x.pool, x.lb, x.listener, "TCP")
		p.HealthMonitor = some(tcpHM(hmID))
		resetAll()
		stats := env.store.Stats()
		Expect(d.PoolCreate(ctx, p)).To(Succeed())
		Expect(env.store.Stats().Transactions - stats.Transactions).To(Equal(int64(1)))
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "OFFLINE")),
			list("members"),
			list("healthmonitors", se(hmID, "ACTIVE", "ONLINE")),
		)}))
		hcs := lbhcOf(ctx, row(ctx, x.lb))
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].Vip).To(Equal("172.24.4.9:80"))
		Expect(hcs[0].ExternalIDs).To(HaveKeyWithValue("octavia:pool_id", x.pool))

		// A member created now is mapped for the HM.
		resetAll()
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		_, src := hmPort(x.memberSubnet)
		Expect(row(ctx, x.lb).IPPortMappings).To(Equal(map[string]string{x.mnet + ".10": lsp + ":" + src}))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("member batch update", func() {
	It("creates, updates and deletes in one transaction and one status message", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		a, b, c := newID(), newID(), newID()
		Expect(d.MemberCreate(ctx, memberObj(a, x.pool, x.mnet+".11", 80, x.memberSubnet))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(b, x.pool, x.mnet+".12", 80, x.memberSubnet))).To(Succeed())
		stats := env.store.Stats()
		resetAll()
		bOff := memberObj(b, x.pool, x.mnet+".12", 80, x.memberSubnet)
		bOff.AdminStateUp = some(false)
		Expect(d.MemberBatchUpdate(ctx, x.pool, []*octavia.Member{bOff, memberObj(c, x.pool, x.mnet+".13", 80, x.memberSubnet)})).To(Succeed())
		Expect(env.store.Stats().Transactions - stats.Transactions).To(Equal(int64(1)))
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(b, "ACTIVE", "OFFLINE"), se(c, "ACTIVE", "NO_MONITOR"), se(a, "DELETED", "")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.ExternalIDs["pool_"+x.pool]).To(Equal(fmt.Sprintf("member_%s_%s.12:80_%s,member_%s_%s.13:80_%s",
			b, x.mnet, x.memberSubnet, c, x.mnet, x.memberSubnet)))
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + b + `": "OFFLINE", "` + c + `": "NO_MONITOR"}`))
		Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"neutron-` + x.net + `": 3}`))
		Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:80": x.mnet + ".13:80"}))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("member create on a monitored pool", func() {
	It("maps the new member and reports it ONLINE", func(ctx SpecContext) {
		x := newExample()
		lsp := x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		Expect(d.HealthMonitorCreate(ctx, &octavia.HealthMonitor{
			HealthMonitorID: some(newID()), PoolID: some(x.pool), Type: some("TCP"), Delay: some(10), Timeout: some(5),
			MaxRetries: some(3), MaxRetriesDown: some(3), AdminStateUp: some(true),
		})).To(Succeed())
		resetAll()
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(x.member, "ACTIVE", "ONLINE")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.IPPortMappings[x.mnet+".10"]).To(HavePrefix(lsp + ":" + x.mnet + "."))
		// Deleting it removes the mapping and the now unused HM port.
		Expect(d.MemberDelete(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		r = row(ctx, x.lb)
		Expect(r.IPPortMappings).To(BeEmpty())
		for _, p := range env.neutron.Ports() {
			Expect(p.Name).NotTo(Equal("ovn-lb-hm-" + x.memberSubnet))
		}
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("listener created on a monitored pool", func() {
	It("points the pool's health check at the listener port", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, "", "TCP"))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		Expect(d.HealthMonitorCreate(ctx, &octavia.HealthMonitor{
			HealthMonitorID: some(newID()), PoolID: some(x.pool), Type: some("TCP"), Delay: some(10), Timeout: some(5),
			MaxRetries: some(3), MaxRetriesDown: some(3), AdminStateUp: some(true),
		})).To(Succeed())
		hcs := lbhcOf(ctx, row(ctx, x.lb))
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].Vip).To(Equal(""))
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 64015, x.pool))).To(Succeed())
		hcs = lbhcOf(ctx, row(ctx, x.lb))
		Expect(hcs[0].Vip).To(Equal("172.24.4.9:64015"))
		Expect(row(ctx, x.lb).Vips).To(Equal(map[string]string{"172.24.4.9:64015": x.mnet + ".10:8080"}))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("pool delete", func() {
	It("deletes the pool's HM, its members and the pool in one transaction and one status message", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		hm := octavia.HealthMonitor{
			HealthMonitorID: some(newID()), PoolID: some(x.pool), Type: some("TCP"), Delay: some(10), Timeout: some(5),
			MaxRetries: some(3), MaxRetriesDown: some(3), AdminStateUp: some(true),
		}
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		m := memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet)
		Expect(d.MemberCreate(ctx, m)).To(Succeed())
		Expect(d.HealthMonitorCreate(ctx, &hm)).To(Succeed())
		Expect(row(ctx, x.lb).IPPortMappings).To(HaveLen(1))

		p := poolObj(x.pool, x.lb, x.listener, "TCP")
		p.HealthMonitor = some(hm)
		p.Members = some([]octavia.Member{*m})
		resetAll()
		stats := env.store.Stats()
		Expect(d.PoolDelete(ctx, p)).To(Succeed())
		Expect(env.store.Stats().Transactions - stats.Transactions).To(Equal(int64(1)))
		// The end of the reference's messages (HM delete, members, pool):
		// the member keeps the HM delete's NO_MONITOR.
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "")),
			list("pools", se(x.pool, "DELETED", "")),
			list("members", se(x.member, "DELETED", "NO_MONITOR")),
			list("healthmonitors", se(hm.HealthMonitorID.V, "DELETED", "NO_MONITOR")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.HealthCheck).To(BeEmpty())
		Expect(r.IPPortMappings).To(BeEmpty())
		Expect(r.ExternalIDs).To(Equal(map[string]string{
			"enabled": "True", "lr_ref": "neutron-" + x.router, "ls_refs": `{"neutron-` + x.net + `": 1}`,
			"neutron:vip": "172.24.4.9", "neutron:vip_port_id": x.vipPort, "listener_" + x.listener: "80:",
		}))
		Expect(r.Vips).To(BeEmpty())
		for _, port := range env.neutron.Ports() {
			Expect(port.Name).NotTo(Equal("ovn-lb-hm-" + x.memberSubnet))
		}
	}, SpecTimeout(30*time.Second))
})
