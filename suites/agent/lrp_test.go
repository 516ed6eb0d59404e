package agent_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// topo is the N1/N2/N3 scenario: router R, networks N1..N3, a provider
// network PN (R's gateway), LB1 with its VIP on N1 (on R from the start),
// LB2 with its VIP on N2 (not routed yet) and a Neutron port-forwarding row
// on R.
type topo struct {
	w                       *world
	r, n1, n2, n3, pn       string
	lb1, lb2, pf            string // row UUIDs
	lb1ID, lb2ID, pfName    string
	lrpN1, lrpN2, lrpN3, gw string
}

func newTopo(w *world) *topo {
	GinkgoHelper()
	t := &topo{w: w, r: newID(), n1: newID(), n2: newID(), n3: newID(), pn: newID(),
		lb1ID: newID(), lb2ID: newID()}
	t.pfName = "pf-floatingip-" + newID() + "-tcp"
	for _, n := range []string{t.n1, t.n2, t.n3} {
		w.addNetwork(n, false)
	}
	w.addNetwork(t.pn, true)
	w.addRouter(t.r)
	t.lrpN1 = w.addInterface(t.r, t.n1, "10.1.0.1/24", false)
	t.gw = w.addInterface(t.r, t.pn, "172.24.4.10/24", true)
	t.lb1 = w.addLB(lbSpec{ID: t.lb1ID, VIP: "10.1.0.10", VIPPort: newID(),
		Ext:      map[string]string{"ls_refs": lsRefs(swName(t.n1), 1), "lr_ref": rtrName(t.r)},
		Switches: []string{t.n1}, Routers: []string{t.r}})
	t.lb2 = w.addLB(lbSpec{ID: t.lb2ID, VIP: "10.2.0.10", VIPPort: newID(),
		Ext:      map[string]string{"ls_refs": lsRefs(swName(t.n2), 1)},
		Switches: []string{t.n2}})
	// A Neutron port-forwarding row on R: not ours, never modified.
	t.pf = w.addLB(lbSpec{ID: t.pfName, VIP: "", VIPPort: "",
		Ext:     map[string]string{"neutron:device_owner": "port_forwarding_plugin", "neutron:router_name": rtrName(t.r)},
		Routers: []string{t.r}})
	return t
}

// The N1/N2/N3 steps and the associations events-and-status §4 gives after
// each.
func (t *topo) step1AddN2() {
	t.lrpN2 = t.w.addInterface(t.r, t.n2, "10.2.0.1/24", false)
}
func (t *topo) step2AddN3() {
	t.lrpN3 = t.w.addInterface(t.r, t.n3, "10.3.0.1/24", false)
}
func (t *topo) step3RemoveN1() {
	t.w.removeInterface(t.r, t.n1, t.lrpN1)
}

func (t *topo) expectAfterStep1() {
	GinkgoHelper()
	w := t.w
	// LB2 (on N2) joins R and R's switches; R's rows (LB1 and the
	// port-forwarding row, the §4.1 quirk) join N2. The port-forwarding row
	// is on N1 since the agent started: the start-up resync does what the
	// reference's replay of every LRP creation does.
	Eventually(func() []string { return w.onRouter(t.r) }).Should(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Eventually(func() []string { return w.onSwitch(t.n1) }).Should(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Eventually(func() []string { return w.onSwitch(t.n2) }).Should(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Eventually(func() map[string]string { return w.ext(t.lb2) }).Should(HaveKeyWithValue("lr_ref", rtrName(t.r)))
	Expect(w.ext(t.lb2)).To(HaveKeyWithValue("ls_refs", lsRefs(swName(t.n2), 1)), "router association never counts")
	Expect(w.ext(t.lb1)).To(HaveKeyWithValue("lr_ref", rtrName(t.r)))
	Expect(w.onSwitch(t.pn)).To(BeEmpty(), "the gateway's provider network gets no LB")
}

func (t *topo) expectAfterStep2() {
	GinkgoHelper()
	w := t.w
	Eventually(func() []string { return w.onSwitch(t.n3) }).Should(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Expect(w.onRouter(t.r)).To(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Expect(w.onSwitch(t.n1)).To(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
	Expect(w.onSwitch(t.n2)).To(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
}

func (t *topo) expectAfterStep3() {
	GinkgoHelper()
	w := t.w
	// LB1 counts N1 in ls_refs: detached from R, its lr_ref goes, and it
	// leaves R's remaining switches. LB2 and the PF row leave N1.
	Eventually(func() []string { return w.onRouter(t.r) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
	Eventually(func() []string { return w.onSwitch(t.n1) }).Should(Equal(sorted(t.lb1ID)))
	Eventually(func() []string { return w.onSwitch(t.n2) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
	Eventually(func() []string { return w.onSwitch(t.n3) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
	Eventually(func() map[string]string { return w.ext(t.lb1) }).ShouldNot(HaveKey("lr_ref"))
	Expect(w.ext(t.lb2)).To(HaveKeyWithValue("lr_ref", rtrName(t.r)))
	Expect(w.ext(t.lb1)).To(HaveKeyWithValue("ls_refs", lsRefs(swName(t.n1), 1)))
	Expect(w.ext(t.pf)).NotTo(HaveKey("lr_ref"), "foreign rows are never modified")
	Expect(w.onSwitch(t.pn)).To(BeEmpty())
}

var _ = Describe("router interface events", func() {
	It("N1/N2/N3: add N2, add N3, remove N1 end with the spec's associations", func() {
		w := newWorld()
		t := newTopo(w)
		a := w.start()
		txns := func() int64 { return a.a.Store().Stats().Transactions }
		start := txns()

		t.step1AddN2()
		t.expectAfterStep1()
		t.step2AddN3()
		t.expectAfterStep2()
		t.step3RemoveN1()
		t.expectAfterStep3()

		// One transaction per interface event and nothing else. The agent
		// counts a transaction when its reply arrives, which can be after
		// this test's own client already shows the rows: wait for the count,
		// then hold it.
		Eventually(txns).Should(Equal(start + 3))
		Consistently(txns).Should(Equal(start + 3))
	})

	It("does not double the neutron- prefix of neutron:router_name", func() {
		w := newWorld()
		t := newTopo(w)
		w.start()
		// ML2/OVN may write the router name with its prefix.
		port := newID()
		w.transact(w.nb,
			nbInsertLRP("lrp-"+port, "10.2.0.1/24", map[string]string{
				"neutron:router_name": rtrName(t.r), "neutron:network_name": swName(t.n2)}),
			mutateRefs(nb.LogicalRouterTable, whereName(rtrName(t.r)), "ports", ovsdb.MutateOperationInsert, "lrp"))
		Eventually(func() []string { return w.onRouter(t.r) }).Should(ContainElement(t.lb2ID))
		Eventually(func() []string { return w.onSwitch(t.n2) }).Should(ContainElement(t.lb1ID))
	})

	It("a gateway port (is_ext_gw) brings the network's LBs to the router, not the router's LBs to the network", func() {
		w := newWorld()
		t := newTopo(w)
		nx := newID()
		w.addNetwork(nx, false)
		lb3ID := newID()
		w.addLB(lbSpec{ID: lb3ID, VIP: "172.25.0.10", VIPPort: newID(), Switches: []string{nx},
			Ext: map[string]string{"ls_refs": lsRefs(swName(nx), 1)}})
		w.start()
		w.addInterface(t.r, nx, "172.25.0.1/24", true)
		Eventually(func() []string { return w.onRouter(t.r) }).Should(ContainElement(lb3ID))
		Consistently(func() []string { return w.onSwitch(nx) }).Should(Equal([]string{lb3ID}))
	})

	It("attaches through a router only to switches of the VIP's IP version, and never adds router LBs to a provider network", func() {
		w := newWorld()
		t := newTopo(w)
		n6, pn2 := newID(), newID()
		w.addNetwork(n6, false)
		w.addNetwork(pn2, true)
		a := w.start()
		// R's rows are copied to a new IPv6 network: step 3 has no IP rule.
		w.addInterface(t.r, n6, "fd00:6::1/64", false)
		Eventually(func() []string { return w.onSwitch(n6) }).Should(Equal(sorted(t.lb1ID, t.pfName)))
		// A restart (full resync) keeps that state.
		a.stop()
		a = w.start()
		Consistently(func() []string { return w.onSwitch(n6) }).Should(Equal(sorted(t.lb1ID, t.pfName)))

		// A provider network behind a non-gateway port gets none of R's rows.
		w.addInterface(t.r, pn2, "172.26.0.1/24", false)
		Consistently(func() []string { return w.onSwitch(pn2) }).Should(BeEmpty())
		// IPv4 LB2 joins R and R's IPv4 switches only (not N6).
		t.step1AddN2()
		Eventually(func() []string { return w.onRouter(t.r) }).Should(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
		Eventually(func() []string { return w.onSwitch(t.n1) }).Should(ContainElement(t.lb2ID))
		Consistently(func() []string { return w.onSwitch(n6) }).Should(Equal(sorted(t.lb1ID, t.pfName)))
		// The provider network is an IPv4 switch of R: NB §13.4 does not
		// filter it when a row is attached to R (only step 3 skips it).
		Expect(w.onSwitch(pn2)).To(Equal(sorted(t.lb2ID)))
		_ = a
	})

	It("one interface event attaches rows of both IP versions, each to the router's switches of its own version", func() {
		// The handlers resolve a router's switches once per burst and IP
		// version (assoc.Resolver): an IPv6 row must not get the IPv4
		// answer of the row before it, nor the reverse.
		w := newWorld()
		r, n4, n6, nx := newID(), newID(), newID(), newID()
		for _, n := range []string{n4, n6, nx} {
			w.addNetwork(n, false)
		}
		w.addRouter(r)
		w.addInterface(r, n4, "10.4.0.1/24", false)
		w.addInterface(r, n6, "fd00:6::1/64", false)
		lb4a, lb4b, lb6a, lb6b := newID(), newID(), newID(), newID()
		rows := map[string]string{}
		for id, vip := range map[string]string{lb4a: "10.9.0.10", lb6a: "fd00:9::10", lb4b: "10.9.0.11", lb6b: "fd00:9::11"} {
			rows[id] = w.addLB(lbSpec{ID: id, VIP: vip, VIPPort: newID(), Switches: []string{nx},
				Ext: map[string]string{"ls_refs": lsRefs(swName(nx), 1)}})
		}
		w.start()

		// NX joins R through an IPv4 port: every row of NX joins R (§4.1
		// step 1 has no IP rule), then R's switches of the row's version.
		w.addInterface(r, nx, "10.9.0.1/24", false)
		Eventually(func() []string { return w.onRouter(r) }).Should(Equal(sorted(lb4a, lb4b, lb6a, lb6b)))
		Eventually(func() []string { return w.onSwitch(n4) }).Should(Equal(sorted(lb4a, lb4b)))
		Eventually(func() []string { return w.onSwitch(n6) }).Should(Equal(sorted(lb6a, lb6b)))
		Expect(w.onSwitch(nx)).To(Equal(sorted(lb4a, lb4b, lb6a, lb6b)))
		for id, u := range rows {
			Expect(w.ext(u)).To(HaveKeyWithValue("lr_ref", rtrName(r)), id)
			Expect(w.ext(u)).To(HaveKeyWithValue("ls_refs", lsRefs(swName(nx), 1)), id)
		}
	})

	It("an interface removal keeps rows on the switches of the other routers in lr_ref", func() {
		// R1 and R2 share network NS; R1 also serves NX, where two LBs have
		// their VIPs and a member on NS (so NB §13.4 puts them on R1 and
		// R2, lr_ref R1,R2). Removing R1's NX interface detaches them from
		// R1 and from R1's switches, except NS: it is a switch of R2, still
		// in lr_ref.
		w := newWorld()
		r1, r2, ns, nx := newID(), newID(), newID(), newID()
		w.addNetwork(ns, false)
		w.addNetwork(nx, false)
		w.addRouter(r1)
		w.addRouter(r2)
		w.addInterface(r1, ns, "10.5.0.1/24", false)
		w.addInterface(r2, ns, "10.5.0.2/24", false)
		lrpNX := w.addInterface(r1, nx, "10.9.0.1/24", false)
		w.addPort(ns, newID(), "10.5.0.20", nil)
		lbA, lbB := newID(), newID()
		rows := map[string]string{}
		for id, vip := range map[string]string{lbA: "10.9.0.10", lbB: "10.9.0.11"} {
			pool, member := newID(), newID()
			rows[id] = w.addLB(lbSpec{ID: id, VIP: vip, VIPPort: newID(),
				Ext: map[string]string{"ls_refs": lsRefs(swName(nx), 1, swName(ns), 1),
					"lr_ref":         rtrName(r1) + "," + rtrName(r2),
					"pool_" + pool:   "member_" + member + "_10.5.0.20:80_" + newID(),
					"listener_" + id: "80:pool_" + pool},
				Switches: []string{nx, ns}, Routers: []string{r1, r2}})
		}
		a := w.start()
		// The start-up resync finds that state right.
		Consistently(func() int64 { return a.a.Store().Stats().Transactions }).Should(BeZero())

		w.removeInterface(r1, nx, lrpNX)
		Eventually(func() []string { return w.onRouter(r1) }).Should(BeEmpty())
		for id, u := range rows {
			Eventually(func() map[string]string { return w.ext(u) }).Should(HaveKeyWithValue("lr_ref", rtrName(r2)), id)
		}
		Expect(w.onRouter(r2)).To(Equal(sorted(lbA, lbB)))
		Expect(w.onSwitch(ns)).To(Equal(sorted(lbA, lbB)), "NS is a switch of R2")
		Expect(w.onSwitch(nx)).To(Equal(sorted(lbA, lbB)), "NX is no switch of R1 any more: not touched")
	})

	It("reproduces the §4.2 quirk: an LB with only a member on the removed network leaves the router and its own VIP switch", func() {
		w := newWorld()
		t := newTopo(w)
		lb3ID := newID()
		// LB3: VIP on N2, one member on N1; attached as the provider would
		// once N2 is on R (N2, R and R's switches N1, N2).
		a := w.start()
		t.step1AddN2()
		t.expectAfterStep1()
		lb3 := w.addLB(lbSpec{ID: lb3ID, VIP: "10.2.0.30", VIPPort: newID(),
			Ext:      map[string]string{"ls_refs": lsRefs(swName(t.n2), 1, swName(t.n1), 1), "lr_ref": rtrName(t.r)},
			Switches: []string{t.n1, t.n2}, Routers: []string{t.r}})
		t.step3RemoveN1()
		Eventually(func() []string { return w.onRouter(t.r) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
		Eventually(func() map[string]string { return w.ext(lb3) }).ShouldNot(HaveKey("lr_ref"))
		Expect(w.onSwitch(t.n2)).To(Equal(sorted(t.lb2ID, t.pfName)), "LB3 left its own VIP switch")
		Expect(w.onSwitch(t.n1)).To(Equal(sorted(t.lb1ID, lb3ID)))
		Expect(w.ext(lb3)).To(HaveKeyWithValue("ls_refs", lsRefs(swName(t.n2), 1, swName(t.n1), 1)))

		// A full resync (restart) restores NB §13.4: LB3's VIP subnet is on R.
		a.stop()
		w.start()
		Expect(w.onRouter(t.r)).To(Equal(sorted(t.lb2ID, lb3ID, t.pfName)))
		Expect(w.onSwitch(t.n2)).To(Equal(sorted(t.lb2ID, lb3ID, t.pfName)))
		Expect(w.ext(lb3)).To(HaveKeyWithValue("lr_ref", rtrName(t.r)))
	})
})
