package dbsync_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/dbsync"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

var _ = Describe("ovn-octavia db-sync", Ordered, func() {
	var bin string
	BeforeAll(func(ctx SpecContext) {
		bin = filepath.Join(env.tb.Dir, "ovn-octavia")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ovn-octavia/ovn-octavia/cmd/ovn-octavia").CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	}, NodeTimeout(120*time.Second))

	run := func(ctx SpecContext, extra ...string) (string, string, int) {
		args := append([]string{"db-sync", "--nb", env.tb.NBServer.Remote(), "--neutron-url", env.tb.FakeNeutron.URL(),
			"--os-token", token, "--octavia-url", env.octaviaURL, "--status-socket", env.tb.Agent.StatusPath(),
			"--get-socket", env.tb.Agent.GetPath()}, extra...)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			Expect(err).NotTo(HaveOccurred())
		}
		return stdout.String(), stderr.String(), code
	}

	It("repairs, prints the report and exits 0; exits 1 when a load balancer failed", func(ctx SpecContext) {
		w := buildWorld(ctx)
		aID, bID, cID := w.a.LoadBalancerID.V, w.b.LoadBalancerID.V, w.c.LoadBalancerID.V
		orig := states(ctx, aID)
		inTxn(ctx, func(t *nbtxn.Txn) { t.LBsByName(aID)[0].ExternalIDs[lbdata.KeyLSRefs] = "{}" })

		out, stderr, code := run(ctx, "--dry-run")
		Expect(code).To(Equal(0), stderr)
		Expect(out).To(ContainSubstring(aID + " (" + w.a.Name.V + "): repaired\n  - row tcp: external_ids:ls_refs \"{}\" -> "))
		Expect(out).To(HaveSuffix("db-sync: 2 in sync, 1 repaired, 0 failed, 0 orphan(s) (dry run: nothing written)\n"))
		Expect(stderr).To(ContainSubstring("OVN Octavia DB sync finish."))
		Expect(states(ctx, aID)).NotTo(Equal(orig))

		out, stderr, code = run(ctx, "--json")
		Expect(code).To(Equal(0), stderr)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		Expect(lines).To(HaveLen(4))
		var ra dbsync.LBReport
		Expect(json.Unmarshal([]byte(lines[0]), &ra)).To(Succeed())
		Expect(ra.ID).To(Equal(aID))
		Expect(ra.Outcome).To(Equal(dbsync.OutcomeRepaired))
		Expect(lines[3]).To(Equal(`{"summary":{"dry_run":false,"ok":2,"repaired":1,"failed":0,"orphans":0}}`))
		Expect(states(ctx, aID)).To(Equal(orig))

		env.tb.Agent.DeleteObject("loadbalancers", cID)
		out, stderr, code = run(ctx, "--lb", bID, "--lb", cID)
		Expect(code).To(Equal(1), stderr)
		Expect(out).To(Equal(bID + " (" + w.b.Name.V + "): ok\n  ! Floating IP not found for loadbalancer " + bID + "\n" +
			cID + " (" + w.c.Name.V + "): failed\n  error: the get socket does not know the load balancer\n" +
			"db-sync: 1 in sync, 0 repaired, 1 failed, 0 orphan(s)\n"))
	}, SpecTimeout(60*time.Second))

	It("sends no write to Neutron in a dry run, even when an HM port has to be re-created", func(ctx SpecContext) {
		w := buildWorld(ctx)
		aID := w.a.LoadBalancerID.V
		var hmPorts []string
		for _, p := range env.tb.FakeNeutron.Ports() {
			if strings.HasPrefix(p.Name, "ovn-lb-hm-") {
				hmPorts = append(hmPorts, p.ID)
			}
		}
		Expect(hmPorts).NotTo(BeEmpty())
		nc, err := neutron.NewFromToken(env.tb.FakeNeutron.URL(), token)
		Expect(err).NotTo(HaveOccurred())
		for _, id := range hmPorts {
			Expect(nc.DeletePort(ctx, id)).To(Succeed())
		}
		before := states(ctx, aID)
		env.tb.FakeNeutron.ResetRequests()

		_, stderr, code := run(ctx, "--dry-run", "--lb", aID)
		Expect(code).To(Equal(0), stderr)
		for _, r := range env.tb.FakeNeutron.Requests() {
			Expect(r.Method).To(Equal("GET"), "dry run sent %s %s", r.Method, r.Path)
		}
		for _, p := range env.tb.FakeNeutron.Ports() {
			Expect(p.Name).NotTo(HavePrefix("ovn-lb-hm-"))
		}
		Expect(states(ctx, aID)).To(Equal(before))
	}, SpecTimeout(60*time.Second))

	It("refuses bad flags with exit 2 before connecting", func(ctx SpecContext) {
		cmd := exec.CommandContext(ctx, bin, "db-sync", "--nb", env.tb.NBServer.Remote(), "--neutron-url", env.tb.FakeNeutron.URL(),
			"--os-token", token, "--octavia-url", env.octaviaURL)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		ee, ok := err.(*exec.ExitError)
		Expect(ok).To(BeTrue(), string(out))
		Expect(ee.ExitCode()).To(Equal(2))
		Expect(string(out)).To(Equal("db-sync: --get-socket is required: the load balancer trees are read from Octavia's driver agent\n"))
	}, SpecTimeout(30*time.Second))
})
