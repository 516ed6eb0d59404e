package dbsync_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/dbsync"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

var _ = Describe("db-sync", func() {
	It("recreates wiped NB rows equal to what the provider calls wrote, and a second run writes nothing", func(ctx SpecContext) {
		w := buildWorld(ctx)
		orig := states(ctx, w.ids()...)
		Expect(orig[w.a.LoadBalancerID.V]).To(HaveLen(1))
		Expect(orig[w.b.LoadBalancerID.V]).To(HaveLen(2))
		Expect(orig[w.a.LoadBalancerID.V][0].HealthChecks).To(HaveLen(1))
		Expect(orig[w.a.LoadBalancerID.V][0].Switches).To(HaveLen(2))

		wipeAllLBs(ctx)
		Expect(lbState(ctx, w.a.LoadBalancerID.V)).To(BeEmpty())
		env.tb.Agent.Reset()

		rep, st := runSync(ctx, syncConfig())
		Expect(rep.LBs).To(HaveLen(3))
		for _, id := range w.ids() {
			r := lbReport(rep, id)
			Expect(r.Outcome).To(Equal(dbsync.OutcomeRepaired), "%+v", r)
			Expect(r.Changes[0]).To(ContainSubstring(": created ("))
		}
		Expect(rep.Failed()).To(BeFalse())
		Expect(st.Transactions).To(Equal(int64(3)), "one NB transaction per load balancer")
		Expect(states(ctx, w.ids()...)).To(Equal(orig))

		// One full roll-up per protocol row: a 1, b 2, c 1.
		msgs := env.tb.Agent.Messages()
		Expect(msgs).To(HaveLen(4))
		var aMsg octavia.Status
		for _, m := range msgs {
			if m.LoadBalancers[0].ID == w.a.LoadBalancerID.V {
				aMsg = m
			}
		}
		pa := w.a.Pools.V[0]
		Expect(aMsg.LoadBalancers).To(Equal([]octavia.StatusEntry{{ID: w.a.LoadBalancerID.V, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}}))
		Expect(aMsg.Pools).To(Equal([]octavia.StatusEntry{{ID: pa.PoolID.V, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}}))
		Expect(aMsg.Members).To(ConsistOf(
			octavia.StatusEntry{ID: pa.Members.V[0].MemberID.V, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"},
			octavia.StatusEntry{ID: pa.Members.V[1].MemberID.V, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}))
		Expect(aMsg.HealthMonitors).To(Equal([]octavia.StatusEntry{{ID: pa.HealthMonitor.V.HealthMonitorID.V, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}}))

		// Second run: nothing to write. A health result the agent recorded
		// for a monitored member (ERROR) is not overwritten.
		m1 := pa.Members.V[0].MemberID.V
		inTxn(ctx, func(t *nbtxn.Txn) {
			a := t.LBsByName(w.a.LoadBalancerID.V)[0]
			ms, _ := lbdata.MemberStatusFrom(a.ExternalIDs)
			ms.Set(m1, "ERROR")
			ms.Store(a.ExternalIDs)
		})
		withError := states(ctx, w.ids()...)
		rep, st = runSync(ctx, syncConfig())
		for _, id := range w.ids() {
			r := lbReport(rep, id)
			Expect(r.Outcome).To(Equal(dbsync.OutcomeInSync), "%+v", r)
			Expect(r.Changes).To(BeEmpty())
		}
		Expect(st.Transactions).To(BeZero())
		Expect(st.Operations).To(BeZero())
		Expect(states(ctx, w.ids()...)).To(Equal(withError))
		Expect(withError[w.a.LoadBalancerID.V][0].ExternalIDs[lbdata.KeyMemberStatus]).To(ContainSubstring(`"` + m1 + `": "ERROR"`))
	}, SpecTimeout(60*time.Second))

	It("repairs drift to exactly the original state", func(ctx SpecContext) {
		w := buildWorld(ctx)
		orig := states(ctx, w.ids()...)
		aID, bID, cID := w.a.LoadBalancerID.V, w.b.LoadBalancerID.V, w.c.LoadBalancerID.V
		la := w.a.Listeners.V[0].ListenerID.V
		pa := w.a.Pools.V[0]
		m2 := lbdata.Member{ID: pa.Members.V[1].MemberID.V, IP: "10.1.0.30", Port: "8080", SubnetID: w.sub2}.Entry()
		extraID := newID()
		extra := lbdata.Member{ID: extraID, IP: "10.1.0.99", Port: "8080", SubnetID: w.sub2}.Entry()
		udpListener := lbdata.ListenerKey(w.b.Listeners.V[1].ListenerID.V, true)
		inTxn(ctx, func(t *nbtxn.Txn) {
			a := t.LBsByName(aID)[0]
			delete(a.ExternalIDs, lbdata.ListenerKey(la, true)) // a deleted listener key
			pk := lbdata.PoolKey(pa.PoolID.V, true)
			a.ExternalIDs[pk] = strings.TrimSuffix(a.ExternalIDs[pk], ","+m2) + "," + extra // m2 missing, extra member
			// The extra member as a member create leaves it: status and mapping.
			ms, _ := lbdata.MemberStatusFrom(a.ExternalIDs)
			ms.Set(extraID, "ONLINE")
			ms.Store(a.ExternalIDs)
			a.IPPortMappings["10.1.0.99"] = "some-lsp:10.1.0.2"
			a.ExternalIDs[lbdata.KeyLSRefs] = `{"neutron-` + w.net1 + `": 2, "neutron-` + w.net2 + `": 7}` // wrong count
			t.DetachSwitch(t.SwitchByName("neutron-"+w.net1).UUID, a)                                      // removed from its switch
			c := t.LBsByName(cID)[0]
			c.ExternalIDs[lbdata.KeyLSRefs] = `{"neutron-` + w.net1 + `": 5}`
			// b: the UDP listener also written into the TCP row.
			var tcp, udp *nb.LoadBalancer
			for _, r := range t.LBsByName(bID) {
				if *r.Protocol == "tcp" {
					tcp = r
				} else {
					udp = r
				}
			}
			tcp.ExternalIDs[udpListener] = udp.ExternalIDs[udpListener]
		})
		drifted := lbState(ctx, aID)
		Expect(drifted).NotTo(Equal(orig[aID]))
		Expect(drifted[0].Switches).To(Equal([]string{"neutron-" + w.net2}))

		rep, st := runSync(ctx, syncConfig())
		Expect(st.Transactions).To(Equal(int64(3)))
		ra := lbReport(rep, aID)
		Expect(ra.Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(ra.Changes).To(ContainElements(
			`row tcp: external_ids:listener_`+la+` added "80:pool_`+pa.PoolID.V+`"`,
			`row tcp: external_ids:pool_`+pa.PoolID.V+` members added [`+m2+`], removed [`+extra+`]`,
			`row tcp: external_ids:ls_refs "{\"neutron-`+w.net1+`\": 2, \"neutron-`+w.net2+`\": 7}" -> "{\"neutron-`+w.net1+`\": 2, \"neutron-`+w.net2+`\": 1}"`,
			`row tcp: added to switch neutron-`+w.net1,
		))
		Expect(lbReport(rep, bID).Changes).To(ConsistOf(`row tcp: external_ids:` + udpListener + ` removed (was "53:pool_` + w.b.Pools.V[1].PoolID.V + `")`))
		Expect(lbReport(rep, cID).Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(states(ctx, w.ids()...)).To(Equal(orig))

		rep, st = runSync(ctx, syncConfig())
		Expect(st.Transactions).To(BeZero())
		Expect(rep.Count(dbsync.OutcomeInSync)).To(Equal(3))
	}, SpecTimeout(60*time.Second))

	It("reports an LB whose tree cannot be read as failed and repairs the others", func(ctx SpecContext) {
		w := buildWorld(ctx)
		orig := states(ctx, w.ids()...)
		aID, bID, cID := w.a.LoadBalancerID.V, w.b.LoadBalancerID.V, w.c.LoadBalancerID.V
		inTxn(ctx, func(t *nbtxn.Txn) {
			for _, id := range []string{aID, bID, cID} {
				for _, r := range t.LBsByName(id) {
					r.ExternalIDs[lbdata.KeyLSRefs] = "{}"
				}
			}
		})
		driftedB := lbState(ctx, bID)
		// The get socket answers {} for b (listed first by the API).
		env.tb.Agent.DeleteObject("loadbalancers", bID)
		listOnOctavia(w.b, w.a, w.c)

		rep, _ := runSync(ctx, syncConfig())
		Expect(rep.LBs[0].ID).To(Equal(bID))
		Expect(rep.LBs[0].Outcome).To(Equal(dbsync.OutcomeFailed))
		Expect(rep.LBs[0].Error).To(Equal("the get socket does not know the load balancer"))
		Expect(rep.Failed()).To(BeTrue())
		Expect(lbReport(rep, aID).Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(lbReport(rep, cID).Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(lbState(ctx, aID)).To(Equal(orig[aID]))
		Expect(lbState(ctx, cID)).To(Equal(orig[cID]))
		Expect(lbState(ctx, bID)).To(Equal(driftedB))
	}, SpecTimeout(60*time.Second))

	It("changes nothing in a dry run but reports the changes a real run makes", func(ctx SpecContext) {
		w := buildWorld(ctx)
		orig := states(ctx, w.ids()...)
		aID := w.a.LoadBalancerID.V
		inTxn(ctx, func(t *nbtxn.Txn) {
			a := t.LBsByName(aID)[0]
			delete(a.ExternalIDs, lbdata.ListenerKey(w.a.Listeners.V[0].ListenerID.V, true))
			a.ExternalIDs[lbdata.KeyEnabled] = "False"
			a.Vips = map[string]string{}
		})
		before := nbDump()
		env.tb.Agent.Reset()
		cfg := syncConfig()
		cfg.DryRun = true
		dry, st := runSync(ctx, cfg)
		Expect(dry.DryRun).To(BeTrue())
		Expect(st.Transactions).To(BeZero())
		Expect(nbDump()).To(Equal(before))
		Expect(env.tb.Agent.Messages()).To(BeEmpty())
		Expect(lbReport(dry, aID).Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(lbReport(dry, aID).Changes).To(ContainElement(`row tcp: external_ids:enabled "False" -> "True"`))

		real, st := runSync(ctx, syncConfig())
		Expect(st.Transactions).To(Equal(int64(1)))
		Expect(real.LBs).To(Equal(dry.LBs))
		Expect(states(ctx, w.ids()...)).To(Equal(orig))
	}, SpecTimeout(60*time.Second))

	It("limits the run to --lb ids and reports orphans without deleting them", func(ctx SpecContext) {
		w := buildWorld(ctx)
		aID, cID := w.a.LoadBalancerID.V, w.c.LoadBalancerID.V
		orphan := lbTree(ctx, w, "10.0.0.13", "")
		publishTree(orphan)
		Expect(env.driver.LoadBalancerCreate(ctx, orphan)).To(Succeed())
		inTxn(ctx, func(t *nbtxn.Txn) { t.LBsByName(cID)[0].ExternalIDs[lbdata.KeyLSRefs] = "{}" })

		cfg := syncConfig()
		unknown := newID()
		cfg.LBs = []string{aID, unknown}
		rep, _ := runSync(ctx, cfg)
		Expect(rep.LBs).To(HaveLen(2))
		Expect(rep.LBs[0]).To(Equal(dbsync.LBReport{ID: aID, Name: w.a.Name.V, Outcome: dbsync.OutcomeInSync, Warnings: rep.LBs[0].Warnings}))
		Expect(rep.LBs[1]).To(Equal(dbsync.LBReport{ID: unknown, Outcome: dbsync.OutcomeFailed,
			Error: "Octavia lists no load balancer with this id and provider ovn"}))
		Expect(lbState(ctx, cID)[0].ExternalIDs[lbdata.KeyLSRefs]).To(Equal("{}"), "c was not selected")

		rep, _ = runSync(ctx, syncConfig())
		o := lbReport(rep, orphan.LoadBalancerID.V)
		Expect(o.Outcome).To(Equal(dbsync.OutcomeOrphan))
		Expect(o.Warnings).To(Equal([]string{"1 NB row(s) of a load balancer Octavia does not list as provider ovn; not deleted"}))
		Expect(lbState(ctx, orphan.LoadBalancerID.V)).To(HaveLen(1))
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("db-sync admin states", func() {
	It("applies a member disabled in Octavia like member_update would: OFFLINE, out of vips, unmapped", func(ctx SpecContext) {
		w := buildWorld(ctx)
		aID := w.a.LoadBalancerID.V
		pa := &w.a.Pools.V[0]
		m2 := pa.Members.V[1]
		before := lbState(ctx, aID)[0]
		Expect(before.Vips).To(Equal(map[string]string{"10.0.0.10:80": "10.0.0.20:8080,10.1.0.30:8080"}))
		Expect(before.IPPortMappings).To(HaveKey("10.1.0.30"))

		pa.Members.V[1].AdminStateUp = some(false)
		publishTree(w.a)
		rep, _ := runSync(ctx, syncConfig())
		Expect(lbReport(rep, aID).Outcome).To(Equal(dbsync.OutcomeRepaired))
		after := lbState(ctx, aID)[0]
		ms, err := lbdata.MemberStatusFrom(after.ExternalIDs)
		Expect(err).To(BeNil())
		st, _ := ms.Get(m2.MemberID.V)
		Expect(st).To(Equal("OFFLINE"))
		Expect(after.Vips).To(Equal(map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}))
		Expect(after.IPPortMappings).NotTo(HaveKey("10.1.0.30"))
		Expect(after.IPPortMappings).To(HaveKey("10.0.0.20"))

		// The same change through the provider leaves the same row.
		w2 := buildWorld(ctx)
		old := w2.a.Pools.V[0].Members.V[1]
		upd := old
		upd.AdminStateUp = some(false)
		Expect(env.driver.MemberUpdate(ctx, &old, &upd)).To(Succeed())
		viaProvider := lbState(ctx, w2.a.LoadBalancerID.V)[0]
		Expect(viaProvider.Vips).To(Equal(map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}))
		Expect(viaProvider.IPPortMappings).To(HaveLen(len(after.IPPortMappings)))
		Expect(viaProvider.ExternalIDs[lbdata.KeyMemberStatus]).To(Equal(
			`{"` + w2.a.Pools.V[0].Members.V[0].MemberID.V + `": "ONLINE", "` + old.MemberID.V + `": "OFFLINE"}`))
		Expect(after.ExternalIDs[lbdata.KeyMemberStatus]).To(Equal(
			`{"` + pa.Members.V[0].MemberID.V + `": "ONLINE", "` + m2.MemberID.V + `": "OFFLINE"}`))
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("db-sync with Neutron failing", func() {
	It("fails the LB whose rows cannot be computed completely and leaves its rows alone", func(ctx SpecContext) {
		w := buildWorld(ctx)
		aID := w.a.LoadBalancerID.V
		inTxn(ctx, func(t *nbtxn.Txn) { t.LBsByName(aID)[0].ExternalIDs[lbdata.KeyLSRefs] = "{}" })
		drifted := lbState(ctx, aID)
		// Only this spec's subnet fails (later specs use fresh ids).
		env.tb.FakeNeutron.FailNext("GET", "/v2.0/subnets/"+w.sub2, 500, 100)
		cfg := syncConfig()
		cfg.LBs = []string{aID}
		rep, st := runSync(ctx, cfg)
		Expect(st.Transactions).To(BeZero())
		Expect(rep.LBs[0].Outcome).To(Equal(dbsync.OutcomeFailed))
		Expect(rep.LBs[0].Error).To(HavePrefix("compute the NB rows: the provider could not build every object: member " +
			w.a.Pools.V[0].Members.V[1].MemberID.V + ": association failed"))
		Expect(lbState(ctx, aID)).To(Equal(drifted))
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("db-sync protocol rows", func() {
	It("deletes the row of a protocol Octavia no longer has and keeps the other row", func(ctx SpecContext) {
		w := buildWorld(ctx)
		bID := w.b.LoadBalancerID.V
		before := lbState(ctx, bID)
		Expect(before).To(HaveLen(2))
		w.b.Listeners.V = w.b.Listeners.V[:1]
		w.b.Pools.V = w.b.Pools.V[:1]
		publishTree(w.b)

		rep, st := runSync(ctx, syncConfig())
		Expect(st.Transactions).To(Equal(int64(1)))
		Expect(lbReport(rep, bID).Changes).To(Equal([]string{"row udp: deleted (no listener or pool of that protocol in Octavia)"}))
		after := lbState(ctx, bID)
		Expect(after).To(Equal(before[:1]))
		Expect(after[0].Protocol).To(Equal("tcp"))
	}, SpecTimeout(60*time.Second))
})
