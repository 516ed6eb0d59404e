package provider_test

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// lbhcRows returns every Load_Balancer_Health_Check row.
func lbhcRows(ctx context.Context) []nb.LoadBalancerHealthCheck {
	GinkgoHelper()
	var out []nb.LoadBalancerHealthCheck
	Expect(env.nb.List(ctx, &out)).To(Succeed())
	return out
}

// referenced reports whether any switch or router references one of uuids.
func referenced(ctx context.Context, uuids []string) bool {
	GinkgoHelper()
	set := map[string]bool{}
	for _, u := range uuids {
		set[u] = true
	}
	var lss []nb.LogicalSwitch
	Expect(env.nb.List(ctx, &lss)).To(Succeed())
	for _, ls := range lss {
		for _, u := range ls.LoadBalancer {
			if set[u] {
				return true
			}
		}
	}
	var lrs []nb.LogicalRouter
	Expect(env.nb.List(ctx, &lrs)).To(Succeed())
	for _, lr := range lrs {
		for _, u := range lr.LoadBalancer {
			if set[u] {
				return true
			}
		}
	}
	return false
}

var _ = Describe("protocol rows", func() {
	It("gives three rows for three protocols and removes a row with the last listener/pool of its protocol", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		tcp, udp, sctp := newID(), newID(), newID()
		udpPool := newID()
		Expect(d.ListenerCreate(ctx, listenerObj(tcp, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(udp, x.lb, "UDP", 53, ""))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(sctp, x.lb, "SCTP", 9000, ""))).To(Succeed())
		p := poolObj(udpPool, x.lb, udp, "UDP")
		p.LBAlgorithm = some("SOURCE_IP")
		Expect(d.PoolCreate(ctx, p)).To(Succeed())

		rs := rows(ctx, x.lb)
		Expect(rs).To(HaveLen(3))
		var uuids []string
		for _, proto := range []string{"tcp", "udp", "sctp"} {
			r := rowByProto(ctx, x.lb, proto)
			uuids = append(uuids, r.UUID)
			Expect(r.ExternalIDs["neutron:vip"]).To(Equal("172.24.4.9"))
			Expect(r.ExternalIDs["neutron:vip_port_id"]).To(Equal(x.vipPort))
			Expect(r.ExternalIDs["enabled"]).To(Equal("True"))
			Expect(r.ExternalIDs["lr_ref"]).To(Equal("neutron-" + x.router))
			Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"neutron-` + x.net + `": 1}`))
		}
		Expect(rowByProto(ctx, x.lb, "tcp").ExternalIDs["listener_"+tcp]).To(Equal("80:"))
		Expect(rowByProto(ctx, x.lb, "udp").ExternalIDs["listener_"+udp]).To(Equal("53:pool_" + udpPool))
		Expect(rowByProto(ctx, x.lb, "udp").SelectionFields).To(ConsistOf("ip_src", "ip_dst"))
		Expect(rowByProto(ctx, x.lb, "sctp").SelectionFields).To(ConsistOf("ip_src", "ip_dst", "tp_src", "tp_dst"))
		Expect(switchLBs(ctx, x.net)).To(ConsistOf(uuids))
		Expect(routerLBs(ctx, x.router)).To(ConsistOf(uuids))

		// Deleting the last listener/pool of a protocol removes its row.
		Expect(d.ListenerDelete(ctx, listenerObj(sctp, x.lb, "SCTP", 9000, ""))).To(Succeed())
		Expect(rows(ctx, x.lb)).To(HaveLen(2))
		Expect(d.ListenerDelete(ctx, listenerObj(udp, x.lb, "UDP", 53, ""))).To(Succeed())
		Expect(rows(ctx, x.lb)).To(HaveLen(2)) // the pool keeps the udp row
		Expect(rowByProto(ctx, x.lb, "udp").ExternalIDs).To(HaveKeyWithValue("pool_"+udpPool, ""))
		resetAll()
		Expect(d.PoolDelete(ctx, poolObj(udpPool, x.lb, "", "UDP"))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners"),
			list("pools", se(udpPool, "DELETED", "")),
		)}))
		Expect(rows(ctx, x.lb)).To(HaveLen(1))
		Expect(switchLBs(ctx, x.net)).To(ConsistOf(uuids[0]))
		Expect(routerLBs(ctx, x.router)).To(ConsistOf(uuids[0]))

		// The last row is kept with its protocol cleared.
		Expect(d.ListenerDelete(ctx, listenerObj(tcp, x.lb, "TCP", 80, ""))).To(Succeed())
		r := row(ctx, x.lb)
		Expect(r.UUID).To(Equal(uuids[0]))
		Expect(r.Protocol).To(BeNil())
		Expect(r.Vips).To(BeEmpty())
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("cascade delete", func() {
	It("leaves no row, reference, health check or port of ours behind", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		otherNet, otherSubnet := newID(), newID()
		network(ctx, otherNet, false)
		subnet(otherSubnet, otherNet, "10.30.0.0/24")
		vmPort(ctx, otherNet, otherSubnet, "10.30.0.5")
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		m2 := newID()
		hmID := newID()
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(m2, x.pool, "10.30.0.5", 8080, otherSubnet))).To(Succeed())
		Expect(d.HealthMonitorCreate(ctx, &octavia.HealthMonitor{
			HealthMonitorID: some(hmID), PoolID: some(x.pool), Type: some("TCP"), Delay: some(10), Timeout: some(5),
			MaxRetries: some(3), MaxRetriesDown: some(3), AdminStateUp: some(true),
		})).To(Succeed())
		r := row(ctx, x.lb)
		Expect(r.HealthCheck).To(HaveLen(1))
		Expect(r.IPPortMappings).To(HaveLen(2))
		Expect(switchLBs(ctx, otherNet)).To(ConsistOf(r.UUID))
		hmPorts := 0
		for _, p := range env.neutron.Ports() {
			if strings.HasPrefix(p.Name, "ovn-lb-hm-") {
				hmPorts++
			}
		}
		Expect(hmPorts).To(BeNumerically(">=", 2))

		resetAll()
		Expect(d.LoadBalancerDelete(ctx, &octavia.LoadBalancer{LoadBalancerID: some(x.lb)}, true)).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "DELETED", "OFFLINE")),
			list("listeners", se(x.listener, "DELETED", "OFFLINE")),
			list("pools", se(x.pool, "DELETED", "")),
			list("members", se(x.member, "DELETED", ""), se(m2, "DELETED", "")),
		)}))
		Expect(rows(ctx, x.lb)).To(BeEmpty())
		Expect(referenced(ctx, []string{r.UUID})).To(BeFalse())
		for _, hc := range lbhcRows(ctx) {
			Expect(hc.ExternalIDs["octavia:healthmonitor"]).NotTo(Equal(hmID))
		}
		_, ok := env.neutron.Port(x.vipPort)
		Expect(ok).To(BeFalse(), "VIP port named ovn-lb-vip- must be deleted")
		for _, p := range env.neutron.Ports() {
			Expect(p.Name).NotTo(Equal("ovn-lb-hm-"+x.memberSubnet), "HM port left behind")
			Expect(p.Name).NotTo(Equal("ovn-lb-hm-"+otherSubnet), "HM port left behind")
		}
	}, SpecTimeout(60*time.Second))

	It("keeps a user-supplied VIP port", func(ctx SpecContext) {
		x := newExample()
		network(ctx, x.net, false)
		subnet(x.vipSubnet, x.net, "172.24.4.0/24")
		p, err := env.neutron.AddPort(fakeneutronPort(x.vipPort, "my-own-port", x.net, x.vipSubnet, "172.24.4.33"))
		Expect(err).NotTo(HaveOccurred())
		d := env.driver
		lb := lbObj(x.lb, "172.24.4.33", x.net, x.vipSubnet)
		Expect(d.LoadBalancerCreate(ctx, lb)).To(Succeed())
		Expect(row(ctx, x.lb).ExternalIDs["neutron:vip_port_id"]).To(Equal(p.ID))
		resetAll()
		Expect(d.LoadBalancerDelete(ctx, lb, true)).To(Succeed())
		Expect(messages()).To(Equal([]string{status(list("loadbalancers", se(x.lb, "DELETED", "OFFLINE")))}))
		Expect(rows(ctx, x.lb)).To(BeEmpty())
		_, ok := env.neutron.Port(p.ID)
		Expect(ok).To(BeTrue())
		for _, r := range env.neutron.Requests() {
			Expect(r.Method).NotTo(Equal("DELETE"))
		}
	}, SpecTimeout(60*time.Second))

	It("with no row reports DELETED with empty lists and cleans the ports Octavia knows", func(ctx SpecContext) {
		x := newExample()
		network(ctx, x.net, false)
		subnet(x.vipSubnet, x.net, "172.24.4.0/24")
		vipPort(x.lb, x.vipPort, x.net, x.vipSubnet, "172.24.4.77")
		olb := *lbObj(x.lb, "172.24.4.77", x.net, x.vipSubnet)
		olb.VIPPortID = some(x.vipPort)
		Expect(env.agent.SetLoadBalancer(olb)).To(Succeed())
		resetAll()
		Expect(env.driver.LoadBalancerDelete(ctx, &octavia.LoadBalancer{LoadBalancerID: some(x.lb)}, false)).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "DELETED", "OFFLINE")), list("listeners"), list("pools"), list("members"),
		)}))
		_, ok := env.neutron.Port(x.vipPort)
		Expect(ok).To(BeFalse())
	}, SpecTimeout(60*time.Second))
})

// lbhcOf returns the LBHC rows referenced by a row.
func lbhcOf(ctx context.Context, r nb.LoadBalancer) []nb.LoadBalancerHealthCheck {
	GinkgoHelper()
	var out []nb.LoadBalancerHealthCheck
	for _, u := range r.HealthCheck {
		hc := &nb.LoadBalancerHealthCheck{UUID: u}
		Expect(env.nb.Get(ctx, hc)).To(Succeed())
		out = append(out, *hc)
	}
	return out
}
