package provider_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

var _ = Describe("validation", func() {
	It("refuses bad calls with the spec's error type and text, leaving NB, Neutron and the status socket untouched", func(ctx SpecContext) {
		x := newExample()
		x.setup(ctx)
		d := env.driver
		Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
		Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
		Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
		// Octavia's view for subnet inference: the VIP subnet is 172.24.4.0/24.
		olb := *lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet)
		Expect(env.agent.SetLoadBalancer(olb)).To(Succeed())
		Expect(env.agent.SetPool(octavia.Pool{PoolID: some(x.pool), LoadBalancerID: some(x.lb), AdminStateUp: some(true)})).To(Succeed())

		uo := octavia.TypeUnsupportedOption
		de := octavia.TypeDriverError
		ni := octavia.TypeNotImplemented
		m := func() *octavia.Member { return memberObj(newID(), x.pool, x.mnet+".20", 80, x.memberSubnet) }
		cases := []struct {
			name, typ, text string
			call            func(context.Context) error
		}{
			{"V1", uo, "OVN provider does not support HTTP protocol", func(c context.Context) error {
				return d.ListenerCreate(c, listenerObj(newID(), x.lb, "HTTP", 81, ""))
			}},
			{"V2", uo, "OVN provider does not support ROUND_ROBIN algorithm", func(c context.Context) error {
				p := poolObj(newID(), x.lb, "", "TCP")
				p.LBAlgorithm = some("ROUND_ROBIN")
				return d.PoolCreate(c, p)
			}},
			{"V3", uo, "OVN provider does not support HTTP_COOKIE session persistence. Only SOURCE_IP type is supported.", func(c context.Context) error {
				p := poolObj(newID(), x.lb, "", "TCP")
				p.SessionPersistence = some(octavia.SessionPersistence{Type: some("HTTP_COOKIE")})
				return d.PoolCreate(c, p)
			}},
			{"V4", uo, octavia.MsgAllowedCIDRs, func(c context.Context) error {
				l := listenerObj(newID(), x.lb, "TCP", 82, "")
				l.AllowedCIDRs = some([]string{"10.0.0.0/8"})
				return d.ListenerCreate(c, l)
			}},
			{"V5", uo, octavia.MsgMemberMonitorOptions, func(c context.Context) error {
				mm := m()
				mm.MonitorAddress = some(x.mnet + ".5")
				return d.MemberCreate(c, mm)
			}},
			{"V6", uo, octavia.MsgBatchMonitorOptions, func(c context.Context) error {
				mm := m()
				mm.MonitorPort = some(8080)
				return d.MemberBatchUpdate(c, x.pool, []*octavia.Member{m(), mm})
			}},
			{"V7", uo, octavia.MsgIPVersionsMixing, func(c context.Context) error {
				return d.MemberCreate(c, memberObj(newID(), x.pool, "fd00::5", 80, x.memberSubnet))
			}},
			{"V7 batch", uo, octavia.MsgIPVersionsMixing, func(c context.Context) error {
				return d.MemberBatchUpdate(c, x.pool, []*octavia.Member{m(), memberObj(newID(), x.pool, "fd00::5", 80, x.memberSubnet)})
			}},
			{"V7 fully populated", uo, octavia.MsgIPVersionsMixing, func(c context.Context) error {
				lb := lbObj(newID(), "172.24.4.50", x.net, x.vipSubnet)
				p := *poolObj(newID(), lb.LoadBalancerID.V, "", "TCP")
				p.Members = some([]octavia.Member{*memberObj(newID(), p.PoolID.V, "fd00::5", 80, x.memberSubnet)})
				lb.Pools = some([]octavia.Pool{p})
				return d.LoadBalancerCreate(c, lb)
			}},
			{"V8", uo, octavia.MsgSubnetRequiredCreate, func(c context.Context) error {
				return d.MemberCreate(c, memberObj(newID(), x.pool, "192.168.1.5", 80, ""))
			}},
			{"V9", uo, octavia.MsgSubnetRequiredDelete, func(c context.Context) error {
				return d.MemberDelete(c, memberObj(newID(), x.pool, "192.168.1.5", 80, ""))
			}},
			{"V10", uo, octavia.MsgSubnetRequiredBatch, func(c context.Context) error {
				return d.MemberBatchUpdate(c, x.pool, []*octavia.Member{m(), memberObj(newID(), x.pool, "192.168.1.5", 80, "")})
			}},
			{"V12", uo, octavia.MsgHMTypeNotSpecified, func(c context.Context) error {
				return d.HealthMonitorCreate(c, &octavia.HealthMonitor{HealthMonitorID: some(newID()), PoolID: some(x.pool), Delay: some(5), Timeout: some(5), MaxRetries: some(3)})
			}},
			{"V13", uo, "OVN provider does not support PING health monitor type. Supported types: UDP-CONNECT, TCP", func(c context.Context) error {
				return d.HealthMonitorCreate(c, &octavia.HealthMonitor{HealthMonitorID: some(newID()), PoolID: some(x.pool), Type: some("PING")})
			}},
			{"V14", uo, octavia.MsgFailover, func(c context.Context) error { return d.LoadBalancerFailover(c, x.lb) }},
			{"V15", de, "pool 6d3b0c9e-2f4a-4c55-8f1e-0a1b2c3d4e5f not found in any OVN load balancer", func(c context.Context) error {
				return d.MemberBatchUpdate(c, "6d3b0c9e-2f4a-4c55-8f1e-0a1b2c3d4e5f", []*octavia.Member{memberObj(newID(), "6d3b0c9e-2f4a-4c55-8f1e-0a1b2c3d4e5f", x.mnet+".20", 80, x.memberSubnet)})
			}},
			{"non-UUID id", de, `invalid listener_id "not-a-uuid": not a canonical UUID`, func(c context.Context) error {
				return d.ListenerCreate(c, listenerObj("not-a-uuid", x.lb, "TCP", 83, ""))
			}},
			{"missing id", de, "missing member_id", func(c context.Context) error {
				mm := m()
				mm.MemberID = octavia.Opt[string]{}
				return d.MemberCreate(c, mm)
			}},
			{"port 0", de, "invalid protocol_port 0: must be between 1 and 65535", func(c context.Context) error {
				return d.ListenerCreate(c, listenerObj(newID(), x.lb, "TCP", 0, ""))
			}},
			{"port 65536", de, "invalid protocol_port 65536: must be between 1 and 65535", func(c context.Context) error {
				return d.MemberCreate(c, memberObj(newID(), x.pool, x.mnet+".20", 65536, x.memberSubnet))
			}},
			{"bad IP", de, `invalid member address "10.10.10.300"`, func(c context.Context) error {
				return d.MemberCreate(c, memberObj(newID(), x.pool, "10.10.10.300", 80, x.memberSubnet))
			}},
			{"bad VIP", de, `invalid vip_address "172.24.4"`, func(c context.Context) error {
				return d.LoadBalancerCreate(c, lbObj(newID(), "172.24.4", x.net, x.vipSubnet))
			}},
			{"bad child of fully populated create", uo, "OVN provider does not support HTTP protocol", func(c context.Context) error {
				lb := lbObj(newID(), "172.24.4.51", x.net, x.vipSubnet)
				lb.Listeners = some([]octavia.Listener{*listenerObj(newID(), lb.LoadBalancerID.V, "HTTP", 80, "")})
				return d.LoadBalancerCreate(c, lb)
			}},
			{"L7", ni, "This provider does not support creating l7policies.", func(c context.Context) error { return d.L7PolicyCreate(c) }},
			{"flavor", ni, "This provider does not support validating flavors.", func(c context.Context) error { return d.ValidateFlavor(c) }},
		}
		for _, tc := range cases {
			By(tc.name)
			before := nbDump()
			stats := env.store.Stats()
			resetAll()
			err := tc.call(ctx)
			Expect(err).To(HaveOccurred(), tc.name)
			var pe *octavia.ProviderError
			Expect(err).To(BeAssignableToTypeOf(pe), tc.name)
			pe = err.(*octavia.ProviderError)
			Expect(pe.Type).To(Equal(tc.typ), tc.name)
			Expect(pe.UserFault).To(Equal(tc.text), tc.name)
			Expect(pe.OperatorFault).To(Equal(tc.text), tc.name)
			Expect(nbDump()).To(Equal(before), tc.name)
			Expect(env.store.Stats().Transactions).To(Equal(stats.Transactions), tc.name)
			Expect(messages()).To(BeEmpty(), tc.name)
			for _, r := range env.neutron.Requests() {
				Expect(r.Method).To(Equal("GET"), tc.name)
			}
		}
	}, SpecTimeout(120*time.Second))
})
