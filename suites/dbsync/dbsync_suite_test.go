// Package dbsync_test drives dbsync.Sync against a real NB ovsdb-server,
// the fake Neutron, the fake Octavia API and the in-process driver agent's
// get and status sockets. Load balancers are first built with the real
// provider calls; the suite then wipes or corrupts their NB rows and checks
// that db-sync restores exactly what the provider wrote.
package dbsync_test

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/dbsync"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi/fakeoctavia"
	"github.com/ovn-octavia/ovn-octavia/provider"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestDBSync(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "db-sync suite")
}

const token = "dbsync-suite-token"

var env struct {
	tb      *testbed.Env
	driver  *provider.Driver
	octavia *fakeoctavia.Server
	api     *octaviaapi.Client
	// octaviaURL is the fake Octavia API's root URL.
	octaviaURL string
}

var _ = BeforeSuite(func(ctx SpecContext) {
	tb, err := testbed.NewEnv(ctx, testbed.EnvConfig{LogOutput: GinkgoWriter, LogLevel: logrus.InfoLevel, Token: token, DirPrefix: "ds"})
	Expect(err).NotTo(HaveOccurred())
	env.tb = tb
	env.driver = tb.Driver()
	env.octavia = fakeoctavia.New(token)
	url, err := env.octavia.Start()
	Expect(err).NotTo(HaveOccurred())
	env.octaviaURL = url
	env.api, err = octaviaapi.NewFromToken(url, token, octaviaapi.WithLogger(tb.Log))
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(60*time.Second))

var _ = AfterSuite(func() {
	if env.octavia != nil {
		env.octavia.Close()
	}
	if env.tb != nil {
		Expect(env.tb.Close()).To(Succeed())
	}
})

func newID() string { return uuid.NewString() }

func some[T any](v T) octavia.Opt[T] { return octavia.Some(v) }

// syncConfig is the Config of a run over the test bed.
func syncConfig() dbsync.Config {
	return dbsync.Config{
		Store: env.tb.Store, Driver: env.driver, Neutron: env.tb.Neutron, Octavia: env.api,
		Get: env.tb.Get, Status: env.tb.Status, Health: env.tb.Monitors, Log: env.tb.Log,
	}
}

// runSync runs db-sync and returns its report and the nbtxn counters it
// added.
func runSync(ctx context.Context, cfg dbsync.Config) (dbsync.Report, nbtxn.Stats) {
	GinkgoHelper()
	before := env.tb.Store.Stats()
	rep, err := dbsync.Sync(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	after := env.tb.Store.Stats()
	return rep, nbtxn.Stats{
		Transactions: after.Transactions - before.Transactions,
		Operations:   after.Operations - before.Operations,
		Conflicts:    after.Conflicts - before.Conflicts,
	}
}

func lbReport(rep dbsync.Report, id string) dbsync.LBReport {
	GinkgoHelper()
	for _, l := range rep.LBs {
		if l.ID == id {
			return l
		}
	}
	Fail("no report for load balancer " + id)
	return dbsync.LBReport{}
}

// inTxn changes NB through the Store (which waits for its cache).
func inTxn(ctx context.Context, fn func(t *nbtxn.Txn)) {
	GinkgoHelper()
	Expect(env.tb.Store.Run(ctx, func(t *nbtxn.Txn) error { fn(t); return nil })).To(Succeed())
}

// wipeAllLBs deletes every Load_Balancer row (and so their health checks).
func wipeAllLBs(ctx context.Context) {
	GinkgoHelper()
	inTxn(ctx, func(t *nbtxn.Txn) {
		for _, lb := range t.AllLBs() {
			t.DeleteLB(lb)
		}
	})
}

func transact(ctx context.Context, ops ...ovsdb.Operation) {
	GinkgoHelper()
	_, err := testbed.Transact(ctx, env.tb.NB, ops...)
	Expect(err).NotTo(HaveOccurred())
}

// nbDump returns the whole NB database as ovsdb-client prints it.
func nbDump() string {
	GinkgoHelper()
	out, err := exec.Command("ovsdb-client", "dump", env.tb.NBServer.Remote(), "OVN_Northbound").CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return string(out)
}

// ---- NB state of one LB, without UUIDs ----

type rowState struct {
	Protocol        string
	ExternalIDs     map[string]string
	Vips            map[string]string
	Options         map[string]string
	SelectionFields []string
	IPPortMappings  map[string]string
	HealthChecks    []string // "vip|options|external_ids", sorted
	Switches        []string
	Routers         []string
}

func fmtMap(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// lbState returns the rows named lbID with everything db-sync manages,
// sorted by protocol.
func lbState(ctx context.Context, lbID string) []rowState {
	GinkgoHelper()
	var rows []nb.LoadBalancer
	Expect(env.tb.NB.WhereCache(func(lb *nb.LoadBalancer) bool { return lb.Name == lbID }).List(ctx, &rows)).To(Succeed())
	var switches []nb.LogicalSwitch
	Expect(env.tb.NB.List(ctx, &switches)).To(Succeed())
	var routers []nb.LogicalRouter
	Expect(env.tb.NB.List(ctx, &routers)).To(Succeed())
	var out []rowState
	for _, r := range rows {
		s := rowState{
			ExternalIDs: r.ExternalIDs, Vips: r.Vips, Options: r.Options, IPPortMappings: r.IPPortMappings,
			SelectionFields: slices.Sorted(slices.Values(r.SelectionFields)),
		}
		if r.Protocol != nil {
			s.Protocol = *r.Protocol
		}
		for _, uuid := range r.HealthCheck {
			hc := &nb.LoadBalancerHealthCheck{UUID: uuid}
			Expect(env.tb.NB.Get(ctx, hc)).To(Succeed())
			s.HealthChecks = append(s.HealthChecks, hc.Vip+"|"+fmtMap(hc.Options)+"|"+fmtMap(hc.ExternalIDs))
		}
		sort.Strings(s.HealthChecks)
		for _, ls := range switches {
			if slices.Contains(ls.LoadBalancer, r.UUID) {
				s.Switches = append(s.Switches, ls.Name)
			}
		}
		for _, lr := range routers {
			if slices.Contains(lr.LoadBalancer, r.UUID) {
				s.Routers = append(s.Routers, lr.Name)
			}
		}
		sort.Strings(s.Switches)
		sort.Strings(s.Routers)
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Protocol < out[j].Protocol })
	return out
}

// ---- topology ----

var macCounter atomic.Uint32

func nextMAC() string {
	n := macCounter.Add(1)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", (n>>16)&0xff, (n>>8)&0xff, n&0xff)
}

func network(ctx context.Context, netID string) {
	GinkgoHelper()
	_, err := env.tb.FakeNeutron.AddNetwork(fakeneutron.Network{ID: netID})
	Expect(err).NotTo(HaveOccurred())
	ops, err := env.tb.NB.Create(&nb.LogicalSwitch{UUID: "ls", Name: "neutron-" + netID,
		ExternalIDs: map[string]string{"neutron:network_name": "net-" + netID[:8]}})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, ops...)
}

func subnet(subnetID, netID, cidr string) {
	GinkgoHelper()
	_, err := env.tb.FakeNeutron.AddSubnet(fakeneutron.Subnet{ID: subnetID, NetworkID: netID, CIDR: cidr})
	Expect(err).NotTo(HaveOccurred())
}

func router(ctx context.Context, routerID string) {
	GinkgoHelper()
	ops, err := env.tb.NB.Create(&nb.LogicalRouter{UUID: "lr", Name: "neutron-" + routerID})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, ops...)
}

// addPortToSwitch inserts lsp into the switch of netID.
func addPortToSwitch(ctx context.Context, netID string, lsp *nb.LogicalSwitchPort) {
	GinkgoHelper()
	ops, err := env.tb.NB.Create(lsp)
	Expect(err).NotTo(HaveOccurred())
	ls := &nb.LogicalSwitch{}
	o, err := env.tb.NB.WhereCache(func(l *nb.LogicalSwitch) bool { return l.Name == "neutron-"+netID }).
		Mutate(ls, model.Mutation{Field: &ls.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lsp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, append(ops, o...)...)
}

func routerInterface(ctx context.Context, routerID, netID, gwCIDR string) {
	GinkgoHelper()
	portID := newID()
	lrp := &nb.LogicalRouterPort{
		UUID: "lrp", Name: "lrp-" + portID, MAC: nextMAC(), Networks: []string{gwCIDR},
		ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID, "neutron:router_name": routerID},
	}
	ops, err := env.tb.NB.Create(lrp)
	Expect(err).NotTo(HaveOccurred())
	lr := &nb.LogicalRouter{}
	o, err := env.tb.NB.WhereCache(func(r *nb.LogicalRouter) bool { return r.Name == "neutron-"+routerID }).
		Mutate(lr, model.Mutation{Field: &lr.Ports, Mutator: ovsdb.MutateOperationInsert, Value: []string{lrp.UUID}})
	Expect(err).NotTo(HaveOccurred())
	transact(ctx, append(ops, o...)...)
	addPortToSwitch(ctx, netID, &nb.LogicalSwitchPort{
		UUID: "lsp", Name: portID, Type: "router", Addresses: []string{"router"},
		Options:     map[string]string{"router-port": "lrp-" + portID},
		ExternalIDs: map[string]string{"neutron:device_owner": "network:router_interface", "neutron:cidrs": gwCIDR},
	})
}

// vmPort creates a member VM's Neutron port and LSP.
func vmPort(ctx context.Context, netID, subnetID, ip string) {
	GinkgoHelper()
	p, err := env.tb.FakeNeutron.AddPort(fakeneutron.Port{
		NetworkID: netID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: subnetID, IPAddress: ip}}, AdminStateUp: true,
	})
	Expect(err).NotTo(HaveOccurred())
	addPortToSwitch(ctx, netID, &nb.LogicalSwitchPort{UUID: "lsp", Name: p.ID, Addresses: []string{p.MACAddress + " " + ip},
		ExternalIDs: map[string]string{"neutron:network_name": "neutron-" + netID}})
}

// vipPort creates the VIP port as create_vip_port would, and its LSP as
// Neutron writes it (portFIP: its neutron:port_fip, "" for none).
func vipPort(ctx context.Context, lbID, netID, subnetID, ip, portFIP string) string {
	GinkgoHelper()
	p, err := env.tb.FakeNeutron.AddPort(fakeneutron.Port{
		Name: "ovn-lb-vip-" + lbID, NetworkID: netID, DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + lbID,
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: subnetID, IPAddress: ip}}, AdminStateUp: true,
	})
	Expect(err).NotTo(HaveOccurred())
	ext := map[string]string{"neutron:port_name": "ovn-lb-vip-" + lbID, "neutron:network_name": "neutron-" + netID}
	if portFIP != "" {
		ext["neutron:port_fip"] = portFIP
	}
	addPortToSwitch(ctx, netID, &nb.LogicalSwitchPort{UUID: "lsp", Name: p.ID, Addresses: []string{p.MACAddress + " " + ip}, ExternalIDs: ext})
	return p.ID
}
