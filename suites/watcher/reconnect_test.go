package watcher_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

var _ = Describe("reconnect", func() {
	It("resyncs after a standalone NB restart with rows changed while down", func() {
		dir := shortDir()
		srv := startNB(dir)
		setup := connectNB(srv.Remote())
		addRouter(setup, "neutron-r1")
		addLRP(setup, "neutron-r1", "lrp-a")
		addLRP(setup, "neutron-r1", "lrp-b")
		setup.Close()

		w := startWatcher(watcher.Config{NB: watcher.ConnConfig{Remote: srv.Remote()}})
		col := collect(w)
		Eventually(col.all).Should(HaveLen(1))
		Expect(cacheLRPNames(w.NB())).To(Equal([]string{"lrp-a", "lrp-b"}))

		mark := col.len()
		Expect(srv.Stop()).To(Succeed())
		// While the server is down: delete lrp-a, add lrp-c, in the file.
		lrpA := ""
		for _, p := range lrpsOf(w.NB()) {
			if p.Name == "lrp-a" {
				lrpA = p.UUID
			}
		}
		Expect(lrpA).NotTo(BeEmpty())
		out, err := srv.TransactOffline(`["OVN_Northbound",
			{"op":"insert","table":"Logical_Router_Port","uuid-name":"c","row":{"name":"lrp-c","mac":"fa:16:3e:00:00:03","networks":"10.0.3.1/24"}},
			{"op":"mutate","table":"Logical_Router","where":[["name","==","neutron-r1"]],
			 "mutations":[["ports","insert",["named-uuid","c"]],["ports","delete",["uuid","` + lrpA + `"]]]}]`)
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(srv.Start()).To(Succeed())

		// A Resync after the reconnect (the lock connection dropped too, so
		// it may be the one of regaining the lock, which drops whatever was
		// queued while standing by); the cache equals the server.
		Eventually(func() []watcher.Resync { return resyncs(col.since(mark)) }).ShouldNot(BeEmpty())
		Eventually(func() []string { return cacheLRPNames(w.NB()) }).Should(Equal([]string{"lrp-b", "lrp-c"}))
		fresh := connectNB(srv.Remote())
		Expect(cacheLRPNames(w.NB())).To(Equal(cacheLRPNames(fresh)))
		// The re-dump of the known lrp-b is state, not a creation; lrp-c
		// was created unseen and may be reported (the Resync covers it).
		Consistently(func() []string { return lrpNames(col.since(mark)) }).ShouldNot(ContainElement("created:lrp-b"))

		// Live events flow again.
		mark = col.len()
		addLRP(fresh, "neutron-r1", "lrp-d")
		Eventually(func() []string { return lrpNames(col.since(mark)) }).Should(Equal([]string{"created:lrp-d"}))
		Consistently(func() []watcher.Event { return nonResync(col.since(mark)) }).Should(HaveLen(1))
	})

	It("resyncs after the server drops the connection (ovsdb-server/reconnect)", func() {
		dir := shortDir()
		srv := startNB(dir)
		w := startWatcher(watcher.Config{NB: watcher.ConnConfig{Remote: srv.Remote()}, DisableLock: true})
		col := collect(w)
		Eventually(col.all).Should(HaveLen(1))
		mark := col.len()
		_, err := srv.Appctl("ovsdb-server/reconnect")
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() []watcher.Resync { return resyncs(col.since(mark)) }).Should(HaveLen(1))
		Expect(resyncs(col.since(mark))[0].Reason).To(HavePrefix("OVN_Northbound reconnected"))
	})
})

var _ = Describe("clustered NB", func() {
	It("follows the new leader after the leader is killed, keeps the lock on the leader", func() {
		dir := shortDir()
		cl, err := testbed.StartCluster(dir, testbed.NBSchema, testbed.NBDatabase, 3)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cl.Stop)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		DeferCleanup(cancel)

		setup := connectNB(cl.Remote())
		addRouter(setup, "neutron-r1")

		w := startWatcher(watcher.Config{NB: watcher.ConnConfig{Remote: cl.Remote(), ProbeInterval: 2 * time.Second}})
		col := collect(w)
		Eventually(col.all).Should(HaveLen(1))
		Expect(w.HasLock()).To(BeTrue())

		leader, err := cl.Leader(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(w.NB().CurrentEndpoint()).To(Equal(leader.TCPRemote()))
		// Locks are per server: held on the leader, free on a follower.
		assertLockPlacement(cl, leader)

		mark := col.len()
		killed, err := cl.KillLeader(ctx)
		Expect(err).NotTo(HaveOccurred())
		newLeader, err := cl.Leader(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(newLeader).NotTo(BeIdenticalTo(killed))
		Eventually(w.NB().CurrentEndpoint).Should(Equal(newLeader.TCPRemote()))
		Eventually(func() []watcher.Resync { return resyncs(col.since(mark)) }).ShouldNot(BeEmpty())
		Eventually(w.HasLock).Should(BeTrue())
		assertLockPlacement(cl, newLeader)

		// Transactions through the watcher's own client succeed, and
		// events keep coming.
		mark = col.len()
		tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
		defer tcancel()
		res, err := w.NB().Transact(tctx,
			ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "p", Row: ovsdb.Row{
				"name": "lrp-after", "mac": "fa:16:3e:00:00:09", "networks": ovsdb.OvsSet{GoSet: []any{"10.0.9.1/24"}}}},
			ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LogicalRouterTable, Where: whereName("neutron-r1"),
				Mutations: []ovsdb.Mutation{{Column: "ports", Mutator: ovsdb.MutateOperationInsert, Value: uuidSet("p")}}})
		Expect(err).NotTo(HaveOccurred())
		_, err = ovsdb.CheckOperationResults(res, nil)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() []string { return lrpNames(col.since(mark)) }).Should(Equal([]string{"created:lrp-after"}))

		// The killed member comes back as a follower; nothing changes.
		Expect(killed.Start()).To(Succeed())
		Expect(cl.WaitFormed(ctx)).To(Succeed())
		Consistently(w.NB().CurrentEndpoint).Should(Equal(newLeader.TCPRemote()))
	})
})

// assertLockPlacement checks that the watcher's lock is held on leader and
// on no other running member.
func assertLockPlacement(cl *testbed.Cluster, leader *testbed.Server) {
	GinkgoHelper()
	Eventually(func() (bool, error) {
		return testbed.TryLock(leader.TCPRemote(), watcher.DefaultLockName, 5*time.Second)
	}).Should(BeFalse(), "lock should be held on the leader")
	for _, m := range cl.Members {
		if m == leader || !m.Running() {
			continue
		}
		Expect(testbed.TryLock(m.TCPRemote(), watcher.DefaultLockName, 5*time.Second)).To(BeTrue(),
			"lock should be free on follower %s", m.Name)
	}
}

func lrpsOf(c interface {
	List(context.Context, any) error
}) []nb.LogicalRouterPort {
	var lrps []nb.LogicalRouterPort
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	Expect(c.List(ctx, &lrps)).To(Succeed())
	return lrps
}
