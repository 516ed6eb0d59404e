package agent_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/handlers"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// The handlers driven directly (no watcher): every burst replayed a second
// time writes nothing, which nbtxn's counters prove.
var _ = Describe("handlers", func() {
	var (
		w     *world
		store *nbtxn.Store
		h     *handlers.Handler
		rep   *handlers.Reporter
	)
	BeforeEach(func() {
		w = newWorld()
		store = nbtxn.New(w.nb, w.log)
		get := octavia.NewGetClient(w.octavia.GetConfig(), w.log)
		nc, err := neutron.NewFromToken(w.neutronURL, "tok")
		Expect(err).NotTo(HaveOccurred())
		rep = handlers.NewReporter(handlers.ReporterConfig{
			Sender: octavia.NewStatusClient(w.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), w.log), Log: w.log})
		h = handlers.New(handlers.Config{
			Store:           store,
			ServiceMonitors: func() []sb.ServiceMonitor { return sbMonitors(w) },
			Neutron:         nc,
			Health:          health.New(health.Config{Store: store, Neutron: nc, Get: get, Log: w.log}),
			Reporter:        rep,
			Log:             w.log,
		})
	})

	// twice applies the burst, then again, and returns the NB transactions
	// of each run.
	twice := func(events ...watcher.Event) (first, second int64) {
		GinkgoHelper()
		s0 := store.Stats()
		_, err := h.HandleBurst(ctxT(30), events)
		Expect(err).NotTo(HaveOccurred())
		s1 := store.Stats()
		_, err = h.HandleBurst(ctxT(30), events)
		Expect(err).NotTo(HaveOccurred())
		s2 := store.Stats()
		Expect(s2.Operations).To(Equal(s1.Operations), "the replay wrote operations")
		return s1.Transactions - s0.Transactions, s2.Transactions - s1.Transactions
	}

	It("LRP created / deleted", func() {
		t := newTopo(w)
		lrpN2 := t.w.addInterface(t.r, t.n2, "10.2.0.1/24", false)
		Eventually(func() any { return w.lrp(lrpN2) }).ShouldNot(BeNil())
		first, second := twice(watcher.LRPCreated{LRP: *w.lrp(lrpN2)})
		Expect(first).To(Equal(int64(1)), "one transaction for the burst")
		Expect(second).To(BeZero())
		// No start-up resync here: the port-forwarding row is not on N1.
		Expect(w.onRouter(t.r)).To(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
		Expect(w.onSwitch(t.n1)).To(Equal(sorted(t.lb1ID, t.lb2ID)))
		Expect(w.onSwitch(t.n2)).To(Equal(sorted(t.lb1ID, t.lb2ID, t.pfName)))
		Expect(w.ext(t.lb2)).To(HaveKeyWithValue("lr_ref", rtrName(t.r)))

		gone := *w.lrp(t.lrpN1)
		w.removeInterface(t.r, t.n1, t.lrpN1)
		Eventually(func() any { return w.lrp(t.lrpN1) }).Should(BeNil())
		first, second = twice(watcher.LRPDeleted{LRP: gone})
		Expect(first).To(Equal(int64(1)))
		Expect(second).To(BeZero())
		Expect(w.onRouter(t.r)).To(Equal(sorted(t.lb2ID, t.pfName)))
		Expect(w.onSwitch(t.n1)).To(Equal(sorted(t.lb1ID)))
	})

	It("VIP FIP associate and disassociate", func() {
		f := newFIPLB(w)
		assoc := watcher.VIPPortFIPChanged{LSP: f.vipPort, PortName: "ovn-lb-vip-" + f.id, NewFIP: "172.24.4.50"}
		first, second := twice(assoc)
		Expect(first).To(Equal(int64(1)))
		Expect(second).To(BeZero())
		Expect(f.checks()).To(HaveLen(2))
		Expect(w.ext(f.row)).To(HaveKeyWithValue("neutron:vip_fip", "172.24.4.50"))

		first, second = twice(watcher.VIPPortFIPChanged{LSP: f.vipPort, PortName: "ovn-lb-vip-" + f.id, OldFIP: "172.24.4.50"})
		Expect(first).To(Equal(int64(1)))
		Expect(second).To(BeZero())
		Expect(f.checks()).To(HaveLen(1))
		Expect(w.ext(f.row)).NotTo(HaveKey("neutron:vip_fip"))
	})

	It("Service_Monitor updates and deletes, and the full resync", func() {
		net := newID()
		w.addNetwork(net, false)
		hl := newHLB(w, net, 3)
		sm := func(i int, status string) sb.ServiceMonitor {
			m := *w.sb.Cache().Table(sb.ServiceMonitorTable).Row(hl.monitors[i]).(*sb.ServiceMonitor)
			m.Status = &status
			return m
		}
		first, second := twice(
			watcher.ServiceMonitorUpdated{SM: sm(0, "offline")},
			watcher.ServiceMonitorUpdated{SM: sm(1, "offline")},
			watcher.ServiceMonitorUpdated{SM: sm(1, "online")},
			watcher.ServiceMonitorDeleted{SM: sm(2, "online")},
		)
		Expect(first).To(Equal(int64(1)))
		Expect(second).To(BeZero())
		Expect(hl.memberStatus()).To(Equal(hl.statusJSON("ERROR", "ONLINE", "OFFLINE")))
		Eventually(rep.Pending).Should(BeNumerically(">", 0))

		// SB still says online for member 0: the resync corrects it, once.
		first, second = twice(watcher.Resync{Reason: "test"})
		Expect(first).To(Equal(int64(1)))
		Expect(second).To(BeZero())
		Expect(hl.memberStatus()).To(Equal(hl.statusJSON("ONLINE", "ONLINE", "OFFLINE")),
			"an OFFLINE member (no probe result to apply) keeps its status")
	})
})

func sbMonitors(w *world) []sb.ServiceMonitor {
	var out []sb.ServiceMonitor
	for _, m := range w.sb.Cache().Table(sb.ServiceMonitorTable).Rows() {
		out = append(out, *m.(*sb.ServiceMonitor))
	}
	return out
}
