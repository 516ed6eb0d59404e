package maintenance_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/maintenance"
)

var _ = Describe("VIP port protection", func() {
	const owner = "ovn-lb:vip"

	It("protects provider-created VIP ports and leaves user, claimed, protected and missing ports alone", func(ctx SpecContext) {
		lb1, lb2, lb3 := newID(), newID(), newID()
		vip1 := addPort("ovn-lb-vip-"+lb1, "", "")
		add1 := addPort("ovn-lb-vip-additional-1-"+lb1, "", "")
		add2 := addPort("ovn-lb-vip-additional-2-"+lb1, "", "lb-"+lb1) // device_id already right
		user := addPort("my-own-vip", "", "")                          // --vip-port-id: never touched
		claimed := addPort("ovn-lb-vip-"+lb2, "compute:nova", "instance-1")
		protected := addPort("ovn-lb-vip-"+lb3, owner, "lb-"+lb3)
		gone := newID()

		ext1 := map[string]string{
			"neutron:vip": "10.0.0.10", "neutron:vip_port_id": vip1.ID,
			"neutron:additional_vip_port_ids": add1.ID + "," + add2.ID,
		}
		addLB(lb1, ext1, nil)
		addLB(lb1, ext1, nil) // the UDP row of the same LB names the same ports
		addLB(newID(), map[string]string{"neutron:vip": "10.0.0.11", "neutron:vip_port_id": user.ID}, nil)
		addLB(lb2, map[string]string{"neutron:vip": "10.0.0.12", "neutron:vip_port_id": claimed.ID}, nil)
		addLB(lb3, map[string]string{"neutron:vip": "10.0.0.13", "neutron:vip_port_id": protected.ID}, nil)
		addLB(newID(), map[string]string{"neutron:vip": "10.0.0.14", "neutron:vip_port_id": gone}, nil)
		// Foreign rows: Neutron port forwarding (no VIP keys), and a row
		// without a name.
		addLB("pf-floatingip-"+newID()+"-tcp", map[string]string{
			"neutron:device_owner": "port_forwarding_plugin", "neutron:fip_id": newID(), "neutron:router_name": "neutron-x",
		}, nil)
		addLB("", map[string]string{"neutron:vip_port_id": newID()}, nil)

		finished, err := runner(time.Hour, time.Second).ProtectVIPPorts(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())

		Expect(puts()).To(ConsistOf(
			putOf(vip1.ID, owner, "lb-"+lb1, 200),
			putOf(add1.ID, owner, "lb-"+lb1, 200),
			putOf(add2.ID, owner, "lb-"+lb1, 200),
		))
		var got []string
		for _, r := range requests("GET") {
			got = append(got, r.Path)
		}
		Expect(got).To(ConsistOf(
			"/v2.0/ports/"+vip1.ID, "/v2.0/ports/"+add1.ID, "/v2.0/ports/"+add2.ID,
			"/v2.0/ports/"+user.ID, "/v2.0/ports/"+claimed.ID, "/v2.0/ports/"+protected.ID, "/v2.0/ports/"+gone,
		), "one GET per port, none for foreign or unnamed rows")
		for _, p := range []string{vip1.ID, add1.ID, add2.ID} {
			Expect(port(p)).To(And(HaveField("DeviceOwner", owner), HaveField("DeviceID", "lb-"+lb1)))
		}
		Expect(port(user.ID)).To(And(HaveField("DeviceOwner", ""), HaveField("DeviceID", "")))
		Expect(port(claimed.ID)).To(And(HaveField("DeviceOwner", "compute:nova"), HaveField("DeviceID", "instance-1")))

		By("a second run sends no update")
		tb.FakeNeutron.ResetRequests()
		finished, err = runner(time.Hour, time.Second).ProtectVIPPorts(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(requests("PUT")).To(BeEmpty())
	})

	It("retries at the next interval when a port cannot be read, after protecting the others", func() {
		lbA, lbB := newID(), newID()
		a := addPort("ovn-lb-vip-"+lbA, "", "")
		b := addPort("ovn-lb-vip-"+lbB, "", "")
		addLB(lbA, map[string]string{"neutron:vip_port_id": a.ID}, nil)
		addLB(lbB, map[string]string{"neutron:vip_port_id": b.ID}, nil)
		tb.FakeNeutron.FailNext(http.MethodGet, "/v2.0/ports/"+a.ID, http.StatusServiceUnavailable, 1)

		r := runner(300*time.Millisecond, time.Second)
		done := runInBackground(r)
		Eventually(done).Should(BeClosed())

		st := r.Status()[maintenance.TaskVIPPorts]
		Expect(st).To(And(HaveField("Runs", 2), HaveField("Finished", true)))
		Expect(puts()).To(Equal([]string{
			putOf(b.ID, owner, "lb-"+lbB, 200), // first run: a failed, b done
			putOf(a.ID, owner, "lb-"+lbA, 200), // second run: a done, b already right
		}))
	})
})
