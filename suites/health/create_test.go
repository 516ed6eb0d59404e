package health_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// hmPortIP returns the HM port's address on the fixture subnet.
func hmPortIP(f *fixture) string {
	GinkgoHelper()
	ports := f.hmPorts()
	Expect(ports).To(HaveLen(1))
	Expect(ports[0].FixedIPs).To(HaveLen(1))
	Expect(ports[0].FixedIPs[0].SubnetID).To(Equal(f.SubnetID))
	return ports[0].FixedIPs[0].IPAddress
}

// createHM runs Create and returns the one status message it sent.
func createHM(ctx context.Context, f *fixture, typ string) octavia.Status {
	GinkgoHelper()
	env.agent.Reset()
	Expect(env.monitors.Create(ctx, f.hm(typ))).To(Succeed())
	msgs := env.agent.Messages()
	Expect(msgs).To(HaveLen(1))
	return msgs[0]
}

// expectCreated asserts the NB rows, the HM port and the SB
// Service_Monitor rows ovn-northd derived from them.
func expectCreated(ctx context.Context, f *fixture, smProto string) {
	GinkgoHelper()
	src := hmPortIP(f)
	port := f.hmPorts()[0]
	Expect(port.DeviceOwner).To(Equal("ovn-lb-hm:distributed"))
	Expect(port.DeviceID).To(Equal("ovn-lb-hm-" + f.SubnetID))
	Expect(port.PortSecurityEnabled).To(BeFalse())
	Expect(port.AdminStateUp).To(BeTrue())
	Expect(port.NetworkID).To(Equal(f.NetID))
	Expect(port.ProjectID).To(Equal(f.ProjectID))

	lb := lbRow(ctx, f.LBID)
	hcs := healthChecks(ctx, lb)
	Expect(hcs).To(HaveLen(1))
	Expect(hcs[0].Vip).To(Equal(fmt.Sprintf("%s:%d", bracketed(f.VIP), f.ListenerPort)))
	Expect(hcs[0].Options).To(Equal(map[string]string{
		"interval": "10", "timeout": "5", "success_count": "3", "failure_count": "4",
	}))
	Expect(hcs[0].ExternalIDs).To(Equal(map[string]string{
		"octavia:healthmonitor": f.HMID, "octavia:pool_id": f.PoolID, "octavia:vip": f.VIP,
	}))
	Expect(lb.ExternalIDs["octavia:healthmonitors"]).To(Equal(`["` + f.HMID + `"]`))

	wantMap := map[string]string{}
	var ms []string
	for _, m := range f.Members {
		wantMap[bracketed(m.IP)] = m.LSP + ":" + bracketed(src)
		ms = append(ms, fmt.Sprintf(`"%s": "ONLINE"`, m.ID))
	}
	Expect(lb.IPPortMappings).To(Equal(wantMap))
	Expect(lb.ExternalIDs["neutron:member_status"]).To(Equal("{" + strings.Join(ms, ", ") + "}"))

	// ovn-northd turns LBHC + vips backend + mapping into Service_Monitor rows.
	for _, m := range f.Members {
		Eventually(func(g Gomega) {
			rows := serviceMonitors(ctx, m.LSP)
			g.Expect(rows).To(HaveLen(1))
			sm := rows[0]
			g.Expect(sm.IP).To(Equal(m.IP))
			g.Expect(sm.Port).To(Equal(f.MemberPort))
			g.Expect(sm.Protocol).NotTo(BeNil())
			g.Expect(*sm.Protocol).To(Equal(smProto))
			g.Expect(sm.SrcIP).To(Equal(src))
		}).WithTimeout(15 * time.Second).Should(Succeed())
	}
}

func createdStatus(f *fixture) string {
	var members []string
	for _, m := range f.Members {
		members = append(members, entry(m.ID, "ACTIVE", "ONLINE"))
	}
	return `{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "ONLINE") + `], ` +
		`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
		`"pools": [` + entry(f.PoolID, "ACTIVE", "ONLINE") + `], ` +
		`"members": [` + strings.Join(members, ", ") + `], ` +
		`"healthmonitors": [` + entry(f.HMID, "ACTIVE", "ONLINE") + `]}`
}

var _ = Describe("health monitor create", func() {
	It("maps IPv4 TCP members and ovn-northd creates their Service_Monitor rows", func(ctx SpecContext) {
		f := newFixture("10.1.0", "tcp", 2)
		f.create(ctx)
		s := createHM(ctx, f, octavia.HealthMonitorTCP)
		Expect(s.String()).To(Equal(createdStatus(f)))
		expectCreated(ctx, f, sb.ServiceMonitorProtocolTCP)
	}, SpecTimeout(60*time.Second))

	It("maps IPv6 UDP-CONNECT members, bracketed, and ovn-northd creates udp Service_Monitor rows", func(ctx SpecContext) {
		f := newFixture("fd01::", "udp", 2)
		f.ListenerPort, f.MemberPort = 53, 5353
		f.create(ctx)
		s := createHM(ctx, f, octavia.HealthMonitorUDPConnect)
		Expect(s.String()).To(Equal(createdStatus(f)))
		expectCreated(ctx, f, sb.ServiceMonitorProtocolUDP)
	}, SpecTimeout(60*time.Second))

	It("creates the LBHC without vip when no listener uses the pool, and a later listener sets it", func(ctx SpecContext) {
		f := newFixture("fd02::", "tcp", 1)
		f.WithListener = false
		f.create(ctx)
		createHM(ctx, f, octavia.HealthMonitorTCP)
		lb := lbRow(ctx, f.LBID)
		hcs := healthChecks(ctx, lb)
		Expect(hcs).To(HaveLen(1))
		Expect(hcs[0].Vip).To(Equal(""))

		Expect(env.store.Run(ctx, func(t *nbtxnTxn) error {
			row := t.LBsByName(f.LBID)[0]
			Expect(setPort(t, row, f.PoolID, "8443")).To(Equal(1))
			return nil
		})).To(Succeed())
		hcs = healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(hcs[0].Vip).To(Equal("[" + f.VIP + "]:8443"))
		uuid := hcs[0].UUID

		// A second listener port rewrites at the last ':' (IPv6 safe).
		Expect(env.store.Run(ctx, func(t *nbtxnTxn) error {
			setPort(t, t.LBsByName(f.LBID)[0], f.PoolID, strconv.Itoa(9000))
			return nil
		})).To(Succeed())
		hcs = healthChecks(ctx, lbRow(ctx, f.LBID))
		Expect(hcs[0].UUID).To(Equal(uuid))
		Expect(hcs[0].Vip).To(Equal("[" + f.VIP + "]:9000"))
	}, SpecTimeout(60*time.Second))
})
