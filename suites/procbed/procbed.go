// Package procbed is the shared part of the suites that run the ovn-octavia
// binary as a process (suites/apply, suites/serve): building the binary once
// per suite, one spec's world (a real NB ovsdb-server, the fake Neutron on
// 127.0.0.1 and the in-process driver agent) and the worked example of
// nb-data-contract §18 seeded into it. It fails the running Ginkgo node on
// error, so it is for suites only.
package procbed

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
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

// The ids of nb-data-contract §18 (the worked example).
const (
	LBID       = "94e7c431-912b-496c-a247-d52875d44ac7"
	NetID      = "ee97665d-69d0-4995-a275-27855359956a"
	RouterID   = "3d2a873b-b5b4-4d14-ac24-47a835fd47b2"
	VIPPortID  = "c98e52d0-5965-4b22-8a17-a374f4399193"
	ListenerID = "21e77cde-854f-4c3e-bd8c-9536ae0443bc"
	PoolID     = "898be8a2-5185-4f3b-8658-a56457f595a9"
	MemberID   = "adf55e70-3d50-4e62-99fd-dd77eababb1c"
	MemberSub  = "3eed0c05-6527-400e-bb80-df6e59d248f1"
	VIPSubnet  = "5a1f3c1e-8c43-4d55-9d0a-6d2f6a0b6e11"
	RIFPortID  = "77b1c0de-0000-4000-8000-000000000001" // the router interface port on the VIP subnet
	VIPAddress = "172.24.4.9"
	ProjectID  = "0a1b2c3d4e5f40718293a4b5c6d7e8f9"
)

// binaryPackage is what Build builds.
const binaryPackage = "github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia"

// Build builds the ovn-octavia binary into a new temporary directory named
// after dirPrefix and returns its path (remove its directory when done).
// It then stats the binary's sources and the extra files (StatSources).
func Build(ctx context.Context, dirPrefix string, extra ...string) string {
	ginkgo.GinkgoHelper()
	dir, err := os.MkdirTemp("", dirPrefix)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	bin := filepath.Join(dir, "ovn-octavia")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, binaryPackage).CombinedOutput()
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "go build: %s", out)
	gomega.Expect(StatSources(ctx, extra...)).To(gomega.Succeed())
	return bin
}

// StatSources stats every Go source file the binary is built from, and the
// extra files. The test binary does not import package main, so without
// this `go test` would serve a cached result after the binary's sources
// changed: the test cache only re-runs a test when a file it opened or
// stat'ed changed.
func StatSources(ctx context.Context, extra ...string) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-deps",
		"-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}`,
		binaryPackage).Output()
	if err != nil {
		return err
	}
	for _, f := range append(strings.Fields(string(out)), extra...) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	return nil
}

// World is one spec's world: a fresh NB, fake Neutron and driver agent in
// their own directory, all stopped by DeferCleanup.
type World struct {
	Dir      string
	NBRemote string // the NB remote the binary is given
	NB       client.Client
	Neutron  *fakeneutron.Server
	Agent    *driveragent.Server
	Log      *logrus.Entry
}

// StartNB starts a standalone NB ovsdb-server on a unix socket in dir,
// registers its stop with DeferCleanup and returns its remote: NewWorld's
// startNB when a suite has no other needs.
func StartNB(dir string) string {
	ginkgo.GinkgoHelper()
	nbs, err := testbed.StartNB(dir)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(nbs.Stop)
	return nbs.Remote()
}

// NewWorld starts a World in a new temporary directory named after
// dirPrefix (short: unix socket paths have a length limit). startNB starts
// the NB server(s) in that directory, registers their stop with
// DeferCleanup and returns the remote; the fake Neutron accepts token.
func NewWorld(ctx context.Context, dirPrefix, token string, startNB func(dir string) string) *World {
	ginkgo.GinkgoHelper()
	w := &World{}
	var err error
	w.Dir, err = os.MkdirTemp("", dirPrefix)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(os.RemoveAll, w.Dir)
	logger := logrus.New()
	logger.SetOutput(ginkgo.GinkgoWriter)
	w.Log = logrus.NewEntry(logger)

	w.NBRemote = startNB(w.Dir)
	w.NB, err = testbed.ConnectNB(ctx, w.NBRemote)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(w.NB.Close)

	w.Neutron = fakeneutron.New(token)
	_, err = w.Neutron.Start()
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(w.Neutron.Close)

	w.Agent, err = driveragent.Start(w.Dir, w.Log)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(w.Agent.Close)
	return w
}

// SeedWorkedExample creates the world of nb-data-contract §18: network
// ee97 with the VIP subnet (on router 3d2a) and the member subnet 3eed,
// the VIP port, their NB switch and router, and Octavia's view of the LB
// on the get socket (for the status roll-ups).
func SeedWorkedExample(ctx context.Context, nbc client.Client, neutron *fakeneutron.Server, agent *driveragent.Server) {
	ginkgo.GinkgoHelper()
	_, err := neutron.AddNetwork(fakeneutron.Network{ID: NetID, Name: "public", ProjectID: ProjectID})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	_, err = neutron.AddSubnet(fakeneutron.Subnet{ID: VIPSubnet, NetworkID: NetID, ProjectID: ProjectID,
		CIDR: "172.24.4.0/24", GatewayIP: "172.24.4.1"})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	_, err = neutron.AddSubnet(fakeneutron.Subnet{ID: MemberSub, NetworkID: NetID, ProjectID: ProjectID,
		CIDR: "10.10.10.0/24", GatewayIP: "10.10.10.1"})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	_, err = neutron.AddPort(fakeneutron.Port{ID: VIPPortID, Name: "ovn-lb-vip-" + LBID, NetworkID: NetID,
		ProjectID: ProjectID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: VIPSubnet, IPAddress: VIPAddress}},
		AdminStateUp: true, DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + LBID})
	gomega.Expect(err).NotTo(gomega.HaveOccurred())

	lrp := &nb.LogicalRouterPort{UUID: "lrp", Name: "lrp-" + RIFPortID, MAC: "fa:16:3e:00:00:01",
		Networks: []string{"172.24.4.1/24"}, ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + NetID}}
	lr := &nb.LogicalRouter{UUID: "lr", Name: "neutron-" + RouterID, Ports: []string{"lrp"}}
	lsp := &nb.LogicalSwitchPort{UUID: "lsp", Name: RIFPortID, Type: "router",
		Options: map[string]string{"router-port": "lrp-" + RIFPortID},
		ExternalIDs: map[string]string{
			"neutron:device_owner": "network:router_interface",
			"neutron:cidrs":        "172.24.4.1/24",
		}}
	ls := &nb.LogicalSwitch{UUID: "ls", Name: "neutron-" + NetID, Ports: []string{"lsp"}}
	var ops []ovsdb.Operation
	for _, m := range []model.Model{lrp, lr, lsp, ls} {
		op, err := nbc.Create(m)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		ops = append(ops, op...)
	}
	_, err = testbed.Transact(ctx, nbc, ops...)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())

	up := octavia.Some(true)
	gomega.Expect(agent.SetLoadBalancer(octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(LBID), AdminStateUp: up, ProjectID: octavia.Some(ProjectID),
		VIPAddress: octavia.Some(VIPAddress), VIPNetworkID: octavia.Some(NetID), VIPSubnetID: octavia.Some(VIPSubnet),
		VIPPortID: octavia.Some(VIPPortID),
		Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(ListenerID), AdminStateUp: up}}),
		Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(PoolID), AdminStateUp: up}}),
	})).To(gomega.Succeed())
	gomega.Expect(agent.SetListener(octavia.Listener{ListenerID: octavia.Some(ListenerID), LoadBalancerID: octavia.Some(LBID),
		AdminStateUp: up, Protocol: octavia.Some("TCP"), ProtocolPort: octavia.Some(64015)})).To(gomega.Succeed())
	gomega.Expect(agent.SetPool(octavia.Pool{PoolID: octavia.Some(PoolID), LoadBalancerID: octavia.Some(LBID),
		ListenerID: octavia.Some(ListenerID), AdminStateUp: up, Protocol: octavia.Some("TCP"),
		LBAlgorithm: octavia.Some("SOURCE_IP_PORT")})).To(gomega.Succeed())
}

// Active is a status entry with provisioning status ACTIVE.
func Active(id, oper string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: octavia.ProvisioningActive, OperatingStatus: oper}
}

// WorkedExampleStatuses returns the status messages of the worked example's
// four calls (LB, listener, pool, member create), in call order
// (operations.md §4 step 6, §8.1 step 4, §9.1 step 3, §10.1; the roll-up of
// events-and-status §7).
func WorkedExampleStatuses() []octavia.Status {
	return []octavia.Status{
		{LoadBalancers: []octavia.StatusEntry{Active(LBID, octavia.OperatingOnline)}},
		{
			Listeners:     []octavia.StatusEntry{Active(ListenerID, octavia.OperatingOnline)},
			LoadBalancers: []octavia.StatusEntry{Active(LBID, "")},
		},
		{
			Pools:         []octavia.StatusEntry{Active(PoolID, octavia.OperatingOnline)},
			LoadBalancers: []octavia.StatusEntry{Active(LBID, "")},
			Listeners:     []octavia.StatusEntry{Active(ListenerID, "")},
		},
		{
			LoadBalancers: []octavia.StatusEntry{Active(LBID, octavia.OperatingOnline)},
			Listeners:     []octavia.StatusEntry{Active(ListenerID, octavia.OperatingOnline)},
			Pools:         []octavia.StatusEntry{Active(PoolID, octavia.OperatingOnline)},
			Members:       []octavia.StatusEntry{Active(MemberID, octavia.OperatingNoMonitor)},
		},
	}
}

// LBRows returns the NB Load_Balancer rows from the client's cache.
func LBRows(ctx context.Context, nbc client.Client) []nb.LoadBalancer {
	ginkgo.GinkgoHelper()
	var rows []nb.LoadBalancer
	gomega.Expect(nbc.List(ctx, &rows)).To(gomega.Succeed())
	return rows
}

// NBSnapshot returns every NB table this project touches, for "nothing
// changed" assertions.
func NBSnapshot(ctx context.Context, nbc client.Client) map[string]any {
	ginkgo.GinkgoHelper()
	var (
		lbs  []nb.LoadBalancer
		hcs  []nb.LoadBalancerHealthCheck
		lss  []nb.LogicalSwitch
		lrs  []nb.LogicalRouter
		lsps []nb.LogicalSwitchPort
	)
	for _, l := range []any{&lbs, &hcs, &lss, &lrs, &lsps} {
		gomega.Expect(nbc.List(ctx, l)).To(gomega.Succeed())
	}
	return map[string]any{"lb": lbs, "hc": hcs, "ls": lss, "lr": lrs, "lsp": lsps}
}
