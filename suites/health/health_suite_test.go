package health_test

import (
	"context"
	"os"
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
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestHealth(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "health suite")
}

// env is the shared test bed: real NB and SB ovsdb-servers with a real
// ovn-northd between them, the fake Neutron over HTTP and the in-process
// driver agent on unix sockets.
var env struct {
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
	var err error
	env.dir, err = os.MkdirTemp("", "hs")
	Expect(err).NotTo(HaveOccurred())
	logger := logrus.New()
	logger.SetOutput(GinkgoWriter)
	logger.SetLevel(logrus.DebugLevel)
	env.log = logrus.NewEntry(logger)

	env.nbs, err = testbed.StartNB(env.dir)
	Expect(err).NotTo(HaveOccurred())
	env.sbs, err = testbed.StartSB(env.dir)
	Expect(err).NotTo(HaveOccurred())
	env.northd, err = testbed.StartNorthd(env.dir, env.nbs, env.sbs)
	Expect(err).NotTo(HaveOccurred())

	env.nb, err = testbed.ConnectNB(ctx, env.nbs.Remote())
	Expect(err).NotTo(HaveOccurred())
	env.sb, err = testbed.ConnectSB(ctx, env.sbs.Remote())
	Expect(err).NotTo(HaveOccurred())
	env.store = nbtxn.New(env.nb, env.log)

	env.neutron = fakeneutron.New(token)
	url, err := env.neutron.Start()
	Expect(err).NotTo(HaveOccurred())
	nc, err := neutron.NewFromToken(url, token, neutron.WithLogger(env.log))
	Expect(err).NotTo(HaveOccurred())

	env.agent, err = driveragent.Start(env.dir, env.log)
	Expect(err).NotTo(HaveOccurred())
	env.status = octavia.NewStatusClient(env.agent.StatusConfig(),
		octavia.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxAttempts: 3}, env.log)
	get := octavia.NewGetClient(env.agent.GetConfig(), env.log)

	env.monitors = health.New(health.Config{
		Store: env.store, Neutron: nc, Get: get, Status: env.status, Log: env.log,
	})
}, NodeTimeout(60*time.Second))

var _ = AfterSuite(func() {
	if env.nb != nil {
		env.nb.Close()
	}
	if env.sb != nil {
		env.sb.Close()
	}
	if env.agent != nil {
		_ = env.agent.Close()
	}
	if env.neutron != nil {
		env.neutron.Close()
	}
	if env.northd != nil {
		_ = env.northd.Stop()
	}
	if env.sbs != nil {
		_ = env.sbs.Stop()
	}
	if env.nbs != nil {
		_ = env.nbs.Stop()
	}
	if env.dir != "" {
		_ = os.RemoveAll(env.dir)
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
