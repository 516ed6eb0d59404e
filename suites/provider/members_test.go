package provider_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

var _ = Describe("members on several networks", func() {
	It("counts ls_refs and associates switches as the spec says, and undoes it member by member", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		netB, subB, netC, subC, netP, subP := newID(), newID(), newID(), newID(), newID(), newID()
		network(ctx, netB, false)
		subnet(subB, netB, x.mnet[:len(x.mnet)-3]+".20.0/24")
		routerInterface(ctx, x.router, netB, x.mnet[:len(x.mnet)-3]+".20.1/24")
		network(ctx, netC, false)
		subnet(subC, netC, x.mnet[:len(x.mnet)-3]+".30.0/24")
		network(ctx, netP, true) // provider network: never attached
		subnet(subP, netP, x.mnet[:len(x.mnet)-3]+".40.0/24")
		prefix := x.mnet[:len(x.mnet)-3]
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		uuid := row(ctx, x.lb).UUID
		A, B, C := "neutron-"+x.net, "neutron-"+netB, "neutron-"+netC

		type step struct {
			id, ip, subnet string
			lsRefs         string
			on, off        []string // networks whose switch lists / does not list the row
		}
		a1, b1, c1, c2, p1 := newID(), newID(), newID(), newID(), newID()
		adds := []step{
			{a1, x.mnet + ".11", x.memberSubnet, `{"` + A + `": 2}`, []string{x.net, netB}, []string{netC, netP}},
			{b1, prefix + ".20.11", subB, `{"` + A + `": 2, "` + B + `": 1}`, []string{x.net, netB}, []string{netC, netP}},
			{c1, prefix + ".30.11", subC, `{"` + A + `": 2, "` + B + `": 1, "` + C + `": 1}`, []string{x.net, netB, netC}, []string{netP}},
			{c2, prefix + ".30.12", subC, `{"` + A + `": 2, "` + B + `": 1, "` + C + `": 2}`, []string{x.net, netB, netC}, []string{netP}},
			{p1, prefix + ".40.11", subP, `{"` + A + `": 2, "` + B + `": 1, "` + C + `": 2}`, []string{x.net, netB, netC}, []string{netP}},
		}
		expectAssoc := func(s step) {
			GinkgoHelper()
			r := row(ctx, x.lb)
			Expect(r.ExternalIDs["ls_refs"]).To(Equal(s.lsRefs))
			for _, n := range s.on {
				Expect(switchLBs(ctx, n)).To(ContainElement(uuid), n)
			}
			for _, n := range s.off {
				Expect(switchLBs(ctx, n)).NotTo(ContainElement(uuid), n)
			}
			Expect(routerLBs(ctx, x.router)).To(ConsistOf(uuid))
			Expect(r.ExternalIDs["lr_ref"]).To(Equal("neutron-" + x.router))
		}
		// Before any member: VIP switch counted, router switches attached.
		expectAssoc(step{lsRefs: `{"` + A + `": 1}`, on: []string{x.net, netB}, off: []string{netC, netP}})
		for _, s := range adds {
			Expect(d.MemberCreate(ctx, memberObj(s.id, x.pool, s.ip, 8080, s.subnet))).To(Succeed())
			expectAssoc(s)
		}
		// Deleting in reverse order returns to each previous state.
		for i := len(adds) - 1; i >= 0; i-- {
			s := adds[i]
			Expect(d.MemberDelete(ctx, memberObj(s.id, x.pool, s.ip, 8080, s.subnet))).To(Succeed())
			prev := step{lsRefs: `{"` + A + `": 1}`, on: []string{x.net, netB}, off: []string{netC, netP}}
			if i > 0 {
				prev = adds[i-1]
			}
			expectAssoc(prev)
		}
		r := row(ctx, x.lb)
		Expect(r.ExternalIDs).NotTo(HaveKey("neutron:member_status"))
		Expect(r.ExternalIDs["pool_"+x.pool]).To(Equal(""))
		Expect(r.Vips).To(BeEmpty())
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("idempotence", func() {
	It("repeating creates writes nothing", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver
		calls := []func() error{
			func() error { return d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)) },
			func() error { return d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, "")) },
			func() error { return d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP")) },
			func() error {
				return d.MemberCreate(ctx, memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet))
			},
			func() error {
				return d.MemberBatchUpdate(ctx, x.pool, []*octavia.Member{memberObj(x.member, x.pool, x.mnet+".10", 8080, x.memberSubnet)})
			},
		}
		for i, call := range calls {
			resetAll()
			Expect(call()).To(Succeed())
			first := messages()
			Expect(first).To(HaveLen(1))
			before, stats := nbDump(), env.store.Stats()
			resetAll()
			Expect(call()).To(Succeed(), "call %d", i)
			Expect(env.store.Stats()).To(Equal(stats), "call %d wrote", i)
			Expect(nbDump()).To(Equal(before))
			Expect(messages()).To(Equal(first), "call %d reports the same status", i)
		}
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("an NB written in the reference's format", func() {
	It("is continued correctly by our calls", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		m1, m2 := newID(), newID()
		ip1, ip2 := x.mnet+".21", x.mnet+".22"
		// The row as the reference leaves it after LB, listener, pool and
		// one member (nb-data-contract §4–§9, §13).
		proto := "tcp"
		lb := &nb.LoadBalancer{
			UUID: "lb", Name: x.lb, Protocol: &proto,
			SelectionFields: []string{"ip_dst", "ip_src", "tp_dst", "tp_src"},
			Vips:            map[string]string{"172.24.4.9:80": ip1 + ":8080"},
			ExternalIDs: map[string]string{
				"enabled":                "True",
				"lr_ref":                 "neutron-" + x.router,
				"ls_refs":                `{"neutron-` + x.net + `": 2}`,
				"neutron:vip":            "172.24.4.9",
				"neutron:vip_port_id":    x.vipPort,
				"listener_" + x.listener: "80:pool_" + x.pool,
				"pool_" + x.pool:         fmt.Sprintf("member_%s_%s:8080_%s", m1, ip1, x.memberSubnet),
				"neutron:member_status":  `{"` + m1 + `": "NO_MONITOR"}`,
			},
		}
		ops, err := env.nb.Create(lb)
		Expect(err).NotTo(HaveOccurred())
		ls := &nb.LogicalSwitch{}
		o, err := env.nb.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+x.net }).
			Mutate(ls, model.Mutation{Field: &ls.LoadBalancer, Mutator: ovsdb.MutateOperationInsert, Value: []string{lb.UUID}})
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, o...)
		lr := &nb.LogicalRouter{}
		o, err = env.nb.WhereCache(func(l *nb.LogicalRouter) bool { return l.Name == "neutron-"+x.router }).
			Mutate(lr, model.Mutation{Field: &lr.LoadBalancer, Mutator: ovsdb.MutateOperationInsert, Value: []string{lb.UUID}})
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, o...)
		transact(ctx, ops...)
		uuid := row(ctx, x.lb).UUID
		publish(x.lb, []string{x.listener}, []string{x.pool})
		d := env.driver

		resetAll()
		Expect(d.MemberCreate(ctx, memberObj(m2, x.pool, ip2, 8080, x.memberSubnet))).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(m1, "ACTIVE", "NO_MONITOR"), se(m2, "ACTIVE", "NO_MONITOR")),
		)}))
		r := row(ctx, x.lb)
		Expect(r.UUID).To(Equal(uuid))
		Expect(r.ExternalIDs["pool_"+x.pool]).To(Equal(fmt.Sprintf("member_%s_%s:8080_%s,member_%s_%s:8080_%s", m1, ip1, x.memberSubnet, m2, ip2, x.memberSubnet)))
		Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"neutron-` + x.net + `": 3}`))
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + m1 + `": "NO_MONITOR", "` + m2 + `": "NO_MONITOR"}`))
		Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:80": ip1 + ":8080," + ip2 + ":8080"}))

		Expect(d.MemberDelete(ctx, memberObj(m1, x.pool, ip1, 8080, x.memberSubnet))).To(Succeed())
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs["pool_"+x.pool]).To(Equal(fmt.Sprintf("member_%s_%s:8080_%s", m2, ip2, x.memberSubnet)))
		Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"neutron-` + x.net + `": 2}`))
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + m2 + `": "NO_MONITOR"}`))
		Expect(r.Vips).To(Equal(map[string]string{"172.24.4.9:80": ip2 + ":8080"}))

		// Disable the member, then the listener, then the LB.
		resetAll()
		Expect(d.MemberUpdate(ctx, memberObj(m2, x.pool, ip2, 8080, x.memberSubnet), &octavia.Member{MemberID: some(m2), AdminStateUp: some(false)})).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "ONLINE")),
			list("listeners", se(x.listener, "ACTIVE", "ONLINE")),
			list("pools", se(x.pool, "ACTIVE", "ONLINE")),
			list("members", se(m2, "ACTIVE", "OFFLINE")),
		)}))
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs["neutron:member_status"]).To(Equal(`{"` + m2 + `": "OFFLINE"}`))
		Expect(r.Vips).To(BeEmpty())
		Expect(d.MemberUpdate(ctx, memberObj(m2, x.pool, ip2, 8080, x.memberSubnet), &octavia.Member{MemberID: some(m2), AdminStateUp: some(true)})).To(Succeed())
		Expect(row(ctx, x.lb).Vips).To(Equal(map[string]string{"172.24.4.9:80": ip2 + ":8080"}))

		resetAll()
		Expect(d.ListenerUpdate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, x.pool), &octavia.Listener{AdminStateUp: some(false)})).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "OFFLINE")),
			list("pools"),
		)}))
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs).NotTo(HaveKey("listener_" + x.listener))
		Expect(r.ExternalIDs["listener_"+x.listener+":D"]).To(Equal("80:pool_" + x.pool))
		Expect(r.Vips).To(BeEmpty())
		Expect(d.ListenerUpdate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, x.pool), &octavia.Listener{AdminStateUp: some(true)})).To(Succeed())
		Expect(row(ctx, x.lb).Vips).To(HaveLen(1))

		resetAll()
		Expect(d.PoolUpdate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"), &octavia.Pool{AdminStateUp: some(false)})).To(Succeed())
		Expect(messages()).To(Equal([]string{status(
			list("loadbalancers", se(x.lb, "ACTIVE", "")),
			list("listeners", se(x.listener, "ACTIVE", "")),
			list("pools", se(x.pool, "ACTIVE", "OFFLINE")),
		)}))
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs).To(HaveKey("pool_" + x.pool + ":D"))
		Expect(r.Vips).To(BeEmpty())
		Expect(d.PoolUpdate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"), &octavia.Pool{AdminStateUp: some(true)})).To(Succeed())

		resetAll()
		Expect(d.LoadBalancerUpdate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet), &octavia.LoadBalancer{AdminStateUp: some(false)})).To(Succeed())
		Expect(messages()).To(Equal([]string{status(list("loadbalancers", se(x.lb, "ACTIVE", "OFFLINE")))}))
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs["enabled"]).To(Equal("False"))
		Expect(r.Vips).To(BeEmpty())
		Expect(d.LoadBalancerUpdate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet), &octavia.LoadBalancer{AdminStateUp: some(true)})).To(Succeed())
		Expect(row(ctx, x.lb).Vips).To(Equal(map[string]string{"172.24.4.9:80": ip2 + ":8080"}))

		// A UDP pool gets its own row copying the LB-level keys.
		udpPool := newID()
		Expect(d.PoolCreate(ctx, poolObj(udpPool, x.lb, "", "UDP"))).To(Succeed())
		u := rowByProto(ctx, x.lb, "udp")
		Expect(u.ExternalIDs).To(Equal(map[string]string{
			"enabled": "True", "lr_ref": "neutron-" + x.router, "ls_refs": `{"neutron-` + x.net + `": 1}`,
			"neutron:vip": "172.24.4.9", "neutron:vip_port_id": x.vipPort, "pool_" + udpPool: "",
		}))
	}, SpecTimeout(60*time.Second))
})
