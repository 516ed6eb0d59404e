package provider_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// gatewayPort connects router to a provider network through a gateway LRP
// (bound to a gateway chassis) and a router_gateway LSP.
func gatewayPort(ctx context.Context, routerID, netID, gwCIDR string) {
	GinkgoHelper()
	portID := newID()
	gc := &nb.GatewayChassis{UUID: "gc", Name: "lrp-" + portID + "_chassis1", ChassisName: "chassis1", Priority: 1}
	lrp := &nb.LogicalRouterPort{
		UUID: "lrp", Name: "lrp-" + portID, MAC: nextMAC(), Networks: []string{gwCIDR}, GatewayChassis: []string{gc.UUID},
		ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID, "neutron:is_ext_gw": "True"},
	}
	lsp := &nb.LogicalSwitchPort{
		UUID: "lsp", Name: portID, Type: "router", Addresses: []string{"router"},
		Options:     map[string]string{"router-port": "lrp-" + portID},
		ExternalIDs: map[string]string{"neutron:device_owner": "network:router_gateway", "neutron:cidrs": gwCIDR},
	}
	var ops []ovsdb.Operation
	for _, m := range []model.Model{gc, lrp, lsp} {
		o, err := env.nb.Create(m)
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, o...)
	}
	lr := &nb.LogicalRouter{}
	o, err := env.nb.WhereCache(func(r *nb.LogicalRouter) bool { return r.Name == "neutron-"+routerID }).
		Mutate(lr, model.Mutation{Field: &lr.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lrp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	ops = append(ops, o...)
	ls := &nb.LogicalSwitch{}
	o, err = env.nb.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+netID }).
		Mutate(ls, model.Mutation{Field: &ls.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lsp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, append(ops, o...)...)
}

// inTxn runs fn in a Txn and commits what it changed.
func inTxn(ctx context.Context, fn func(t *nbtxn.Txn)) {
	GinkgoHelper()
	Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error { fn(t); return nil })).To(Succeed())
}

var _ = Describe("assoc", func() {
	It("finds routers through router interfaces only, and a router's non-gateway switches of the VIP family", func(ctx SpecContext) {
		n := exampleCounter.Add(1)
		r, a, p, v6 := newID(), newID(), newID(), newID()
		router(ctx, r)
		network(ctx, a, false)
		network(ctx, p, true)
		network(ctx, v6, false)
		cidrA := fmt.Sprintf("10.%d.1.0/24", 150+n)
		routerInterface(ctx, r, a, fmt.Sprintf("10.%d.1.1/24", 150+n))
		gatewayPort(ctx, r, p, fmt.Sprintf("172.30.%d.1/24", n))
		routerInterface(ctx, r, v6, fmt.Sprintf("fd%02x::1/64", n))
		inTxn(ctx, func(t *nbtxn.Txn) {
			lrs := assoc.RoutersOfSubnet(t, a, cidrA)
			Expect(lrs).To(HaveLen(1))
			Expect(lrs[0].Name).To(Equal("neutron-" + r))
			Expect(assoc.RoutersOfSubnet(t, a, fmt.Sprintf("10.%d.2.0/24", 150+n))).To(BeEmpty())
			Expect(assoc.RoutersOfSubnet(t, p, fmt.Sprintf("172.30.%d.0/24", n))).To(BeEmpty(), "gateway ports never qualify")
			Expect(assoc.RoutersOfSubnet(t, v6, fmt.Sprintf("fd%02x::/64", n))).To(HaveLen(1))
			Expect(assoc.SwitchNamesOfRouter(t, lrs[0], fmt.Sprintf("10.%d.1.50", 150+n))).To(Equal([]string{"neutron-" + a}))
			Expect(assoc.SwitchNamesOfRouter(t, lrs[0], fmt.Sprintf("fd%02x::50", n))).To(Equal([]string{"neutron-" + v6}))
			Expect(assoc.IsProviderNetwork(t.SwitchByName("neutron-" + p))).To(BeTrue())
			Expect(assoc.IsProviderNetwork(t.SwitchByName("neutron-" + a))).To(BeFalse())
		})
	}, SpecTimeout(30*time.Second))

	It("counts switch references, never on provider networks, and detaches from a router as the LRP-delete handler needs", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		prov := newID()
		network(ctx, prov, true)
		Expect(env.driver.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		uuid := row(ctx, x.lb).UUID
		lsName := "neutron-" + x.net

		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			Expect(assoc.AddSwitchRef(t, lb, "neutron-"+prov, 1)).To(Succeed())
			Expect(assoc.AddSwitchRef(t, lb, "neutron-"+newID(), 1)).To(Succeed()) // no such switch: skipped
		})
		Expect(row(ctx, x.lb).ExternalIDs["ls_refs"]).To(Equal(`{"` + lsName + `": 1}`))
		Expect(switchLBs(ctx, prov)).NotTo(ContainElement(uuid))

		// Router detach: lr_ref loses the router, the row leaves it and its
		// switches (the VIP switch too, the reference's end state).
		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			assoc.DetachFromRouter(t, lb, t.RouterByName("neutron-"+x.router))
		})
		r := row(ctx, x.lb)
		Expect(r.ExternalIDs).NotTo(HaveKey("lr_ref"))
		Expect(routerLBs(ctx, x.router)).NotTo(ContainElement(uuid))
		Expect(switchLBs(ctx, x.net)).NotTo(ContainElement(uuid))

		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			assoc.AttachToRouter(t, lb, t.RouterByName("neutron-"+x.router))
		})
		r = row(ctx, x.lb)
		Expect(r.ExternalIDs["lr_ref"]).To(Equal("neutron-" + x.router))
		Expect(r.ExternalIDs["ls_refs"]).To(Equal(`{"` + lsName + `": 1}`))
		Expect(routerLBs(ctx, x.router)).To(ContainElement(uuid))
		Expect(switchLBs(ctx, x.net)).To(ContainElement(uuid))

		// Removing the last direct reference keeps the switch while a router
		// of lr_ref still reaches it (spec recommendation).
		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			Expect(assoc.RemoveSwitchRef(t, lb, lsName)).To(Succeed())
		})
		Expect(row(ctx, x.lb).ExternalIDs["ls_refs"]).To(Equal(`{}`))
		Expect(switchLBs(ctx, x.net)).To(ContainElement(uuid))

		// A switch not in ls_refs and not routed is left on removal.
		other := newID()
		network(ctx, other, false)
		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			t.AttachSwitch(t.SwitchByName("neutron-"+other).UUID, lb)
		})
		Expect(switchLBs(ctx, other)).To(ContainElement(uuid))
		inTxn(ctx, func(t *nbtxn.Txn) {
			lb := t.LBsByName(x.lb)[0]
			Expect(assoc.RemoveSwitchRef(t, lb, "neutron-"+other)).To(Succeed())
		})
		Expect(switchLBs(ctx, other)).NotTo(ContainElement(uuid))
	}, SpecTimeout(30*time.Second))
})
