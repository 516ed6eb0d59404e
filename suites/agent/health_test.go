package agent_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// hlb is a health-monitored LB: one TCP listener on one pool whose members
// each have an ip_port_mapping and a Service_Monitor row (as ovn-northd
// creates them), all probed online at the start.
type hlb struct {
	w                      *world
	net                    string
	id, listener, pool     string
	row                    string
	members, ips, lsps     []string
	monitors               []string
	vip, vipPort, memberIP string
}

const hmSource = "10.1.0.2"

func newHLB(w *world, net string, n int) *hlb {
	GinkgoHelper()
	h := &hlb{w: w, net: net, id: newID(), listener: newID(), pool: newID(), vip: "10.1.0.10", vipPort: newID()}
	var entries []string
	ms := []string{}
	mappings := map[string]string{}
	for i := 0; i < n; i++ {
		id, ip, lsp := newID(), fmt.Sprintf("10.1.%d.%d", 1+i/200, 20+i%200), newID()
		h.members, h.ips, h.lsps = append(h.members, id), append(h.ips, ip), append(h.lsps, lsp)
		entries = append(entries, fmt.Sprintf("member_%s_%s:8080_%s", id, ip, newID()))
		ms = append(ms, id, octavia.OperatingOnline)
		mappings[ip] = lsp + ":" + hmSource
		w.baseline["members/"+id] = octavia.OperatingOnline
	}
	for _, k := range []string{"loadbalancers/" + h.id, "listeners/" + h.listener, "pools/" + h.pool} {
		w.baseline[k] = octavia.OperatingOnline
	}
	h.row = w.addLB(lbSpec{ID: h.id, VIP: h.vip, VIPPort: h.vipPort, Protocol: "tcp", Mappings: mappings,
		Ext: map[string]string{
			"ls_refs":                lsRefs(swName(net), 1+n),
			"listener_" + h.listener: "80:pool_" + h.pool,
			"pool_" + h.pool:         strings.Join(entries, ","),
			"neutron:member_status":  memberStatusJSON(ms...),
			"octavia:healthmonitors": `["` + newID() + `"]`,
		},
		Switches: []string{net}})
	up := octavia.Some(true)
	Expect(w.octavia.SetLoadBalancer(octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(h.id), AdminStateUp: up,
		Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some(h.pool), AdminStateUp: up}}),
		Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(h.listener), AdminStateUp: up}}),
	})).To(Succeed())
	// ovn-northd would create these from the LBHC and the mappings.
	ops := make([]ovsdb.Operation, 0, n)
	for i := 0; i < n; i++ {
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sb.ServiceMonitorTable, Row: ovsdb.Row{
			"ip": h.ips[i], "port": 8080, "protocol": "tcp", "logical_port": h.lsps[i], "src_ip": hmSource,
			"src_mac": "fa:16:3e:ff:ff:ff", "status": "online"}})
	}
	res := w.transact(w.sb, ops...)
	for _, r := range res {
		h.monitors = append(h.monitors, r.UUID.GoUUID)
	}
	Eventually(func() int { return len(w.sb.Cache().Table(sb.ServiceMonitorTable).Rows()) }).Should(BeNumerically(">=", n))
	return h
}

// flip sets the probe result of the given members in one SB transaction.
func (h *hlb) flip(status string, idx ...int) {
	GinkgoHelper()
	var ops []ovsdb.Operation
	for _, i := range idx {
		ops = append(ops, h.w.setMonitor(h.monitors[i], status))
	}
	h.w.transact(h.w.sb, ops...)
}

func (h *hlb) remove(i int) {
	GinkgoHelper()
	h.w.transact(h.w.sb, ovsdb.Operation{Op: ovsdb.OperationDelete, Table: sb.ServiceMonitorTable, Where: whereUUID(h.monitors[i])})
}

func (h *hlb) memberStatus() string { return h.w.ext(h.row)["neutron:member_status"] }

func (h *hlb) statusJSON(st ...string) string {
	var kv []string
	for i, s := range st {
		kv = append(kv, h.members[i], s)
	}
	return memberStatusJSON(kv...)
}

// expectOctavia waits until Octavia's view of the LB tree is as given.
func (h *hlb) expectOctavia(lb, listener, pool string, members ...string) {
	GinkgoHelper()
	want := map[string]string{
		"loadbalancers/" + h.id:   lb,
		"listeners/" + h.listener: listener,
		"pools/" + h.pool:         pool,
	}
	for i, m := range members {
		want["members/"+h.members[i]] = m
	}
	Eventually(func() map[string]string {
		got := map[string]string{}
		st := h.w.octaviaState()
		for k := range want {
			if v, ok := st[k]; ok {
				got[k] = v
			}
		}
		return got
	}).Should(Equal(want))
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

var _ = Describe("Service_Monitor events", func() {
	It("report exactly the changed member/pool/listener/LB statuses and keep neutron:member_status in step", func() {
		w := newWorld()
		net := newID()
		w.addNetwork(net, false)
		h := newHLB(w, net, 3)
		w.start()
		Expect(w.octavia.Count()).To(Equal(0), "nothing changed, nothing reported")

		h.flip("offline", 0)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ERROR", "ONLINE", "ONLINE")))
		msgs, err := w.octavia.WaitCount(ctxT(10), 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(w.octavia.RawMessages()[0])).To(Equal(fmt.Sprintf(
			`{"loadbalancers": [{"id": "%s", "provisioning_status": "ACTIVE", "operating_status": "DEGRADED"}], `+
				`"listeners": [{"id": "%s", "provisioning_status": "ACTIVE", "operating_status": "DEGRADED"}], `+
				`"pools": [{"id": "%s", "provisioning_status": "ACTIVE", "operating_status": "DEGRADED"}], `+
				`"members": [{"id": "%s", "provisioning_status": "ACTIVE", "operating_status": "ERROR"}]}`,
			h.id, h.listener, h.pool, h.members[0])))
		Expect(msgs).To(HaveLen(1))

		h.flip("offline", 1, 2)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ERROR", "ERROR", "ERROR")))
		h.expectOctavia("ERROR", "ERROR", "ERROR", "ERROR", "ERROR", "ERROR")

		h.remove(0) // SM deleted -> OFFLINE; the pool is no longer all ERROR
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("OFFLINE", "ERROR", "ERROR")))
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "OFFLINE", "ERROR", "ERROR")

		h.flip("online", 1, 2)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("OFFLINE", "ONLINE", "ONLINE")))
		h.expectOctavia("ONLINE", "ONLINE", "ONLINE", "OFFLINE", "ONLINE", "ONLINE")

		// A monitor update that changes no status sends nothing.
		n := w.octavia.Count()
		h.flip("error", 1) // "error" maps to ONLINE, as "online" does
		Consistently(w.octavia.Count).Should(Equal(n))
	})

	It("a burst of 500 flips produces a handful of status messages, not 500", func() {
		w := newWorld()
		net := newID()
		w.addNetwork(net, false)
		h := newHLB(w, net, 500)
		a := w.start()
		tx := a.a.Store().Stats().Transactions

		h.flip("offline", all(500)...)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON(repeat("ERROR", 500)...)))
		h.expectOctavia("ERROR", "ERROR", "ERROR", repeat("ERROR", 500)...)
		Eventually(func() int { return a.a.Reporter().Pending() }).Should(Equal(0))
		msgs := w.octavia.Count()
		nbTx := a.a.Store().Stats().Transactions - tx
		GinkgoWriter.Printf("500 flips: %d status messages, %d NB transactions\n", msgs, nbTx)
		Expect(msgs).To(BeNumerically("<=", 5))
		Expect(nbTx).To(BeNumerically("<=", 5))
	})

	It("delivers every final status after the status socket was absent for 30 s, merging newer statuses", func() {
		w := newWorld()
		net := newID()
		w.addNetwork(net, false)
		h := newHLB(w, net, 4)
		w.start()
		Expect(w.octavia.StopStatus()).To(Succeed())
		h.flip("offline", 0, 1)
		time.Sleep(10 * time.Second)
		h.flip("offline", 2)
		h.flip("online", 0)
		time.Sleep(10 * time.Second)
		h.flip("offline", 3)
		h.flip("online", 1)
		time.Sleep(10 * time.Second)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ONLINE", "ONLINE", "ERROR", "ERROR")))
		Expect(w.octavia.Count()).To(Equal(0))
		Expect(w.octavia.StartStatus()).To(Succeed())
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "ONLINE", "ONLINE", "ERROR", "ERROR")
	})

	It("defers roll-ups while the get socket is unreachable and reports them when Octavia's driver agent is back", func() {
		w := newWorld()
		net := newID()
		w.addNetwork(net, false)
		h := newHLB(w, net, 3)
		w.start()
		get := w.octavia.GetPath()
		Expect(os.Rename(get, get+".away")).To(Succeed()) // connections to get.sock now fail
		Expect(w.octavia.StopStatus()).To(Succeed())
		h.flip("offline", 0)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ERROR", "ONLINE", "ONLINE")))
		Eventually(w.logs.String).Should(ContainSubstring("status roll-up failed; deferred"))
		h.flip("offline", 1)
		Eventually(h.memberStatus).Should(Equal(h.statusJSON("ERROR", "ERROR", "ONLINE")))
		time.Sleep(3 * time.Second)
		Expect(os.Rename(get+".away", get)).To(Succeed())
		Expect(w.octavia.StartStatus()).To(Succeed())
		h.expectOctavia("DEGRADED", "DEGRADED", "DEGRADED", "ERROR", "ERROR", "ONLINE")
	})
})
