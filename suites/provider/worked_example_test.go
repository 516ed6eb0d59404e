package provider_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// The ids of nb-data-contract.md §18 (worked example). The NB is shared by
// the specs, so each spec that uses them runs against its own copies of
// the Neutron objects... the example ids are used by exactly one spec per
// order, with the suffix of the LB id varied.
type example struct {
	lb, vipPort, net, vipSubnet, memberSubnet, router, listener, pool, member string
	// mnet is the member subnet's first three octets: unique per example,
	// because HM-port cleanup looks for its address in every row of the
	// shared NB (operations.md §12.4).
	mnet string
}

var exampleCounter atomic.Int32

func newExample() example {
	return example{
		lb: newID(), vipPort: newID(), net: newID(), vipSubnet: newID(), memberSubnet: newID(),
		router: newID(), listener: newID(), pool: newID(), member: newID(),
		mnet: fmt.Sprintf("10.%d.10", 100+exampleCounter.Add(1)),
	}
}

// workedExample is the §18 example with its literal ids.
var workedExample = example{
	lb:           "94e7c431-912b-496c-a247-d52875d44ac7",
	vipPort:      "c98e52d0-5965-4b22-8a17-a374f4399193",
	net:          "ee97665d-69d0-4995-a275-27855359956a",
	vipSubnet:    "5a1e3c36-0c7f-4c55-9a10-6d5e8a4b2f11",
	memberSubnet: "3eed0c05-6527-400e-bb80-df6e59d248f1",
	router:       "3d2a873b-b5b4-4d14-ac24-47a835fd47b2",
	listener:     "21e77cde-854f-4c3e-bd8c-9536ae0443bc",
	pool:         "898be8a2-5185-4f3b-8658-a56457f595a9",
	member:       "adf55e70-3d50-4e62-99fd-dd77eababb1c",
	mnet:         "10.10.10",
}

// setup builds the example's network: VIP subnet 172.24.4.0/24 and member
// subnet 10.10.10.0/24 on one network, the router on the VIP subnet, the
// VIP port, and the member VM's port.
func (x example) setup(ctx context.Context) string {
	network(ctx, x.net, false)
	subnet(x.vipSubnet, x.net, "172.24.4.0/24")
	subnet(x.memberSubnet, x.net, x.mnet+".0/24")
	router(ctx, x.router)
	routerInterface(ctx, x.router, x.net, "172.24.4.1/24")
	vipPort(x.lb, x.vipPort, x.net, x.vipSubnet, "172.24.4.9")
	return vmPort(ctx, x.net, x.memberSubnet, x.mnet+".10")
}

func (x example) expectRow(ctx context.Context) {
	GinkgoHelper()
	r := row(ctx, x.lb)
	Expect(r.Protocol).NotTo(BeNil())
	Expect(*r.Protocol).To(Equal("tcp"))
	Expect(r.SelectionFields).To(ConsistOf("ip_dst", "ip_src", "tp_dst", "tp_src"))
	Expect(r.Options).To(BeEmpty())
	Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:64015": x.mnet + ".10:63015"}))
	Expect(r.ExternalIDs).To(Equal(map[string]string{
		"enabled":                "True",
		"lr_ref":                 "neutron-" + x.router,
		"ls_refs":                `{"neutron-` + x.net + `": 2}`,
		"neutron:vip":            "172.24.4.9",
		"neutron:vip_port_id":    x.vipPort,
		"listener_" + x.listener: "64015:pool_" + x.pool,
		"pool_" + x.pool:         "member_" + x.member + "_" + x.mnet + ".10:63015_" + x.memberSubnet,
		"neutron:member_status":  `{"` + x.member + `": "NO_MONITOR"}`,
	}))
	Expect(switchLBs(ctx, x.net)).To(ConsistOf(r.UUID))
	Expect(routerLBs(ctx, x.router)).To(ConsistOf(r.UUID))
}

var _ = Describe("worked example (nb-data-contract §18)", func() {
	It("LB create -> listener -> pool -> member -> HM writes exactly the example's rows and statuses", func(ctx SpecContext) {
		x := workedExample
		lsp := x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver

		resetAll()
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")))}))
		r := row(ctx, x.lb)
		Expect(r.Protocol).To(BeNil())
		Expect(r.SelectionFields).To(ConsistOf("ip_src", "ip_dst", "tp_src", "tp_dst"))
		Expect(r.ExternalIDs).To(Equal(map[string]string{
			"enabled": "True", "lr_ref": "neutron-" + x.router, "ls_refs": `{"neutron-` + x.net + `": 1}`,
			"neutron:vip": "172.24.4.9", "neutron:vip_port_id": x.vipPort,
		}))
		Expect(r.Vips).To(BeEmpty())
		Expect(switchLBs(ctx, x.net)).To(ConsistOf(r.UUID))
		Expect(routerLBs(ctx, x.router)).To(ConsistOf(r.UUID))

		resetAll()
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 64015, ""))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
		)}))
		Expect(row(ctx, x.lb).ExternalIDs["listener_"+x.listener]).To(Equal("64015:"))

		resetAll()
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
		)}))

		resetAll()
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, "10.10.10.10", 63015, x.memberSubnet))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(x.member, "ACTIVE", "NO_MONITOR")),
		)}))
		x.expectRow(ctx)

		// The HM part of the example, through the health engine.
		hmID := "0b5f1e0e-1c4b-4f53-9c3c-1e0d6c1d2a3b"
		resetAll()
		Expect(d.HealthMonitorCreate(ctx, &octavia.HealthMonitor{
			HealthMonitorID: some(hmID), PoolID: some(x.pool), Type: some("TCP"), Delay: some(10), Timeout: some(5),
			MaxRetries: some(3), MaxRetriesDown: some(3), AdminStateUp: some(true),
		})).To(Succeed())
		r = row(ctx, x.lb)
		Expect(r.HealthCheck).To(HaveLen(1))
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + x.member + `": "ONLINE"}`))
		Expect(r.ExternalIDs["octavia:healthmonitors"]).To(Equal(`["` + hmID + `"]`))
		Expect(r.IPPortMappings).To(HaveLen(1))
		Expect(r.IPPortMappings["10.10.10.10"]).To(MatchRegexp("^" + lsp + `:10\.10\.10\.\d+$`))
		Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}))
	}, SpecTimeout(60*time.Second))

	It("pool -> members -> listener ends in the same row", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, "", "TCP"))).To(Succeed())
		Expect(d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 63015, x.memberSubnet))).To(Succeed())
		Expect(row(ctx, x.lb).Vips).To(BeEmpty())
		resetAll()
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 64015, x.pool))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
		)}))
		x.expectRow(ctx)
	}, SpecTimeout(60*time.Second))
})
