package agent_test

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

var _ = Describe("full resync", func() {
	It("after a restart, NB and the reported statuses equal those of an agent that never stopped", func() {
		w := newWorld()
		t := newTopo(w)
		hnet := newID()
		w.addNetwork(hnet, false)
		h := newHLB(w, hnet, 3)

		first := w.start()
		t.step1AddN2()
		t.expectAfterStep1()
		h.flip("offline", 0)
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "ERROR", "ONLINE", "ONLINE")
		Eventually(func() int { return first.a.Reporter().Pending() }).Should(Equal(0))
		first.stop()

		// While no agent runs: N3 added, N1 removed, probes change.
		t.step2AddN3()
		t.step3RemoveN1()
		h.flip("online", 0)
		h.flip("offline", 1)
		reported := w.octavia.Count()

		second := w.start()
		Expect(second.out.events()).To(ContainElements("active", "ready", "synced"))
		t.expectAfterStep3()
		Expect(h.memberStatus()).To(Equal(h.statusJSON("ONLINE", "ERROR", "ONLINE")))
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "ONLINE", "ERROR", "ONLINE")
		Expect(w.octavia.Count()).To(Equal(reported+1), "one message with what changed")
		last := string(w.octavia.RawMessages()[reported])
		Expect(last).To(ContainSubstring(h.members[0]))
		Expect(last).To(ContainSubstring(h.members[1]))
		Expect(last).NotTo(ContainSubstring(h.members[2]), "unchanged member not reported")

		// A second resync (another restart) changes and reports nothing.
		tx := second.a.Store().Stats().Transactions
		second.stop()
		third := w.start()
		Expect(third.a.Store().Stats().Transactions).To(Equal(int64(0)))
		Consistently(w.octavia.Count).Should(Equal(reported + 1))
		_ = tx
	})

	It("logs corrupt external_ids with the row, skips them, and keeps serving every other LB", func() {
		w := newWorld()
		r, n1, n2 := newID(), newID(), newID()
		w.addNetwork(n1, false)
		w.addNetwork(n2, false)
		w.addRouter(r)
		w.addInterface(r, n1, "10.1.0.1/24", false)
		goodID, badID := newID(), newID()
		w.addLB(lbSpec{ID: goodID, VIP: "10.2.0.10", VIPPort: newID(), Switches: []string{n2},
			Ext: map[string]string{"ls_refs": lsRefs(swName(n2), 1)}})
		bad := w.addLB(lbSpec{ID: badID, VIP: "10.2.0.11", VIPPort: newID(), Switches: []string{n2},
			Ext: map[string]string{"ls_refs": `{"neutron-` + n2 + `": 1`}}) // truncated JSON

		hnet := newID()
		w.addNetwork(hnet, false)
		h := newHLB(w, hnet, 3)
		// Corrupt one member entry of the pool.
		ext := w.ext(h.row)
		pool := ext["pool_"+h.pool]
		entries := strings.Split(pool, ",")
		entries = append(entries, "member_garbage")
		w.transact(w.nb, updateExt(h.row, "pool_"+h.pool, strings.Join(entries, ",")))

		w.start()
		Eventually(w.logs.String).Should(ContainSubstring("LB row skipped by resync"))
		Expect(w.logs.String()).To(MatchRegexp(`lb=%s lb_uuid=%s`, badID, bad))
		Expect(w.ext(bad)).To(HaveKeyWithValue("ls_refs", `{"neutron-`+n2+`": 1`), "left alone")

		// Other LBs are served: router interface added on N2...
		w.addInterface(r, n2, "10.2.0.1/24", false)
		Eventually(func() []string { return w.onRouter(r) }).Should(ContainElement(goodID))
		Eventually(func() []string { return w.onSwitch(n1) }).Should(ContainElement(goodID))
		// ... and health results of the row with the bad entry.
		h.flip("offline", 2)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ONLINE", "ONLINE", "ERROR")))
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "ONLINE", "ONLINE", "ERROR")
		Expect(w.logs.String()).To(ContainSubstring(fmt.Sprintf("lb=%s lb_uuid=%s", h.id, h.row)))
		Expect(w.logs.String()).To(ContainSubstring("malformed member entry skipped"))
	})
})

var _ = Describe("reconnect", func() {
	It("resyncs after NB comes back, catching a router interface removed while disconnected", func() {
		w := newWorld()
		t := newTopo(w)
		a := w.start()
		t.step1AddN2()
		t.expectAfterStep1()

		// NB goes away; meanwhile N1 leaves R (a standalone server re-dumps
		// on reconnect and reports no deletion).
		l, lsp := w.lrp(t.lrpN1), w.lsp(strings.TrimPrefix(t.lrpN1, "lrp-"))
		Expect(w.nbs.Stop()).To(Succeed())
		ops := []ovsdb.Operation{
			mutateRefs(nb.LogicalRouterTable, whereName(rtrName(t.r)), "ports", ovsdb.MutateOperationDelete, l.UUID),
			mutateRefs(nb.LogicalSwitchTable, whereName(swName(t.n1)), "ports", ovsdb.MutateOperationDelete, lsp.UUID),
		}
		txn := []any{"OVN_Northbound"}
		for _, op := range ops {
			txn = append(txn, op)
		}
		raw, err := json.Marshal(txn)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.nbs.TransactOffline(string(raw))
		Expect(err).NotTo(HaveOccurred())
		Expect(w.nbs.Start()).To(Succeed())

		Eventually(func() int { return a.out.count("synced") }).Should(Equal(2))
		Eventually(func() []string { return w.onRouter(t.r) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
		Eventually(func() []string { return w.onSwitch(t.n1) }).Should(Equal(sorted(t.lb1ID)))
		Eventually(func() []string { return w.onSwitch(t.n2) }).Should(Equal(sorted(t.lb2ID, t.pfName)))
		Eventually(func() map[string]string { return w.ext(t.lb1) }).ShouldNot(HaveKey("lr_ref"))
		Expect(w.ext(t.lb2)).To(HaveKeyWithValue("lr_ref", rtrName(t.r)))
	})
})
