// Package agent_test is the Ginkgo suite of the agent (handlers + agent)
// against real ovsdb-server NB and SB databases, the in-process driver
// agent (real status and get unix sockets) and the fake Neutron over HTTP.
// Topology rows are written the way Neutron ML2/OVN writes them; LB rows
// the way the provider does.
package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

func TestAgent(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	SetDefaultConsistentlyDuration(1500 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "agent suite")
}

func newID() string { return uuid.NewString() }

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLog(also io.Writer) *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.MultiWriter(GinkgoWriter, also))
	l.SetLevel(logrus.InfoLevel)
	return logrus.NewEntry(l)
}

// world is one test's OVN + Octavia + Neutron.
type world struct {
	dir        string
	nbs, sbs   *testbed.Server
	nb, sb     client.Client
	octavia    *driveragent.Server
	neutron    *fakeneutron.Server
	neutronURL string
	log        *logrus.Entry
	logs       *syncBuffer
	names      map[string]string // LB row UUID -> LB id (test bookkeeping)
	// baseline is what Octavia knows before the agent reports anything
	// ("kind/id" -> operating status), as the provider reported it.
	baseline map[string]string
}

func newWorld() *world {
	GinkgoHelper()
	d, err := os.MkdirTemp("", "ag")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = os.RemoveAll(d) })
	w := &world{dir: d, logs: &syncBuffer{}, names: map[string]string{}, baseline: map[string]string{}}
	w.log = testLog(w.logs)
	w.nbs, err = testbed.StartNB(d)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = w.nbs.Stop() })
	w.sbs, err = testbed.StartSB(d)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = w.sbs.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w.nb, err = testbed.ConnectNB(ctx, w.nbs.Remote())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.nb.Close)
	w.sb, err = testbed.ConnectSB(ctx, w.sbs.Remote())
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.sb.Close)
	w.octavia, err = driveragent.Start(d, w.log)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = w.octavia.Close() })
	w.neutron = fakeneutron.New("tok")
	w.neutronURL, err = w.neutron.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(w.neutron.Close)
	return w
}

func (w *world) transact(c client.Client, ops ...ovsdb.Operation) []ovsdb.OperationResult {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := testbed.Transact(ctx, c, ops...)
	Expect(err).NotTo(HaveOccurred())
	return res
}

func whereUUID(u string) []ovsdb.Condition {
	return []ovsdb.Condition{ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: u})}
}

func whereName(n string) []ovsdb.Condition {
	return []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, n)}
}

func ovsMap(m map[string]string) ovsdb.OvsMap {
	out := ovsdb.OvsMap{GoMap: map[any]any{}}
	for k, v := range m {
		out.GoMap[k] = v
	}
	return out
}

func uuidSet(uuids ...string) ovsdb.OvsSet {
	s := ovsdb.OvsSet{GoSet: []any{}}
	for _, u := range uuids {
		s.GoSet = append(s.GoSet, ovsdb.UUID{GoUUID: u})
	}
	return s
}

func mutateRefs(table string, where []ovsdb.Condition, column string, mut ovsdb.Mutator, uuids ...string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: table, Where: where,
		Mutations: []ovsdb.Mutation{{Column: column, Mutator: mut, Value: uuidSet(uuids...)}}}
}

func swName(net string) string     { return "neutron-" + net }
func rtrName(router string) string { return "neutron-" + router }

// addNetwork creates the switch of a Neutron network.
func (w *world) addNetwork(net string, provider bool) {
	GinkgoHelper()
	ext := map[string]string{"neutron:network_name": "net-" + net[:8]}
	if provider {
		ext["neutron:provnet-physical-network"] = "physnet1"
	}
	w.transact(w.nb, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable,
		Row: ovsdb.Row{"name": swName(net), "external_ids": ovsMap(ext)}})
	w.waitSwitch(swName(net))
}

func (w *world) addRouter(router string) {
	GinkgoHelper()
	w.transact(w.nb, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterTable,
		Row: ovsdb.Row{"name": rtrName(router), "external_ids": ovsMap(map[string]string{"neutron:router_name": "r"})}})
	Eventually(func() *nb.LogicalRouter { return w.router(router) }).ShouldNot(BeNil())
}

// addPort creates a VM port (LSP) on a network holding ip.
func (w *world) addPort(net, portID, ip string, ext map[string]string) {
	GinkgoHelper()
	if ext == nil {
		ext = map[string]string{}
	}
	ext["neutron:network_name"] = swName(net)
	w.transact(w.nb,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchPortTable, UUIDName: "p",
			Row: ovsdb.Row{"name": portID, "addresses": ovsdb.OvsSet{GoSet: []any{"fa:16:3e:00:00:01 " + ip}},
				"external_ids": ovsMap(ext)}},
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(net)), "ports", ovsdb.MutateOperationInsert, "p"))
}

// addInterface plugs network net into router with gateway address cidr
// (e.g. 10.1.0.1/24) the way ML2/OVN does: an LRP lrp-<port> and, for a
// router interface, an LSP of type router on the switch. A gateway port
// (gw) has is_ext_gw and no router-interface LSP. It returns the LRP name.
func (w *world) addInterface(router, net, cidr string, gw bool) string {
	GinkgoHelper()
	port := newID()
	lrp := "lrp-" + port
	ext := map[string]string{"neutron:router_name": router, "neutron:network_name": swName(net)}
	if gw {
		ext["neutron:is_ext_gw"] = "True"
	}
	lrpRow := ovsdb.Row{"name": lrp, "mac": "fa:16:3e:aa:00:01", "networks": ovsdb.OvsSet{GoSet: []any{cidr}},
		"external_ids": ovsMap(ext)}
	var ops []ovsdb.Operation
	if gw {
		// ML2/OVN binds gateway ports to chassis.
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.GatewayChassisTable, UUIDName: "gwc",
			Row: ovsdb.Row{"name": lrp + "_chassis1", "chassis_name": "chassis1", "priority": 1}})
		lrpRow["gateway_chassis"] = uuidSet("gwc")
	}
	ops = append(ops, []ovsdb.Operation{
		{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "lrp", Row: lrpRow},
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(router)), "ports", ovsdb.MutateOperationInsert, "lrp"),
	}...)
	owner := "network:router_interface"
	if gw {
		owner = "network:router_gateway"
	}
	ops = append(ops,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchPortTable, UUIDName: "rp",
			Row: ovsdb.Row{"name": port, "type": "router", "options": ovsMap(map[string]string{"router-port": lrp}),
				"addresses": ovsdb.OvsSet{GoSet: []any{"router"}},
				"external_ids": ovsMap(map[string]string{"neutron:device_owner": owner, "neutron:cidrs": cidr,
					"neutron:network_name": swName(net)})}},
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(net)), "ports", ovsdb.MutateOperationInsert, "rp"))
	w.transact(w.nb, ops...)
	return lrp
}

func nbInsertLRP(name, cidr string, ext map[string]string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "lrp",
		Row: ovsdb.Row{"name": name, "mac": "fa:16:3e:aa:00:02", "networks": ovsdb.OvsSet{GoSet: []any{cidr}},
			"external_ids": ovsMap(ext)}}
}

// removeInterface deletes the router port and its switch-side LSP.
func (w *world) removeInterface(router, net, lrp string) {
	GinkgoHelper()
	l := w.lrp(lrp)
	Expect(l).NotTo(BeNil())
	port := strings.TrimPrefix(lrp, "lrp-")
	lsp := w.lsp(port)
	ops := []ovsdb.Operation{mutateRefs(nb.LogicalRouterTable, whereName(rtrName(router)), "ports", ovsdb.MutateOperationDelete, l.UUID)}
	if lsp != nil {
		ops = append(ops, mutateRefs(nb.LogicalSwitchTable, whereName(swName(net)), "ports", ovsdb.MutateOperationDelete, lsp.UUID))
	}
	w.transact(w.nb, ops...)
}

// lbSpec is an LB row as the provider writes it.
type lbSpec struct {
	ID, VIP, VIPPort string
	Ext              map[string]string
	Protocol         string
	Mappings         map[string]string
	Switches         []string // network ids the row is attached to
	Routers          []string // router ids the row is attached to
}

// addLB inserts the row and attaches it; it returns the row UUID.
func (w *world) addLB(s lbSpec) string {
	GinkgoHelper()
	ext := map[string]string{}
	if s.VIP != "" {
		ext = map[string]string{"neutron:vip": s.VIP, "neutron:vip_port_id": s.VIPPort, "enabled": "True"}
	}
	for k, v := range s.Ext {
		ext[k] = v
	}
	row := ovsdb.Row{"name": s.ID, "external_ids": ovsMap(ext)}
	if s.Protocol != "" {
		row["protocol"] = s.Protocol
	}
	if s.Mappings != nil {
		row["ip_port_mappings"] = ovsMap(s.Mappings)
	}
	ops := []ovsdb.Operation{{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerTable, UUIDName: "lb", Row: row}}
	for _, n := range s.Switches {
		ops = append(ops, mutateRefs(nb.LogicalSwitchTable, whereName(swName(n)), "load_balancer", ovsdb.MutateOperationInsert, "lb"))
	}
	for _, r := range s.Routers {
		ops = append(ops, mutateRefs(nb.LogicalRouterTable, whereName(rtrName(r)), "load_balancer", ovsdb.MutateOperationInsert, "lb"))
	}
	res := w.transact(w.nb, ops...)
	u := res[0].UUID.GoUUID
	w.names[u] = s.ID
	Eventually(func() bool { return w.nb.Cache().Table(nb.LoadBalancerTable).HasRow(u) }).Should(BeTrue())
	return u
}

// updateExt sets one external_ids key of a Load_Balancer row.
func updateExt(row, key, value string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LoadBalancerTable, Where: whereUUID(row),
		Mutations: []ovsdb.Mutation{
			{Column: "external_ids", Mutator: ovsdb.MutateOperationDelete, Value: ovsdb.OvsSet{GoSet: []any{key}}},
			{Column: "external_ids", Mutator: ovsdb.MutateOperationInsert, Value: ovsMap(map[string]string{key: value})},
		}}
}

// ---- reads ----

func (w *world) switchRow(name string) *nb.LogicalSwitch {
	for _, m := range w.nb.Cache().Table(nb.LogicalSwitchTable).Rows() {
		if ls := m.(*nb.LogicalSwitch); ls.Name == name {
			return ls
		}
	}
	return nil
}

func (w *world) waitSwitch(name string) {
	GinkgoHelper()
	Eventually(func() *nb.LogicalSwitch { return w.switchRow(name) }).ShouldNot(BeNil())
}

func (w *world) router(id string) *nb.LogicalRouter {
	for _, m := range w.nb.Cache().Table(nb.LogicalRouterTable).Rows() {
		if lr := m.(*nb.LogicalRouter); lr.Name == rtrName(id) {
			return lr
		}
	}
	return nil
}

func (w *world) lrp(name string) *nb.LogicalRouterPort {
	for _, m := range w.nb.Cache().Table(nb.LogicalRouterPortTable).Rows() {
		if p := m.(*nb.LogicalRouterPort); p.Name == name {
			return p
		}
	}
	return nil
}

func (w *world) lsp(name string) *nb.LogicalSwitchPort {
	for _, m := range w.nb.Cache().Table(nb.LogicalSwitchPortTable).Rows() {
		if p := m.(*nb.LogicalSwitchPort); p.Name == name {
			return p
		}
	}
	return nil
}

func (w *world) lb(uuid string) *nb.LoadBalancer {
	m := w.nb.Cache().Table(nb.LoadBalancerTable).Row(uuid)
	if m == nil {
		return nil
	}
	return m.(*nb.LoadBalancer)
}

func (w *world) ext(uuid string) map[string]string {
	if lb := w.lb(uuid); lb != nil {
		return lb.ExternalIDs
	}
	return nil
}

// lbNames maps a load_balancer set to test names (unknown rows by UUID).
func (w *world) lbNames(set []string) []string {
	out := []string{}
	for _, u := range set {
		if n, ok := w.names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) onSwitch(net string) []string {
	ls := w.switchRow(swName(net))
	if ls == nil {
		return nil
	}
	return w.lbNames(ls.LoadBalancer)
}

func (w *world) onRouter(router string) []string {
	lr := w.router(router)
	if lr == nil {
		return nil
	}
	return w.lbNames(lr.LoadBalancer)
}

func sorted(s ...string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// ---- SB ----

func (w *world) addMonitor(ip string, port int, lsp, src, status string) string {
	GinkgoHelper()
	row := ovsdb.Row{"ip": ip, "port": port, "protocol": "tcp", "logical_port": lsp, "src_ip": src,
		"src_mac": "fa:16:3e:ff:ff:ff"}
	if status != "" {
		row["status"] = status
	}
	res := w.transact(w.sb, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sb.ServiceMonitorTable, Row: row})
	u := res[0].UUID.GoUUID
	Eventually(func() bool { return w.sb.Cache().Table(sb.ServiceMonitorTable).HasRow(u) }).Should(BeTrue())
	return u
}

func (w *world) setMonitor(uuid, status string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: sb.ServiceMonitorTable, Where: whereUUID(uuid),
		Row: ovsdb.Row{"status": ovsdb.OvsSet{GoSet: []any{status}}}}
}

// ---- agent ----

// lines collects the agent's stdout and checks it is JSON lines only.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// events returns the "event" values written so far; a line that is not a
// JSON object with only "event" fails the test.
func (l *lines) events() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]string
		ExpectWithOffset(1, json.Unmarshal([]byte(line), &m)).To(Succeed(), "stdout line %q", line)
		ExpectWithOffset(1, m).To(HaveLen(1))
		out = append(out, m["event"])
	}
	return out
}

func (l *lines) count(ev string) int {
	n := 0
	for _, e := range l.events() {
		if e == ev {
			n++
		}
	}
	return n
}

type running struct {
	a      *agent.Agent
	out    *lines
	cancel context.CancelFunc
	done   chan error
}

func (w *world) agentConfig(out *lines, withNeutron bool) agent.Config {
	cfg := agent.Config{
		Watcher: watcher.Config{
			NB: watcher.ConnConfig{Remote: w.nbs.Remote()},
			SB: watcher.ConnConfig{Remote: w.sbs.Remote()},
		},
		Status:        octavia.NewStatusClient(w.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), w.log),
		Get:           octavia.NewGetClient(w.octavia.GetConfig(), w.log),
		Events:        out,
		Log:           w.log,
		StatusBackoff: 300 * time.Millisecond,
		StandbyGrace:  2 * time.Second,
	}
	if withNeutron {
		nc, err := neutron.NewFromToken(w.neutronURL, "tok")
		Expect(err).NotTo(HaveOccurred())
		cfg.Neutron = nc
	}
	return cfg
}

// start runs an agent in-process and waits until it synced.
func (w *world) start() *running {
	GinkgoHelper()
	r := &running{out: &lines{}, done: make(chan error, 1)}
	r.a = agent.New(w.agentConfig(r.out, true))
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.a.Run(ctx) }()
	DeferCleanup(r.stop)
	Eventually(r.out.events).Should(ContainElement(agent.EventSynced))
	return r
}

func (r *running) stop() {
	GinkgoHelper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			Expect(err).NotTo(HaveOccurred())
			close(r.done)
		}
	case <-time.After(10 * time.Second):
		Fail("agent did not stop within 10 s")
	}
}

// ---- Octavia view ----

// octaviaState applies every accepted status message in order: the
// operating status Octavia ends up with per "kind/id".
func (w *world) octaviaState() map[string]string {
	out := map[string]string{}
	for k, v := range w.baseline {
		out[k] = v
	}
	for _, m := range w.octavia.Accepted() {
		for _, k := range octavia.Kinds() {
			for _, e := range m.List(k) {
				if e.OperatingStatus != "" {
					out[string(k)+"/"+e.ID] = e.OperatingStatus
				}
			}
		}
	}
	return out
}

func memberStatusJSON(kv ...string) string {
	o := pyjson.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i], kv[i+1])
	}
	s, err := pyjson.Marshal(o)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func lsRefs(kv ...any) string {
	o := pyjson.NewObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	s, err := pyjson.Marshal(o)
	Expect(err).NotTo(HaveOccurred())
	return s
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ctxT is a context ending after sec seconds (or with the spec).
func ctxT(sec int) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(sec)*time.Second)
	DeferCleanup(cancel)
	return ctx
}

var _ = fmt.Sprintf
