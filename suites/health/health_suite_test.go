package health_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestHealth(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "health suite")
}

// env is the shared test bed (testbed.Env): real NB and SB
// ovsdb-servers with a real ovn-northd between them, the fake Neutron over
// HTTP and the in-process driver agent on unix sockets, and the Monitors
// under test.
var env struct {
	tb       *testbed.Env
	dir      string
	nbs, sbs *testbed.Server
	northd   *testbed.Northd
	nb, sb   client.Client
	store    *nbtxn.Store
	neutron  *fakeneutron.Server
	agent    *driveragent.Server
	monitors *health.Monitors
	status   *octavia.StatusClient
	log      *logrus.Entry
}

const token = "health-suite-token"

var _ = BeforeSuite(func(ctx SpecContext) {
	tb, err := testbed.NewEnv(ctx, testbed.EnvConfig{
		SB: true, LogOutput: GinkgoWriter, LogLevel: logrus.DebugLevel, Token: token, DirPrefix: "hs",
	})
	Expect(err).NotTo(HaveOccurred())
	env.tb, env.dir, env.log = tb, tb.Dir, tb.Log
	env.nbs, env.sbs, env.northd, env.nb, env.sb = tb.NBServer, tb.SBServer, tb.Northd, tb.NB, tb.SB
	env.store, env.neutron, env.agent, env.status = tb.Store, tb.FakeNeutron, tb.Agent, tb.Status
	env.monitors = tb.Monitors
}, NodeTimeout(60*time.Second))

var _ = AfterSuite(func() {
	if env.tb != nil {
		Expect(env.tb.Close()).To(Succeed())
	}
})

func newID() string { return uuid.NewString() }

// transact runs setup operations directly on NB or SB (tests only).
func transact(ctx context.Context, c client.Client, ops ...ovsdb.Operation) []ovsdb.OperationResult {
	GinkgoHelper()
	res, err := testbed.Transact(ctx, c, ops...)
	Expect(err).NotTo(HaveOccurred())
	return res
}

// nbDump returns the NB database as ovsdb-client prints it, without the
// NB_Global table (ovn-northd owns it). Equal dumps mean no row or column
// changed, UUIDs included.
func nbDump() string {
	GinkgoHelper()
	// Let ovn-northd finish what it writes back to NB (e.g. LSP up) first.
	out, err := exec.Command("ovn-nbctl", "--db="+env.nbs.Remote(), "--timeout=10", "--wait=sb", "sync").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	out, err = exec.Command("ovsdb-client", "dump", env.nbs.Remote(), "OVN_Northbound").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	var keep []string
	skip := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasSuffix(line, " table") {
			skip = line == "NB_Global table"
		}
		if !skip {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// lbRow reads the LB row with this name from the NB cache.
func lbRow(ctx context.Context, name string) *nb.LoadBalancer {
	GinkgoHelper()
	var rows []nb.LoadBalancer
	Expect(env.nb.WhereCache(func(lb *nb.LoadBalancer) bool { return lb.Name == name }).List(ctx, &rows)).To(Succeed())
	Expect(rows).To(HaveLen(1))
	return &rows[0]
}

// healthChecks returns the LBHC rows of an LB row.
func healthChecks(ctx context.Context, lb *nb.LoadBalancer) []nb.LoadBalancerHealthCheck {
	GinkgoHelper()
	var out []nb.LoadBalancerHealthCheck
	for _, u := range lb.HealthCheck {
		hc := &nb.LoadBalancerHealthCheck{UUID: u}
		Expect(env.nb.Get(ctx, hc)).To(Succeed())
		out = append(out, *hc)
	}
	return out
}

// serviceMonitors returns the SB Service_Monitor rows of one logical port.
func serviceMonitors(ctx context.Context, lsp string) []sb.ServiceMonitor {
	var rows []sb.ServiceMonitor
	_ = env.sb.WhereCache(func(sm *sb.ServiceMonitor) bool { return sm.LogicalPort == lsp }).List(ctx, &rows)
	return rows
}

type nbtxnTxn = nbtxn.Txn

var setPort = health.SetHealthCheckPort

var (
	addFIP    = health.AddFIPHealthChecks
	removeFIP = health.RemoveFIPHealthChecks
)
