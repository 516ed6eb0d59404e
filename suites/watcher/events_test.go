package watcher_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

var _ = Describe("typed events", func() {
	var (
		nbSrv, sbSrv *testbed.Server
		nbc, sbc     client.Client
		w            *watcher.Watcher
		col          *collector
	)

	BeforeEach(func() {
		dir := shortDir()
		nbSrv = startNB(dir)
		sbSrv = startSB(dir)
		nbc = connectNB(nbSrv.Remote())
		sbc = connectSB(sbSrv.Remote())
		// State that exists before the watcher starts: not events.
		addRouter(nbc, "neutron-r1")
		addLRP(nbc, "neutron-r1", "lrp-existing")
		addSwitchWithPorts(nbc, "neutron-net1", map[string]map[string]string{
			"vip-port-1":   {"neutron:port_name": "ovn-lb-vip-0b2c4f86-6a42-4b43-9d4e-f6e0c5b1a001"},
			"plain-port-1": {"neutron:port_name": "some-port"},
		})
		w = startWatcher(watcher.Config{
			NB: watcher.ConnConfig{Remote: nbSrv.Remote()},
			SB: watcher.ConnConfig{Remote: sbSrv.Remote()},
		})
		col = collect(w)
		// The initial dump arrives as one Resync, nothing else.
		Eventually(col.all).Should(ContainElement(BeAssignableToTypeOf(watcher.Resync{})))
		Consistently(col.all).Should(HaveLen(1))
		Expect(w.HasLock()).To(BeTrue())
	})

	It("emits exactly one LRPCreated and one LRPDeleted", func() {
		mark := col.len()
		addLRP(nbc, "neutron-r1", "lrp-new")
		Eventually(func() []string { return lrpNames(col.since(mark)) }).Should(Equal([]string{"created:lrp-new"}))
		created := col.since(mark)[0].(watcher.LRPCreated)
		Expect(created.LRP.ExternalIDs).To(HaveKeyWithValue("neutron:router_name", "neutron-r1"))
		Expect(created.LRP.Networks).To(Equal([]string{"10.0.0.1/24"}))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))

		mark = col.len()
		delLRP(nbc, "neutron-r1", "lrp-new")
		Eventually(func() []string { return lrpNames(col.since(mark)) }).Should(Equal([]string{"deleted:lrp-new"}))
		deleted := col.since(mark)[0].(watcher.LRPDeleted)
		Expect(deleted.LRP.UUID).To(Equal(created.LRP.UUID))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))
	})

	It("emits VIPPortFIPChanged only for a port_fip change of an ovn-lb-vip- port", func() {
		vipName := "ovn-lb-vip-0b2c4f86-6a42-4b43-9d4e-f6e0c5b1a001"
		mark := col.len()
		setLSPExternalIDs(nbc, "vip-port-1", map[string]string{"neutron:port_name": vipName, "neutron:port_fip": "172.24.4.10"})
		Eventually(func() []watcher.Event { return col.since(mark) }).Should(Equal([]watcher.Event{
			watcher.VIPPortFIPChanged{LSP: "vip-port-1", PortName: vipName, OldFIP: "", NewFIP: "172.24.4.10"},
		}))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))

		// Another external_ids key of the VIP port: no event.
		mark = col.len()
		setLSPExternalIDs(nbc, "vip-port-1", map[string]string{"neutron:port_name": vipName, "neutron:port_fip": "172.24.4.10", "neutron:cidrs": "10.0.0.9/24"})
		// A port without the VIP name changing its FIP: no event.
		setLSPExternalIDs(nbc, "plain-port-1", map[string]string{"neutron:port_name": "some-port", "neutron:port_fip": "172.24.4.11"})
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(BeEmpty())

		// FIP removed: old set, new empty.
		setLSPExternalIDs(nbc, "vip-port-1", map[string]string{"neutron:port_name": vipName})
		Eventually(func() []watcher.Event { return col.since(mark) }).Should(Equal([]watcher.Event{
			watcher.VIPPortFIPChanged{LSP: "vip-port-1", PortName: vipName, OldFIP: "172.24.4.10", NewFIP: ""},
		}))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))
	})

	It("emits ServiceMonitorUpdated and ServiceMonitorDeleted, not creates", func() {
		mark := col.len()
		uuid := addServiceMonitor(sbc, "10.0.0.5", 80)
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(BeEmpty())

		txn(sbc, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: sb.ServiceMonitorTable, Where: whereUUID(uuid),
			Row: ovsdb.Row{"status": "offline"}})
		Eventually(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))
		upd, ok := col.since(mark)[0].(watcher.ServiceMonitorUpdated)
		Expect(ok).To(BeTrue(), "%v", col.since(mark))
		Expect(upd.SM.UUID).To(Equal(uuid))
		Expect(upd.SM.IP).To(Equal("10.0.0.5"))
		Expect(upd.SM.Port).To(Equal(80))
		Expect(upd.SM.Status).To(HaveValue(Equal("offline")))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))

		mark = col.len()
		txn(sbc, ovsdb.Operation{Op: ovsdb.OperationDelete, Table: sb.ServiceMonitorTable, Where: whereUUID(uuid)})
		Eventually(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))
		del, ok := col.since(mark)[0].(watcher.ServiceMonitorDeleted)
		Expect(ok).To(BeTrue(), "%v", col.since(mark))
		Expect(del.SM.UUID).To(Equal(uuid))
		Expect(del.SM.Status).To(HaveValue(Equal("offline")))
		Consistently(func() []watcher.Event { return col.since(mark) }).Should(HaveLen(1))
	})

	It("exposes caches that hold the monitored tables", func() {
		Expect(cacheLRPNames(w.NB())).To(Equal([]string{"lrp-existing"}))
		uuid := addServiceMonitor(sbc, "10.0.0.6", 8080)
		Eventually(func() bool { return w.SB().Cache().Table(sb.ServiceMonitorTable).HasRow(uuid) }).Should(BeTrue())
	})
})
