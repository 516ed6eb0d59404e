package provider_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

var _ = Describe("VIP variants", func() {
	It("IPv6: bracketed vips, and only IPv6 router switches", func(ctx SpecContext) {
		n := exampleCounter.Add(1)
		lbID, net, sub, r, v4net, v4sub, vport := newID(), newID(), newID(), newID(), newID(), newID(), newID()
		pfx := fmt.Sprintf("fd%02x:1::", n)
		network(ctx, net, false)
		subnet(sub, net, pfx+"/64")
		network(ctx, v4net, false)
		subnet(v4sub, v4net, fmt.Sprintf("10.%d.50.0/24", 150+n))
		router(ctx, r)
		routerInterface(ctx, r, net, pfx+"1/64")
		routerInterface(ctx, r, v4net, fmt.Sprintf("10.%d.50.1/24", 150+n))
		vipPort(lbID, vport, net, sub, pfx+"9")
		lid, pid, mid := newID(), newID(), newID()
		publish(lbID, []string{lid}, []string{pid})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(lbID, pfx+"9", net, sub))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(lid, lbID, "UDP", 53, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(pid, lbID, lid, "UDP"))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(mid, pid, pfx+"20", 5353, sub))).To(Succeed())
		rw := row(ctx, lbID)
		Expect(rw.Vips).To(Equal(map[string]string{"[" + pfx + "9]:53": "[" + pfx + "20]:5353"}))
		Expect(rw.ExternalIDs["pool_"+pid]).To(Equal("member_" + mid + "_" + pfx + "20:5353_" + sub))
		Expect(switchLBs(ctx, net)).To(ConsistOf(rw.UUID))
		Expect(switchLBs(ctx, v4net)).NotTo(ContainElement(rw.UUID), "IPv4 switch of the router")
		Expect(routerLBs(ctx, r)).To(ConsistOf(rw.UUID))
	}, SpecTimeout(30*time.Second))

	It("additional VIPs: keys, ls_refs 1 + n, vips per family", func(ctx SpecContext) {
		n := exampleCounter.Add(1)
		x := newExample()
		x.setup(ctx)
		sub6 := newID()
		pfx := fmt.Sprintf("fd%02x:2::", n)
		subnet(sub6, x.net, pfx+"/64")
		addPort := newID()
		_, err := env.neutron.AddPort(fakeneutronPort(addPort, "ovn-lb-vip-additional-1-"+x.lb, x.net, sub6, pfx+"9"))
		Expect(err).NotTo(HaveOccurred())
		lb := lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)
		lb.AdditionalVIPs = some([]octavia.AdditionalVIP{{IPAddress: some(pfx + "9"), PortID: some(addPort), NetworkID: some(x.net), SubnetID: some(sub6)}})
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lb)).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		m6 := newID()
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(m6, x.pool, pfx+"20", 8080, sub6))).To(Succeed())
		r := row(ctx, x.lb)
		Expect(r.ExternalIDs["neutron:additional_vips"]).To(Equal(pfx + "9"))
		Expect(r.ExternalIDs["neutron:additional_vip_port_ids"]).To(Equal(addPort))
		Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"neutron-` + x.net + `": 4}`))
		Expect(r.Vips).To(Equal(map[string]string{
			"172.24.4.9:80":     x.mnet + ".10:8080",
			"[" + pfx + "9]:80": "[" + pfx + "20]:8080",
		}))
		// Deleting the LB deletes the additional VIP port too.
		Expect(d.LoadBalancerDelete(ctx, lb, true)).To(Succeed())
		_, ok := env.neutron.Port(addPort)
		Expect(ok).To(BeFalse())
	}, SpecTimeout(30*time.Second))

	It("a VIP on a provider network is not attached to its switch and not counted", func(ctx SpecContext) {
		lbID, net, sub, vport := newID(), newID(), newID(), newID()
		network(ctx, net, true)
		subnet(sub, net, "172.31.7.0/24")
		vipPort(lbID, vport, net, sub, "172.31.7.9")
		Expect(env.driver.LoadBalancerCreate(ctx, lbObj(lbID, "172.31.7.9", net, sub))).To(Succeed())
		r := row(ctx, lbID)
		Expect(r.ExternalIDs).NotTo(HaveKey("ls_refs"))
		Expect(r.ExternalIDs).NotTo(HaveKey("lr_ref"))
		Expect(switchLBs(ctx, net)).NotTo(ContainElement(r.UUID))
	}, SpecTimeout(30*time.Second))
})
