package health_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/handlers"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// markPortUp sets the SB Port_Binding of lsp up, as ovn-controller does
// when it binds the port on its chassis.
func markPortUp(ctx context.Context, lsp string) {
	GinkgoHelper()
	var pb sb.PortBinding
	Eventually(func() int {
		var rows []sb.PortBinding
		Expect(env.sb.WhereCache(func(p *sb.PortBinding) bool { return p.LogicalPort == lsp }).List(ctx, &rows)).To(Succeed())
		if len(rows) == 1 {
			pb = rows[0]
		}
		return len(rows)
	}).WithTimeout(15 * time.Second).Should(Equal(1))
	if pb.Up != nil && *pb.Up {
		return
	}
	up := true
	pb.Up = &up
	ops, err := env.sb.Where(&pb).Update(&pb, &pb.Up)
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, env.sb, ops...)
}

// setSMStatus writes status on the Service_Monitor row of lsp, as
// ovn-controller would, and returns the row once the SB cache shows it.
// ovn-controller binds the member's port before it probes it; ovn-northd
// turns an "online" monitor of a port that is not up back to "offline" on
// its next recompute, so the port is marked up first (as the binding
// would). ovn-northd may still rewrite or recreate the row in between
// (rarely, under load), so the write is repeated until the cache shows it.
func setSMStatus(ctx context.Context, lsp, status string) sb.ServiceMonitor {
	GinkgoHelper()
	markPortUp(ctx, lsp)
	var row sb.ServiceMonitor
	Eventually(func() int {
		rows := serviceMonitors(ctx, lsp)
		if len(rows) == 1 {
			row = rows[0]
		}
		return len(rows)
	}).WithTimeout(15 * time.Second).Should(Equal(1))
	write := func() {
		st := status
		row.Status = &st
		ops, err := env.sb.Where(&row).Update(&row, &row.Status)
		Expect(err).NotTo(HaveOccurred())
		transact(ctx, env.sb, ops...)
	}
	write()
	Eventually(func() string {
		rows := serviceMonitors(ctx, lsp)
		if len(rows) != 1 || rows[0].Status == nil {
			return ""
		}
		row = rows[0]
		if *row.Status != status {
			write()
		}
		return *rows[0].Status
	}).WithTimeout(5 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(status))
	return row
}

// apply runs the status engine on changes in one NB transaction and
// returns the matched rows and the merged roll-up.
func apply(ctx context.Context, changes []health.SMChange) ([]string, octavia.Status) {
	GinkgoHelper()
	var rows []string
	Expect(env.store.Run(ctx, func(t *nbtxn.Txn) error {
		var err error
		rows, err = env.monitors.ApplyServiceMonitors(ctx, t, changes)
		return err
	})).To(Succeed())
	s, err := env.monitors.RollUpRows(ctx, rows)
	Expect(err).NotTo(HaveOccurred())
	return rows, s
}

var _ = Describe("status engine", func() {
	var (
		f        *fixture
		sm1, sm2 sb.ServiceMonitor
		lbUUID   string
	)
	BeforeEach(func(ctx SpecContext) {
		f = newFixture("10.7.0", "tcp", 2)
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		lbUUID = lbRow(ctx, f.LBID).UUID
		sm1 = setSMStatus(ctx, f.Members[0].LSP, sb.ServiceMonitorStatusOffline)
		sm2 = setSMStatus(ctx, f.Members[1].LSP, sb.ServiceMonitorStatusOnline)
	}, NodeTimeout(60*time.Second))

	It("turns Service_Monitor results into member, pool, listener and LB statuses", func(ctx SpecContext) {
		before := env.store.Stats().Transactions
		rows, s := apply(ctx, []health.SMChange{{Monitor: &sm1}, {Monitor: &sm2}})
		Expect(env.store.Stats().Transactions - before).To(Equal(int64(1)))
		Expect(rows).To(Equal([]string{lbUUID}))
		Expect(lbRow(ctx, f.LBID).ExternalIDs["neutron:member_status"]).To(Equal(
			`{"` + f.Members[0].ID + `": "ERROR", "` + f.Members[1].ID + `": "ONLINE"}`))

		want := `{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "DEGRADED") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "DEGRADED") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "DEGRADED") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ERROR") + `, ` + entry(f.Members[1].ID, "ACTIVE", "ONLINE") + `]}`
		Expect(s.String()).To(Equal(want))

		// Delivered over the real status socket, byte for byte.
		env.agent.Reset()
		Expect(env.status.Send(ctx, s)).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(want))

		// Both members down -> everything ERROR.
		sm2 = setSMStatus(ctx, f.Members[1].LSP, sb.ServiceMonitorStatusOffline)
		_, s = apply(ctx, []health.SMChange{{Monitor: &sm2}})
		Expect(s.String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ERROR") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ERROR") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "ERROR") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ERROR") + `, ` + entry(f.Members[1].ID, "ACTIVE", "ERROR") + `]}`))
	}, SpecTimeout(60*time.Second))

	It("coalesces a burst of 500 flips into one NB transaction and one message of changed objects", func(ctx SpecContext) {
		// The agent's reporter: it sends what a burst changed and nothing else.
		rep := handlers.NewReporter(handlers.ReporterConfig{Sender: env.status})
		_, first := apply(ctx, []health.SMChange{{Monitor: &sm1}, {Monitor: &sm2}})
		rep.Offer(octavia.Status{}, first)
		Expect(rep.Flush(ctx)).To(Succeed())

		online, offline := sm1, sm1
		on, off := sb.ServiceMonitorStatusOnline, sb.ServiceMonitorStatusOffline
		online.Status, offline.Status = &on, &off
		var burst []health.SMChange
		for i := 0; i < 499; i++ {
			if i%2 == 0 {
				burst = append(burst, health.SMChange{Monitor: &online})
			} else {
				burst = append(burst, health.SMChange{Monitor: &offline})
			}
		}
		burst = append(burst, health.SMChange{Monitor: &sm2}) // member 2 unchanged
		Expect(burst).To(HaveLen(500))

		before := env.store.Stats().Transactions
		_, s := apply(ctx, burst)
		Expect(env.store.Stats().Transactions - before).To(Equal(int64(1)))
		env.agent.Reset()
		rep.Offer(first, s)
		Expect(rep.Flush(ctx)).To(Succeed())
		// Member 1 ends ONLINE (the last flip), member 2 did not change.
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ONLINE") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "ONLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ONLINE") + `]}`))

		// The same results again: nothing to send, and no NB transaction.
		before = env.store.Stats().Transactions
		_, again := apply(ctx, []health.SMChange{{Monitor: &online}, {Monitor: &sm2}})
		Expect(env.store.Stats().Transactions - before).To(BeZero())
		env.agent.Reset()
		rep.Offer(s, again)
		Expect(rep.Pending()).To(BeZero())
		Expect(rep.Flush(ctx)).To(Succeed())
		Expect(env.agent.Messages()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("writes OFFLINE for a deleted Service_Monitor and ignores monitors matching no mapping", func(ctx SpecContext) {
		_, s := apply(ctx, []health.SMChange{{Monitor: &sm1, Deleted: true}, {Monitor: &sm2}})
		Expect(s.String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ONLINE") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "ONLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "OFFLINE") + `, ` + entry(f.Members[1].ID, "ACTIVE", "ONLINE") + `]}`))

		// Another source address, or another protocol: no row matches.
		stray := sm2
		stray.SrcIP = "10.7.0.250"
		udp := sm2
		p := sb.ServiceMonitorProtocolUDP
		udp.Protocol = &p
		dump := nbDump()
		before := env.store.Stats().Transactions
		rows, s := apply(ctx, []health.SMChange{{Monitor: &stray, Deleted: true}, {Monitor: &udp, Deleted: true}})
		Expect(rows).To(BeEmpty())
		Expect(s.IsEmpty()).To(BeTrue())
		Expect(env.store.Stats().Transactions - before).To(BeZero())
		Expect(nbDump()).To(Equal(dump))
	}, SpecTimeout(60*time.Second))

	It("writes the status of the first member entry at the monitor's exact address and port, per row", func(ctx SpecContext) {
		// A second pool on the row (its key sorts after the fixture's) has
		// a member at member 1's address and port, and one at an address
		// that merely contains it (the reference's substring quirk).
		first, prefixed := newID(), newID()
		second := "zzzz" + newID()
		m1 := f.Members[0]
		mutateRow(ctx, f, func(lb *nb.LoadBalancer) {
			lb.ExternalIDs["pool_"+second] = fmt.Sprintf("member_%s_%s0:%d_%s,member_%s_%s:%d_%s",
				prefixed, m1.IP, f.MemberPort, f.SubnetID, first, m1.IP, f.MemberPort, f.SubnetID)
			lb.ExternalIDs["neutron:member_status"] = `{"` + m1.ID + `": "ONLINE", "` + f.Members[1].ID + `": "ONLINE", "` +
				prefixed + `": "ONLINE", "` + first + `": "ONLINE"}`
		})
		rows, _ := apply(ctx, []health.SMChange{{Monitor: &sm1}})
		Expect(rows).To(Equal([]string{lbUUID}))
		// Only member 1 (pool keys in sorted order, entries in pool
		// order): the second pool's member at the same endpoint and the
		// substring match keep their status.
		Expect(lbRow(ctx, f.LBID).ExternalIDs["neutron:member_status"]).To(Equal(`{"` + m1.ID + `": "ERROR", "` +
			f.Members[1].ID + `": "ONLINE", "` + prefixed + `": "ONLINE", "` + first + `": "ONLINE"}`))
	}, SpecTimeout(60*time.Second))

	It("takes admin states from the get socket: a disabled pool is OFFLINE", func(ctx SpecContext) {
		down, up := false, true
		Expect(env.agent.SetLoadBalancer(octavia.LoadBalancer{
			LoadBalancerID: octavia.Some(f.LBID), AdminStateUp: octavia.Some(up),
			Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(f.ListenerID), AdminStateUp: octavia.Some(up)}}),
			Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(f.PoolID), AdminStateUp: octavia.Some(down)}}),
		})).To(Succeed())
		_, s := apply(ctx, []health.SMChange{{Monitor: &sm1}})
		Expect(s.String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ONLINE") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "OFFLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ERROR") + `, ` + entry(f.Members[1].ID, "ACTIVE", "ONLINE") + `]}`))
	}, SpecTimeout(60*time.Second))
})
