package dbsync_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/dbsync"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

var _ = Describe("db-sync FIP sync", func() {
	It("sets neutron:vip_fip, vips and FIP health checks from Neutron when the VIP LSP agrees", func(ctx SpecContext) {
		w := buildWorld(ctx)
		fipLB := func(vip, lspFIP, neutronFIP string) *octavia.LoadBalancer {
			lb := lbTree(ctx, w, vip, lspFIP)
			id := lb.LoadBalancerID.V
			p := newID()
			l := listener(id, "TCP", 80, p)
			pl := pool(p, id, l.ListenerID.V, "TCP", member("10.0.0.20", 8080, w.sub1))
			pl.HealthMonitor = some(tcpHM(p))
			lb.Listeners, lb.Pools = some([]octavia.Listener{l}), some([]octavia.Pool{pl})
			publishTree(lb)
			Expect(env.driver.LoadBalancerCreate(ctx, lb)).To(Succeed())
			_, err := env.tb.FakeNeutron.AddFloatingIP(fakeneutron.FloatingIP{
				FloatingIPAddress: neutronFIP, PortID: lb.VIPPortID.V, FixedIPAddress: vip, FloatingNetworkID: newID(),
			})
			Expect(err).NotTo(HaveOccurred())
			return lb
		}
		d := fipLB("10.0.0.14", "172.24.4.50", "172.24.4.50")
		e := fipLB("10.0.0.15", "172.24.4.60", "172.24.4.61")
		dID, eID := d.LoadBalancerID.V, e.LoadBalancerID.V
		listOnOctavia(d, e)
		before := lbState(ctx, dID)[0]
		Expect(before.ExternalIDs).NotTo(HaveKey(lbdata.KeyVIPFIP))
		eBefore := lbState(ctx, eID)

		rep, st := runSync(ctx, syncConfig())
		Expect(st.Transactions).To(Equal(int64(1)))
		rd := lbReport(rep, dID)
		Expect(rd.Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(rd.Changes).To(ContainElement(`row tcp: external_ids:neutron:vip_fip added "172.24.4.50"`))
		after := lbState(ctx, dID)[0]
		Expect(after.ExternalIDs[lbdata.KeyVIPFIP]).To(Equal("172.24.4.50"))
		Expect(after.Vips).To(Equal(map[string]string{"10.0.0.14:80": "10.0.0.20:8080", "172.24.4.50:80": "10.0.0.20:8080"}))
		hm := d.Pools.V[0].HealthMonitor.V.HealthMonitorID.V
		pid := d.Pools.V[0].PoolID.V
		opts := "{failure_count=4,interval=10,success_count=3,timeout=5}"
		Expect(after.HealthChecks).To(Equal([]string{
			"10.0.0.14:80|" + opts + "|{octavia:healthmonitor=" + hm + ",octavia:pool_id=" + pid + ",octavia:vip=10.0.0.14}",
			"172.24.4.50:80|" + opts + "|{octavia:healthmonitor=" + hm + ",octavia:pool_id=" + pid + ",octavia:vip=172.24.4.50}",
		}))
		// Nothing else of the row changed.
		delete(after.ExternalIDs, lbdata.KeyVIPFIP)
		after.Vips, after.HealthChecks = before.Vips, before.HealthChecks
		Expect(after).To(Equal(before))

		re := lbReport(rep, eID)
		Expect(re.Outcome).To(Equal(dbsync.OutcomeInSync))
		Expect(re.Warnings).To(ContainElement(`floating IP 172.24.4.61 of VIP port ` + e.VIPPortID.V +
			` differs from the LSP's neutron:port_fip "172.24.4.60"; not synchronized`))
		Expect(lbState(ctx, eID)).To(Equal(eBefore))

		rep, st = runSync(ctx, syncConfig())
		Expect(st.Transactions).To(BeZero())
		Expect(lbReport(rep, dID).Outcome).To(Equal(dbsync.OutcomeInSync))
	}, SpecTimeout(60*time.Second))

	It("keeps a stale neutron:vip_fip when Neutron has no floating IP, and warns", func(ctx SpecContext) {
		w := buildWorld(ctx)
		cID := w.c.LoadBalancerID.V
		inTxn(ctx, func(t *nbtxn.Txn) { t.LBsByName(cID)[0].ExternalIDs[lbdata.KeyVIPFIP] = "172.24.4.77" })
		before := lbState(ctx, cID)

		rep, _ := runSync(ctx, syncConfig())
		rc := lbReport(rep, cID)
		Expect(rc.Outcome).To(Equal(dbsync.OutcomeInSync))
		Expect(rc.Warnings).To(Equal([]string{"Floating IP not found for loadbalancer " + cID}))
		Expect(lbState(ctx, cID)).To(Equal(before))
	}, SpecTimeout(60*time.Second))
})
