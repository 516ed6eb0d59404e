// Package watcher_test is the Ginkgo suite of package watcher against real
// ovsdb-server processes started by suites/testbed.
package watcher_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

func TestWatcher(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	SetDefaultConsistentlyDuration(1500 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(50 * time.Millisecond)
	RunSpecs(t, "watcher suite")
}

// shortDir is a fresh directory with a path short enough for unix sockets.
func shortDir() string {
	d, err := os.MkdirTemp("", "wt")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func testLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(GinkgoWriter)
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l)
}

func startNB(dir string, opts ...testbed.Option) *testbed.Server {
	s, err := testbed.StartNB(dir, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Stop)
	return s
}

func startSB(dir string, opts ...testbed.Option) *testbed.Server {
	s, err := testbed.StartSB(dir, opts...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Stop)
	return s
}

func connectNB(remote string) client.Client {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := testbed.ConnectNB(ctx, remote)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

func connectSB(remote string) client.Client {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := testbed.ConnectSB(ctx, remote)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// startWatcher starts a watcher that lives until the end of the spec (or
// an explicit Close).
func startWatcher(cfg watcher.Config) *watcher.Watcher {
	if cfg.Log == nil {
		cfg.Log = testLog()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := watcher.Start(ctx, cfg)
	if err != nil {
		cancel()
	}
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		Expect(w.Close()).To(Succeed())
		cancel()
	})
	return w
}

// collector drains a watcher in the background, as the agent would.
type collector struct {
	mu      sync.Mutex
	events  []watcher.Event
	batches int
}

func collect(w *watcher.Watcher) *collector {
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	done := make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(done)
		for {
			evs, err := w.Next(ctx)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.events = append(c.events, evs...)
			c.batches++
			c.mu.Unlock()
		}
	}()
	DeferCleanup(func() {
		cancel()
		<-done
	})
	return c
}

func (c *collector) all() []watcher.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// since returns the events after the first n.
func (c *collector) since(n int) []watcher.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events[n:])
}

func resyncs(evs []watcher.Event) []watcher.Resync {
	var out []watcher.Resync
	for _, e := range evs {
		if r, ok := e.(watcher.Resync); ok {
			out = append(out, r)
		}
	}
	return out
}

// nonResync drops Resync events.
func nonResync(evs []watcher.Event) []watcher.Event {
	var out []watcher.Event
	for _, e := range evs {
		if _, ok := e.(watcher.Resync); !ok {
			out = append(out, e)
		}
	}
	return out
}

func lrpNames(evs []watcher.Event) []string {
	var out []string
	for _, e := range evs {
		switch ev := e.(type) {
		case watcher.LRPCreated:
			out = append(out, "created:"+ev.LRP.Name)
		case watcher.LRPDeleted:
			out = append(out, "deleted:"+ev.LRP.Name)
		}
	}
	return out
}

func txn(c client.Client, ops ...ovsdb.Operation) []ovsdb.OperationResult {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := testbed.Transact(ctx, c, ops...)
	Expect(err).NotTo(HaveOccurred())
	return res
}

func whereName(name string) []ovsdb.Condition {
	return []ovsdb.Condition{{Column: "name", Function: ovsdb.ConditionEqual, Value: name}}
}

func uuidSet(uuids ...string) ovsdb.OvsSet {
	s := ovsdb.OvsSet{}
	for _, u := range uuids {
		s.GoSet = append(s.GoSet, ovsdb.UUID{GoUUID: u})
	}
	return s
}

func ovsMap(m map[string]string) ovsdb.OvsMap {
	om := ovsdb.OvsMap{GoMap: map[any]any{}}
	for k, v := range m {
		om.GoMap[k] = v
	}
	return om
}

// addRouter creates an empty router.
func addRouter(c client.Client, name string) {
	GinkgoHelper()
	txn(c, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterTable, Row: ovsdb.Row{"name": name}})
}

// addLRP creates a router port on router (LRPs are non-root rows: they
// live while a router references them).
func addLRP(c client.Client, router, name string) {
	GinkgoHelper()
	txn(c,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "newlrp", Row: ovsdb.Row{
			"name": name, "mac": "fa:16:3e:00:00:01",
			"networks":     ovsdb.OvsSet{GoSet: []any{"10.0.0.1/24"}},
			"external_ids": ovsMap(map[string]string{"neutron:router_name": router, "neutron:network_name": "neutron-net1"}),
		}},
		ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LogicalRouterTable, Where: whereName(router),
			Mutations: []ovsdb.Mutation{{Column: "ports", Mutator: ovsdb.MutateOperationInsert, Value: uuidSet("newlrp")}}},
	)
}

// delLRP removes a port from its router; the unreferenced row is
// garbage-collected by the server.
func delLRP(c client.Client, router, name string) {
	GinkgoHelper()
	var lrps []nb.LogicalRouterPort
	Eventually(func() []nb.LogicalRouterPort {
		lrps = nil
		_ = c.WhereCache(func(p *nb.LogicalRouterPort) bool { return p.Name == name }).List(context.Background(), &lrps)
		return lrps
	}).Should(HaveLen(1))
	txn(c, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LogicalRouterTable, Where: whereName(router),
		Mutations: []ovsdb.Mutation{{Column: "ports", Mutator: ovsdb.MutateOperationDelete, Value: uuidSet(lrps[0].UUID)}}})
}

// addLSP creates a switch (if needed) with one port.
func addSwitchWithPorts(c client.Client, ls string, ports map[string]map[string]string) {
	GinkgoHelper()
	var ops []ovsdb.Operation
	var refs []string
	i := 0
	for name, ext := range ports {
		ref := fmt.Sprintf("lsp%d", i)
		i++
		refs = append(refs, ref)
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchPortTable, UUIDName: ref,
			Row: ovsdb.Row{"name": name, "external_ids": ovsMap(ext)}})
	}
	ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable,
		Row: ovsdb.Row{"name": ls, "ports": uuidSet(refs...)}})
	txn(c, ops...)
}

func setLSPExternalIDs(c client.Client, lsp string, ext map[string]string) {
	GinkgoHelper()
	txn(c, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: nb.LogicalSwitchPortTable, Where: whereName(lsp),
		Row: ovsdb.Row{"external_ids": ovsMap(ext)}})
}

func addServiceMonitor(c client.Client, ip string, port int) string {
	GinkgoHelper()
	res := txn(c, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sb.ServiceMonitorTable, Row: ovsdb.Row{
		"ip": ip, "port": port, "protocol": "tcp", "logical_port": "member-port", "src_ip": "10.0.0.2",
		"src_mac": "fa:16:3e:00:00:02",
	}})
	return res[0].UUID.GoUUID
}

func whereUUID(uuid string) []ovsdb.Condition {
	return []ovsdb.Condition{{Column: "_uuid", Function: ovsdb.ConditionEqual, Value: ovsdb.UUID{GoUUID: uuid}}}
}

// cacheLRPNames lists LRP names in a client's cache.
func cacheLRPNames(c client.Client) []string {
	var lrps []nb.LogicalRouterPort
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.List(ctx, &lrps); err != nil {
		return []string{"error: " + err.Error()}
	}
	var names []string
	for _, p := range lrps {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}
