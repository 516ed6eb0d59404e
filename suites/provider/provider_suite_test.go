// Package provider_test drives provider.Driver against a real NB
// ovsdb-server, the fake Neutron over HTTP on 127.0.0.1 and the in-process
// driver agent's status and get sockets, asserting exact NB rows and exact
// status messages.
package provider_test

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/calls"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/provider"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestProvider(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "provider suite")
}

const token = "provider-suite-token"

// env is the shared test bed (testbed.Env) and the Driver under test.
// Every spec uses fresh ids, so specs do not see each other's rows.
var env struct {
	tb      *testbed.Env
	dir     string
	nbs     *testbed.Server
	nb      client.Client
	store   *nbtxn.Store
	neutron *fakeneutron.Server
	agent   *driveragent.Server
	driver  *provider.Driver
	log     *logrus.Entry
}

var _ = BeforeSuite(func(ctx SpecContext) { startEnv(ctx, GinkgoWriter) }, NodeTimeout(60*time.Second))

var _ = AfterSuite(stopEnv)

// startEnv starts the test bed into env; logs go to w.
func startEnv(ctx context.Context, w io.Writer) {
	tb, err := testbed.NewEnv(ctx, testbed.EnvConfig{LogOutput: w, LogLevel: logrus.InfoLevel, Token: token, DirPrefix: "ps"})
	Expect(err).NotTo(HaveOccurred())
	env.tb, env.dir, env.nbs, env.nb, env.store = tb, tb.Dir, tb.NBServer, tb.NB, tb.Store
	env.neutron, env.agent, env.log = tb.FakeNeutron, tb.Agent, tb.Log
	env.driver = tb.Driver()
}

// stopEnv stops everything startEnv started.
func stopEnv() {
	if env.tb != nil {
		Expect(env.tb.Close()).To(Succeed())
		env.tb = nil
	}
}

func newID() string { return uuid.NewString() }

// transact runs setup operations directly on NB (tests only).
func transact(ctx context.Context, ops ...ovsdb.Operation) {
	GinkgoHelper()
	_, err := testbed.Transact(ctx, env.nb, ops...)
	Expect(err).NotTo(HaveOccurred())
}

// nbDump returns the whole NB database as ovsdb-client prints it.
func nbDump() string {
	GinkgoHelper()
	out, err := exec.Command("ovsdb-client", "dump", env.nbs.Remote(), "OVN_Northbound").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return string(out)
}

// rows returns the LB rows named name from the NB cache, sorted by protocol.
func rows(ctx context.Context, name string) []nb.LoadBalancer {
	GinkgoHelper()
	var out []nb.LoadBalancer
	Expect(env.nb.WhereCache(func(lb *nb.LoadBalancer) bool { return lb.Name == name }).List(ctx, &out)).To(Succeed())
	return out
}

// row returns the single LB row named name.
func row(ctx context.Context, name string) nb.LoadBalancer {
	GinkgoHelper()
	r := rows(ctx, name)
	Expect(r).To(HaveLen(1))
	return r[0]
}

// rowByProto returns the LB row of a protocol.
func rowByProto(ctx context.Context, name, proto string) nb.LoadBalancer {
	GinkgoHelper()
	for _, r := range rows(ctx, name) {
		if r.Protocol != nil && *r.Protocol == proto {
			return r
		}
	}
	Fail("no row for protocol " + proto)
	return nb.LoadBalancer{}
}

// switchLBs returns the LB row UUIDs in a switch's load_balancer column.
func switchLBs(ctx context.Context, netID string) []string {
	GinkgoHelper()
	var out []nb.LogicalSwitch
	Expect(env.nb.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+netID }).List(ctx, &out)).To(Succeed())
	Expect(out).To(HaveLen(1))
	return out[0].LoadBalancer
}

// routerLBs returns the LB row UUIDs in a router's load_balancer column.
func routerLBs(ctx context.Context, routerID string) []string {
	GinkgoHelper()
	var out []nb.LogicalRouter
	Expect(env.nb.WhereCache(func(l *nb.LogicalRouter) bool { return l.Name == "neutron-"+routerID }).List(ctx, &out)).To(Succeed())
	Expect(out).To(HaveLen(1))
	return out[0].LoadBalancer
}

// messages returns the status messages received since the last reset, as
// their exact wire bytes.
func messages() []string {
	var out []string
	for _, r := range env.agent.Received() {
		out = append(out, string(r.Raw))
	}
	return out
}

// resetAll forgets status messages and Neutron requests.
func resetAll() {
	env.agent.Reset()
	env.neutron.ResetRequests()
}

func se(id, prov, oper string) string {
	s := `{"id": "` + id + `"`
	if prov != "" {
		s += `, "provisioning_status": "` + prov + `"`
	}
	if oper != "" {
		s += `, "operating_status": "` + oper + `"`
	}
	return s + "}"
}

// status renders an expected status message; lists in wire order.
func status(parts ...string) string { return "{" + strings.Join(parts, ", ") + "}" }

func list(kind string, entries ...string) string {
	return `"` + kind + `": [` + strings.Join(entries, ", ") + "]"
}

var macCounter atomic.Uint32

func nextMAC() string {
	n := macCounter.Add(1)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", (n>>16)&0xff, (n>>8)&0xff, n&0xff)
}

// ---- topology: Neutron (fake) and the NB rows Neutron would write ----

// network creates a Neutron network and its Logical_Switch.
func network(ctx context.Context, netID string, provider bool) {
	GinkgoHelper()
	n := fakeneutron.Network{ID: netID}
	ext := map[string]string{"neutron:network_name": "net-" + netID[:8]}
	if provider {
		n.PhysicalNetwork = "physnet1"
		ext["neutron:provnet-physical-network"] = "physnet1"
	}
	_, err := env.neutron.AddNetwork(n)
	Expect(err).NotTo(HaveOccurred())
	ls := &nb.LogicalSwitch{UUID: "ls", Name: "neutron-" + netID, ExternalIDs: ext}
	ops, err := env.nb.Create(ls)
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, ops...)
}

// subnet creates a Neutron subnet (gateway .1 / ::1).
func subnet(subnetID, netID, cidr string) {
	GinkgoHelper()
	_, err := env.neutron.AddSubnet(fakeneutron.Subnet{ID: subnetID, NetworkID: netID, CIDR: cidr})
	Expect(err).NotTo(HaveOccurred())
}

// router creates a Logical_Router.
func router(ctx context.Context, routerID string) {
	GinkgoHelper()
	lr := &nb.LogicalRouter{UUID: "lr", Name: "neutron-" + routerID}
	ops, err := env.nb.Create(lr)
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, ops...)
}

// routerInterface connects router to a subnet as Neutron ML2/OVN does: an
// LRP lrp-<port> with networks [gwCIDR] on the router, and a router-type
// LSP on the switch pointing at it.
func routerInterface(ctx context.Context, routerID, netID, gwCIDR string) {
	GinkgoHelper()
	portID := newID()
	lrp := &nb.LogicalRouterPort{
		UUID: "lrp", Name: "lrp-" + portID, MAC: nextMAC(), Networks: []string{gwCIDR},
		ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID, "neutron:router_name": routerID},
	}
	lsp := &nb.LogicalSwitchPort{
		UUID: "lsp", Name: portID, Type: "router", Addresses: []string{"router"},
		Options: map[string]string{"router-port": "lrp-" + portID},
		ExternalIDs: map[string]string{
			"neutron:device_owner": "network:router_interface",
			"neutron:cidrs":        gwCIDR,
		},
	}
	var ops []ovsdb.Operation
	for _, m := range []model.Model{lrp, lsp} {
		o, err := env.nb.Create(m)
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, o...)
	}
	lr := &nb.LogicalRouter{}
	o, err := env.nb.WhereCache(func(r *nb.LogicalRouter) bool { return r.Name == "neutron-"+routerID }).Mutate(lr, model.Mutation{Field: &lr.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lrp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	ops = append(ops, o...)
	ls := &nb.LogicalSwitch{}
	o, err = env.nb.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+netID }).Mutate(ls, model.Mutation{Field: &ls.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lsp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	ops = append(ops, o...)
	transact(ctx, ops...)
}

// vmPort creates a Neutron port with ip on the subnet and its LSP on the
// network's switch (member VMs, so health checks can map them).
func vmPort(ctx context.Context, netID, subnetID, ip string) string {
	GinkgoHelper()
	p, err := env.neutron.AddPort(fakeneutron.Port{
		NetworkID: netID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: subnetID, IPAddress: ip}}, AdminStateUp: true,
	})
	Expect(err).NotTo(HaveOccurred())
	lsp := &nb.LogicalSwitchPort{
		UUID: "lsp", Name: p.ID, Addresses: []string{p.MACAddress + " " + ip},
		ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID},
	}
	ops, err := env.nb.Create(lsp)
	Expect(err).NotTo(HaveOccurred())
	ls := &nb.LogicalSwitch{}
	o, err := env.nb.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+netID }).Mutate(ls, model.Mutation{Field: &ls.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lsp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, append(ops, o...)...)
	return p.ID
}

// vipPort creates the VIP port the way create_vip_port would have.
func vipPort(lbID, portID, netID, subnetID, ip string) {
	GinkgoHelper()
	_, err := env.neutron.AddPort(fakeneutron.Port{
		ID: portID, Name: "ovn-lb-vip-" + lbID, NetworkID: netID, DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + lbID,
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: subnetID, IPAddress: ip}}, AdminStateUp: true,
	})
	Expect(err).NotTo(HaveOccurred())
}

// ---- Octavia objects ----

func some[T any](v T) octavia.Opt[T] { return octavia.Some(v) }

func lbObj(id, vip, netID, subnetID string) *octavia.LoadBalancer {
	return &octavia.LoadBalancer{
		LoadBalancerID: some(id), AdminStateUp: some(true), VIPAddress: some(vip),
		VIPNetworkID: some(netID), VIPSubnetID: some(subnetID),
	}
}

func listenerObj(id, lbID, proto string, port int, pool string) *octavia.Listener {
	l := &octavia.Listener{
		ListenerID: some(id), LoadBalancerID: some(lbID), Protocol: some(proto), ProtocolPort: some(port), AdminStateUp: some(true),
	}
	if pool != "" {
		l.DefaultPoolID = some(pool)
	}
	return l
}

func poolObj(id, lbID, listenerID, proto string) *octavia.Pool {
	p := &octavia.Pool{
		PoolID: some(id), LoadBalancerID: some(lbID), Protocol: some(proto), LBAlgorithm: some("SOURCE_IP_PORT"), AdminStateUp: some(true),
	}
	if listenerID != "" {
		p.ListenerID = some(listenerID)
	}
	return p
}

func memberObj(id, poolID, ip string, port int, subnetID string) *octavia.Member {
	m := &octavia.Member{MemberID: some(id), PoolID: some(poolID), Address: some(ip), ProtocolPort: some(port), AdminStateUp: some(true)}
	if subnetID != "" {
		m.SubnetID = some(subnetID)
	}
	return m
}

// publish serves the LB tree on the get socket (roll-ups read it).
func publish(lbID string, listeners, pools []string) {
	GinkgoHelper()
	lb := octavia.LoadBalancer{LoadBalancerID: some(lbID), AdminStateUp: some(true)}
	var ls []octavia.Listener
	for _, id := range listeners {
		ls = append(ls, octavia.Listener{ListenerID: some(id), AdminStateUp: some(true)})
	}
	var ps []octavia.Pool
	for _, id := range pools {
		ps = append(ps, octavia.Pool{PoolID: some(id), AdminStateUp: some(true)})
	}
	lb.Listeners = some(ls)
	lb.Pools = some(ps)
	Expect(env.agent.SetLoadBalancer(lb)).To(Succeed())
}

// fakeneutronPort is a user-owned port (not named ovn-lb-vip-).
func fakeneutronPort(id, name, netID, subnetID, ip string) fakeneutron.Port {
	return fakeneutron.Port{
		ID: id, Name: name, NetworkID: netID, AdminStateUp: true,
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: subnetID, IPAddress: ip}},
	}
}

// The Driver serves every call the dispatcher knows.
var _ calls.Driver = (*provider.Driver)(nil)
