// Package apply_test runs the ovn-octavia binary as a process: `apply` and
// the CRUD subcommands against a real ovsdb-server (NB), the fake Neutron on
// 127.0.0.1 and the in-process driver agent's status and get sockets.
package apply_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/suites/procbed"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

func TestApply(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "apply suite")
}

const token = "apply-suite-token"

// The ids of nb-data-contract §18 (the worked example).
const (
	lbID       = procbed.LBID
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
	return []byte(procbed.Build(ctx, "apply-bin"))
}, func(_ SpecContext, bin []byte) {
	binary = string(bin)
}, NodeTimeout(5*time.Minute))

var _ = SynchronizedAfterSuite(func() {}, func() {
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary))
	}
})

// bed is one spec's world: a fresh NB, fake Neutron and driver agent.
type bed struct {
	dir      string
	nbRemote string // what the binary is given as --nb
	nb       client.Client
	neutron  *fakeneutron.Server
	agent    *driveragent.Server
	log      *logrus.Entry
}

// NB flavours a bed can run.
const (
	nbUnix    = "unix"    // standalone ovsdb-server on a unix socket
	nbTCP     = "tcp"     // standalone, given to the binary as tcp:127.0.0.1:PORT
	nbCluster = "cluster" // 3-member RAFT cluster, given as a comma-separated tcp list
)

func newBed(ctx context.Context) *bed { return newBedWith(ctx, nbUnix) }

func newBedWith(ctx context.Context, flavour string) *bed {
	GinkgoHelper()
	w := procbed.NewWorld(ctx, "ap", token, func(dir string) string {
		switch flavour {
		case nbCluster:
			cl, err := testbed.StartCluster(dir, testbed.NBSchema, testbed.NBDatabase, 3)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(cl.Stop)
			return cl.Remote()
		case nbTCP:
			nbs, err := testbed.StartNB(dir, testbed.WithTCP())
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(nbs.Stop)
			return nbs.TCPRemote()
		default:
			return procbed.StartNB(dir)
		}
	})
	return &bed{dir: w.Dir, nbRemote: w.NBRemote, nb: w.NB, neutron: w.Neutron, agent: w.Agent, log: w.Log}
}

// seedWorkedExample creates the world of nb-data-contract §18
// (procbed.SeedWorkedExample).
func (b *bed) seedWorkedExample(ctx context.Context) {
	GinkgoHelper()
	procbed.SeedWorkedExample(ctx, b.nb, b.neutron, b.agent)
}

// connArgs are the connection flags of apply and the CRUD subcommands.
func (b *bed) connArgs() []string {
	return []string{
		"--nb", b.nbRemote, "--sb", "tcp:127.0.0.1:6642",
		"--neutron-url", b.neutron.URL(), "--os-token", token,
		"--status-socket", b.agent.StatusPath(), "--get-socket", b.agent.GetPath(),
		"--log-level", "debug",
	}
}

// result of one finished process.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary to completion with stdin.
func run(ctx context.Context, stdin string, args ...string) result {
	GinkgoHelper()
	return runEnv(ctx, nil, stdin, args...)
}

// runEnv is run with extra environment variables ("K=V").
func runEnv(ctx context.Context, env []string, stdin string, args ...string) result {
	GinkgoHelper()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errOut, GinkgoWriter)
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		Expect(ok).To(BeTrue(), "run %v: %v", args, err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// writeSteps writes a steps file and returns its path.
func (b *bed) writeSteps(name, content string) string {
	GinkgoHelper()
	p := filepath.Join(b.dir, name)
	Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
	return p
}

// lbRows returns the NB Load_Balancer rows (from the test client's cache,
// after it caught up with the server).
func (b *bed) lbRows(ctx context.Context) []nb.LoadBalancer {
	GinkgoHelper()
	return procbed.LBRows(ctx, b.nb)
}

// nbSnapshot returns every NB table this project touches, for "nothing
// changed" assertions.
func (b *bed) nbSnapshot(ctx context.Context) map[string]any {
	GinkgoHelper()
	return procbed.NBSnapshot(ctx, b.nb)
}

// lineReader reads a process's stdout line by line as it is written.
type lineReader struct {
	lines chan string
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 64)}
	go func() {
		defer GinkgoRecover()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lr.lines <- sc.Text()
		}
		close(lr.lines)
	}()
	return lr
}
