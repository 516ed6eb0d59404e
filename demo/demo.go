// Package demo runs ovn-octavia end to end on a machine with nothing
// installed: libovsdb's in-memory OVSDB server holds NB and SB, a fake
// Neutron answers REST calls, an in-process Octavia driver agent receives
// status messages, and the real provider and agent do the work. It narrates
// what the agent did and what Octavia would receive.
package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/provider"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

const token = "demo-token"

// Main runs the demo; it returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ovn-octavia demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", "warning", "log level of the provider and agent (logs go to stderr)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ovn-octavia demo [--log-level LEVEL]")
		fmt.Fprintln(stderr, "Runs the provider and agent against an in-process OVSDB, a fake Neutron and an")
		fmt.Fprintln(stderr, "in-process Octavia driver agent; prints what happens. Needs nothing installed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	logger := logrus.New()
	logger.SetOutput(stderr)
	level, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "ovn-octavia demo: --log-level: %v\n", err)
		return 2
	}
	logger.SetLevel(level)

	ctx, cancel := context.WithTimeout(ctx, 55*time.Second)
	defer cancel()
	d := &demo{out: stdout, log: logrus.NewEntry(logger)}
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(stderr, "ovn-octavia demo: %v\n", err)
		return 1
	}
	return 0
}

type demo struct {
	out io.Writer
	log *logrus.Entry
	mu  sync.Mutex // serializes output lines

	nbc, sbc client.Client // the demo's own view, playing Neutron and OVN
	octavia  *driveragent.Server
	driver   *provider.Driver
	store    *nbtxn.Store // the provider's NB write layer
	agent    *agent.Agent
	statuses int // status messages printed so far
}

func (d *demo) say(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.out, format+"\n", args...)
}

func (d *demo) step(n int, title string) {
	d.say("\n== %d. %s", n, title)
}

func (d *demo) run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "ovn-octavia-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// --- the world: OVSDB, Neutron, Octavia's driver agent ---
	db, err := startMemOVSDB(dir, logr.Discard())
	if err != nil {
		return err
	}
	defer db.Close()
	fn := fakeneutron.New(token)
	neutronURL, err := fn.Start()
	if err != nil {
		return fmt.Errorf("fake neutron: %w", err)
	}
	defer fn.Close()
	if err := seedNeutron(fn); err != nil {
		return fmt.Errorf("seeding neutron: %w", err)
	}
	d.octavia, err = driveragent.Start(dir, d.log.WithField("component", "octavia"))
	if err != nil {
		return fmt.Errorf("driver agent sockets: %w", err)
	}
	defer d.octavia.Close()

	conn := watcher.ConnConfig{Remote: db.Remote(), DisableLeaderOnly: true, Log: d.log}
	if d.nbc, err = watcher.ConnectNB(ctx, conn, nil); err != nil {
		return err
	}
	defer d.nbc.Close()
	if d.sbc, err = watcher.ConnectSB(ctx, conn, nil); err != nil {
		return err
	}
	defer d.sbc.Close()
	if err := seedNB(ctx, d.nbc); err != nil {
		return fmt.Errorf("seeding nb: %w", err)
	}

	d.say("ovn-octavia demo: in-memory OVSDB at %s, fake Neutron at %s, Octavia sockets in %s", db.Remote(), neutronURL, dir)
	d.say("topology: net1 10.0.1.0/24 (web-1 10.0.1.11, web-2 10.0.1.12) and net2 10.0.2.0/24 (web-3 10.0.2.13);")
	d.say("          router1 has an interface on net1 only")

	nc, err := neutron.NewFromToken(neutronURL, token, neutron.WithLogger(d.log))
	if err != nil {
		return err
	}
	statusClient := octavia.NewStatusClient(d.octavia.StatusConfig(), octavia.DefaultRetryPolicy(), d.log)
	getClient := octavia.NewGetClient(d.octavia.GetConfig(), d.log)

	// --- the agent, as octavia-driver-agent would start it ---
	events := newLineWriter(func(line string) { d.say("   agent  %s", line) })
	d.agent = agent.New(agent.Config{
		Watcher: watcher.Config{NB: conn, SB: conn, DisableLock: true, Log: d.log},
		Neutron: nc, Status: statusClient, Get: getClient, Events: events, Log: d.log,
	})
	agentCtx, stopAgent := context.WithCancel(ctx)
	agentDone := make(chan error, 1)
	d.step(1, "start the agent (full resync of an empty cloud)")
	go func() { agentDone <- d.agent.Run(agentCtx) }()
	if err := events.waitFor(ctx, `"synced"`); err != nil {
		stopAgent()
		return fmt.Errorf("agent did not sync: %w (%v)", err, drain(agentDone))
	}
	go d.printStatuses(ctx)

	// --- the provider, as octavia-api would call it ---
	provConn, err := watcher.ConnectNB(ctx, conn, nil)
	if err != nil {
		stopAgent()
		return err
	}
	defer provConn.Close()
	d.store = nbtxn.New(provConn, d.log)
	hm := health.New(health.Config{Store: d.store, Neutron: nc, Get: getClient, Status: statusClient, Log: d.log})
	d.driver = provider.New(provider.Config{
		Store: d.store, Neutron: nc, Status: statusClient, Get: getClient,
		Health: provider.FromMonitors(hm), Log: d.log,
	})

	err = d.scenario(ctx)
	stopAgent()
	if aerr := drain(agentDone); aerr != nil && err == nil {
		err = fmt.Errorf("agent: %w", aerr)
	}
	d.printNewStatuses()
	if err != nil {
		return err
	}
	ps, as := d.store.Stats(), d.agent.Store()
	d.say("\n== done: %d status messages sent to Octavia; NB transactions: provider %d, agent %d",
		d.octavia.Count(), ps.Transactions, agentTxns(as))
	return nil
}

func agentTxns(s *nbtxn.Store) int64 {
	if s == nil {
		return 0
	}
	return s.Stats().Transactions
}

func drain(ch <-chan error) error {
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("agent did not stop within 10s")
	}
}

// scenario is the story the demo tells.
func (d *demo) scenario(ctx context.Context) error {
	up := octavia.Some(true)

	d.step(2, "create_vip_port and loadbalancer_create: VIP 10.0.1.100 on net1")
	vip, _, err := d.driver.CreateVIPPort(ctx, lbID, projectID, &octavia.VIP{
		VIPNetworkID: octavia.Some(net1ID), VIPSubnetID: octavia.Some(subnet1ID), VIPAddress: octavia.Some("10.0.1.100"),
	}, nil)
	if err != nil {
		return fmt.Errorf("create_vip_port: %w", err)
	}
	vipPortID, _ := vip.VIPPortID.Get()
	d.say("   neutron port %s created for the VIP (ovn-lb-vip-%s)", vipPortID, name(lbID))
	if err := addVIPPortLSP(ctx, d.nbc, vipPortID, "ovn-lb-vip-"+lbID, "10.0.1.100"); err != nil {
		return err
	}
	lb := octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(lbID), ProjectID: octavia.Some(projectID), AdminStateUp: up,
		VIPAddress: octavia.Some("10.0.1.100"), VIPNetworkID: octavia.Some(net1ID),
		VIPSubnetID: octavia.Some(subnet1ID), VIPPortID: octavia.Some(vipPortID),
	}
	if err := d.octavia.SetLoadBalancer(lb); err != nil {
		return err
	}
	if err := d.call(ctx, "loadbalancer_create", func() error { return d.driver.LoadBalancerCreate(ctx, &lb) }); err != nil {
		return err
	}
	if err := d.showAssociations(ctx); err != nil {
		return err
	}

	d.step(3, "listener TCP/80, pool SOURCE_IP_PORT, members web-1 and web-2 on net1")
	listener := octavia.Listener{ListenerID: octavia.Some(listenerID), LoadBalancerID: octavia.Some(lbID),
		Protocol: octavia.Some("TCP"), ProtocolPort: octavia.Some(80), AdminStateUp: up}
	pool := octavia.Pool{PoolID: octavia.Some(poolID), LoadBalancerID: octavia.Some(lbID), ListenerID: octavia.Some(listenerID),
		Protocol: octavia.Some("TCP"), LBAlgorithm: octavia.Some("SOURCE_IP_PORT"), AdminStateUp: up}
	lb.Listeners = octavia.Some([]octavia.Listener{listener})
	lb.Pools = octavia.Some([]octavia.Pool{pool})
	if err := d.octavia.SetLoadBalancer(lb); err != nil {
		return err
	}
	if err := d.call(ctx, "listener_create", func() error { return d.driver.ListenerCreate(ctx, &listener) }); err != nil {
		return err
	}
	if err := d.call(ctx, "pool_create", func() error { return d.driver.PoolCreate(ctx, &pool) }); err != nil {
		return err
	}
	for i, id := range []string{member1ID, member2ID} {
		m := octavia.Member{MemberID: octavia.Some(id), PoolID: octavia.Some(poolID), Address: octavia.Some(vms[i].ip),
			ProtocolPort: octavia.Some(8080), SubnetID: octavia.Some(vms[i].subnetID), AdminStateUp: up}
		if err := d.call(ctx, "member_create "+name(id), func() error { return d.driver.MemberCreate(ctx, &m) }); err != nil {
			return err
		}
	}
	if err := d.showRows(ctx); err != nil {
		return err
	}

	d.step(4, "health_monitor_create TCP on pool-web; OVN starts probing (Service_Monitor rows)")
	hmObj := octavia.HealthMonitor{HealthMonitorID: octavia.Some(hmID), PoolID: octavia.Some(poolID), Type: octavia.Some("TCP"),
		Delay: octavia.Some(5), Timeout: octavia.Some(3), MaxRetries: octavia.Some(3), MaxRetriesDown: octavia.Some(3), AdminStateUp: up}
	if err := d.call(ctx, "health_monitor_create", func() error { return d.driver.HealthMonitorCreate(ctx, &hmObj) }); err != nil {
		return err
	}
	n, err := createServiceMonitors(ctx, d.nbc, d.sbc)
	if err != nil {
		return err
	}
	d.say("   ovn-northd (simulated) created %d Service_Monitor rows", n)

	d.step(5, "health results: all backends online, then web-1 down, then up again")
	for _, flip := range []struct {
		status string
		ips    []string
		expect string
		note   string
	}{
		{"online", nil, "ONLINE", "members were already ONLINE: nothing changed, so nothing is sent to Octavia"},
		{"offline", []string{"10.0.1.11"}, "DEGRADED", ""},
		{"online", []string{"10.0.1.11"}, "ONLINE", ""},
	} {
		who := "all backends"
		if len(flip.ips) > 0 {
			who = "web-1"
		}
		d.say("   ovn-controller (simulated) reports %s %s", who, flip.status)
		before := d.octavia.Count()
		if err := setServiceMonitorStatus(ctx, d.sbc, flip.status, flip.ips...); err != nil {
			return err
		}
		if err := d.waitLBStatus(ctx, flip.expect); err != nil {
			return err
		}
		if flip.note != "" {
			// Give the agent's burst the time to show it sent nothing.
			time.Sleep(200 * time.Millisecond)
			d.printNewStatuses()
			if d.octavia.Count() == before {
				d.say("   (%s)", flip.note)
			}
		}
	}

	d.step(6, "router1 gets an interface on net2: the agent re-associates")
	if err := addRouterInterface(ctx, d.nbc, rif2ID, net2ID, "10.0.2.1/24"); err != nil {
		return err
	}
	if err := d.waitAssociation(ctx, "switch net2", true); err != nil {
		return err
	}
	if err := d.showAssociations(ctx); err != nil {
		return err
	}

	d.step(7, "the interface on net2 is removed again")
	if err := removeRouterInterface(ctx, d.nbc, rif2ID, net2ID); err != nil {
		return err
	}
	// lb1 was on net2 only through router1 (no ls_refs count), so it leaves
	// net2 and stays on router1 and net1 (events-and-status.md §4.2).
	if err := d.waitAssociation(ctx, "switch net2", false); err != nil {
		return err
	}
	if err := d.showAssociations(ctx); err != nil {
		return err
	}

	d.step(8, "a floating IP 172.24.4.50 is associated to the VIP port")
	if err := setPortFIP(ctx, d.nbc, vipPortID, "172.24.4.50"); err != nil {
		return err
	}
	if err := d.waitVIPKey(ctx, "172.24.4.50:80"); err != nil {
		return err
	}
	if err := d.showRows(ctx); err != nil {
		return err
	}

	d.step(9, "loadbalancer_delete with cascade")
	if err := d.call(ctx, "loadbalancer_delete", func() error { return d.driver.LoadBalancerDelete(ctx, &lb, true) }); err != nil {
		return err
	}
	var left []nb.LoadBalancer
	if err := d.nbc.List(ctx, &left); err != nil {
		return err
	}
	d.say("   Load_Balancer rows left in NB: %d", len(left))
	return nil
}

// call runs one provider call and waits for its status message.
func (d *demo) call(ctx context.Context, what string, fn func() error) error {
	before := d.octavia.Count()
	d.say("   provider %s", what)
	if err := fn(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := d.octavia.WaitCount(wctx, before+1); err != nil {
		return fmt.Errorf("%s: no status message: %w", what, err)
	}
	d.printNewStatuses()
	return nil
}

// printStatuses prints status messages that arrive outside provider calls
// (the agent's).
func (d *demo) printStatuses(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.octavia.Changed():
			d.printNewStatuses()
		case <-time.After(100 * time.Millisecond):
			d.printNewStatuses()
		}
	}
}

func (d *demo) printNewStatuses() {
	msgs := d.octavia.Messages()
	d.mu.Lock()
	defer d.mu.Unlock()
	for ; d.statuses < len(msgs); d.statuses++ {
		fmt.Fprintf(d.out, "   octavia <- status #%d: %s\n", d.statuses+1, describe(msgs[d.statuses]))
	}
}

// describe renders a status dict on one line with friendly names.
func describe(s octavia.Status) string {
	raw := s.Encode()
	var m map[string][]map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return string(raw)
	}
	var parts []string
	for _, kind := range []string{"loadbalancers", "listeners", "pools", "members", "healthmonitors"} {
		entries, ok := m[kind]
		if !ok {
			continue
		}
		var es []string
		for _, e := range entries {
			st := e["provisioning_status"]
			if op := e["operating_status"]; op != "" {
				if st != "" {
					st += "/"
				}
				st += op
			}
			es = append(es, name(e["id"])+" "+st)
		}
		if len(es) == 0 {
			es = []string{"-"}
		}
		parts = append(parts, strings.TrimSuffix(kind, "s")+": "+strings.Join(es, ", "))
	}
	return strings.Join(parts, "; ")
}

func (d *demo) showAssociations(ctx context.Context) error {
	assoc, err := associations(ctx, d.nbc)
	if err != nil {
		return err
	}
	var lbs []nb.LoadBalancer
	if err := d.nbc.List(ctx, &lbs); err != nil {
		return err
	}
	sort.Slice(lbs, func(i, j int) bool { return lbs[i].UUID < lbs[j].UUID })
	for _, lb := range lbs {
		d.say("   NB: %s row (%s) is on %s; lr_ref=%q ls_refs=%s", name(lb.Name), proto(lb),
			strings.Join(assoc[lb.UUID], ", "), lb.ExternalIDs["lr_ref"], lb.ExternalIDs["ls_refs"])
	}
	return nil
}

func (d *demo) showRows(ctx context.Context) error {
	var lbs []nb.LoadBalancer
	if err := d.nbc.List(ctx, &lbs); err != nil {
		return err
	}
	for _, lb := range lbs {
		keys := make([]string, 0, len(lb.Vips))
		for k := range lb.Vips {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			d.say("   NB: %s vips %s -> %s", name(lb.Name), k, lb.Vips[k])
		}
	}
	return nil
}

func proto(lb nb.LoadBalancer) string {
	if lb.Protocol == nil {
		return "no protocol yet"
	}
	return string(*lb.Protocol)
}

// waitLBStatus waits for the agent's status message carrying the LB's
// operating status.
func (d *demo) waitLBStatus(ctx context.Context, want string) error {
	return poll(ctx, func() bool {
		msgs := d.octavia.Messages()
		if len(msgs) == 0 {
			return false
		}
		raw := msgs[len(msgs)-1].Encode()
		return strings.Contains(string(raw), `"id": "`+lbID+`", "provisioning_status": "ACTIVE", "operating_status": "`+want+`"`)
	}, "load balancer operating status "+want)
}

func (d *demo) waitAssociation(ctx context.Context, what string, present bool) error {
	return poll(ctx, func() bool {
		assoc, err := associations(ctx, d.nbc)
		if err != nil {
			return false
		}
		var lbs []nb.LoadBalancer
		if err := d.nbc.List(ctx, &lbs); err != nil || len(lbs) == 0 {
			return false
		}
		for _, lb := range lbs {
			has := false
			for _, a := range assoc[lb.UUID] {
				has = has || a == what
			}
			if has != present {
				return false
			}
		}
		return true
	}, fmt.Sprintf("%s association = %v", what, present))
}

func (d *demo) waitVIPKey(ctx context.Context, key string) error {
	return poll(ctx, func() bool {
		var lbs []nb.LoadBalancer
		if err := d.nbc.List(ctx, &lbs); err != nil {
			return false
		}
		for _, lb := range lbs {
			if _, ok := lb.Vips[key]; ok {
				return true
			}
		}
		return false
	}, "vips key "+key)
}

func poll(ctx context.Context, cond func() bool, what string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// lineWriter turns the agent's JSON event lines into callbacks and lets the
// demo wait for one.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	lines []string
	fn    func(string)
	ch    chan struct{}
}

func newLineWriter(fn func(string)) *lineWriter {
	return &lineWriter{fn: fn, ch: make(chan struct{}, 1)}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	var done []string
	sc := bufio.NewScanner(strings.NewReader(string(w.buf)))
	consumed := 0
	for sc.Scan() {
		line := sc.Text()
		if consumed+len(line) >= len(w.buf) { // no newline yet
			break
		}
		consumed += len(line) + 1
		done = append(done, line)
	}
	w.buf = w.buf[consumed:]
	w.lines = append(w.lines, done...)
	w.mu.Unlock()
	for _, l := range done {
		w.fn(l)
	}
	select {
	case w.ch <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *lineWriter) waitFor(ctx context.Context, substr string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if strings.Contains(l, substr) {
				w.mu.Unlock()
				return nil
			}
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
}
