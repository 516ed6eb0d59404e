package serve_test

import (
	"net"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/onsi/gomega/gexec"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/procbed"
)

var (
	lbCreate = `{"call": "loadbalancer_create", "loadbalancer": {
  "loadbalancer_id": "` + lbID + `", "admin_state_up": true, "project_id": "` + projectID + `",
  "vip_address": "` + vipAddress + `", "vip_network_id": "` + netID + `", "vip_subnet_id": "` + vipSubnet + `",
  "vip_port_id": "` + vipPortID + `"}}`
	listenerCreate = `{"call": "listener_create", "listener": {
  "listener_id": "` + listenerID + `", "loadbalancer_id": "` + lbID + `", "admin_state_up": true,
  "protocol": "TCP", "protocol_port": 64015}}`
	poolCreate = `{"call": "pool_create", "pool": {
  "pool_id": "` + poolID + `", "loadbalancer_id": "` + lbID + `", "listener_id": "` + listenerID + `",
  "admin_state_up": true, "protocol": "TCP", "lb_algorithm": "SOURCE_IP_PORT"}}`
	memberCreate = `{"call": "member_create", "member": {
  "member_id": "` + memberID + `", "pool_id": "` + poolID + `", "admin_state_up": true,
  "address": "10.10.10.10", "protocol_port": 63015, "subnet_id": "` + memberSub + `"}}`
)

const okReply = `{"ok":true}`

// The status messages of the worked example's four calls, in call order.
var workedExampleStatuses = procbed.WorkedExampleStatuses()

var _ = Describe("ovn-octavia serve", func() {
	var b *bed

	BeforeEach(func(ctx SpecContext) {
		b = newBed(ctx)
	}, NodeTimeout(60*time.Second))

	It("answers a valid LB create before its work is reported, then writes the row and sends the status", func(ctx SpecContext) {
		// With the status socket down the status cannot be delivered: an
		// answer now proves the reply does not wait for the work's report.
		Expect(b.agent.StopStatus()).To(Succeed())
		Expect(b.request(ctx, lbCreate)).To(Equal(okReply))

		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].Name).To(Equal(lbID))
			g.Expect(rows[0].ExternalIDs).To(Equal(lbOnlyExternalIDs(vipAddress, vipPortID)))
			g.Expect(rows[0].Vips).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())
		Expect(b.agent.Count()).To(Equal(0))

		// The status client retries; the message arrives once Octavia's
		// socket is back.
		Expect(b.agent.StartStatus()).To(Succeed())
		msgs, err := b.agent.WaitCount(ctx, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(Equal([]octavia.Status{
			{LoadBalancers: []octavia.StatusEntry{active(lbID, octavia.OperatingOnline)}},
		}))
	}, SpecTimeout(60*time.Second))

	It("answers a refused call with the exact error, changes nothing and reports nothing", func(ctx SpecContext) {
		Expect(b.request(ctx, lbCreate)).To(Equal(okReply))
		_, err := b.agent.WaitCount(ctx, 1)
		Expect(err).NotTo(HaveOccurred())
		// The test client's cache catches up with the commit asynchronously.
		Eventually(func() []nb.LoadBalancer { return b.lbRows(ctx) }).WithContext(ctx).Should(HaveLen(1))
		before := b.nbSnapshot(ctx)

		refusals := map[string]string{
			// V1
			`{"call": "listener_create", "listener": {"listener_id": "` + listenerID + `", "loadbalancer_id": "` + lbID +
				`", "protocol": "HTTP", "protocol_port": 80}}`: `{"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"OVN provider does not support HTTP protocol","operator_fault_string":"OVN provider does not support HTTP protocol"}}`,
			// V2
			`{"call": "pool_create", "pool": {"pool_id": "` + poolID + `", "loadbalancer_id": "` + lbID +
				`", "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}}`: `{"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"OVN provider does not support ROUND_ROBIN algorithm","operator_fault_string":"OVN provider does not support ROUND_ROBIN algorithm"}}`,
			// V14, answered by running the call
			`{"call": "loadbalancer_failover", "loadbalancer_id": "` + lbID + `"}`: `{"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"OVN provider does not support loadbalancer failover","operator_fault_string":"OVN provider does not support loadbalancer failover"}}`,
			// argument error
			`{"call": "listener_create", "listener": {}, "cascade": true}`: `{"ok":false,"error":{"type":"DriverError","user_fault_string":"listener_create: unexpected argument \"cascade\"","operator_fault_string":"listener_create: unexpected argument \"cascade\""}}`,
		}
		for req, want := range refusals {
			Expect(b.request(ctx, req)).To(Equal(want), req)
		}
		Expect(b.nbSnapshot(ctx)).To(Equal(before))

		// A valid call after the refusals: its status is the only one that
		// follows, so the refused calls reported nothing.
		Expect(b.request(ctx, listenerCreate)).To(Equal(okReply))
		msgs, err := b.agent.WaitCount(ctx, 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(Equal(workedExampleStatuses[:2]))
	}, SpecTimeout(60*time.Second))

	It("answers create_vip_port with the port it created", func(ctx SpecContext) {
		reply := b.request(ctx, `{"call": "create_vip_port", "loadbalancer_id": "`+lb2ID+`", "project_id": "`+projectID+`",
  "vip_dictionary": {"vip_network_id": "`+netID+`", "vip_subnet_id": "`+vipSubnet+`", "vip_address": "172.24.4.50"},
  "additional_vip_dicts": []}`)
		var port fakeneutron.Port
		for _, p := range b.neutron.Ports() {
			if p.Name == "ovn-lb-vip-"+lb2ID {
				port = p
			}
		}
		Expect(port.ID).NotTo(BeEmpty(), "no VIP port in Neutron")
		Expect(port.FixedIPs).To(Equal([]fakeneutron.FixedIP{{SubnetID: vipSubnet, IPAddress: "172.24.4.50"}}))
		Expect(reply).To(Equal(`{"ok":true,"result":[{"vip_address":"172.24.4.50","vip_network_id":"` + netID +
			`","vip_port_id":"` + port.ID + `","vip_subnet_id":"` + vipSubnet + `"},[]]}`))
		// Synchronous and without status (operations.md §3).
		Expect(b.agent.Count()).To(Equal(0))
	}, SpecTimeout(60*time.Second))

	It("runs calls from separate connections in the order they were accepted", func(ctx SpecContext) {
		// The first call's status cannot be delivered yet, so the worker is
		// held on it while the others are accepted and queued behind it.
		Expect(b.agent.StopStatus()).To(Succeed())
		for _, req := range []string{lbCreate, listenerCreate, poolCreate, memberCreate} {
			Expect(b.request(ctx, req)).To(Equal(okReply))
		}
		Expect(b.agent.StartStatus()).To(Succeed())
		msgs, err := b.agent.WaitCount(ctx, 4)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(Equal(workedExampleStatuses))
		// The test client's cache catches up with the commits asynchronously.
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].Vips).To(Equal(map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}))
			g.Expect(rows[0].ExternalIDs).To(HaveKeyWithValue("pool_"+poolID,
				"member_"+memberID+"_10.10.10.10:63015_"+memberSub))
		}).WithContext(ctx).Should(Succeed())
	}, SpecTimeout(90*time.Second))

	It("on SIGTERM stops accepting, runs the accepted calls and exits 0", func(ctx SpecContext) {
		Expect(b.agent.StopStatus()).To(Succeed())
		for _, req := range []string{lbCreate, listenerCreate, poolCreate} {
			Expect(b.request(ctx, req)).To(Equal(okReply))
		}
		b.serve.Signal(syscall.SIGTERM)
		Eventually(func() error {
			c, err := net.Dial("unix", b.socket)
			if err == nil {
				c.Close()
			}
			return err
		}).WithContext(ctx).Should(HaveOccurred())
		Expect(b.serve.ExitCode()).To(Equal(-1), "exited before draining its queue")

		Expect(b.agent.StartStatus()).To(Succeed())
		Eventually(b.serve).WithContext(ctx).WithTimeout(60 * time.Second).Should(gexec.Exit(0))
		Expect(b.agent.Messages()).To(Equal(workedExampleStatuses[:3]))
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].ExternalIDs).To(HaveKeyWithValue("listener_"+listenerID, "64015:pool_"+poolID))
		}).WithContext(ctx).Should(Succeed())
	}, SpecTimeout(90*time.Second))
})
