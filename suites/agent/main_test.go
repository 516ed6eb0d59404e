package agent_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// binary is the ovn-octavia binary built once for the suite.
var binary string

var _ = SynchronizedBeforeSuite(func() []byte {
	path, err := gexec.Build("github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia")
	Expect(err).NotTo(HaveOccurred())
	return []byte(path)
}, func(path []byte) {
	binary = string(path)
})

var _ = SynchronizedAfterSuite(func() {}, func() { gexec.CleanupBuildArtifacts() })

// proc is a running `ovn-octavia agent`.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout []string
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

func (w *world) runBinary(env []string, args ...string) *proc {
	GinkgoHelper()
	p := &proc{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"agent"}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = io.MultiWriter(p.stderr, GinkgoWriter)
	out, err := p.cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(p.cmd.Start()).To(Succeed())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout = append(p.stdout, sc.Text())
			p.mu.Unlock()
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	DeferCleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *proc) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stdout...)
}

func (w *world) socketArgs() []string {
	return []string{"--status-socket", filepath.Join(w.dir, "status.sock"), "--get-socket", filepath.Join(w.dir, "get.sock"),
		"--neutron-url", w.neutronURL, "--os-token", "tok"}
}

var _ = Describe("ovn-octavia agent (binary)", func() {
	It("prints only JSON lifecycle lines, hands the lock over on SIGTERM and exits 0 within 10 s", func() {
		w := newWorld()
		t := newTopo(w)

		first := w.runBinary(nil, append([]string{"--nb", w.nbs.Remote(), "--sb", w.sbs.Remote(), "--log-level", "debug"},
			w.socketArgs()...)...)
		Eventually(first.lines).Should(ContainElement(`{"event":"synced"}`))
		Expect(first.lines()).To(Equal([]string{`{"event":"active"}`, `{"event":"ready"}`, `{"event":"synced"}`}))

		// The second agent takes its remotes from the environment and waits.
		second := w.runBinary([]string{"OVN_NB_CONNECTION=" + w.nbs.Remote(), "OVN_SB_CONNECTION=" + w.sbs.Remote()},
			w.socketArgs()...)
		Eventually(second.lines, 10*time.Second).Should(Equal([]string{`{"event":"standby"}`, `{"event":"ready"}`}))

		// Only the holder acts.
		t.step1AddN2()
		t.expectAfterStep1()
		// The rows can show before the child's log line has crossed its pipe.
		Eventually(first.stderr.String).Should(ContainSubstring("attached LB to router"))
		Expect(second.stderr.String()).NotTo(ContainSubstring("attached LB to router"))

		start := time.Now()
		Expect(first.cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(first.exited, 10*time.Second).Should(BeClosed())
		Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second))
		Expect(first.err).NotTo(HaveOccurred(), "exit status 0")
		Expect(first.stderr.String()).To(ContainSubstring("OVN provider agent is exiting."))

		// The standby takes over, resyncs and serves.
		Eventually(second.lines, 15*time.Second).Should(Equal([]string{
			`{"event":"standby"}`, `{"event":"ready"}`, `{"event":"active"}`, `{"event":"synced"}`}))
		t.step2AddN3()
		t.expectAfterStep2()

		Expect(second.cmd.Process.Signal(syscall.SIGINT)).To(Succeed())
		Eventually(second.exited, 10*time.Second).Should(BeClosed())
		Expect(second.err).NotTo(HaveOccurred())
		for _, l := range append(first.lines(), second.lines()...) {
			Expect(strings.HasPrefix(l, `{"event":`)).To(BeTrue(), l)
		}
	})

	It("rejects bad usage with exit code 2 and a message on stderr", func() {
		w := newWorld()
		p := w.runBinary(nil, "--nb", "http://x")
		Eventually(p.exited, 10*time.Second).Should(BeClosed())
		Expect(p.cmd.ProcessState.ExitCode()).To(Equal(2))
		Expect(p.stderr.String()).To(ContainSubstring("--nb"))
		Expect(p.lines()).To(BeEmpty())
	})

	It("takes Neutron credentials from clouds.yaml via OS_CLOUD and fails clearly (exit 1) when the cloud is missing", func() {
		w := newWorld()
		cfg := filepath.Join(w.dir, "clouds.yaml")
		Expect(os.WriteFile(cfg, []byte("clouds:\n  other:\n    auth:\n      auth_url: http://127.0.0.1:1/v3\n"), 0o600)).To(Succeed())
		p := w.runBinary([]string{"OS_CLOUD=mycloud", "OS_CLIENT_CONFIG_FILE=" + cfg},
			"--nb", w.nbs.Remote(), "--sb", w.sbs.Remote())
		Eventually(p.exited, 10*time.Second).Should(BeClosed())
		Expect(p.cmd.ProcessState.ExitCode()).To(Equal(1))
		Expect(p.stderr.String()).To(ContainSubstring("clouds.yaml"))
		Expect(p.stderr.String()).To(ContainSubstring("mycloud"))
		Expect(p.lines()).To(BeEmpty())
	})
})
