package health_test

import (
	"net/http"
	"time"

	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// deleteRequests returns the DELETE /v2.0/ports/<id> requests the fake saw.
func deleteRequests(id string) []fakeneutron.Request {
	var out []fakeneutron.Request
	for _, r := range env.neutron.Requests() {
		if r.Method == http.MethodDelete && r.Path == "/v2.0/ports/"+id {
			out = append(out, r)
		}
	}
	return out
}

var _ = Describe("health monitor update", func() {
	It("merges the supplied options into the same LBHC rows", func(ctx SpecContext) {
		f := newFixture("10.2.0", "tcp", 2)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		before := healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(before).To(HaveLen(1))
		src := hmPortIP(f)

		env.agent.Reset()
		old := f.hm(octavia.HealthMonitorTCP)
		upd := &octavia.HealthMonitor{
			HealthMonitorID: octavia.Some(f.HMID),
			Delay:           octavia.Some(20),
			MaxRetriesDown:  octavia.Some(7),
			AdminStateUp:    octavia.Some(false),
		}
		Expect(env.monitors.Update(ctx, old, upd)).To(Succeed())
		msgs := env.agent.Messages()
		Expect(msgs).To(HaveLen(1))
		Expect(msgs[0].String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "ACTIVE", "OFFLINE") + `]}`))

		after := healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(after).To(HaveLen(1))
		Expect(after[0].UUID).To(Equal(before[0].UUID))
		Expect(after[0].Vip).To(Equal(before[0].Vip))
		Expect(after[0].ExternalIDs).To(Equal(before[0].ExternalIDs))
		Expect(after[0].Options).To(Equal(map[string]string{
			"interval": "20", "timeout": "5", "success_count": "3", "failure_count": "7",
		}))
		// ovn-northd keeps monitoring with the new options.
		Eventually(func() int { return len(serviceMonitors(ctx, f.Members[0].LSP)) }).Should(Equal(1))
		Expect(serviceMonitors(ctx, f.Members[0].LSP)[0].SrcIP).To(Equal(src))
	}, SpecTimeout(60*time.Second))

	It("reports ERROR for an HM without LBHC rows and writes nothing", func(ctx SpecContext) {
		dump := nbDump()
		env.agent.Reset()
		id := newID()
		hm := &octavia.HealthMonitor{HealthMonitorID: octavia.Some(id), PoolID: octavia.Some(newID())}
		Expect(env.monitors.Update(ctx, hm, &octavia.HealthMonitor{Delay: octavia.Some(3)})).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(`{"healthmonitors": [` + entry(id, "ERROR", "ERROR") + `]}`))
		Expect(nbDump()).To(Equal(dump))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("health monitor delete", func() {
	It("removes the LBHC rows, the mappings and, once unused, the HM port", func(ctx SpecContext) {
		f := newFixture("10.3.0", "tcp", 2)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		portID := f.hmPorts()[0].ID
		hcUUIDs := lbRow(ctx, f.LBID).HealthCheck
		Expect(hcUUIDs).To(HaveLen(1))
		Eventually(func() int { return len(serviceMonitors(ctx, f.Members[0].LSP)) }).Should(Equal(1))

		env.agent.Reset()
		Expect(env.monitors.Delete(ctx, f.hm(octavia.HealthMonitorTCP))).To(Succeed())
		msgs := env.agent.Messages()
		Expect(msgs).To(HaveLen(1))
		Expect(msgs[0].String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "NO_MONITOR") + `, ` + entry(f.Members[1].ID, "ACTIVE", "NO_MONITOR") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "DELETED", "NO_MONITOR") + `]}`))

		lb := lbRow(ctx, f.LBID)
		Expect(lb.HealthCheck).To(BeEmpty())
		Expect(lb.IPPortMappings).To(BeEmpty())
		Expect(lb.ExternalIDs).NotTo(HaveKey("octavia:healthmonitors"))
		Expect(lb.ExternalIDs["neutron:member_status"]).To(Equal(
			`{"` + f.Members[0].ID + `": "NO_MONITOR", "` + f.Members[1].ID + `": "NO_MONITOR"}`))
		for _, u := range hcUUIDs {
			Expect(env.nb.Cache().Table(nb.LoadBalancerHealthCheckTable).Row(u)).To(BeNil())
		}
		Expect(deleteRequests(portID)).To(HaveLen(1))
		Expect(deleteRequests(portID)[0].Status).To(Equal(http.StatusNoContent))
		Expect(f.hmPorts()).To(BeEmpty())
		// ovn-northd drops the Service_Monitor rows.
		for _, m := range f.Members {
			Eventually(func() int { return len(serviceMonitors(ctx, m.LSP)) }).Should(BeZero())
		}
	}, SpecTimeout(60*time.Second))

	It("keeps a shared HM port until the last pool using it loses its HM", func(ctx SpecContext) {
		f := newFixture("10.4.0", "tcp", 1)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		portID := f.hmPorts()[0].ID

		// A second pool on the same row and subnet, with another member
		// address, and its own HM.
		pool2, hm2, mem2 := newID(), newID(), fxMember{ID: newID(), IP: "10.4.0.30", LSP: newID()}
		addMemberLSP(ctx, f, mem2)
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			lb := t.LBsByName(f.LBID)[0]
			lb.ExternalIDs["pool_"+pool2] = "member_" + mem2.ID + "_" + mem2.IP + ":8080_" + f.SubnetID
			return nil
		})).To(Succeed())
		hm := &octavia.HealthMonitor{
			HealthMonitorID: octavia.Some(hm2), PoolID: octavia.Some(pool2), Type: octavia.Some(octavia.HealthMonitorTCP),
			Delay: octavia.Some(3), Timeout: octavia.Some(2), MaxRetries: octavia.Some(2),
		}
		Expect(env.monitors.Create(ctx, hm)).To(Succeed())
		Expect(f.hmPorts()).To(HaveLen(1), "the subnet's HM port is shared")
		lb := lbRow(ctx, f.LBID)
		Expect(lb.IPPortMappings).To(HaveLen(2))
		Expect(lb.ExternalIDs["octavia:healthmonitors"]).To(Equal(`["` + f.HMID + `", "` + hm2 + `"]`))
		Expect(lb.HealthCheck).To(HaveLen(2))

		Expect(env.monitors.Delete(ctx, f.hm(octavia.HealthMonitorTCP))).To(Succeed())
		Expect(deleteRequests(portID)).To(BeEmpty())
		lb = lbRow(ctx, f.LBID)
		Expect(lb.IPPortMappings).To(HaveLen(1))
		Expect(lb.IPPortMappings).To(HaveKey(mem2.IP))
		Expect(lb.ExternalIDs["octavia:healthmonitors"]).To(Equal(`["` + hm2 + `"]`))

		Expect(env.monitors.Delete(ctx, &octavia.HealthMonitor{
			HealthMonitorID: octavia.Some(hm2), PoolID: octavia.Some(pool2),
		})).To(Succeed())
		Expect(deleteRequests(portID)).To(HaveLen(1))
		Expect(lbRow(ctx, f.LBID).IPPortMappings).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("keeps a mapping shared with another pool's monitored member", func(ctx SpecContext) {
		f := newFixture("10.5.0", "tcp", 1)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		// Pool 2 holds the same member address (other port), monitored by HM 2.
		pool2, hm2 := newID(), newID()
		mem := f.Members[0]
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			lb := t.LBsByName(f.LBID)[0]
			lb.ExternalIDs["pool_"+pool2] = "member_" + newID() + "_" + mem.IP + ":9090_" + f.SubnetID
			return nil
		})).To(Succeed())
		Expect(env.monitors.Create(ctx, &octavia.HealthMonitor{
			HealthMonitorID: octavia.Some(hm2), PoolID: octavia.Some(pool2), Type: octavia.Some(octavia.HealthMonitorTCP),
			Delay: octavia.Some(3), Timeout: octavia.Some(2), MaxRetries: octavia.Some(2),
		})).To(Succeed())
		want := lbRow(ctx, f.LBID).IPPortMappings
		Expect(want).To(HaveLen(1))

		Expect(env.monitors.Delete(ctx, f.hm(octavia.HealthMonitorTCP))).To(Succeed())
		Expect(lbRow(ctx, f.LBID).IPPortMappings).To(Equal(want))
	}, SpecTimeout(60*time.Second))

	It("reports DELETED/NO_MONITOR for an unknown HM and writes nothing", func(ctx SpecContext) {
		dump := nbDump()
		env.agent.Reset()
		id := newID()
		Expect(env.monitors.Delete(ctx, &octavia.HealthMonitor{HealthMonitorID: octavia.Some(id), PoolID: octavia.Some(newID())})).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(`{"healthmonitors": [` + entry(id, "DELETED", "NO_MONITOR") + `]}`))
		Expect(nbDump()).To(Equal(dump))
	}, SpecTimeout(30*time.Second))
})

var _ = Describe("FIP health checks", func() {
	It("adds an LBHC per HM for an associated FIP and removes all of them on disassociation", func(ctx SpecContext) {
		f := newFixture("10.6.0", "tcp", 1)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		fip := "172.24.4.50"
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			Expect(addFIP(t, t.LBsByName(f.LBID)[0], []string{f.VIP}, fip)).To(Equal(1))
			return nil
		})).To(Succeed())
		// Repeating is a no-op.
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			Expect(addFIP(t, t.LBsByName(f.LBID)[0], []string{f.VIP}, fip)).To(Equal(0))
			return nil
		})).To(Succeed())
		hcs := healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(hcs).To(HaveLen(2))
		var fipHC *nb.LoadBalancerHealthCheck
		for i := range hcs {
			if hcs[i].ExternalIDs["octavia:vip"] == fip {
				fipHC = &hcs[i]
			}
		}
		Expect(fipHC).NotTo(BeNil())
		Expect(fipHC.Vip).To(Equal(fip + ":80"))
		Expect(fipHC.Options).To(Equal(hcs[0].Options))
		Expect(fipHC.ExternalIDs).To(Equal(map[string]string{
			"octavia:healthmonitor": f.HMID, "octavia:pool_id": f.PoolID, "octavia:vip": fip,
		}))

		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			Expect(removeFIP(t, t.LBsByName(f.LBID)[0], fip)).To(Equal(1))
			return nil
		})).To(Succeed())
		hcs = healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].ExternalIDs["octavia:vip"]).To(Equal(f.VIP))
	}, SpecTimeout(60*time.Second))
})

// addMemberLSP adds an LSP for mem to the fixture's switch.
func addMemberLSP(ctx SpecContext, f *fixture, mem fxMember) {
	GinkgoHelper()
	lsp := &nb.LogicalSwitchPort{
		UUID: "newlsp", Name: mem.LSP, Addresses: []string{nextMAC() + " " + mem.IP},
		ExternalIDs: map[string]string{"neutron:network_name": f.switchName(), "neutron:project_id": f.ProjectID},
	}
	ops, err := env.nb.Create(lsp)
	Expect(err).NotTo(HaveOccurred())
	var lss []nb.LogicalSwitch
	Expect(env.nb.WhereCache(func(ls *nb.LogicalSwitch) bool { return ls.Name == f.switchName() }).List(ctx, &lss)).To(Succeed())
	Expect(lss).To(HaveLen(1))
	ls := &lss[0]
	n := len(ls.Ports)
	mut, err := env.nb.Where(ls).Mutate(ls, model.Mutation{
		Field: &ls.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{"newlsp"},
	})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, env.nb, append(ops, mut...)...)
	Eventually(func() int {
		var lss []nb.LogicalSwitch
		_ = env.nb.WhereCache(func(ls *nb.LogicalSwitch) bool { return ls.Name == f.switchName() }).List(ctx, &lss)
		if len(lss) != 1 {
			return -1
		}
		return len(lss[0].Ports)
	}).Should(Equal(n + 1))
}
