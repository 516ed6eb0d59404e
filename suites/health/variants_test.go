package health_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// mutateRow changes the fixture's NB row directly (as another provider
// operation would have) through nbtxn.
func mutateRow(ctx SpecContext, f *fixture, fn func(lb *nb.LoadBalancer)) {
	GinkgoHelper()
	Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
		fn(t.LBsByName(f.LBID)[0])
		return nil
	})).To(Succeed())
}

var _ = Describe("health monitor variants", func() {
	It("creates one LBHC per VIP, additional VIP and FIP, and is idempotent", func(ctx SpecContext) {
		f := newFixture("10.10.0", "tcp", 1)
		f.create(ctx)
		mutateRow(ctx, f, func(lb *nb.LoadBalancer) {
			lb.ExternalIDs["neutron:additional_vips"] = "10.10.0.11"
			lb.ExternalIDs["neutron:vip_fip"] = "172.24.4.9"
		})
		createHM(ctx, f, octavia.HealthMonitorTCP)
		hcs := healthChecks(ctx, lbRow(ctx, f.LBID))
		var vips []string
		for _, hc := range hcs {
			vips = append(vips, hc.Vip+"|"+hc.ExternalIDs["octavia:vip"])
		}
		Expect(vips).To(ConsistOf("10.10.0.10:80|10.10.0.10", "10.10.0.11:80|10.10.0.11", "172.24.4.9:80|172.24.4.9"))

		// The same create again adds no rows and no second id.
		s := createHM(ctx, f, octavia.HealthMonitorTCP)
		Expect(s.String()).To(Equal(createdStatus(f)))
		lb := lbRow(ctx, f.LBID)
		Expect(lb.HealthCheck).To(HaveLen(3))
		Expect(lb.ExternalIDs["octavia:healthmonitors"]).To(Equal(`["` + f.HMID + `"]`))
		Expect(f.hmPorts()).To(HaveLen(1))
	}, SpecTimeout(60*time.Second))

	It("accepts a disabled pool key and keeps a disabled member OFFLINE and unmapped", func(ctx SpecContext) {
		f := newFixture("10.11.0", "tcp", 2)
		f.create(ctx)
		mutateRow(ctx, f, func(lb *nb.LoadBalancer) {
			v := lb.ExternalIDs["pool_"+f.PoolID]
			delete(lb.ExternalIDs, "pool_"+f.PoolID)
			lb.ExternalIDs["pool_"+f.PoolID+":D"] = v
			ms, _ := lbdata.MemberStatusFrom(lb.ExternalIDs)
			ms.Set(f.Members[1].ID, octavia.OperatingOffline)
			ms.Store(lb.ExternalIDs)
		})
		Expect(env.agent.SetLoadBalancer(octavia.LoadBalancer{
			LoadBalancerID: octavia.Some(f.LBID), AdminStateUp: octavia.Some(true),
			Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(f.ListenerID), AdminStateUp: octavia.Some(true)}}),
			Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(f.PoolID), AdminStateUp: octavia.Some(false)}}),
		})).To(Succeed())
		s := createHM(ctx, f, octavia.HealthMonitorTCP)
		// The disabled pool's id keeps ":D" in the row and is stripped on send.
		Expect(s.String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ONLINE") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "OFFLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ONLINE") + `, ` + entry(f.Members[1].ID, "ACTIVE", "OFFLINE") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "ACTIVE", "ONLINE") + `]}`))
		lb := lbRow(ctx, f.LBID)
		Expect(lb.IPPortMappings).To(HaveLen(1))
		Expect(lb.IPPortMappings).To(HaveKey(f.Members[0].IP))
		Expect(lb.HealthCheck).To(HaveLen(1))

		env.agent.Reset()
		Expect(env.monitors.Delete(ctx, f.hm(octavia.HealthMonitorTCP))).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].HealthMonitors).To(Equal([]octavia.StatusEntry{
			{ID: f.HMID, ProvisioningStatus: "DELETED", OperatingStatus: "NO_MONITOR"},
		}))
		Expect(lbRow(ctx, f.LBID).HealthCheck).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("maps and unmaps single members inside the caller's transaction", func(ctx SpecContext) {
		f := newFixture("fd0b::", "tcp", 2)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		src := hmPortIP(f)
		m1, m2 := f.Members[0], f.Members[1]
		var mem1 health.Member

		// Member 1 disabled: its mapping goes.
		mutateRow(ctx, f, func(lb *nb.LoadBalancer) {
			members, err := lbdata.ParsePoolValue(lb.ExternalIDs["pool_"+f.PoolID])
			Expect(err).NotTo(HaveOccurred())
			mem1 = members[0]
			ms, _ := lbdata.MemberStatusFrom(lb.ExternalIDs)
			ms.Set(m1.ID, octavia.OperatingOffline)
			ms.Store(lb.ExternalIDs)
			env.monitors.UnmapMember(nil, lb, mem1)
		})
		Expect(lbRow(ctx, f.LBID).IPPortMappings).To(Equal(map[string]string{"[" + m2.IP + "]": m2.LSP + ":[" + src + "]"}))
		Eventually(func() int { return len(serviceMonitors(ctx, m1.LSP)) }).Should(BeZero())

		// Re-enabled: mapped again, ONLINE. One Lookups serves both calls
		// below: the member subnet is read from Neutron once.
		lk := health.NewLookups()
		subnetReads := func() int {
			n := 0
			for _, r := range env.neutron.Requests() {
				if r.Method == "GET" && r.Path == "/v2.0/subnets/"+f.SubnetID {
					n++
				}
			}
			return n
		}
		reads := subnetReads()
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			st, err := env.monitors.MapMember(ctx, t, lk, t.LBsByName(f.LBID)[0], mem1)
			Expect(err).NotTo(HaveOccurred())
			Expect(st).To(Equal(octavia.OperatingOnline))
			return nil
		})).To(Succeed())
		Expect(lbRow(ctx, f.LBID).IPPortMappings).To(HaveKeyWithValue("["+m1.IP+"]", m1.LSP+":["+src+"]"))
		Eventually(func() int { return len(serviceMonitors(ctx, m1.LSP)) }).Should(Equal(1))

		// A member whose port is unknown cannot be mapped.
		Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
			st, err := env.monitors.MapMember(ctx, t, lk, t.LBsByName(f.LBID)[0],
				health.Member{ID: newID(), IP: strings.TrimSuffix(f.VIP, "10") + "99", Port: "80", SubnetID: f.SubnetID})
			Expect(err).NotTo(HaveOccurred())
			Expect(st).To(Equal(octavia.OperatingError))
			return nil
		})).To(Succeed())
		Expect(lbRow(ctx, f.LBID).IPPortMappings).To(HaveLen(2))
		Expect(subnetReads() - reads).To(Equal(1))
	}, SpecTimeout(60*time.Second))
})
