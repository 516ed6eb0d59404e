package maintenance_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/maintenance"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// cachedExternalIDs reads a row's external_ids from the test client's cache.
func cachedExternalIDs(lbUUID string) map[string]string {
	lb, _ := tb.NB.Cache().Table(nb.LoadBalancerTable).Row(lbUUID).(*nb.LoadBalancer)
	if lb == nil {
		return nil
	}
	return lb.ExternalIDs
}

var _ = Describe("Runner", func() {
	It("runs every task once at start and stops when all have finished", func() {
		lbID := newID()
		vip := addPort("ovn-lb-vip-"+lbID, "", "")
		u := addLB(lbID, map[string]string{"neutron:vip_port_id": vip.ID}, map[string]string{"fd00::5": "p:fd00::2"})

		r := runner(100*time.Millisecond, time.Second)
		done := runInBackground(r)
		Eventually(done).Should(BeClosed())

		st := r.Status()
		Expect(st).To(HaveLen(3))
		for _, name := range []string{maintenance.TaskHMPortOwner, maintenance.TaskVIPPorts, maintenance.TaskIPv6Mappings} {
			Expect(st[name]).To(And(HaveField("Runs", 1), HaveField("Finished", true), HaveField("LastErr", BeNil())), name)
		}
		Expect(port(vip.ID)).To(HaveField("DeviceID", "lb-"+lbID))
		Expect(serverMappings(u)).To(Equal(map[string]string{"[fd00::5]": "p:[fd00::2]"}))

		By("nothing runs any more")
		n, tx := len(requests("")), tb.Store.Stats().Transactions
		addPort("ovn-lb-hm-"+newID(), "network:distributed", "") // would be fixed by another run
		Consistently(func() int { return len(requests("")) }).Should(Equal(n))
		Expect(tb.Store.Stats().Transactions).To(Equal(tx))
	})

	It("without Neutron runs only the NB task", func() {
		u := addLB(newID(), nil, map[string]string{"fd00::5": "p:fd00::2"})
		r := maintenance.New(maintenance.Config{Store: tb.Store, Interval: 100 * time.Millisecond, Log: tb.Log})
		done := runInBackground(r)
		Eventually(done).Should(BeClosed())
		Expect(r.Status()).To(HaveLen(1))
		Expect(r.Status()).To(HaveKey(maintenance.TaskIPv6Mappings))
		Expect(serverMappings(u)).To(Equal(map[string]string{"[fd00::5]": "p:[fd00::2]"}))
		Expect(requests("")).To(BeEmpty())
	})

	It("stops on the end of its context while a task is still unfinished", func() {
		hm := addPort("ovn-lb-hm-"+newID(), "network:distributed", "")
		addLSP(hm.ID, "") // never a localport: the task never finishes
		r := runner(50*time.Millisecond, 10*time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.Run(ctx)
		}()
		Eventually(func() int { return r.Status()[maintenance.TaskHMPortOwner].Runs }).Should(BeNumerically(">=", 3))
		cancel()
		Eventually(done).WithTimeout(5 * time.Second).Should(BeClosed())
		Expect(r.Status()[maintenance.TaskHMPortOwner].Finished).To(BeFalse())
	})
})

var _ = Describe("Agent", func() {
	It("starts the maintenance tasks: a running agent brackets IPv6 mappings and protects VIP ports", func() {
		lbID := newID()
		vip := addPort("ovn-lb-vip-"+lbID, "", "")
		u := addLB(lbID, map[string]string{"neutron:vip": "fd00::100", "neutron:vip_port_id": vip.ID},
			map[string]string{"fd00::5": "a1b2c3d4:fd00::2"})

		a := agent.New(agent.Config{
			Watcher: watcher.Config{NB: watcher.ConnConfig{Remote: tb.NBServer.Remote()}},
			Neutron: tb.Neutron,
			Status:  tb.Status,
			Get:     tb.Get,
			Log:     tb.Log.WithField("test", "agent"),
		})
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- a.Run(ctx) }()
		DeferCleanup(func() {
			cancel()
			Eventually(errc).WithTimeout(15 * time.Second).Should(Receive(BeNil()))
		})

		Eventually(func() map[string]string { return serverMappings(u) }).
			Should(Equal(map[string]string{"[fd00::5]": "a1b2c3d4:[fd00::2]"}))
		Eventually(func() string { return port(vip.ID).DeviceOwner }).Should(Equal("ovn-lb:vip"))
		Expect(port(vip.ID).DeviceID).To(Equal("lb-" + lbID))
		Expect(puts()).To(Equal([]string{putOf(vip.ID, "ovn-lb:vip", "lb-"+lbID, 200)}))
	})
})
