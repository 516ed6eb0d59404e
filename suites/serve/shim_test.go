package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// pythonWithOctaviaLib returns a Python interpreter that can import
// octavia_lib: $OVN_OCTAVIA_PYTHON, else python3 on PATH, else Debian's
// /usr/bin/python3 (python3-octavia-lib installs there; a pyenv python3 on
// PATH does not see it). There is deliberately no skip: CI installs the
// package (.ci/run), so a missing octavia_lib is a failure.
func pythonWithOctaviaLib(ctx context.Context) string {
	GinkgoHelper()
	candidates := []string{"python3", "/usr/bin/python3"}
	if p := os.Getenv("OVN_OCTAVIA_PYTHON"); p != "" {
		candidates = []string{p}
	}
	var tried []string
	for _, c := range candidates {
		out, err := exec.CommandContext(ctx, c, "-c", "import octavia_lib").CombinedOutput()
		if err == nil {
			return c
		}
		tried = append(tried, c+": "+strings.TrimSpace(string(out))+" "+err.Error())
	}
	Fail("no Python that can import octavia_lib (apt-get install -y python3-octavia-lib):\n" + strings.Join(tried, "\n"))
	return ""
}

// python runs a script of shim/tests with the shim on PYTHONPATH and
// returns its stdout (one JSON line).
func python(ctx context.Context, interp string, env []string, script string, args ...string) string {
	GinkgoHelper()
	cmd := exec.CommandContext(ctx, interp, append([]string{filepath.Join(shimDir(), "tests", script)}, args...)...)
	cmd.Env = append(os.Environ(), append(env, "PYTHONPATH="+shimDir(), "PYTHONDONTWRITEBYTECODE=1")...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = GinkgoWriter
	Expect(cmd.Run()).To(Succeed(), "%s %v", script, args)
	return out.String()
}

func mustJSON(v any) string {
	GinkgoHelper()
	b, err := json.Marshal(v)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

var _ = Describe("the Python shim driver (ovn_octavia_shim) against ovn-octavia serve", func() {
	var (
		b      *bed
		interp string
		env    []string
	)

	BeforeEach(func(ctx SpecContext) {
		interp = pythonWithOctaviaLib(ctx)
		b = newBed(ctx)
		env = []string{"OVN_OCTAVIA_SOCKET=" + b.socket}
	}, NodeTimeout(60*time.Second))

	// shimCall calls one driver method through tests/call.py.
	shimCall := func(ctx context.Context, method string, kwargs map[string]any) string {
		GinkgoHelper()
		return python(ctx, interp, env, "call.py", method, mustJSON(kwargs))
	}

	It("creates the VIP port and a load balancer from octavia-lib data models", func(ctx SpecContext) {
		out := shimCall(ctx, "create_vip_port", map[string]any{
			"loadbalancer_id": lb2ID, "project_id": projectID,
			"vip_dictionary":       map[string]any{"vip_network_id": netID, "vip_subnet_id": vipSubnet, "vip_address": "172.24.4.50"},
			"additional_vip_dicts": []any{},
		})
		var port fakeneutron.Port
		for _, p := range b.neutron.Ports() {
			if p.Name == "ovn-lb-vip-"+lb2ID {
				port = p
			}
		}
		Expect(port.ID).NotTo(BeEmpty(), "no VIP port in Neutron")
		// create_vip_port returns the (vip_dict, additional_vip_dicts) tuple.
		Expect(out).To(MatchJSON(mustJSON(map[string]any{"returned": []any{
			map[string]any{"vip_address": "172.24.4.50", "vip_network_id": netID, "vip_port_id": port.ID, "vip_subnet_id": vipSubnet},
			[]any{},
		}})))

		// Octavia passes a DataModels.LoadBalancer; the shim sends its
		// to_dict(recurse=True) with the Unset attributes left out.
		out = shimCall(ctx, "loadbalancer_create", map[string]any{"loadbalancer": map[string]any{
			"__model__": "LoadBalancer", "loadbalancer_id": lb2ID, "name": "web", "admin_state_up": true,
			"project_id": projectID, "vip_address": "172.24.4.50", "vip_network_id": netID,
			"vip_subnet_id": vipSubnet, "vip_port_id": port.ID,
		}})
		Expect(out).To(MatchJSON(`{"returned": null}`))

		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].Name).To(Equal(lb2ID))
			g.Expect(rows[0].ExternalIDs).To(Equal(lbOnlyExternalIDs("172.24.4.50", port.ID)))
		}).WithContext(ctx).Should(Succeed())
		msgs, err := b.agent.WaitCount(ctx, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(Equal([]octavia.Status{
			{LoadBalancers: []octavia.StatusEntry{active(lb2ID, octavia.OperatingOnline)}},
		}))
	}, SpecTimeout(90*time.Second))

	It("raises the octavia-lib exception of a refused call, with the exact fault strings", func(ctx SpecContext) {
		before := b.nbSnapshot(ctx)
		out := shimCall(ctx, "listener_create", map[string]any{"listener": map[string]any{
			"__model__": "Listener", "listener_id": listenerID, "loadbalancer_id": lbID,
			"protocol": "HTTP", "protocol_port": 80, "admin_state_up": true,
		}})
		Expect(out).To(MatchJSON(`{"raised": "octavia_lib.api.drivers.exceptions.UnsupportedOptionError",
			"user_fault_string": "OVN provider does not support HTTP protocol",
			"operator_fault_string": "OVN provider does not support HTTP protocol"}`))

		notImpl, ok := octavia.ErrNotImplemented(octavia.MethodL7PolicyCreate)
		Expect(ok).To(BeTrue())
		out = shimCall(ctx, "l7policy_create", map[string]any{"l7policy": map[string]any{
			"__model__": "L7Policy", "l7policy_id": "p", "listener_id": listenerID, "action": "REJECT",
		}})
		Expect(out).To(MatchJSON(mustJSON(map[string]any{
			"raised":                "octavia_lib.api.drivers.exceptions.NotImplementedError",
			"user_fault_string":     notImpl.UserFault,
			"operator_fault_string": notImpl.OperatorFault,
		})))
		Expect(b.nbSnapshot(ctx)).To(Equal(before))
		Expect(b.agent.Count()).To(Equal(0))
	}, SpecTimeout(90*time.Second))
})

var _ = Describe("the Python shim provider agent (ovn_octavia_shim.agent)", func() {
	var (
		dir    string
		interp string
	)

	BeforeEach(func(ctx SpecContext) {
		interp = pythonWithOctaviaLib(ctx)
		var err error
		dir, err = os.MkdirTemp("", "shimagent")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, dir)
	})

	// fakeAgent writes a stand-in for the ovn-octavia binary that records
	// its arguments and its SIGTERM in the marker file; with exitCode >= 0
	// it exits by itself.
	fakeAgent := func(exitCode int) (bin, marker string) {
		GinkgoHelper()
		bin, marker = filepath.Join(dir, "fake-ovn-octavia"), filepath.Join(dir, "marker")
		script := `#!/bin/sh
echo "started $*" >> "` + marker + `"
trap 'echo terminated >> "` + marker + `"; exit 0' TERM
`
		if exitCode >= 0 {
			script += "exit " + strings.TrimSpace(mustJSON(exitCode)) + "\n"
		}
		script += "while :; do sleep 0.05; done\n"
		Expect(os.WriteFile(bin, []byte(script), 0o755)).To(Succeed())
		return bin, marker
	}

	It("runs `ovn-octavia agent` with the flags from the environment and stops it when exit_event is set", func(ctx SpecContext) {
		bin, marker := fakeAgent(-1)
		out := python(ctx, interp, []string{
			"OVN_OCTAVIA_BINARY=" + bin,
			"OVN_OCTAVIA_AGENT_ARGS=--nb 'unix:/run/ovn/ovnnb db.sock' --disable-lock",
		}, "agent_run.py", marker)
		Expect(out).To(MatchJSON(`{"returned": null}`))
		b, err := os.ReadFile(marker)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(b)).To(Equal("started agent --nb unix:/run/ovn/ovnnb db.sock --disable-lock\nterminated\n"))
	}, SpecTimeout(90*time.Second))

	It("raises when the agent exits by itself, so that octavia-driver-agent restarts it", func(ctx SpecContext) {
		bin, marker := fakeAgent(3)
		out := python(ctx, interp, []string{"OVN_OCTAVIA_BINARY=" + bin}, "agent_run.py", marker, "--until-return")
		Expect(out).To(MatchJSON(`{"raised": "RuntimeError", "message": "ovn-octavia agent exited with status 3"}`))
	}, SpecTimeout(90*time.Second))
})
