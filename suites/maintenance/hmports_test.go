package maintenance_test

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/maintenance"
)

var _ = Describe("HM port device owner", func() {
	const (
		oldOwner = "network:distributed"
		newOwner = "ovn-lb-hm:distributed"
	)

	It("moves every ovn-lb-hm port to the new owner, checks the first one's LSP and finishes", func(ctx SpecContext) {
		hm1 := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		metadata := addPort("ovn-meta-"+newID(), oldOwner, "ovnmeta-x") // Neutron's own localport
		done := addPort("ovn-lb-hm-"+newID(), newOwner, "already")      // not listed
		hm2 := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm1.ID, "localport") // a current Neutron: the new owner is a localport
		addLSP(hm2.ID, "")

		finished, err := runner(time.Hour, 2*time.Second).FixHMPortOwners(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())

		gets := requests("GET")
		Expect(gets).To(HaveLen(1))
		Expect(gets[0].Path).To(Equal("/v2.0/ports"))
		Expect(gets[0].Query).To(Equal("device_owner=network%3Adistributed"))
		Expect(puts()).To(Equal([]string{
			putOf(hm1.ID, newOwner, hm1.Name, 200),
			putOf(hm2.ID, newOwner, hm2.Name, 200), // only the first port is checked
		}))
		Expect(port(hm1.ID)).To(And(HaveField("DeviceOwner", newOwner), HaveField("DeviceID", hm1.Name)))
		Expect(port(hm2.ID)).To(And(HaveField("DeviceOwner", newOwner), HaveField("DeviceID", hm2.Name)))
		Expect(port(metadata.ID)).To(And(HaveField("DeviceOwner", oldOwner), HaveField("DeviceID", "ovnmeta-x")))
		Expect(port(done.ID)).To(HaveField("DeviceID", "already"))

		By("a second run finds nothing left and writes nothing")
		tb.FakeNeutron.ResetRequests()
		finished, err = runner(time.Hour, 2*time.Second).FixHMPortOwners(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(requests("PUT")).To(BeEmpty())
	})

	It("waits for Neutron to turn the LSP into a localport instead of rolling back at once", func(ctx SpecContext) {
		hm := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm.ID, "")
		// Neutron's OVN driver: the LSP becomes a localport shortly after
		// the device_owner update.
		go func() {
			defer GinkgoRecover()
			Eventually(func() []string { return puts() }).Should(HaveLen(1))
			time.Sleep(200 * time.Millisecond)
			setLSPType(hm.ID, "localport")
		}()

		finished, err := runner(time.Hour, 10*time.Second).FixHMPortOwners(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(puts()).To(Equal([]string{putOf(hm.ID, newOwner, hm.Name, 200)}))
	})

	It("rolls the first port back and stops the run when its LSP is not a localport (Neutron too old)", func(ctx SpecContext) {
		hm1 := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		hm2 := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm1.ID, "")
		addLSP(hm2.ID, "")

		finished, err := runner(time.Hour, 300*time.Millisecond).FixHMPortOwners(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeFalse())
		Expect(puts()).To(Equal([]string{
			putOf(hm1.ID, newOwner, hm1.Name, 200),
			putOf(hm1.ID, oldOwner, "", 200),
		}))
		Expect(port(hm1.ID)).To(And(HaveField("DeviceOwner", oldOwner), HaveField("DeviceID", "")))
		Expect(port(hm2.ID)).To(And(HaveField("DeviceOwner", oldOwner), HaveField("DeviceID", "")))
	})

	It("keeps retrying every interval after a rollback and finishes once Neutron supports the owner", func() {
		hm := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm.ID, "")
		r := runner(300*time.Millisecond, 100*time.Millisecond)
		done := runInBackground(r)

		Eventually(func() int { return r.Status()[maintenance.TaskHMPortOwner].Runs }).Should(BeNumerically(">=", 2))
		Expect(r.Status()[maintenance.TaskHMPortOwner].Finished).To(BeFalse())
		Expect(port(hm.ID)).To(HaveField("DeviceOwner", oldOwner))

		By("Neutron upgraded: its driver now makes such ports localports")
		setLSPType(hm.ID, "localport")
		Eventually(func() string { return port(hm.ID).DeviceOwner }).Should(Equal(newOwner))
		Eventually(func() bool { return r.Status()[maintenance.TaskHMPortOwner].Finished }).Should(BeTrue())
		Expect(port(hm.ID).DeviceID).To(Equal(hm.Name))

		By("every task has finished, so Run returns and no request follows")
		Eventually(done).Should(BeClosed())
		n := len(requests(""))
		Consistently(func() int { return len(requests("")) }).Should(Equal(n))
	})

	It("retries a failed Neutron update at the next interval", func() {
		hm := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm.ID, "localport")
		tb.FakeNeutron.FailNext(http.MethodPut, "/v2.0/ports/"+hm.ID, http.StatusInternalServerError, 1)
		r := runner(300*time.Millisecond, time.Second)
		start := time.Now()
		done := runInBackground(r)

		Eventually(done).Should(BeClosed())
		st := r.Status()[maintenance.TaskHMPortOwner]
		Expect(st).To(And(HaveField("Runs", 2), HaveField("Finished", true), HaveField("LastErr", BeNil())))
		Expect(time.Since(start)).To(BeNumerically(">=", 300*time.Millisecond), "the retry waited for the interval")
		Expect(puts()).To(Equal([]string{
			putOf(hm.ID, newOwner, hm.Name, 500),
			putOf(hm.ID, newOwner, hm.Name, 200),
		}))
		Expect(port(hm.ID)).To(And(HaveField("DeviceOwner", newOwner), HaveField("DeviceID", hm.Name)))
	})

	It("stops waiting for the LSP when the context ends", func() {
		hm := addPort("ovn-lb-hm-"+newID(), oldOwner, "")
		addLSP(hm.ID, "")
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := runner(time.Hour, time.Minute).FixHMPortOwners(ctx)
		Expect(err).To(MatchError(context.DeadlineExceeded))
	})
})
