// Package maintenance_test is the Ginkgo suite of the agent's maintenance
// tasks (events-and-status §10) against a real NB ovsdb-server and the fake
// Neutron over HTTP: the Neutron requests each task sends (exact bodies),
// the NB rows it leaves, when it stops, and that a running agent starts it.
package maintenance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/maintenance"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestMaintenance(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(20 * time.Second)
	SetDefaultEventuallyPollingInterval(20 * time.Millisecond)
	SetDefaultConsistentlyDuration(time.Second)
	SetDefaultConsistentlyPollingInterval(50 * time.Millisecond)
	RunSpecs(t, "maintenance suite")
}

// tb is the current spec's test bed (NB ovsdb-server, fake Neutron, driver
// agent sockets), fresh for every spec.
var tb *testbed.Env

// netID is a Neutron network every seeded port lives on.
var netID string

var _ = BeforeEach(func(ctx SpecContext) {
	var err error
	tb, err = testbed.NewEnv(ctx, testbed.EnvConfig{LogOutput: GinkgoWriter, LogLevel: logrus.DebugLevel, DirPrefix: "mt"})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { Expect(tb.Close()).To(Succeed()) })
	n, err := tb.FakeNeutron.AddNetwork(fakeneutron.Network{Name: "private"})
	Expect(err).NotTo(HaveOccurred())
	netID = n.ID
}, NodeTimeout(60*time.Second))

func newID() string { return uuid.NewString() }

// runner returns a Runner over the test bed with a short interval.
func runner(interval, localportWait time.Duration) *maintenance.Runner {
	return maintenance.New(maintenance.Config{
		Store: tb.Store, Neutron: tb.Neutron, Interval: interval, LocalportWait: localportWait,
		Log: tb.Log.WithField("component", "maintenance"),
	})
}

// addPort seeds a Neutron port.
func addPort(name, owner, deviceID string) fakeneutron.Port {
	GinkgoHelper()
	p, err := tb.FakeNeutron.AddPort(fakeneutron.Port{Name: name, NetworkID: netID, DeviceOwner: owner, DeviceID: deviceID, AdminStateUp: true})
	Expect(err).NotTo(HaveOccurred())
	return p
}

// port returns the fake's current copy of a port.
func port(id string) fakeneutron.Port {
	GinkgoHelper()
	p, ok := tb.FakeNeutron.Port(id)
	Expect(ok).To(BeTrue(), "port %s", id)
	return p
}

func transact(ops ...ovsdb.Operation) []ovsdb.OperationResult {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := testbed.Transact(ctx, tb.NB, ops...)
	Expect(err).NotTo(HaveOccurred())
	return res
}

func ovsMap(m map[string]string) ovsdb.OvsMap {
	out := ovsdb.OvsMap{GoMap: map[any]any{}}
	for k, v := range m {
		out.GoMap[k] = v
	}
	return out
}

func whereName(n string) []ovsdb.Condition {
	return []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, n)}
}

// addLSP creates the LSP Neutron keeps for port id (on a switch of its
// own: LSPs are not root rows) with the given type.
func addLSP(id, typ string) {
	GinkgoHelper()
	transact(
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchPortTable, UUIDName: "p",
			Row: ovsdb.Row{"name": id, "type": typ}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalSwitchTable,
			Row: ovsdb.Row{"name": "neutron-" + id, "ports": ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "p"}}}}})
	Eventually(func() bool { return lspType(id) == typ }).Should(BeTrue())
}

// lspType reads an LSP's type from the test client's cache ("" if absent).
func lspType(id string) string {
	for _, m := range tb.NB.Cache().Table(nb.LogicalSwitchPortTable).RowsShallow() {
		if lsp := m.(*nb.LogicalSwitchPort); lsp.Name == id {
			return lsp.Type
		}
	}
	return ""
}

// setLSPType does what Neutron's OVN driver does on a device_owner change.
func setLSPType(id, typ string) {
	GinkgoHelper()
	transact(ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: nb.LogicalSwitchPortTable, Where: whereName(id),
		Row: ovsdb.Row{"type": typ}})
}

// addLB inserts a Load_Balancer row the way the provider (or another
// writer) left it and waits until the Store's cache has it.
func addLB(name string, ext, mappings map[string]string) string {
	GinkgoHelper()
	row := ovsdb.Row{"name": name, "protocol": ovsdb.OvsSet{GoSet: []any{"tcp"}}, "external_ids": ovsMap(ext)}
	if mappings != nil {
		row["ip_port_mappings"] = ovsMap(mappings)
	}
	res := transact(ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LoadBalancerTable, Row: row})
	u := res[0].UUID.GoUUID
	Eventually(func() any { return tb.NB.Cache().Table(nb.LoadBalancerTable).Row(u) }).ShouldNot(BeNil())
	return u
}

// serverMappings selects a row's ip_port_mappings from the server itself
// (not from a cache), as a plain map.
func serverMappings(lbUUID string) map[string]string {
	GinkgoHelper()
	res := transact(ovsdb.Operation{Op: ovsdb.OperationSelect, Table: nb.LoadBalancerTable,
		Where:   []ovsdb.Condition{ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: lbUUID})},
		Columns: []string{"ip_port_mappings"}})
	Expect(res[0].Rows).To(HaveLen(1))
	m, ok := res[0].Rows[0]["ip_port_mappings"].(ovsdb.OvsMap)
	Expect(ok).To(BeTrue(), "ip_port_mappings is %T", res[0].Rows[0]["ip_port_mappings"])
	out := map[string]string{}
	for k, v := range m.GoMap {
		out[k.(string)] = v.(string)
	}
	return out
}

// request is a recorded Neutron request in a comparable form.
type request struct {
	Method, Path, Query, Body string
	Status                    int
}

func (r request) String() string {
	return fmt.Sprintf("%s %s?%s %s -> %d", r.Method, r.Path, r.Query, r.Body, r.Status)
}

// requests returns the recorded requests with the given method ("" = all).
func requests(method string) []request {
	var out []request
	for _, r := range tb.FakeNeutron.Requests() {
		if method != "" && r.Method != method {
			continue
		}
		out = append(out, request{Method: r.Method, Path: r.Path, Query: r.Query.Encode(), Body: string(r.Body), Status: r.Status})
	}
	return out
}

// puts returns "path body" for every PUT, bodies re-encoded with sorted
// keys (gophercloud marshals a map, so the wire order is already sorted;
// this keeps the comparison independent of whitespace).
func puts() []string {
	GinkgoHelper()
	var out []string
	for _, r := range requests("PUT") {
		var body any
		Expect(json.Unmarshal([]byte(r.Body), &body)).To(Succeed(), r.Body)
		b, err := json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
		out = append(out, fmt.Sprintf("%s %s -> %d", r.Path, b, r.Status))
	}
	return out
}

func putOf(id, owner, deviceID string, status int) string {
	return fmt.Sprintf(`/v2.0/ports/%s {"port":{"device_id":%q,"device_owner":%q}} -> %d`, id, deviceID, owner, status)
}

// runInBackground runs r.Run in the background and returns a channel closed
// when it returns; the spec's cleanup stops it.
func runInBackground(r *maintenance.Runner) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(done).WithTimeout(10 * time.Second).Should(BeClosed())
	})
	return done
}
