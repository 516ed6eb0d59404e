package agent_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/handlers"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
)

func member(id, op string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: octavia.ProvisioningActive, OperatingStatus: op}
}

func members(entries ...octavia.StatusEntry) octavia.Status {
	var s octavia.Status
	s.Add(octavia.KindMembers, entries...)
	return s
}

// The Reporter against the in-process driver agent's real status socket.
var _ = Describe("status reporter", func() {
	var (
		da  *driveragent.Server
		rep *handlers.Reporter
	)
	BeforeEach(func() {
		w := newWorld()
		da = w.octavia
		rep = handlers.NewReporter(handlers.ReporterConfig{
			Sender:         octavia.NewStatusClient(da.StatusConfig(), octavia.DefaultRetryPolicy(), w.log),
			Log:            w.log,
			InitialBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { rep.Run(ctx); close(done) }()
		DeferCleanup(func() { cancel(); <-done })
	})

	It("sends only what changed, once", func() {
		rep.Offer(members(member("a", "ONLINE"), member("b", "ONLINE")), members(member("a", "ERROR"), member("b", "ONLINE")))
		Eventually(da.RawMessages).Should(HaveLen(1))
		Expect(string(da.RawMessages()[0])).To(Equal(
			`{"members": [{"id": "a", "provisioning_status": "ACTIVE", "operating_status": "ERROR"}]}`))
		// The same change offered again (a replayed burst) is not re-sent.
		rep.Offer(members(member("a", "ERROR")), members(member("a", "ERROR")))
		Consistently(da.Count).Should(Equal(1))
		e, ok := rep.Last(octavia.KindMembers, "a")
		Expect(ok).To(BeTrue())
		Expect(e.OperatingStatus).To(Equal("ERROR"))
	})

	It("merges statuses queued while the socket is down, latest wins, and withdraws a flip back", func() {
		rep.Offer(members(member("a", "ONLINE")), members(member("a", "ERROR")))
		Eventually(da.Count).Should(Equal(1))
		Expect(da.StopStatus()).To(Succeed())
		rep.Offer(members(member("a", "ERROR"), member("b", "ONLINE")), members(member("a", "ONLINE"), member("b", "ERROR")))
		rep.Offer(members(member("b", "ERROR")), members(member("b", "OFFLINE")))
		rep.Offer(members(member("a", "ONLINE")), members(member("a", "ERROR"))) // back to what Octavia has
		Consistently(rep.Pending, 300*time.Millisecond).Should(Equal(1))
		Expect(da.StartStatus()).To(Succeed())
		Eventually(da.Count).Should(Equal(2))
		Expect(string(da.RawMessages()[1])).To(Equal(
			`{"members": [{"id": "b", "provisioning_status": "ACTIVE", "operating_status": "OFFLINE"}]}`))
		Expect(rep.Stats().Failures).To(BeNumerically(">", 0))
	})

	It("drops a record Octavia rejects by name and re-sends the rest at once", func() {
		da.FailNext(1, driveragent.Reply{StatusCode: 500, FaultString: "no such member",
			StatusObject: "members", StatusObjectID: "gone"})
		rep.Offer(octavia.Status{}, members(member("gone", "ERROR"), member("c", "ERROR")))
		Eventually(da.Count).Should(Equal(2))
		Expect(string(da.RawMessages()[1])).To(Equal(
			`{"members": [{"id": "c", "provisioning_status": "ACTIVE", "operating_status": "ERROR"}]}`))
		Expect(rep.Stats().Dropped).To(Equal(int64(1)))
		Expect(rep.Pending()).To(Equal(0))
	})
})
