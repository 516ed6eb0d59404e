// Package serve_test runs `ovn-octavia serve` as a process against a real
// ovsdb-server (NB), the fake Neutron on 127.0.0.1 and the in-process driver
// agent's status and get sockets, and talks to it the way the Python shim
// does: from Go with the octavia-lib framing, and through the shim itself
// (shim/ovn_octavia_shim) under a Python with octavia-lib.
package serve_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/serve"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestServe(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "serve suite")
}

const token = "serve-suite-token"

// The ids of nb-data-contract §18 (the worked example).
const (
	lbID       = "94e7c431-912b-496c-a247-d52875d44ac7"
	lb2ID      = "5d6e1f2a-3b4c-4d5e-8f60-718293a4b5c6"
	netID      = "ee97665d-69d0-4995-a275-27855359956a"
	routerID   = "3d2a873b-b5b4-4d14-ac24-47a835fd47b2"
	vipPortID  = "c98e52d0-5965-4b22-8a17-a374f4399193"
	listenerID = "21e77cde-854f-4c3e-bd8c-9536ae0443bc"
	poolID     = "898be8a2-5185-4f3b-8658-a56457f595a9"
	memberID   = "adf55e70-3d50-4e62-99fd-dd77eababb1c"
	memberSub  = "3eed0c05-6527-400e-bb80-df6e59d248f1"
	vipSubnet  = "5a1f3c1e-8c43-4d55-9d0a-6d2f6a0b6e11"
	rifPortID  = "77b1c0de-0000-4000-8000-000000000001"
	vipAddress = "172.24.4.9"
	projectID  = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
)

// binary is the ovn-octavia executable built once for the suite.
var binary string

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	dir, err := os.MkdirTemp("", "serve-bin")
	Expect(err).NotTo(HaveOccurred())
	bin := filepath.Join(dir, "ovn-octavia")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin,
		"github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia").CombinedOutput()
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

// statSources stats every Go source file the binary is built from, and the
// shim's Python files: the test cache only re-runs a test when a file it
// opened or stat'ed changed, and the test binary does not import them.
func statSources(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-deps",
		"-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		"github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia").Output()
	if err != nil {
		return err
	}
	files := strings.Fields(string(out))
	py, err := filepath.Glob(filepath.Join(shimDir(), "*", "*.py"))
	if err != nil {
		return err
	}
	for _, f := range append(files, py...) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	return nil
}

// shimDir is the Python package's directory (the suite runs in
// suites/serve).
func shimDir() string {
	d, err := filepath.Abs(filepath.Join("..", "..", "shim"))
	Expect(err).NotTo(HaveOccurred())
	return d
}

// bed is one spec's world: a fresh NB, fake Neutron, driver agent, and a
// running `ovn-octavia serve`.
type bed struct {
	dir     string
	nb      client.Client
	neutron *fakeneutron.Server
	agent   *driveragent.Server
	socket  string
	serve   *gexec.Session
}

func newBed(ctx context.Context) *bed {
	GinkgoHelper()
	b := &bed{}
	var err error
	b.dir, err = os.MkdirTemp("", "sv")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, b.dir)
	logger := logrus.New()
	logger.SetOutput(GinkgoWriter)
	log := logrus.NewEntry(logger)

	nbs, err := testbed.StartNB(b.dir)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(nbs.Stop)
	b.nb, err = testbed.ConnectNB(ctx, nbs.Remote())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.nb.Close)

	b.neutron = fakeneutron.New(token)
	_, err = b.neutron.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.neutron.Close)

	b.agent, err = driveragent.Start(b.dir, log)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(b.agent.Close)

	b.seed(ctx)
	b.startServe(nbs.Remote())
	return b
}

// seed creates the world of nb-data-contract §18: network ee97 with the VIP
// subnet (on router 3d2a) and the member subnet, the VIP port, their NB
// switch and router.
func (b *bed) seed(ctx context.Context) {
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

	// Octavia's view of the objects, for the status roll-ups.
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

// startServe runs `ovn-octavia serve` and waits until it accepts
// connections. The cleanup stops it with SIGTERM if a spec did not.
func (b *bed) startServe(nbRemote string) {
	GinkgoHelper()
	b.socket = filepath.Join(b.dir, "provider.sock")
	cmd := exec.Command(binary, "serve", "--listen", b.socket,
		"--nb", nbRemote, "--sb", "tcp:127.0.0.1:6642",
		"--neutron-url", b.neutron.URL(), "--os-token", token,
		"--status-socket", b.agent.StatusPath(), "--get-socket", b.agent.GetPath(),
		"--drain-timeout", "60s", "--log-level", "debug")
	var err error
	b.serve, err = gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		if b.serve.ExitCode() == -1 {
			b.serve.Signal(syscall.SIGTERM)
			if !waitExit(b.serve, 70*time.Second) {
				b.serve.Kill()
			}
		}
	})
	Eventually(func() error {
		c, err := net.Dial("unix", b.socket)
		if err == nil {
			c.Close()
		}
		return err
	}).WithTimeout(30 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
}

func waitExit(s *gexec.Session, d time.Duration) bool {
	select {
	case <-s.Exited:
		return true
	case <-time.After(d):
		return false
	}
}

// request sends one raw request payload and returns the raw reply.
func (b *bed) request(ctx context.Context, payload string) string {
	GinkgoHelper()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reply, err := serve.Request(rctx, b.socket, []byte(payload))
	Expect(err).NotTo(HaveOccurred())
	return string(reply)
}

// lbRows returns the NB Load_Balancer rows.
func (b *bed) lbRows(ctx context.Context) []nb.LoadBalancer {
	GinkgoHelper()
	var rows []nb.LoadBalancer
	Expect(b.nb.List(ctx, &rows)).To(Succeed())
	return rows
}

// nbSnapshot returns every NB table this project touches.
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

func active(id, oper string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: octavia.ProvisioningActive, OperatingStatus: oper}
}

// lbOnlyExternalIDs is the external_ids of an LB row without listeners
// or pools, on the worked example's VIP (nb-data-contract §4, §13).
func lbOnlyExternalIDs(vip, portID string) map[string]string {
	return map[string]string{
		"enabled":             "True",
		"lr_ref":              "neutron-" + routerID,
		"ls_refs":             `{"neutron-` + netID + `": 1}`,
		"neutron:vip":         vip,
		"neutron:vip_port_id": portID,
	}
}
