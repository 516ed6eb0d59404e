package agent_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// fipLB is an LB with a VIP port named by the provider, a TCP listener on
// a pool with one member, and a health monitor (one LBHC on the VIP). The
// member has a floating IP of its own (a distributed NAT row on the
// router).
type fipLB struct {
	w                          *world
	net, subnet, router        string
	id, pool, hm, vipPort, row string
	memberPort, nat            string
}

func newFIPLB(w *world) *fipLB {
	GinkgoHelper()
	f := &fipLB{w: w, net: newID(), subnet: newID(), router: newID(), id: newID(), pool: newID(), hm: newID(),
		vipPort: newID(), memberPort: newID()}
	w.addNetwork(f.net, false)
	w.addRouter(f.router)
	w.addInterface(f.router, f.net, "10.1.0.1/24", false)
	_, err := w.neutron.AddNetwork(fakeneutron.Network{ID: f.net})
	Expect(err).NotTo(HaveOccurred())
	_, err = w.neutron.AddSubnet(fakeneutron.Subnet{ID: f.subnet, NetworkID: f.net, CIDR: "10.1.0.0/24"})
	Expect(err).NotTo(HaveOccurred())
	_, err = w.neutron.AddPort(fakeneutron.Port{ID: f.vipPort, Name: "ovn-lb-vip-" + f.id, NetworkID: f.net,
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: f.subnet, IPAddress: "10.1.0.10"}}})
	Expect(err).NotTo(HaveOccurred())
	w.addPort(f.net, f.vipPort, "10.1.0.10", map[string]string{"neutron:port_name": "ovn-lb-vip-" + f.id})
	w.addPort(f.net, f.memberPort, "10.1.0.21", nil)

	res := w.transact(w.nb,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.NATTable, UUIDName: "nat", Row: ovsdb.Row{
			"type": "dnat_and_snat", "external_ip": "172.24.4.60", "logical_ip": "10.1.0.21",
			"external_mac": ovsdb.OvsSet{GoSet: []any{"fa:16:3e:12:34:56"}},
			"logical_port": ovsdb.OvsSet{GoSet: []any{f.memberPort}},
			"external_ids": ovsMap(map[string]string{"neutron:fip_port_id": f.memberPort, "neutron:fip_id": newID()})}},
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(f.router)), "nat", ovsdb.MutateOperationInsert, "nat"),
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerHealthCheckTable, UUIDName: "hc", Row: ovsdb.Row{
			"vip":          "10.1.0.10:80",
			"options":      ovsMap(map[string]string{"interval": "10", "timeout": "5", "success_count": "3", "failure_count": "3"}),
			"external_ids": ovsMap(map[string]string{"octavia:healthmonitor": f.hm, "octavia:pool_id": f.pool, "octavia:vip": "10.1.0.10"})}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerTable, UUIDName: "lb", Row: ovsdb.Row{
			"name": f.id, "protocol": "tcp",
			"vips":         ovsMap(map[string]string{"10.1.0.10:80": "10.1.0.21:8080"}),
			"health_check": uuidSet("hc"),
			"external_ids": ovsMap(map[string]string{
				"neutron:vip": "10.1.0.10", "neutron:vip_port_id": f.vipPort, "enabled": "True",
				"ls_refs": lsRefs(swName(f.net), 2), "lr_ref": rtrName(f.router),
				"listener_" + newID():    "80:pool_" + f.pool,
				"pool_" + f.pool:         "member_" + newID() + "_10.1.0.21:8080_" + f.subnet,
				"octavia:healthmonitors": `["` + f.hm + `"]`,
			})}},
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(f.net)), "load_balancer", ovsdb.MutateOperationInsert, "lb"),
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(f.router)), "load_balancer", ovsdb.MutateOperationInsert, "lb"),
	)
	f.nat = res[0].UUID.GoUUID
	f.row = res[3].UUID.GoUUID
	w.names[f.row] = f.id
	Eventually(func() *nb.LoadBalancer { return w.lb(f.row) }).ShouldNot(BeNil())
	return f
}

func (f *fipLB) setPortFIP(fip string) {
	GinkgoHelper()
	lsp := f.w.lsp(f.vipPort)
	Expect(lsp).NotTo(BeNil())
	ext := map[string]string{}
	for k, v := range lsp.ExternalIDs {
		ext[k] = v
	}
	if fip == "" {
		delete(ext, "neutron:port_fip")
	} else {
		ext["neutron:port_fip"] = fip
	}
	f.w.transact(f.w.nb, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: nb.LogicalSwitchPortTable,
		Where: whereUUID(lsp.UUID), Row: ovsdb.Row{"external_ids": ovsMap(ext)}})
}

// checks returns the LB's health checks as "vip|octavia:vip|options" strings.
func (f *fipLB) checks() []string {
	lb := f.w.lb(f.row)
	if lb == nil {
		return nil
	}
	var out []string
	for _, u := range lb.HealthCheck {
		m := f.w.nb.Cache().Table(nb.LoadBalancerHealthCheckTable).Row(u)
		if m == nil {
			continue
		}
		hc := m.(*nb.LoadBalancerHealthCheck)
		out = append(out, hc.Vip+"|"+hc.ExternalIDs["octavia:vip"]+"|"+hc.ExternalIDs["octavia:pool_id"]+"|"+
			hc.ExternalIDs["octavia:healthmonitor"]+"|"+hc.Options["interval"]+"/"+hc.Options["failure_count"])
	}
	return sorted(out...)
}

func (f *fipLB) natRow() *nb.NAT {
	m := f.w.nb.Cache().Table(nb.NATTable).Row(f.nat)
	if m == nil {
		return nil
	}
	return m.(*nb.NAT)
}

var _ = Describe("VIP port floating IP events", func() {
	It("associate sets neutron:vip_fip, the FIP vips and a FIP health check, and centralizes member FIPs; disassociate undoes it", func() {
		w := newWorld()
		f := newFIPLB(w)
		a := w.start()
		txns := func() int64 { return a.a.Store().Stats().Transactions }
		start := txns()

		f.setPortFIP("172.24.4.50")
		Eventually(func() map[string]string { return w.ext(f.row) }).Should(HaveKeyWithValue("neutron:vip_fip", "172.24.4.50"))
		Eventually(func() map[string]string { return w.lb(f.row).Vips }).Should(Equal(map[string]string{
			"10.1.0.10:80":   "10.1.0.21:8080",
			"172.24.4.50:80": "10.1.0.21:8080",
		}))
		Expect(f.checks()).To(Equal(sorted(
			"10.1.0.10:80|10.1.0.10|"+f.pool+"|"+f.hm+"|10/3",
			"172.24.4.50:80|172.24.4.50|"+f.pool+"|"+f.hm+"|10/3",
		)))
		Expect(f.natRow().ExternalMAC).To(BeNil())
		Expect(f.natRow().LogicalPort).To(BeNil())
		Expect(w.neutron.Requests()).To(ContainElement(HaveField("Path", "/v2.0/ports/"+f.vipPort)))

		// One transaction for the event, nothing more once done. The agent
		// counts it when the reply arrives, which can be after this test's
		// client already shows the rows: wait for the count, then hold it.
		Eventually(txns).Should(Equal(start + 1))
		Consistently(txns).Should(Equal(start + 1))

		f.setPortFIP("")
		Eventually(func() map[string]string { return w.ext(f.row) }).ShouldNot(HaveKey("neutron:vip_fip"))
		Eventually(func() map[string]string { return w.lb(f.row).Vips }).Should(Equal(map[string]string{
			"10.1.0.10:80": "10.1.0.21:8080",
		}))
		Eventually(f.checks).Should(Equal([]string{"10.1.0.10:80|10.1.0.10|" + f.pool + "|" + f.hm + "|10/3"}))
		Expect(w.octavia.Count()).To(Equal(0), "FIP changes send no status")
	})

	It("applies FIP changes made while no agent ran at the start-up resync", func() {
		w := newWorld()
		f := newFIPLB(w)
		f.setPortFIP("172.24.4.50")
		a := w.start()
		Expect(w.ext(f.row)).To(HaveKeyWithValue("neutron:vip_fip", "172.24.4.50"))
		Expect(w.lb(f.row).Vips).To(HaveKeyWithValue("172.24.4.50:80", "10.1.0.21:8080"))
		Expect(f.checks()).To(ContainElement("172.24.4.50:80|172.24.4.50|" + f.pool + "|" + f.hm + "|10/3"))
		Expect(f.natRow().LogicalPort).To(BeNil())
		a.stop()

		f.setPortFIP("")
		w.start()
		Expect(w.ext(f.row)).NotTo(HaveKey("neutron:vip_fip"))
		Expect(w.lb(f.row).Vips).To(Equal(map[string]string{"10.1.0.10:80": "10.1.0.21:8080"}))
		Expect(f.checks()).To(Equal([]string{"10.1.0.10:80|10.1.0.10|" + f.pool + "|" + f.hm + "|10/3"}))
	})
})
