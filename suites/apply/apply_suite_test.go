// Package apply_test runs the ovn-octavia binary as a process: `apply` and
// the CRUD subcommands against a real ovsdb-server (NB), the fake Neutron on
// 127.0.0.1 and the in-process driver agent's status and get sockets.
package apply_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestApply(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "apply suite")
}

const token = "apply-suite-token"

// The ids of nb-data-contract §18 (the worked example).
const (
	lbID       = "94e7c431-912b-496c-a247-d52875d44ac7"
	netID      = "ee97665d-69d0-4995-a275-27855359956a"
	routerID   = "3d2a873b-b5b4-4d14-ac24-47a835fd47b2"
	vipPortID  = "c98e52d0-5965-4b22-8a17-a374f4399193"
	listenerID = "21e77cde-854f-4c3e-bd8c-9536ae0443bc"
	poolID     = "898be8a2-5185-4f3b-8658-a56457f595a9"
	memberID   = "adf55e70-3d50-4e62-99fd-dd77eababb1c"
	memberSub  = "3eed0c05-6527-400e-bb80-df6e59d248f1"
	vipSubnet  = "5a1f3c1e-8c43-4d55-9d0a-6d2f6a0b6e11"
	rifPortID  = "77b1c0de-0000-4000-8000-000000000001" // the router interface port on the VIP subnet
	vipAddress = "172.24.4.9"
	projectID  = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
)

// binary is the ovn-octavia executable built once for the suite.
var binary string

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	dir, err := os.MkdirTemp("", "apply-bin")
	Expect(err).NotTo(HaveOccurred())
	bin := filepath.Join(dir, "ovn-octavia")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia")
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
	Expect(statSources(ctx)).To(Succeed())
	return []byte(bin)
}, func(_ SpecContext, bin []byte) {
	binary = string(bin)
}, NodeTimeout(5*time.Minute))

var _ = SynchronizedAfterSuite(func() {}, func() {
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary))
	}
})

// statSources stats every Go source file the binary is built from. The
// test binary does not import package main, so without this `go test`
// would serve a cached result after the binary's sources changed: the
// test cache only re-runs a test when a file it opened or stat'ed changed.
func statSources(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-deps",
		"-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		"github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia").Output()
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(out)) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	return nil
}

// bed is one spec's world: a fresh NB, fake Neutron and driver agent.
type bed struct {
	dir      string
	nbRemote string // what the binary is given as --nb
	nb       client.Client
	neutron  *fakeneutron.Server
	agent    *driveragent.Server
	log      *logrus.Entry
}

// NB flavours a bed can run.
const (
	nbUnix    = "unix"    // standalone ovsdb-server on a unix socket
	nbTCP     = "tcp"     // standalone, given to the binary as tcp:127.0.0.1:PORT
	nbCluster = "cluster" // 3-member RAFT cluster, given as a comma-separated tcp list
)

func newBed(ctx context.Context) *bed { return newBedWith(ctx, nbUnix) }

func newBedWith(ctx context.Context, flavour string) *bed {
	GinkgoHelper()
	b := &bed{}
	var err error
	b.dir, err = os.MkdirTemp("", "ap")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, b.dir)
	logger := logrus.New()
	logger.SetOutput(GinkgoWriter)
	b.log = logrus.NewEntry(logger)

	switch flavour {
	case nbCluster:
		cl, err := testbed.StartCluster(b.dir, testbed.NBSchema, testbed.NBDatabase, 3)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cl.Stop)
		b.nbRemote = cl.Remote()
	case nbTCP:
		nbs, err := testbed.StartNB(b.dir, testbed.WithTCP())
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(nbs.Stop)
		b.nbRemote = nbs.TCPRemote()
	default:
		nbs, err := testbed.StartNB(b.dir)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(nbs.Stop)
		b.nbRemote = nbs.Remote()
	}
	b.nb, err = testbed.ConnectNB(ctx, b.nbRemote)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.nb.Close)

	b.neutron = fakeneutron.New(token)
	_, err = b.neutron.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.neutron.Close)

	b.agent, err = driveragent.Start(b.dir, b.log)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.agent.Close)
	return b
}

// seedWorkedExample creates the world of nb-data-contract §18: network
// ee97 with the VIP subnet (on router 3d2a) and the member subnet 3eed,
// the VIP port, their NB switch and router, and Octavia's view of the LB
// on the get socket.
func (b *bed) seedWorkedExample(ctx context.Context) {
	GinkgoHelper()
	_, err := b.neutron.AddNetwork(fakeneutron.Network{ID: netID, Name: "public", ProjectID: projectID})
	Expect(err).NotTo(HaveOccurred())
	_, err = b.neutron.AddSubnet(fakeneutron.Subnet{ID: vipSubnet, NetworkID: netID, ProjectID: projectID,
		CIDR: "172.24.4.0/24", GatewayIP: "172.24.4.1"})
	Expect(err).NotTo(HaveOccurred())
	_, err = b.neutron.AddSubnet(fakeneutron.Subnet{ID: memberSub, NetworkID: netID, ProjectID: projectID,
		CIDR: "10.10.10.0/24", GatewayIP: "10.10.10.1"})
	Expect(err).NotTo(HaveOccurred())
	_, err = b.neutron.AddPort(fakeneutron.Port{ID: vipPortID, Name: "ovn-lb-vip-" + lbID, NetworkID: netID,
		ProjectID: projectID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: vipSubnet, IPAddress: vipAddress}},
		AdminStateUp: true, DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + lbID})
	Expect(err).NotTo(HaveOccurred())

	lrp := &nb.LogicalRouterPort{UUID: "lrp", Name: "lrp-" + rifPortID, MAC: "fa:16:3e:00:00:01",
		Networks: []string{"172.24.4.1/24"}, ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID}}
	lr := &nb.LogicalRouter{UUID: "lr", Name: "neutron-" + routerID, Ports: []string{"lrp"}}
	lsp := &nb.LogicalSwitchPort{UUID: "lsp", Name: rifPortID, Type: "router",
		Options: map[string]string{"router-port": "lrp-" + rifPortID},
		ExternalIDs: map[string]string{
			"neutron:device_owner": "network:router_interface",
			"neutron:cidrs":        "172.24.4.1/24",
		}}
	ls := &nb.LogicalSwitch{UUID: "ls", Name: "neutron-" + netID, Ports: []string{"lsp"}}
	var ops []ovsdb.Operation
	for _, m := range []model.Model{lrp, lr, lsp, ls} {
		op, err := b.nb.Create(m)
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, op...)
	}
	_, err = testbed.Transact(ctx, b.nb, ops...)
	Expect(err).NotTo(HaveOccurred())

	up := octavia.Some(true)
	Expect(b.agent.SetLoadBalancer(octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(lbID), AdminStateUp: up, ProjectID: octavia.Some(projectID),
		VIPAddress: octavia.Some(vipAddress), VIPNetworkID: octavia.Some(netID), VIPSubnetID: octavia.Some(vipSubnet),
		VIPPortID: octavia.Some(vipPortID),
		Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(listenerID), AdminStateUp: up}}),
		Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(poolID), AdminStateUp: up}}),
	})).To(Succeed())
	Expect(b.agent.SetListener(octavia.Listener{ListenerID: octavia.Some(listenerID), LoadBalancerID: octavia.Some(lbID),
		AdminStateUp: up, Protocol: octavia.Some("TCP"), ProtocolPort: octavia.Some(64015)})).To(Succeed())
	Expect(b.agent.SetPool(octavia.Pool{PoolID: octavia.Some(poolID), LoadBalancerID: octavia.Some(lbID),
		ListenerID: octavia.Some(listenerID), AdminStateUp: up, Protocol: octavia.Some("TCP"),
		LBAlgorithm: octavia.Some("SOURCE_IP_PORT")})).To(Succeed())
}

// connArgs are the connection flags of apply and the CRUD subcommands.
func (b *bed) connArgs() []string {
	return []string{
		"--nb", b.nbRemote, "--sb", "tcp:127.0.0.1:6642",
		"--neutron-url", b.neutron.URL(), "--os-token", token,
		"--status-socket", b.agent.StatusPath(), "--get-socket", b.agent.GetPath(),
		"--log-level", "debug",
	}
}

// result of one finished process.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary to completion with stdin.
func run(ctx context.Context, stdin string, args ...string) result {
	GinkgoHelper()
	return runEnv(ctx, nil, stdin, args...)
}

// runEnv is run with extra environment variables ("K=V").
func runEnv(ctx context.Context, env []string, stdin string, args ...string) result {
	GinkgoHelper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errOut, GinkgoWriter)
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		Expect(ok).To(BeTrue(), "run %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// writeSteps writes a steps file and returns its path.
func (b *bed) writeSteps(name, content string) string {
	GinkgoHelper()
	p := filepath.Join(b.dir, name)
	Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
	return p
}

// lbRows returns the NB Load_Balancer rows (from the test client's cache,
// after it caught up with the server).
func (b *bed) lbRows(ctx context.Context) []nb.LoadBalancer {
	GinkgoHelper()
	var rows []nb.LoadBalancer
	Expect(b.nb.List(ctx, &rows)).To(Succeed())
	return rows
}

// nbSnapshot returns every NB table this project touches, for "nothing
// changed" assertions.
func (b *bed) nbSnapshot(ctx context.Context) map[string]any {
	GinkgoHelper()
	var (
		lbs  []nb.LoadBalancer
		hcs  []nb.LoadBalancerHealthCheck
		lss  []nb.LogicalSwitch
		lrs  []nb.LogicalRouter
		lsps []nb.LogicalSwitchPort
	)
	for _, l := range []any{&lbs, &hcs, &lss, &lrs, &lsps} {
		Expect(b.nb.List(ctx, l)).To(Succeed())
	}
	return map[string]any{"lb": lbs, "hc": hcs, "ls": lss, "lr": lrs, "lsp": lsps}
}

// lineReader reads a process's stdout line by line as it is written.
type lineReader struct {
	lines chan string
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 64)}
	go func() {
		defer GinkgoRecover()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
		close(lr.lines)
	}()
	return lr
}
