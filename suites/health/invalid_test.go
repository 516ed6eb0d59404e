package health_test

import (
	"errors"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

var _ = Describe("invalid health monitors", func() {
	var (
		f      *fixture
		dump   string
		nreq   int
		before int64
	)
	BeforeEach(func(ctx SpecContext) {
		f = newFixture("10.8.0", "tcp", 1)
		f.create(ctx)
		dump = nbDump()
		nreq = len(env.neutron.Requests())
		before = env.store.Stats().Transactions
		env.agent.Reset()
	}, NodeTimeout(30*time.Second))

	// unchanged asserts that nothing was written anywhere.
	unchanged := func() {
		GinkgoHelper()
		Expect(nbDump()).To(Equal(dump))
		Expect(env.store.Stats().Transactions).To(Equal(before))
		Expect(env.neutron.Requests()).To(HaveLen(nreq))
	}

	DescribeTable("are rejected with the exact text and change nothing",
		func(ctx SpecContext, mutate func(*octavia.HealthMonitor), want string) {
			hm := f.hm(octavia.HealthMonitorTCP)
			mutate(hm)
			err := env.monitors.Create(ctx, hm)
			Expect(err).To(HaveOccurred())
			var pe *octavia.ProviderError
			Expect(errors.As(err, &pe)).To(BeTrue())
			Expect(pe.UserFault).To(Equal(want))
			Expect(pe.OperatorFault).To(Equal(want))
			Expect(env.agent.Messages()).To(BeEmpty())
			unchanged()
		},
		Entry("SCTP", func(hm *octavia.HealthMonitor) { hm.Type = octavia.Some(octavia.HealthMonitorSCTP) },
			"OVN provider does not support SCTP health monitor type. Supported types: UDP-CONNECT, TCP"),
		Entry("HTTP", func(hm *octavia.HealthMonitor) { hm.Type = octavia.Some(octavia.HealthMonitorHTTP) },
			"OVN provider does not support HTTP health monitor type. Supported types: UDP-CONNECT, TCP"),
		Entry("PING", func(hm *octavia.HealthMonitor) { hm.Type = octavia.Some(octavia.HealthMonitorPing) },
			"OVN provider does not support PING health monitor type. Supported types: UDP-CONNECT, TCP"),
		Entry("type not specified", func(hm *octavia.HealthMonitor) { hm.Type = octavia.Opt[string]{} },
			"OVN provider health monitor type not specified."),
		Entry("zero delay", func(hm *octavia.HealthMonitor) { hm.Delay = octavia.Some(0) },
			"invalid health monitor: delay must be a positive integer, got 0"),
		Entry("negative timeout", func(hm *octavia.HealthMonitor) { hm.Timeout = octavia.Some(-5) },
			"invalid health monitor: timeout must be a positive integer, got -5"),
		Entry("missing delay", func(hm *octavia.HealthMonitor) { hm.Delay = octavia.Opt[int]{} },
			"invalid health monitor: delay is required"),
		Entry("null timeout", func(hm *octavia.HealthMonitor) { hm.Timeout = octavia.Null[int]() },
			"invalid health monitor: timeout is required"),
		Entry("zero max_retries_down", func(hm *octavia.HealthMonitor) { hm.MaxRetriesDown = octavia.Some(0) },
			"invalid health monitor: max_retries_down must be a positive integer, got 0"),
	)

	It("rejects a non-positive delay on update", func(ctx SpecContext) {
		err := env.monitors.Update(ctx, f.hm(octavia.HealthMonitorTCP), &octavia.HealthMonitor{Delay: octavia.Some(-1)})
		Expect(err).To(MatchError("DriverError: invalid health monitor: delay must be a positive integer, got -1"))
		Expect(env.agent.Messages()).To(BeEmpty())
		unchanged()
	})

	DescribeTable("with a delay or timeout of the wrong JSON type fail to decode with a clear error",
		func(body, want string) {
			var hm octavia.HealthMonitor
			err := octavia.Unmarshal([]byte(body), &hm)
			Expect(err).To(MatchError(want))
			var fe *octavia.FieldError
			Expect(errors.As(err, &fe)).To(BeTrue())
			unchanged()
		},
		Entry("string delay", `{"type": "TCP", "delay": "10", "timeout": 5}`, "delay: expected integer, got string"),
		Entry("float timeout", `{"type": "TCP", "delay": 10, "timeout": 1.5}`, "timeout: expected integer, got number 1.5"),
		Entry("object delay", `{"type": "TCP", "delay": {}, "timeout": 5}`, "delay: expected integer, got object"),
	)

	It("reports an HM on a pool no row holds as NO_MONITOR/ERROR and writes nothing", func(ctx SpecContext) {
		hm := f.hm(octavia.HealthMonitorTCP)
		hm.PoolID = octavia.Some(newID())
		Expect(env.monitors.Create(ctx, hm)).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(`{"healthmonitors": [` + entry(f.HMID, "ERROR", "NO_MONITOR") + `]}`))
		unchanged()
	})

	It("fails the HM when the HM port cannot be created, leaving no mapping", func(ctx SpecContext) {
		env.neutron.FailNext(http.MethodPost, "/v2.0/ports", http.StatusInternalServerError, 1)
		Expect(env.monitors.Create(ctx, f.hm(octavia.HealthMonitorTCP))).To(Succeed())
		Expect(env.agent.Messages()).To(HaveLen(1))
		Expect(env.agent.Messages()[0].String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "ONLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ONLINE") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "ERROR", "ERROR") + `]}`))
		lb := lbRow(ctx, f.LBID)
		Expect(lb.IPPortMappings).To(BeEmpty())
		Expect(f.hmPorts()).To(BeEmpty())
	})
})

var _ = Describe("members without a port", func() {
	It("are reported ERROR and degrade their pool", func(ctx SpecContext) {
		f := newFixture("10.9.0", "tcp", 2)
		f.NoLSP = map[int]bool{1: true}
		f.create(ctx)
		s := createHM(ctx, f, octavia.HealthMonitorTCP)
		Expect(s.String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "DEGRADED") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "DEGRADED") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "DEGRADED") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ONLINE") + `, ` + entry(f.Members[1].ID, "ACTIVE", "ERROR") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "ACTIVE", "ONLINE") + `]}`))
		lb := lbRow(ctx, f.LBID)
		Expect(lb.IPPortMappings).To(HaveLen(1))
		Expect(lb.IPPortMappings).To(HaveKey(f.Members[0].IP))
	}, SpecTimeout(60*time.Second))
})
