package apply_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/suites/procbed"
)

// The worked example's calls, in Octavia's order: LB, listener (no default
// pool yet), pool attached to the listener, member.
var workedExampleSteps = `[
  {"call": "loadbalancer_create", "loadbalancer": {
     "loadbalancer_id": "` + lbID + `", "admin_state_up": true, "project_id": "` + projectID + `",
     "vip_address": "` + vipAddress + `", "vip_network_id": "` + netID + `", "vip_subnet_id": "` + vipSubnet + `",
     "vip_port_id": "` + vipPortID + `"}},
  {"call": "listener_create", "listener": {
     "listener_id": "` + listenerID + `", "loadbalancer_id": "` + lbID + `", "admin_state_up": true,
     "protocol": "TCP", "protocol_port": 64015}},
  {"call": "pool_create", "pool": {
     "pool_id": "` + poolID + `", "loadbalancer_id": "` + lbID + `", "listener_id": "` + listenerID + `",
     "admin_state_up": true, "protocol": "TCP", "lb_algorithm": "SOURCE_IP_PORT"}},
  {"call": "member_create", "member": {
     "member_id": "` + memberID + `", "pool_id": "` + poolID + `", "admin_state_up": true,
     "address": "10.10.10.10", "protocol_port": 63015, "subnet_id": "` + memberSub + `"}}
]`

func okLines(calls ...string) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(`{"call":"` + c + `","ok":true}` + "\n")
	}
	return b.String()
}

func active(id, oper string) octavia.StatusEntry { return procbed.Active(id, oper) }

var _ = Describe("ovn-octavia apply", func() {
	var b *bed

	BeforeEach(func(ctx SpecContext) {
		b = newBed(ctx)
		b.seedWorkedExample(ctx)
	}, NodeTimeout(60*time.Second))

	It("runs LB, listener, pool and member create into the NB rows and statuses of the worked example", func(ctx SpecContext) {
		steps := b.writeSteps("steps.json", workedExampleSteps)
		r := run(ctx, "", append([]string{"apply"}, append(b.connArgs(), steps)...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal(okLines("loadbalancer_create", "listener_create", "pool_create", "member_create")))

		// nb-data-contract §18 without the health monitor.
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			row := rows[0]
			g.Expect(row.Name).To(Equal(lbID))
			g.Expect(row.Protocol).To(HaveValue(Equal(nb.LoadBalancerProtocolTCP)))
			g.Expect(row.SelectionFields).To(ConsistOf("ip_dst", "ip_src", "tp_dst", "tp_src"))
			g.Expect(row.Options).To(BeEmpty())
			g.Expect(row.Vips).To(Equal(map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}))
			g.Expect(row.IPPortMappings).To(BeEmpty())
			g.Expect(row.HealthCheck).To(BeEmpty())
			g.Expect(row.ExternalIDs).To(Equal(map[string]string{
				"enabled":                "True",
				"lr_ref":                 "neutron-" + routerID,
				"ls_refs":                `{"neutron-` + netID + `": 2}`,
				"neutron:vip":            vipAddress,
				"neutron:vip_port_id":    vipPortID,
				"listener_" + listenerID: "64015:pool_" + poolID,
				"pool_" + poolID:         "member_" + memberID + "_10.10.10.10:63015_" + memberSub,
				"neutron:member_status":  `{"` + memberID + `": "NO_MONITOR"}`,
			}))

			// Attached to the VIP switch and to the router of the VIP subnet.
			var ls []nb.LogicalSwitch
			g.Expect(b.nb.List(ctx, &ls)).To(Succeed())
			g.Expect(ls).To(HaveLen(1))
			g.Expect(ls[0].LoadBalancer).To(ConsistOf(row.UUID))
			var lr []nb.LogicalRouter
			g.Expect(b.nb.List(ctx, &lr)).To(Succeed())
			g.Expect(lr).To(HaveLen(1))
			g.Expect(lr[0].LoadBalancer).To(ConsistOf(row.UUID))
		}).WithContext(ctx).Should(Succeed())

		// operations.md §4 step 6, §8.1 step 4, §9.1 step 3, §10.1 (roll-up,
		// events-and-status §7), each call's status sent before the next call.
		Expect(b.agent.Messages()).To(Equal(procbed.WorkedExampleStatuses()))
	}, SpecTimeout(90*time.Second))

	It("prints the exact validation errors and leaves NB unchanged", func(ctx SpecContext) {
		// An LB without listeners to validate against.
		r := run(ctx, "[]", append([]string{"apply"}, append(b.connArgs(), "-")...)...)
		Expect(r.code).To(Equal(0), r.stderr) // an empty list of steps from stdin is fine
		Expect(r.stdout).To(BeEmpty())

		setup := b.writeSteps("setup.json", `[{"call": "loadbalancer_create", "loadbalancer": {
		  "loadbalancer_id": "`+lbID+`", "admin_state_up": true, "vip_address": "`+vipAddress+`",
		  "vip_network_id": "`+netID+`", "vip_subnet_id": "`+vipSubnet+`"}}]`)
		r = run(ctx, "", append([]string{"apply"}, append(b.connArgs(), setup)...)...)
		Expect(r.stdout).To(Equal(okLines("loadbalancer_create")), r.stderr)
		Eventually(func() []nb.LoadBalancer { return b.lbRows(ctx) }).WithContext(ctx).Should(HaveLen(1))
		before := b.nbSnapshot(ctx)
		sent := len(b.agent.Messages())

		bad := b.writeSteps("bad.json", `[
		  {"call": "listener_create", "listener": {"listener_id": "`+listenerID+`", "loadbalancer_id": "`+lbID+`",
		     "protocol": "HTTP", "protocol_port": 80, "admin_state_up": true}},
		  {"call": "pool_create", "pool": {"pool_id": "`+poolID+`", "loadbalancer_id": "`+lbID+`",
		     "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN", "admin_state_up": true}},
		  {"call": "listener_create", "listener": {"listener_id": "`+listenerID+`", "loadbalancer_id": "`+lbID+`",
		     "protocol": "TCP", "protocol_port": 80, "allowed_cidrs": ["10.0.0.0/8"]}},
		  {"call": "member_create", "member": {"member_id": "`+memberID+`", "pool_id": "`+poolID+`",
		     "address": "10.10.10.10", "protocol_port": 80, "subnet_id": "`+memberSub+`", "monitor_port": 8080}},
		  {"call": "member_batch_update", "pool_id": "`+poolID+`", "members": [{"member_id": "`+memberID+`",
		     "pool_id": "`+poolID+`", "address": "10.10.10.10", "protocol_port": 80, "monitor_address": "10.10.10.11"}]},
		  {"call": "health_monitor_create", "healthmonitor": {"healthmonitor_id": "`+memberID+`", "pool_id": "`+poolID+`",
		     "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 2, "max_retries_down": 2}},
		  {"call": "loadbalancer_failover", "loadbalancer_id": "`+lbID+`"},
		  {"call": "l7policy_create", "l7policy": {}},
		  {"call": "no_such_call"},
		  {"call": "listener_create", "listener": {"protocol_port": "eighty"}}
		]`)
		r = run(ctx, "", append([]string{"apply"}, append(b.connArgs(), bad)...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		uo := func(call, text string) string {
			return `{"call":"` + call + `","ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"` +
				text + `","operator_fault_string":"` + text + `"}}`
		}
		typed := func(call, typ, text string) string {
			return `{"call":"` + call + `","ok":false,"error":{"type":"` + typ + `","user_fault_string":"` +
				text + `","operator_fault_string":"` + text + `"}}`
		}
		Expect(strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")).To(Equal([]string{
			uo("listener_create", "OVN provider does not support HTTP protocol"),
			uo("pool_create", "OVN provider does not support ROUND_ROBIN algorithm"),
			uo("listener_create", "OVN provider does not support allowed_cidrs option"),
			uo("member_create", "OVN Load Balancer does not support different member monitor address or port."),
			uo("member_batch_update", "OVN provider does not support monitor options"),
			uo("health_monitor_create", "OVN provider does not support HTTP health monitor type. Supported types: UDP-CONNECT, TCP"),
			uo("loadbalancer_failover", "OVN provider does not support loadbalancer failover"),
			typed("l7policy_create", "NotImplementedError", "This provider does not support creating l7policies."),
			typed("no_such_call", "DriverError", `unknown provider call \"no_such_call\"`),
			typed("listener_create", "DriverError",
				`listener_create: argument \"listener\": protocol_port: expected integer, got string`),
		}))
		Expect(b.nbSnapshot(ctx)).To(Equal(before))
		Expect(b.agent.Messages()).To(HaveLen(sent))
	}, SpecTimeout(90*time.Second))

	It("prints create_vip_port's result: the vip dict with the new port and the additional VIP dicts", func(ctx SpecContext) {
		const newLB = "5f0c3d4e-1111-4222-8333-944455556666"
		steps := b.writeSteps("vip.json", `[
		  {"call": "create_vip_port", "loadbalancer_id": "`+newLB+`", "project_id": "`+projectID+`",
		   "vip_dictionary": {"vip_network_id": "`+netID+`", "vip_subnet_id": "`+vipSubnet+`", "vip_address": "172.24.4.20"},
		   "additional_vip_dicts": [{"network_id": "`+netID+`", "subnet_id": "`+memberSub+`"}]},
		  {"call": "create_vip_port", "loadbalancer_id": "`+lbID+`", "project_id": "`+projectID+`",
		   "vip_dictionary": {"vip_network_id": "`+netID+`", "vip_port_id": "`+vipPortID+`"},
		   "additional_vip_dicts": []}
		]`)
		r := run(ctx, "", append([]string{"apply"}, append(b.connArgs(), steps)...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		Expect(lines).To(HaveLen(2))

		var vipPort, addPort string
		for _, p := range b.neutron.Ports() {
			switch p.Name {
			case "ovn-lb-vip-" + newLB:
				vipPort = p.ID
			case "ovn-lb-vip-additional-1-" + newLB:
				addPort = p.ID
				Expect(p.FixedIPs).To(HaveLen(1))
				Expect(p.FixedIPs[0].SubnetID).To(Equal(memberSub))
				addIP := p.FixedIPs[0].IPAddress
				Expect(lines[0]).To(Equal(`{"call":"create_vip_port","ok":true,"result":[` +
					`{"vip_address":"172.24.4.20","vip_network_id":"` + netID + `","vip_port_id":"` + vipPortIDOf(b, newLB) +
					`","vip_subnet_id":"` + vipSubnet + `"},` +
					`[{"ip_address":"` + addIP + `","network_id":"` + netID + `","port_id":"` + p.ID +
					`","subnet_id":"` + memberSub + `"}]]}`))
			}
		}
		Expect(vipPort).NotTo(BeEmpty(), "VIP port ovn-lb-vip-%s created", newLB)
		Expect(addPort).NotTo(BeEmpty(), "additional VIP port created")

		// A user-supplied port is used unchanged: the input dict comes back
		// with the port's address; no additional VIPs give [].
		Expect(lines[1]).To(Equal(`{"call":"create_vip_port","ok":true,"result":[` +
			`{"vip_address":"` + vipAddress + `","vip_network_id":"` + netID + `","vip_port_id":"` + vipPortID +
			`"},[]]}`))
	}, SpecTimeout(90*time.Second))

	DescribeTable("refuses an unreadable or malformed steps file without doing anything",
		func(ctx SpecContext, name, content, stderrText string) {
			path := "/nonexistent/steps.json"
			if name != "" {
				path = b.writeSteps(name, content)
			}
			before := b.nbSnapshot(ctx)
			r := run(ctx, "", append([]string{"apply"}, append(b.connArgs(), path)...)...)
			Expect(r.code).To(Equal(2))
			Expect(r.stdout).To(BeEmpty())
			Expect(r.stderr).To(ContainSubstring(stderrText))
			Expect(b.nbSnapshot(ctx)).To(Equal(before))
			Expect(b.agent.Messages()).To(BeEmpty())
			Expect(b.neutron.Requests()).To(BeEmpty())
		},
		Entry("missing file", "", "", "no such file or directory"),
		Entry("not JSON", "a.json", `[{"call": "loadbalancer_create",`, "invalid JSON"),
		Entry("empty file", "b.json", ``, "empty file"),
		Entry("an object, not an array", "c.json", `{"call": "loadbalancer_failover", "loadbalancer_id": "x"}`,
			"expected a JSON array of steps, got object"),
		Entry("a step without call, after a valid one", "d.json",
			`[{"call": "loadbalancer_failover", "loadbalancer_id": "x"}, {"loadbalancer_id": "x"}]`, `step 2: missing "call"`),
		Entry("a non-object step", "e.json", `[{"call": "loadbalancer_failover", "loadbalancer_id": "x"}, 7]`,
			"step 2: expected an object"),
		Entry("call not a string", "f.json", `[{"call": 7}]`, `step 1: "call" must be a non-empty string`),
		Entry("trailing data", "g.json", `[] []`, "data after the array"),
	)

	It("flushes each result line as soon as its call is done", func(ctx SpecContext) {
		// With the status socket gone, loadbalancer_create cannot finish
		// (its status is retried); the refused failover before it must
		// already be readable.
		Expect(b.agent.StopStatus()).To(Succeed())
		steps := b.writeSteps("slow.json", `[
		  {"call": "loadbalancer_failover", "loadbalancer_id": "`+lbID+`"},
		  {"call": "loadbalancer_create", "loadbalancer": {"loadbalancer_id": "`+lbID+`", "admin_state_up": true,
		   "vip_address": "`+vipAddress+`", "vip_network_id": "`+netID+`", "vip_subnet_id": "`+vipSubnet+`"}}
		]`)
		cmd := exec.CommandContext(ctx, binary, append([]string{"apply"}, append(b.connArgs(), steps)...)...)
		cmd.Stderr = GinkgoWriter
		// Our own pipe, so that Wait (which tells us when the process ends)
		// does not close the reading end.
		pr, pw, err := os.Pipe()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(pr.Close)
		cmd.Stdout = pw
		Expect(cmd.Start()).To(Succeed())
		Expect(pw.Close()).To(Succeed())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		lines := newLineReader(pr)

		var first string
		Eventually(lines.lines).WithContext(ctx).WithTimeout(30 * time.Second).Should(Receive(&first))
		Expect(first).To(Equal(`{"call":"loadbalancer_failover","ok":false,"error":{"type":"UnsupportedOptionError",` +
			`"user_fault_string":"OVN provider does not support loadbalancer failover",` +
			`"operator_fault_string":"OVN provider does not support loadbalancer failover"}}`))
		Expect(exited).NotTo(Receive(), "the process is still running its second call")
		// The LB row is written before the status is attempted.
		Eventually(func() []nb.LoadBalancer { return b.lbRows(ctx) }).WithContext(ctx).Should(HaveLen(1))

		Expect(b.agent.StartStatus()).To(Succeed())
		var second string
		Eventually(lines.lines).WithContext(ctx).WithTimeout(60 * time.Second).Should(Receive(&second))
		Expect(second).To(Equal(`{"call":"loadbalancer_create","ok":true}`))
		Eventually(exited).WithContext(ctx).Should(Receive(BeNil()))
		Expect(b.agent.Messages()).To(Equal([]octavia.Status{
			{LoadBalancers: []octavia.StatusEntry{active(lbID, octavia.OperatingOnline)}},
		}))
	}, SpecTimeout(120*time.Second))
})

// vipPortIDOf returns the id of the port named ovn-lb-vip-<lb>.
func vipPortIDOf(b *bed, lb string) string {
	for _, p := range b.neutron.Ports() {
		if p.Name == "ovn-lb-vip-"+lb {
			return p.ID
		}
	}
	return ""
}

var _ = Describe("ovn-octavia CRUD subcommands", func() {
	var b *bed

	BeforeEach(func(ctx SpecContext) {
		b = newBed(ctx)
		b.seedWorkedExample(ctx)
	}, NodeTimeout(60*time.Second))

	It("has --help for every object and action", func(ctx SpecContext) {
		for _, obj := range []string{"loadbalancer", "listener", "pool", "member", "healthmonitor"} {
			r := run(ctx, "", obj, "--help")
			Expect(r.code).To(Equal(0), obj)
			Expect(r.stdout).To(ContainSubstring("Usage: ovn-octavia " + obj + " <action>"))
			for _, action := range []string{"create", "delete", "list", "show"} {
				r = run(ctx, "", obj, action, "--help")
				Expect(r.code).To(Equal(0), obj+" "+action)
				Expect(r.stdout).To(ContainSubstring("Usage: ovn-octavia " + obj + " " + action))
				Expect(r.stdout).To(ContainSubstring("-nb remote"))
			}
		}
		r := run(ctx, "", "loadbalancer", "create", "--help")
		for _, flag := range []string{"-id uuid", "-vip-address address", "-vip-network-id network",
			"-vip-subnet-id subnet", "-disabled", "-status-socket path"} {
			Expect(r.stdout).To(ContainSubstring(flag))
		}
		r = run(ctx, "", "agent", "--help") // agent.Main owns its usage (on stderr)
		Expect(r.code).To(Equal(0))
		Expect(r.stderr).To(ContainSubstring("Usage: ovn-octavia agent"))
		r = run(ctx, "", "demo", "--help") // demo.Main owns its usage (on stderr)
		Expect(r.code).To(Equal(0))
		Expect(r.stderr).To(ContainSubstring("Usage: ovn-octavia demo"))
		r = run(ctx, "", "frobnicate")
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring(`unknown command "frobnicate"`))
		r = run(ctx, "", "help")
		Expect(r.code).To(Equal(0))
		Expect(r.stdout).To(ContainSubstring("apply"))
		r = run(ctx, "", "help", "apply")
		Expect(r.code).To(Equal(0))
		Expect(r.stdout).To(ContainSubstring("Usage: ovn-octavia apply --nb <remote>"))
	}, SpecTimeout(60*time.Second))

	It("refuses a create without its required flags before connecting", func(ctx SpecContext) {
		r := run(ctx, "", append([]string{"loadbalancer", "create", "--vip-address", "10.0.0.1"}, b.connArgs()...)...)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring("--vip-network-id is required"))
		Expect(b.neutron.Requests()).To(BeEmpty())
	}, SpecTimeout(30*time.Second))

	It("creates a load balancer and lists it back", func(ctx SpecContext) {
		r := run(ctx, "", append([]string{"loadbalancer", "create", "--id", lbID, "--vip-address", vipAddress,
			"--vip-network-id", netID, "--vip-subnet-id", vipSubnet, "--vip-port-id", vipPortID}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal(lbID + "\n"))

		// Without --id a UUID v4 is generated and printed; the VIP port is
		// made by the provider.
		r = run(ctx, "", append([]string{"lb", "create", "--vip-network-id", netID, "--vip-subnet-id", vipSubnet,
			"--disabled"}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		second := strings.TrimSpace(r.stdout)
		Expect(second).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))
		secondVIP := ""
		for _, p := range b.neutron.Ports() {
			if p.Name == "ovn-lb-vip-"+second {
				secondVIP = p.FixedIPs[0].IPAddress
			}
		}
		Expect(secondVIP).NotTo(BeEmpty())

		Expect(b.agent.Messages()).To(ConsistOf(
			octavia.Status{LoadBalancers: []octavia.StatusEntry{active(lbID, octavia.OperatingOnline)}},
			octavia.Status{LoadBalancers: []octavia.StatusEntry{active(second, octavia.OperatingOffline)}},
		))

		r = run(ctx, "", "loadbalancer", "list", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		Expect(lines).To(HaveLen(3))
		Expect(strings.Fields(lines[0])).To(Equal([]string{"ID", "VIP", "VIP", "PORT", "ENABLED", "PROTOCOLS",
			"LISTENERS", "POOLS", "MEMBERS", "ROUTERS"}))
		rowOf := func(id string) []string {
			for _, l := range lines[1:] {
				if strings.HasPrefix(l, id) {
					return strings.Fields(l)
				}
			}
			return nil
		}
		Expect(rowOf(lbID)).To(Equal([]string{lbID, vipAddress, vipPortID, "yes", "0", "0", "0", "neutron-" + routerID}))
		Expect(rowOf(second)).To(HaveLen(8))
		Expect(rowOf(second)[1]).To(Equal(secondVIP))
		Expect(rowOf(second)[3]).To(Equal("no"))

		r = run(ctx, "", "loadbalancer", "show", "--id", lbID, "--json", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		var shown map[string]any
		Expect(json.Unmarshal([]byte(r.stdout), &shown)).To(Succeed())
		Expect(shown).To(Equal(map[string]any{
			"id": lbID, "vip_address": vipAddress, "vip_port_id": vipPortID, "additional_vips": []any{},
			"enabled": true, "protocols": []any{}, "routers": []any{"neutron-" + routerID},
			"listeners": []any{}, "pools": []any{}, "healthmonitors": []any{},
		}))

		r = run(ctx, "", "loadbalancer", "show", "--id", "00000000-0000-4000-8000-000000000000", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(1))
		Expect(r.stderr).To(ContainSubstring("not found in NB"))
	}, SpecTimeout(90*time.Second))

	It("builds the worked example with create subcommands and shows its tree", func(ctx SpecContext) {
		steps := [][]string{
			{"loadbalancer", "create", "--id", lbID, "--vip-address", vipAddress, "--vip-network-id", netID,
				"--vip-subnet-id", vipSubnet, "--vip-port-id", vipPortID},
			{"listener", "create", "--id", listenerID, "--loadbalancer-id", lbID, "--protocol", "TCP", "--protocol-port", "64015"},
			{"pool", "create", "--id", poolID, "--loadbalancer-id", lbID, "--listener-id", listenerID},
			{"member", "create", "--id", memberID, "--pool-id", poolID, "--address", "10.10.10.10",
				"--protocol-port", "63015", "--subnet-id", memberSub},
		}
		for _, s := range steps {
			r := run(ctx, "", append(s, b.connArgs()...)...)
			Expect(r.code).To(Equal(0), "%v: %s", s, r.stderr)
		}
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].Vips).To(Equal(map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}))
		}).WithContext(ctx).Should(Succeed())

		r := run(ctx, "", "member", "list", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(strings.Fields(lines[1])).To(Equal([]string{memberID, poolID, lbID, "10.10.10.10", "63015", memberSub, "NO_MONITOR"}))

		r = run(ctx, "", "listener", "show", "--id", listenerID, "--json", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(MatchJSON(`{"id": "` + listenerID + `", "loadbalancer_id": "` + lbID + `", "protocol": "TCP",
			"protocol_port": 64015, "default_pool_id": "` + poolID + `", "enabled": true}`))

		// A health monitor on the pool, listed from its health-check row.
		const hmID = "0b5f1e0e-1c4b-4f53-9c3c-1e0d6c1d2a3b"
		r = run(ctx, "", append([]string{"hm", "create", "--id", hmID, "--pool-id", poolID, "--type", "TCP"}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal(hmID + "\n"))
		r = run(ctx, "", "healthmonitor", "list", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		lines = strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		Expect(lines).To(HaveLen(2))
		Expect(strings.Fields(lines[1])).To(Equal([]string{hmID, poolID, lbID, "172.24.4.9:64015", "10", "5", "3", "3"}))
		r = run(ctx, "", "pool", "show", "--id", poolID, "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(MatchRegexp(`(?m)^HEALTHMONITOR\s+` + hmID + `$`))
		Expect(r.stdout).To(MatchRegexp(`(?m)^LISTENERS\s+` + listenerID + `$`))
		Expect(r.stdout).To(MatchRegexp(`(?m)^MEMBERS\s+1$`))

		// Delete reads the member's address, port and subnet from NB.
		r = run(ctx, "", append([]string{"member", "delete", "--id", memberID}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].ExternalIDs).To(HaveKeyWithValue("pool_"+poolID, ""))
			g.Expect(rows[0].Vips).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())

		// Pool delete takes the pool's health monitor along (operations.md §9.3).
		r = run(ctx, "", append([]string{"pool", "delete", "--id", poolID}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Eventually(func(g Gomega) {
			rows := b.lbRows(ctx)
			g.Expect(rows).To(HaveLen(1))
			g.Expect(rows[0].ExternalIDs).NotTo(HaveKey("pool_" + poolID))
			g.Expect(rows[0].ExternalIDs).To(HaveKeyWithValue("listener_"+listenerID, "64015:"))
			g.Expect(rows[0].HealthCheck).To(BeEmpty())
			var hcs []nb.LoadBalancerHealthCheck
			g.Expect(b.nb.List(ctx, &hcs)).To(Succeed())
			g.Expect(hcs).To(BeEmpty())
		}).WithContext(ctx).Should(Succeed())
		r = run(ctx, "", "hm", "list", "--json", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(MatchJSON(`[]`))

		r = run(ctx, "", append([]string{"loadbalancer", "delete", "--id", lbID, "--cascade"}, b.connArgs()...)...)
		Expect(r.code).To(Equal(0), r.stderr)
		Eventually(func() []nb.LoadBalancer { return b.lbRows(ctx) }).WithContext(ctx).Should(BeEmpty())
		r = run(ctx, "", "loadbalancer", "list", "--json", "--nb", b.nbRemote)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(MatchJSON(`[]`))
	}, SpecTimeout(120*time.Second))
})

var _ = Describe("ovn-octavia apply on other remotes", func() {
	DescribeTable("runs the worked example over",
		func(ctx SpecContext, flavour string) {
			b := newBedWith(ctx, flavour)
			b.seedWorkedExample(ctx)
			steps := b.writeSteps("steps.json", workedExampleSteps)
			r := run(ctx, "", append([]string{"apply"}, append(b.connArgs(), steps)...)...)
			Expect(r.code).To(Equal(0), r.stderr)
			Expect(r.stdout).To(Equal(okLines("loadbalancer_create", "listener_create", "pool_create", "member_create")))
			Eventually(func(g Gomega) {
				rows := b.lbRows(ctx)
				g.Expect(rows).To(HaveLen(1))
				g.Expect(rows[0].Vips).To(Equal(map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}))
				g.Expect(rows[0].ExternalIDs).To(HaveKeyWithValue("ls_refs", `{"neutron-`+netID+`": 2}`))
			}).WithContext(ctx).Should(Succeed())
			Expect(b.agent.Messages()).To(HaveLen(4))
		},
		Entry("tcp:IP:PORT", nbTCP, SpecTimeout(90*time.Second)),
		Entry("a comma-separated RAFT cluster", nbCluster, SpecTimeout(120*time.Second)),
	)

	It("fails with status 1 and no output when the NB cannot be reached", func(ctx SpecContext) {
		b := newBed(ctx)
		steps := b.writeSteps("steps.json", workedExampleSteps)
		args := append([]string{"apply"}, b.connArgs()...)
		args = append(args, "--nb", "unix:"+b.dir+"/nothing.sock", "--connect-timeout", "2s", steps)
		r := run(ctx, "", args...)
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(BeEmpty())
		Expect(r.stderr).To(ContainSubstring("connect to the OVN NB unix:" + b.dir + "/nothing.sock"))
		Expect(b.agent.Messages()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))

	It("refuses bad remotes and missing Neutron credentials as usage errors", func(ctx SpecContext) {
		b := newBed(ctx)
		steps := b.writeSteps("steps.json", `[]`)
		r := run(ctx, "", "apply", "--nb", "http://127.0.0.1:6641", "--os-token", "t", "--neutron-url", "http://x", steps)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring(`--nb: invalid OVSDB remote "http://127.0.0.1:6641"`))
		r = run(ctx, "", "apply", "--nb", b.nbRemote, steps)
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring("no Neutron credentials"))
		r = run(ctx, "", "apply", "--nb", b.nbRemote, "--os-token", "t", "--neutron-url", "http://x")
		Expect(r.code).To(Equal(2))
		Expect(r.stderr).To(ContainSubstring("expected one steps file (or -), got 0 arguments"))
	}, SpecTimeout(60*time.Second))

	It("authenticates to Neutron through Keystone with a clouds.yaml cloud (OS_CLOUD)", func(ctx SpecContext) {
		b := newBed(ctx)
		b.seedWorkedExample(ctx)
		ks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer GinkgoRecover()
			if r.Method != http.MethodPost || r.URL.Path != "/v3/auth/tokens" {
				http.NotFound(w, r)
				return
			}
			var body struct {
				Auth struct {
					Identity struct {
						Password struct {
							User struct{ Name, Password string }
						}
					}
				}
			}
			Expect(json.NewDecoder(r.Body).Decode(&body)).To(Succeed())
			if body.Auth.Identity.Password.User.Name != "octavia" || body.Auth.Identity.Password.User.Password != "secret" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("X-Subject-Token", token) // the token the fake Neutron accepts
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
				"expires_at": "2099-01-01T00:00:00.000000Z", "methods": []string{"password"},
				"catalog": []any{map[string]any{"type": "network", "name": "neutron", "id": "n",
					"endpoints": []any{map[string]any{"id": "e", "interface": "public", "region": "RegionOne",
						"url": b.neutron.URL()}}}},
			}})
		}))
		DeferCleanup(ks.Close)
		clouds := b.writeSteps("clouds.yaml", `clouds:
  octavia:
    auth:
      auth_url: `+ks.URL+`/v3
      username: octavia
      password: secret
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
`)
		steps := b.writeSteps("steps.json", workedExampleSteps)
		r := runEnv(ctx, []string{"OS_CLOUD=octavia", "OS_CLIENT_CONFIG_FILE=" + clouds}, "",
			"apply", "--nb", b.nbRemote, "--status-socket", b.agent.StatusPath(), "--get-socket", b.agent.GetPath(), steps)
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal(okLines("loadbalancer_create", "listener_create", "pool_create", "member_create")))
		Expect(b.agent.Messages()).To(HaveLen(4))
		Expect(b.neutron.Requests()).NotTo(BeEmpty())

		// A cloud that clouds.yaml does not have is a setup failure.
		r = runEnv(ctx, []string{"OS_CLIENT_CONFIG_FILE=" + clouds}, "",
			"apply", "--nb", b.nbRemote, "--os-cloud", "nope", steps)
		Expect(r.code).To(Equal(1))
		Expect(r.stdout).To(BeEmpty())
		Expect(r.stderr).To(ContainSubstring(`neutron client for cloud \"nope\"`))
	}, SpecTimeout(60*time.Second))

	It("prints the status messages on stderr when there is no status socket", func(ctx SpecContext) {
		b := newBed(ctx)
		b.seedWorkedExample(ctx)
		r := run(ctx, "", "loadbalancer", "create", "--id", lbID, "--vip-network-id", netID, "--vip-subnet-id", vipSubnet,
			"--vip-port-id", vipPortID, "--nb", b.nbRemote, "--neutron-url", b.neutron.URL(), "--os-token", token,
			"--log-level", "error")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(Equal(lbID + "\n"))
		Expect(r.stderr).To(Equal(`status: {"loadbalancers": [{"id": "` + lbID +
			`", "provisioning_status": "ACTIVE", "operating_status": "ONLINE"}]}` + "\n"))
		Expect(b.agent.Messages()).To(BeEmpty())
	}, SpecTimeout(60*time.Second))
})

var _ = Describe("ovn-octavia demo", func() {
	It("runs to the end with nothing but the binary", func(ctx SpecContext) {
		r := run(ctx, "", "demo")
		Expect(r.code).To(Equal(0), r.stderr)
		Expect(r.stdout).To(ContainSubstring("octavia <- status #1: loadbalancer: lb1 ACTIVE/ONLINE"))
		Expect(r.stdout).To(ContainSubstring("Load_Balancer rows left in NB: 0"))
		Expect(r.stdout).To(ContainSubstring("== done:"))
	}, SpecTimeout(90*time.Second))
})
