package agent_test

// Benchmarks against a real ovsdb-server (no Ginkgo; run with
// `go test -run '^$' -bench . ./suites/agent`). Each reports, besides
// ns/op, machine-independent figures (NB transactions and operations,
// status messages) and the ratio to the floor: one hand-built transaction
// (and one status message) writing exactly the changes the scenario needs.

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/handlers"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

type benchEnv struct {
	b        *testing.B
	ctx      context.Context
	nbs, sbs *testbed.Server
	nb, sb   client.Client
	octavia  *driveragent.Server
	log      *logrus.Entry
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	dir, err := os.MkdirTemp("", "agb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	l := logrus.New()
	l.SetOutput(io.Discard)
	if os.Getenv("BENCH_LOG") != "" {
		l.SetOutput(os.Stderr)
		l.SetLevel(logrus.DebugLevel)
	}
	e := &benchEnv{b: b, ctx: ctx, log: logrus.NewEntry(l)}
	if e.nbs, err = testbed.StartNB(dir); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.nbs.Stop() })
	if e.sbs, err = testbed.StartSB(dir); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.sbs.Stop() })
	if e.nb, err = testbed.ConnectNB(ctx, e.nbs.Remote()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.nb.Close)
	if e.sb, err = testbed.ConnectSB(ctx, e.sbs.Remote()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.sb.Close)
	if e.octavia, err = driveragent.Start(dir, e.log); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.octavia.Close() })
	return e
}

func (e *benchEnv) transact(c client.Client, ops ...ovsdb.Operation) []ovsdb.OperationResult {
	e.b.Helper()
	res, err := testbed.Transact(e.ctx, c, ops...)
	if err != nil {
		e.b.Fatal(err)
	}
	return res
}

// plainClient connects an SB client that monitors nothing (it only
// transacts), closed at cleanup.
func (e *benchEnv) plainClient(remote string) client.Client {
	e.b.Helper()
	m, err := sb.FullDatabaseModel()
	if err != nil {
		e.b.Fatal(err)
	}
	c, err := client.NewOVSDBClient(m, client.WithEndpoint(remote))
	if err != nil {
		e.b.Fatal(err)
	}
	if err := c.Connect(e.ctx); err != nil {
		e.b.Fatal(err)
	}
	e.b.Cleanup(c.Close)
	return c
}

// waitFor polls cond every millisecond for up to a minute.
func (e *benchEnv) waitFor(what string, cond func() bool) {
	e.b.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			e.b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (e *benchEnv) startAgent() *agent.Agent {
	e.b.Helper()
	out := &syncBuffer{}
	a := agent.New(agent.Config{
		Watcher: watcher.Config{NB: watcher.ConnConfig{Remote: e.nbs.Remote()}, SB: watcher.ConnConfig{Remote: e.sbs.Remote()}},
		Status:  octavia.NewStatusClient(e.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), e.log),
		Get:     octavia.NewGetClient(e.octavia.GetConfig(), e.log),
		Events:  out,
		Log:     e.log,
	})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e.b.Cleanup(func() { cancel(); <-done })
	e.waitFor("agent synced", func() bool { return strings.Contains(out.String(), `"synced"`) })
	return a
}

// settled returns the agent's NB counters once they stop moving: the
// counters are bumped after the transaction reply, which can come after the
// monitor update the benchmark waited for.
func settled(a *agent.Agent) nbtxn.Stats {
	st := a.Store().Stats()
	for {
		time.Sleep(50 * time.Millisecond)
		next := a.Store().Stats()
		if next == st {
			return st
		}
		st = next
	}
}

func (e *benchEnv) switchByName(name string) *nb.LogicalSwitch {
	for _, m := range e.nb.Cache().Table(nb.LogicalSwitchTable).RowsShallow() {
		if ls := m.(*nb.LogicalSwitch); ls.Name == name {
			return ls
		}
	}
	return nil
}

func (e *benchEnv) routerByName(name string) *nb.LogicalRouter {
	for _, m := range e.nb.Cache().Table(nb.LogicalRouterTable).RowsShallow() {
		if lr := m.(*nb.LogicalRouter); lr.Name == name {
			return lr
		}
	}
	return nil
}

// BenchmarkChurn: 1,000 LBs on network N; adding router R's interface on N
// attaches all of them to R and to R's other network N0 (lr_ref set);
// removing it detaches them again. One op = add + converge + remove +
// converge. The floors are taken best of three and the best op is reported
// too (x_floor_best): the test machine (2 CPUs) is shared, and single
// figures vary by ±20 %.
//
// The target is 2x the floor; it is reached only on a quiet machine.
// After the agent stopped waiting for quiet on a lone topology event:
// x_floor_best 1.87-2.30, x_floor_time 2.1-2.5 (runs of 5 ops), 2 NB
// transactions and 4,004 operations per op. Before: with the gathering
// window, x_floor_best median 2.2 (x_floor_time 2.7); before handlers used
// assoc.Resolver and the nbtxn changes that came with it (direct operation
// building, key mutations, no per-row clones in the post-commit check):
// median 2.9 (3.3).
//
// Where an agent direction goes beyond the floor's (~40-50 ms for a
// direction), from instrumented runs:
//
//   - (gone) ~20 ms of burst gathering: agent.gather now handles a lone
//     topology event at once and waits for quiet only for Service_Monitor
//     events or events already arriving together.
//   - ~5 ms: the handlers (one assoc.Resolver per burst) and nbtxn building
//     the operations.
//   - ~25 ms more than the floor from there until the benchmark sees the
//     result. The agent's transaction has a wait guard per row, 2,002
//     operations against 1,002 (libovsdb spends ~6 µs encoding any
//     operation; ovsdb-server checks every guard), and ovsdb-server sends
//     the 1,000-row update to two clients decoding it on the same 2 CPUs:
//     the agent's own connection and the benchmark's. Hand-built, a
//     transaction of the agent's shape with a second client connected took
//     ~66 ms; of the floor's shape ~53 ms with two clients, ~42 ms with one.
//   - ~10 ms before the agent reads the next event: libovsdb hands it the
//     transaction reply once its client has decoded that update.
//
// The guards and the one transaction per burst stay. floor_conn_ns is the
// floor taken again with the idle agent connected (its client decodes the
// floor's updates too, as it would in production); against it the agent
// is at x_floor_conn_best 1.4-2.1 (median 1.8).
func BenchmarkChurn(b *testing.B) {
	const nLB = 1000
	e := newBenchEnv(b)
	n, n0, r := newID(), newID(), newID()
	e.transact(e.nb,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable, Row: ovsdb.Row{"name": swName(n)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable, Row: ovsdb.Row{"name": swName(n0)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterTable, Row: ovsdb.Row{"name": rtrName(r)}},
	)
	// R already serves N0.
	e.transact(e.nb, benchInterfaceOps(r, n0, "10.0.0.1/24", newID())...)
	lbs := e.insertLBsOn(n, nLB)
	attached := func(want bool) func() bool {
		return func() bool {
			lr, ls0 := e.routerByName(rtrName(r)), e.switchByName(swName(n0))
			if want {
				return len(lr.LoadBalancer) == nLB && len(ls0.LoadBalancer) == nLB
			}
			return len(lr.LoadBalancer) == 0 && len(ls0.LoadBalancer) == 0
		}
	}

	// Floor: the same NB end states, each written by one hand-built
	// transaction (router and switch membership, lr_ref per row), best of
	// floorRounds.
	attachOps, detachOps := routerAttachOps(r, n0, lbs)
	const floorRounds = 3
	var floor time.Duration
	for round := 0; round < floorRounds; round++ {
		floorStart := time.Now()
		e.transact(e.nb, attachOps...)
		e.waitFor("floor attach", attached(true))
		e.transact(e.nb, detachOps...)
		e.waitFor("floor detach", attached(false))
		if d := time.Since(floorStart); round == 0 || d < floor {
			floor = d
		}
	}
	floorOps := len(attachOps) + len(detachOps)

	a := e.startAgent()
	// The same floor again with the agent connected (it has nothing to do:
	// no router interface changes). In production its NB connection is
	// always there, and ovsdb-server sends it every 1,000-row update, which
	// it decodes: x_floor_conn_best is the agent's time over this floor,
	// what the agent itself adds. x_floor_time and x_floor_best stay the
	// figures compared with the target.
	var connFloor time.Duration
	for round := 0; round < floorRounds; round++ {
		floorStart := time.Now()
		e.transact(e.nb, attachOps...)
		e.waitFor("floor attach (agent connected)", attached(true))
		e.transact(e.nb, detachOps...)
		e.waitFor("floor detach (agent connected)", attached(false))
		if d := time.Since(floorStart); round == 0 || d < connFloor {
			connFloor = d
		}
	}
	before := a.Store().Stats()
	var best time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opStart := time.Now()
		port := newID()
		e.transact(e.nb, benchInterfaceOps(r, n, "10.1.0.1/16", port)...)
		e.waitFor("attach", attached(true))
		lrp := "lrp-" + port
		var lrpUUID, lspUUID string
		for u, m := range e.nb.Cache().Table(nb.LogicalRouterPortTable).RowsShallow() {
			if m.(*nb.LogicalRouterPort).Name == lrp {
				lrpUUID = u
			}
		}
		for u, m := range e.nb.Cache().Table(nb.LogicalSwitchPortTable).RowsShallow() {
			if m.(*nb.LogicalSwitchPort).Name == port {
				lspUUID = u
			}
		}
		e.transact(e.nb,
			mutateRefs(nb.LogicalRouterTable, whereName(rtrName(r)), "ports", ovsdb.MutateOperationDelete, lrpUUID),
			mutateRefs(nb.LogicalSwitchTable, whereName(swName(n)), "ports", ovsdb.MutateOperationDelete, lspUUID))
		e.waitFor("detach", attached(false))
		if d := time.Since(opStart); i == 0 || d < best {
			best = d
		}
	}
	b.StopTimer()
	st := settled(a)
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(st.Transactions-before.Transactions)/float64(b.N), "nb_txns/op")
	b.ReportMetric(float64(st.Operations-before.Operations)/float64(b.N), "nb_ops/op")
	b.ReportMetric(float64(floor.Nanoseconds()), "floor_ns")
	b.ReportMetric(2, "floor_txns")
	b.ReportMetric(float64(floorOps), "floor_ops")
	b.ReportMetric(perOp/float64(floor.Nanoseconds()), "x_floor_time")
	b.ReportMetric(float64(best.Nanoseconds()), "best_ns")
	b.ReportMetric(float64(best)/float64(floor), "x_floor_best")
	b.ReportMetric(float64(connFloor.Nanoseconds()), "floor_conn_ns")
	b.ReportMetric(float64(best)/float64(connFloor), "x_floor_conn_best")
	b.ReportMetric(float64(st.Operations-before.Operations)/float64(b.N)/float64(floorOps), "x_floor_ops")
}

// insertLBsOn inserts nLB provider LB rows on switch net (ls_refs counting
// it, VIPs in 10.1.0.0/16), 250 per transaction, and returns their UUIDs.
func (e *benchEnv) insertLBsOn(net string, nLB int) []string {
	refs, _ := pyjson.Marshal(map[string]any{swName(net): 1})
	var lbs []string
	for start := 0; start < nLB; start += 250 {
		var ops []ovsdb.Operation
		for i := start; i < start+250; i++ {
			name := fmt.Sprintf("lb%d", i)
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerTable, UUIDName: name,
				Row: ovsdb.Row{"name": newID(), "external_ids": ovsMap(map[string]string{
					"neutron:vip": fmt.Sprintf("10.1.%d.%d", i/200, 10+i%200), "neutron:vip_port_id": newID(),
					"enabled": "True", "ls_refs": refs})}},
				mutateRefs(nb.LogicalSwitchTable, whereName(swName(net)), "load_balancer", ovsdb.MutateOperationInsert, name))
		}
		for i, res := range e.transact(e.nb, ops...) {
			if i%2 == 0 {
				lbs = append(lbs, res.UUID.GoUUID)
			}
		}
	}
	return lbs
}

// routerAttachOps returns the hand-built floor transactions of the router
// benchmarks: attach rows lbs to router and switch net0 (with lr_ref on
// each row), and detach them again.
func routerAttachOps(router, net0 string, lbs []string) (attach, detach []ovsdb.Operation) {
	attach = []ovsdb.Operation{
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(router)), "load_balancer", ovsdb.MutateOperationInsert, lbs...),
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(net0)), "load_balancer", ovsdb.MutateOperationInsert, lbs...),
	}
	detach = []ovsdb.Operation{
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(router)), "load_balancer", ovsdb.MutateOperationDelete, lbs...),
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(net0)), "load_balancer", ovsdb.MutateOperationDelete, lbs...),
	}
	for _, u := range lbs {
		attach = append(attach, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LoadBalancerTable, Where: whereUUID(u),
			Mutations: []ovsdb.Mutation{{Column: "external_ids", Mutator: ovsdb.MutateOperationInsert, Value: ovsMap(map[string]string{"lr_ref": rtrName(router)})}}})
		detach = append(detach, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LoadBalancerTable, Where: whereUUID(u),
			Mutations: []ovsdb.Mutation{{Column: "external_ids", Mutator: ovsdb.MutateOperationDelete, Value: ovsdb.OvsSet{GoSet: []any{"lr_ref"}}}}})
	}
	return attach, detach
}

// benchInterfaceOps plugs net into router (LRP + router-interface LSP).
func benchInterfaceOps(router, net, cidr, port string) []ovsdb.Operation {
	lrp := "lrp-" + port
	return []ovsdb.Operation{
		{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "lrp",
			Row: ovsdb.Row{"name": lrp, "mac": "fa:16:3e:aa:00:01", "networks": ovsdb.OvsSet{GoSet: []any{cidr}},
				"external_ids": ovsMap(map[string]string{"neutron:router_name": router, "neutron:network_name": swName(net)})}},
		mutateRefs(nb.LogicalRouterTable, whereName(rtrName(router)), "ports", ovsdb.MutateOperationInsert, "lrp"),
		{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchPortTable, UUIDName: "rp",
			Row: ovsdb.Row{"name": port, "type": "router", "options": ovsMap(map[string]string{"router-port": lrp}),
				"external_ids": ovsMap(map[string]string{"neutron:device_owner": "network:router_interface", "neutron:cidrs": cidr})}},
		mutateRefs(nb.LogicalSwitchTable, whereName(swName(net)), "ports", ovsdb.MutateOperationInsert, "rp"),
	}
}

// BenchmarkHealthStorm: one pool of 5,000 health-checked members; every
// Service_Monitor flips offline (one SB transaction), then online. One op =
// both flips, each until the last status is delivered.
//
// Like with like: the floor (one hand-built NB transaction writing exactly
// the new member_status, one status message with every changed object, per
// direction) has no SB leg, while the op starts with a 5,000-row SB
// transaction the agent must receive. So the benchmark also measures that
// leg alone (sb_floor_ns: until a client has been handed all 5,000 row
// events) and reports the op against floor+SB leg (x_floor_e2e) and the
// op minus the SB leg against the floor (x_floor_proc, and _best for the
// best op). BenchmarkHealthStormBurst isolates what the handlers do with a
// burst in hand.
//
// Figures on the 2-CPU test machine, which other benchmarks shared (medians
// of 3 alternating runs of this file on the code before the status-engine
// work and after it; floor ~50 ms per op, SB leg ~330 ms):
//
//   - HealthStorm: ~620 -> ~600 ms/op, within the noise: the SB leg and
//     the agent's gathering dominate; x_floor_e2e ~1.7 -> ~1.6,
//     x_floor_proc ~5.6 -> ~5.3 (on a quieter machine earlier: ~560 ->
//     ~460 ms/op, x_floor_proc ~4.5 -> ~3.5). 2 NB transactions and 2
//     status messages per op as the floor, 2.2 when a loaded machine makes
//     the agent cut a storm into two bursts.
//   - HealthStormBurst: 168 -> 128 ms/op, x3.2 -> x2.5 the floor; then,
//     with pyjson.ParseObject scanning flat objects directly (the fast path
//     health had, now used by lbdata.RollUp too): ~104 ms/op, x2.06.
//
// Before that last step, of the burst's ~128 ms per op (two
// directions): the NB write ~49 ms, ~15 ms of it the wait guard on the
// whole 600 kB external_ids (the same write without it: ~34 ms, the
// floor's); applying 5,000 events ~16 ms; roll-ups ~16 ms, mostly
// lbdata.RollUp parsing member_status with the generic pyjson parser (now
// the fast path, ~14 ms saved); the Reporter
// ~10 ms; the status message costs what the floor's does. End to end the
// agent adds its burst gathering (agent.gather waits for 20 ms without
// events) and the libovsdb event delivery of 5,000 rows to the watcher.
// None of the remaining items is in the status engine (agent/, watcher/,
// lbdata/, the guard in nbtxn).
func BenchmarkHealthStorm(b *testing.B) {
	s := newStorm(b)
	e, floor, offOps, onOps := s.e, s.floor, s.offOps, s.onOps
	memberStatus, lbStatus, offlineJSON, onlineJSON := s.memberStatus, s.lbStatus, s.offlineJSON, s.onlineJSON
	const floorRounds = stormFloorRounds
	// The storm itself reaches the agent as one SB transaction of 5,000
	// updates that ovsdb-server turns into one monitor update the agent
	// decodes, applies to its cache and gets 5,000 row events from; the
	// floor above has none of that. sbFloor is that leg alone: the SB
	// transaction until one client (the benchmark's) has been handed the
	// event of every changed row, both directions, with no agent running.
	// (Waiting for one row would stop part-way: the cache applies the rows
	// of an update in map order.)
	var smEvents atomic.Int64
	e.sb.Cache().AddEventHandler(&cache.EventHandlerFuncs{UpdateFunc: func(table string, _, _ model.Model) {
		if table == sb.ServiceMonitorTable {
			smEvents.Add(1)
		}
	}})
	flipSB := func(what string, ops []ovsdb.Operation) {
		want := smEvents.Load() + stormMembers
		e.transact(e.sb, ops...)
		e.waitFor(what, func() bool { return smEvents.Load() >= want })
	}
	var sbFloor time.Duration
	for round := 0; round < floorRounds; round++ {
		sbStart := time.Now()
		flipSB("floor SB offline", offOps)
		flipSB("floor SB online", onOps)
		if d := time.Since(sbStart); round == 0 || d < sbFloor {
			sbFloor = d
		}
	}
	// From here on the agent is the only client decoding the storm, as in
	// production: the benchmark's monitoring SB client would decode every
	// update too and, on a small machine, take CPU from the agent that
	// neither floor pays for. The flips go through a client without
	// monitors.
	e.sb.Close()
	sbw := e.plainClient(e.sbs.Remote())

	a := e.startAgent()
	before := a.Store().Stats()
	b.ResetTimer()
	var best time.Duration
	for i := 0; i < b.N; i++ {
		opStart := time.Now()
		e.transact(sbw, offOps...)
		e.waitFor("offline delivered", func() bool {
			return memberStatus() == offlineJSON && lbStatus() == octavia.OperatingError && a.Reporter().Pending() == 0
		})
		e.transact(sbw, onOps...)
		e.waitFor("online delivered", func() bool {
			return memberStatus() == onlineJSON && lbStatus() == octavia.OperatingOnline && a.Reporter().Pending() == 0
		})
		if d := time.Since(opStart); i == 0 || d < best {
			best = d
		}
	}
	b.StopTimer()
	st := settled(a)
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(e.octavia.Count())/float64(b.N), "status_msgs/op")
	b.ReportMetric(float64(st.Transactions-before.Transactions)/float64(b.N), "nb_txns/op")
	b.ReportMetric(float64(floor.Nanoseconds()), "floor_ns")
	b.ReportMetric(2, "floor_msgs")
	b.ReportMetric(2, "floor_txns")
	b.ReportMetric(perOp/float64(floor.Nanoseconds()), "x_floor_time")
	b.ReportMetric(float64(sbFloor.Nanoseconds()), "sb_floor_ns")
	b.ReportMetric(perOp/float64((floor+sbFloor).Nanoseconds()), "x_floor_e2e")
	// The agent's own share: the op minus the SB leg, against the floor;
	// mean op and best op.
	b.ReportMetric(perOp-float64(sbFloor.Nanoseconds()), "proc_ns/op")
	b.ReportMetric((perOp-float64(sbFloor.Nanoseconds()))/float64(floor.Nanoseconds()), "x_floor_proc")
	b.ReportMetric(float64(best.Nanoseconds()), "best_op_ns")
	b.ReportMetric(float64((best-sbFloor).Nanoseconds())/float64(floor.Nanoseconds()), "x_floor_proc_best")
}

// stormMembers is the pool size of the health-storm benchmarks;
// stormFloorRounds the repetitions of each floor (best taken).
const (
	stormMembers     = 5000
	stormFloorRounds = 5
)

// storm is the health-storm set-up: one LB row with one pool of
// stormMembers monitored members (all ONLINE), their SB Service_Monitor
// rows, the LB in the driver agent's get socket, and the floor measured.
type storm struct {
	e                       *benchEnv
	lbID, row               string
	onlineJSON, offlineJSON string
	smUUIDs                 []string
	sms                     []sb.ServiceMonitor // the SB rows, status unset
	offOps, onOps           []ovsdb.Operation   // SB flips of every row
	floor                   time.Duration
	memberStatus, lbStatus  func() string
}

func newStorm(b *testing.B) *storm {
	const n, floorRounds = stormMembers, stormFloorRounds
	e := newBenchEnv(b)
	lbID, listener, pool := newID(), newID(), newID()
	members := make([]string, n)
	var entries []string
	online := pyjson.NewObject()
	offline := pyjson.NewObject()
	mappings := map[string]string{}
	var smOps []ovsdb.Operation
	var sms []sb.ServiceMonitor
	for i := range members {
		members[i] = newID()
		ip := fmt.Sprintf("10.%d.%d.%d", 1+i/40000, (i/200)%200, 10+i%200)
		lsp := newID()
		entries = append(entries, fmt.Sprintf("member_%s_%s:8080_%s", members[i], ip, "subnet"))
		online.Set(members[i], octavia.OperatingOnline)
		offline.Set(members[i], octavia.OperatingError)
		mappings[ip] = lsp + ":10.0.0.2"
		smOps = append(smOps, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sb.ServiceMonitorTable, Row: ovsdb.Row{
			"ip": ip, "port": 8080, "protocol": "tcp", "logical_port": lsp, "src_ip": "10.0.0.2",
			"src_mac": "fa:16:3e:ff:ff:ff", "status": "online"}})
		tcp := sb.ServiceMonitorProtocolTCP
		sms = append(sms, sb.ServiceMonitor{IP: ip, Port: 8080, Protocol: &tcp, LogicalPort: lsp, SrcIP: "10.0.0.2",
			SrcMAC: "fa:16:3e:ff:ff:ff"})
	}
	onlineJSON, _ := pyjson.Marshal(online)
	offlineJSON, _ := pyjson.Marshal(offline)
	res := e.transact(e.nb, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerTable, Row: ovsdb.Row{
		"name": lbID, "protocol": "tcp", "ip_port_mappings": ovsMap(mappings),
		"external_ids": ovsMap(map[string]string{
			"neutron:vip": "10.0.0.10", "neutron:vip_port_id": newID(), "enabled": "True",
			"listener_" + listener: "80:pool_" + pool, "pool_" + pool: strings.Join(entries, ","),
			"neutron:member_status": onlineJSON})}})
	row := res[0].UUID.GoUUID
	var smUUIDs []string
	for _, r := range e.transact(e.sb, smOps...) {
		smUUIDs = append(smUUIDs, r.UUID.GoUUID)
	}
	up := octavia.Some(true)
	if err := e.octavia.SetLoadBalancer(octavia.LoadBalancer{LoadBalancerID: octavia.Some(lbID), AdminStateUp: up,
		Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(pool), AdminStateUp: up}}),
		Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(listener), AdminStateUp: up}})}); err != nil {
		b.Fatal(err)
	}
	e.waitFor("SB cache", func() bool { return len(e.sb.Cache().Table(sb.ServiceMonitorTable).RowsShallow()) == n })
	// memberStatus reads the row without cloning it: Row() deep-copies its
	// 5,000 ip_port_mappings, and a 1 ms poll of that took a third of a
	// CPU from the agent during the op.
	memberStatus := func() string {
		if m := e.nb.Cache().Table(nb.LoadBalancerTable).RowsShallow()[row]; m != nil {
			return m.(*nb.LoadBalancer).ExternalIDs["neutron:member_status"]
		}
		return ""
	}
	// lbStatus is the LB operating status in the last accepted message.
	lbStatus := func() string {
		msgs := e.octavia.Accepted()
		for i := len(msgs) - 1; i >= 0; i-- {
			for _, en := range msgs[i].LoadBalancers {
				if en.ID == lbID {
					return en.OperatingStatus
				}
			}
		}
		return ""
	}
	flipOps := func(status string) []ovsdb.Operation {
		ops := make([]ovsdb.Operation, 0, n)
		for _, u := range smUUIDs {
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: sb.ServiceMonitorTable, Where: whereUUID(u),
				Row: ovsdb.Row{"status": ovsdb.OvsSet{GoSet: []any{status}}}})
		}
		return ops
	}
	offOps, onOps := flipOps("offline"), flipOps("online")

	// Floor: one NB transaction writing the new member_status and one
	// status message with every changed object, per direction. The floors
	// and the op are also taken best of several (floorRounds, each op),
	// as other processes on a small machine make single figures noisy.
	var floor time.Duration
	for round := 0; round < floorRounds; round++ {
		floorStart := time.Now()
		for _, dir := range []struct {
			ms, member, agg string
		}{{offlineJSON, octavia.OperatingError, octavia.OperatingError}, {onlineJSON, octavia.OperatingOnline, octavia.OperatingOnline}} {
			e.transact(e.nb, updateExt(row, "neutron:member_status", dir.ms))
			e.waitFor("floor NB", func() bool { return memberStatus() == dir.ms })
			var st octavia.Status
			st.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: lbID, ProvisioningStatus: "ACTIVE", OperatingStatus: dir.agg})
			st.Add(octavia.KindListeners, octavia.StatusEntry{ID: listener, ProvisioningStatus: "ACTIVE", OperatingStatus: dir.agg})
			st.Add(octavia.KindPools, octavia.StatusEntry{ID: pool, ProvisioningStatus: "ACTIVE", OperatingStatus: dir.agg})
			for _, m := range members {
				st.Add(octavia.KindMembers, octavia.StatusEntry{ID: m, ProvisioningStatus: "ACTIVE", OperatingStatus: dir.member})
			}
			if err := octavia.NewStatusClient(e.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), e.log).SendOnce(e.ctx, st); err != nil {
				b.Fatal(err)
			}
		}
		if d := time.Since(floorStart); round == 0 || d < floor {
			floor = d
		}
	}
	e.octavia.Reset()
	return &storm{e: e, lbID: lbID, row: row, onlineJSON: onlineJSON, offlineJSON: offlineJSON,
		smUUIDs: smUUIDs, sms: sms, offOps: offOps, onOps: onOps, floor: floor, memberStatus: memberStatus, lbStatus: lbStatus}

}

// BenchmarkHealthStormBurst is the storm's burst with the events in hand:
// the handlers apply 5,000 Service_Monitor events (all offline, then all
// online) in one NB transaction and report through the Reporter, until the
// NB row is in the benchmark's cache and the status message accepted -
// the same end points as the floor, without the SB leg, the agent's burst
// gathering and the watcher.
func BenchmarkHealthStormBurst(b *testing.B) {
	s := newStorm(b)
	e := s.e
	store := nbtxn.New(e.nb, e.log)
	reporter := handlers.NewReporter(handlers.ReporterConfig{
		Sender: octavia.NewStatusClient(e.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), e.log), Log: e.log})
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { reporter.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	h := handlers.New(handlers.Config{Store: store, Reporter: reporter, Log: e.log,
		Health: health.New(health.Config{Store: store, Get: octavia.NewGetClient(e.octavia.GetConfig(), e.log), Log: e.log})})
	events := func(status string) []watcher.Event {
		out := make([]watcher.Event, len(s.sms))
		for i, sm := range s.sms {
			st := status
			sm.Status = &st
			out[i] = watcher.ServiceMonitorUpdated{SM: sm}
		}
		return out
	}
	off, on := events(sb.ServiceMonitorStatusOffline), events(sb.ServiceMonitorStatusOnline)
	run := func(what string, evs []watcher.Event, ms, lb string) {
		if _, err := h.HandleBurst(e.ctx, evs); err != nil {
			b.Fatal(err)
		}
		e.waitFor(what, func() bool { return s.memberStatus() == ms && s.lbStatus() == lb && reporter.Pending() == 0 })
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run("offline delivered", off, s.offlineJSON, octavia.OperatingError)
		run("online delivered", on, s.onlineJSON, octavia.OperatingOnline)
	}
	b.StopTimer()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(e.octavia.Count())/float64(b.N), "status_msgs/op")
	b.ReportMetric(float64(store.Stats().Transactions)/float64(b.N), "nb_txns/op")
	b.ReportMetric(float64(s.floor.Nanoseconds()), "floor_ns")
	b.ReportMetric(perOp/float64(s.floor.Nanoseconds()), "x_floor_time")
}

// BenchmarkResync: the full resync of 1,000 LB rows on a routed network
// whose router lost them while no agent ran (they are re-attached to the
// router and its other network); one op = the resync that repairs it plus
// the resync that finds nothing to do. Floor: one hand-built transaction
// writing the repair.
func BenchmarkResync(b *testing.B) {
	const nLB = 1000
	e := newBenchEnv(b)
	n, n0, r := newID(), newID(), newID()
	e.transact(e.nb,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable, Row: ovsdb.Row{"name": swName(n)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable, Row: ovsdb.Row{"name": swName(n0)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterTable, Row: ovsdb.Row{"name": rtrName(r)}},
	)
	e.transact(e.nb, benchInterfaceOps(r, n0, "10.0.0.1/24", newID())...)
	e.transact(e.nb, benchInterfaceOps(r, n, "10.1.0.1/16", newID())...)
	lbs := e.insertLBsOn(n, nLB)
	attachOps, detachOps := routerAttachOps(r, n0, lbs)
	attached := func() bool {
		return len(e.routerByName(rtrName(r)).LoadBalancer) == nLB && len(e.switchByName(swName(n0)).LoadBalancer) == nLB
	}
	floorStart := time.Now()
	e.transact(e.nb, attachOps...)
	e.waitFor("floor attach", attached)
	floor := time.Since(floorStart)

	store := nbtxn.New(e.nb, e.log)
	h := handlers.New(handlers.Config{Store: store, Log: e.log})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e.transact(e.nb, detachOps...)
		e.waitFor("detached", func() bool { return len(e.routerByName(rtrName(r)).LoadBalancer) == 0 })
		b.StartTimer()
		if err := h.Resync(e.ctx); err != nil {
			b.Fatal(err)
		}
		if !attached() {
			b.Fatal("resync did not re-attach every row")
		}
		if err := h.Resync(e.ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	st := store.Stats()
	perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(float64(st.Transactions)/float64(b.N), "nb_txns/op")
	b.ReportMetric(float64(st.Operations)/float64(b.N), "nb_ops/op")
	b.ReportMetric(float64(floor.Nanoseconds()), "floor_ns")
	b.ReportMetric(float64(len(attachOps)), "floor_ops")
	b.ReportMetric(perOp/float64(floor.Nanoseconds()), "x_floor_time")
}
