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
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	"github.com/ovn-kubernetes/libovsdb/client"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/serve"
	"github.com/ovn-octavia/ovn-octavia/suites/procbed"
)

func TestServe(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "serve suite")
}

const token = "serve-suite-token"

// The ids of nb-data-contract §18 (the worked example), and a second LB.
const (
	lbID       = procbed.LBID
	lb2ID      = "5d6e1f2a-3b4c-4d5e-8f60-718293a4b5c6"
	netID      = procbed.NetID
	routerID   = procbed.RouterID
	vipPortID  = procbed.VIPPortID
	listenerID = procbed.ListenerID
	poolID     = procbed.PoolID
	memberID   = procbed.MemberID
	memberSub  = procbed.MemberSub
	vipSubnet  = procbed.VIPSubnet
	rifPortID  = procbed.RIFPortID
	vipAddress = procbed.VIPAddress
	projectID  = procbed.ProjectID
)

// binary is the ovn-octavia executable built once for the suite.
var binary string

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	// The shim's Python files are stat'ed too: the test binary does not
	// open them, and the shim specs depend on them.
	py, err := filepath.Glob(filepath.Join(shimDir(), "*", "*.py"))
	Expect(err).NotTo(HaveOccurred())
	return []byte(procbed.Build(ctx, "serve-bin", py...))
}, func(_ SpecContext, bin []byte) {
	binary = string(bin)
}, NodeTimeout(5*time.Minute))

var _ = SynchronizedAfterSuite(func() {}, func() {
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary))
	}
})

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
	w := procbed.NewWorld(ctx, "sv", token, procbed.StartNB)
	b := &bed{dir: w.Dir, nb: w.NB, neutron: w.Neutron, agent: w.Agent}
	procbed.SeedWorkedExample(ctx, b.nb, b.neutron, b.agent)
	b.startServe(w.NBRemote)
	return b
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
	return procbed.LBRows(ctx, b.nb)
}

// nbSnapshot returns every NB table this project touches.
func (b *bed) nbSnapshot(ctx context.Context) map[string]any {
	GinkgoHelper()
	return procbed.NBSnapshot(ctx, b.nb)
}

func active(id, oper string) octavia.StatusEntry { return procbed.Active(id, oper) }

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
