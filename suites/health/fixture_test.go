package health_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// fxMember is one pool member with its Neutron port (= LSP name).
type fxMember struct {
	ID, IP, LSP string
}

// fixture is one Octavia LB as the reference writes it to NB
// (nb-data-contract.md §4-§8): one row, a listener on a pool with members,
// attached to the member/VIP switch whose LSPs carry the member addresses.
type fixture struct {
	LBID, ListenerID, PoolID, HMID string
	NetID, SubnetID, ProjectID     string
	VIP                            string
	Proto                          string // tcp / udp
	ListenerPort, MemberPort       int
	Members                        []fxMember
	WithListener                   bool
	// NoLSP lists member indexes created without an LSP (unmappable).
	NoLSP map[int]bool
}

var macCounter atomic.Uint32

func nextMAC() string {
	n := macCounter.Add(1)
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", (n>>16)&0xff, (n>>8)&0xff, n&0xff)
}

func bracketed(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

// newFixture builds a fixture: cidr "10.x.0.0/24" or "fdxx::/64", member
// host numbers 21, 22, ...; vip host 10.
func newFixture(cidrPrefix string, proto string, nMembers int) *fixture {
	f := &fixture{
		LBID: newID(), ListenerID: newID(), PoolID: newID(), HMID: newID(),
		NetID: newID(), SubnetID: newID(), ProjectID: strings.ReplaceAll(newID(), "-", ""),
		Proto: proto, ListenerPort: 80, MemberPort: 8080, WithListener: true,
	}
	sep := "."
	if strings.Contains(cidrPrefix, ":") {
		sep = ""
	}
	f.VIP = cidrPrefix + sep + "10"
	for i := 0; i < nMembers; i++ {
		f.Members = append(f.Members, fxMember{ID: newID(), IP: fmt.Sprintf("%s%s%d", cidrPrefix, sep, 21+i), LSP: newID()})
	}
	return f
}

func (f *fixture) cidr() string {
	if strings.Contains(f.VIP, ":") {
		return strings.TrimSuffix(f.VIP, "10") + "/64"
	}
	return strings.TrimSuffix(f.VIP, "10") + "0/24"
}

func (f *fixture) switchName() string { return "neutron-" + f.NetID }

func (f *fixture) poolValue() string {
	var entries []string
	for _, m := range f.Members {
		entries = append(entries, fmt.Sprintf("member_%s_%s:%d_%s", m.ID, m.IP, f.MemberPort, f.SubnetID))
	}
	return strings.Join(entries, ",")
}

// create writes Neutron objects, the NB switch, LSPs and LB row, and the
// Octavia objects served by the get socket.
func (f *fixture) create(ctx context.Context) {
	_, err := env.neutron.AddNetwork(fakeneutron.Network{ID: f.NetID, ProjectID: f.ProjectID})
	Expect(err).NotTo(HaveOccurred())
	_, err = env.neutron.AddSubnet(fakeneutron.Subnet{ID: f.SubnetID, NetworkID: f.NetID, ProjectID: f.ProjectID, CIDR: f.cidr()})
	Expect(err).NotTo(HaveOccurred())

	var ops []ovsdb.Operation
	var portUUIDs []string
	for i, m := range f.Members {
		if f.NoLSP[i] {
			continue
		}
		lsp := &nb.LogicalSwitchPort{
			UUID:      fmt.Sprintf("lsp%d", i),
			Name:      m.LSP,
			Addresses: []string{nextMAC() + " " + m.IP},
			ExternalIDs: map[string]string{
				"neutron:network_name": f.switchName(),
				"neutron:project_id":   f.ProjectID,
				"neutron:cidrs":        m.IP + "/24",
			},
		}
		o, err := env.nb.Create(lsp)
		Expect(err).NotTo(HaveOccurred())
		ops = append(ops, o...)
		portUUIDs = append(portUUIDs, lsp.UUID)
	}

	ms := pyjson.NewObject()
	var backends []string
	for _, m := range f.Members {
		ms.Set(m.ID, octavia.OperatingNoMonitor)
		backends = append(backends, fmt.Sprintf("%s:%d", bracketed(m.IP), f.MemberPort))
	}
	msText, err := pyjson.Marshal(ms)
	Expect(err).NotTo(HaveOccurred())
	lsRefs, err := pyjson.Marshal(map[string]any{f.switchName(): 1 + len(f.Members)})
	Expect(err).NotTo(HaveOccurred())
	ext := map[string]string{
		"neutron:vip":           f.VIP,
		"neutron:vip_port_id":   newID(),
		"enabled":               "True",
		"ls_refs":               lsRefs,
		"pool_" + f.PoolID:      f.poolValue(),
		"neutron:member_status": msText,
	}
	vips := map[string]string{}
	if f.WithListener {
		ext["listener_"+f.ListenerID] = fmt.Sprintf("%d:pool_%s", f.ListenerPort, f.PoolID)
		vips[fmt.Sprintf("%s:%d", bracketed(f.VIP), f.ListenerPort)] = strings.Join(backends, ",")
	}
	proto := f.Proto
	lb := &nb.LoadBalancer{
		UUID:            "lb",
		Name:            f.LBID,
		Protocol:        &proto,
		ExternalIDs:     ext,
		Vips:            vips,
		SelectionFields: []string{"ip_src", "ip_dst", "tp_src", "tp_dst"},
	}
	o, err := env.nb.Create(lb)
	Expect(err).NotTo(HaveOccurred())
	ops = append(ops, o...)
	ls := &nb.LogicalSwitch{UUID: "ls", Name: f.switchName(), Ports: portUUIDs, LoadBalancer: []string{"lb"}}
	o, err = env.nb.Create(ls)
	Expect(err).NotTo(HaveOccurred())
	ops = append(ops, o...)
	res := transact(ctx, env.nb, ops...)
	lbUUID := res[len(portUUIDs)].UUID.GoUUID
	Eventually(func() bool {
		return env.nb.Cache().Table(nb.LoadBalancerTable).Row(lbUUID) != nil &&
			env.nb.Cache().Table(nb.LogicalSwitchTable).Row(res[len(res)-1].UUID.GoUUID) != nil
	}).Should(BeTrue())

	up := true
	olb := octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(f.LBID),
		AdminStateUp:   octavia.Some(up),
		VIPAddress:     octavia.Some(f.VIP),
		VIPSubnetID:    octavia.Some(f.SubnetID),
		Pools:          octavia.Some([]octavia.Pool{{PoolID: octavia.Some(f.PoolID), AdminStateUp: octavia.Some(up)}}),
	}
	if f.WithListener {
		olb.Listeners = octavia.Some([]octavia.Listener{{ListenerID: octavia.Some(f.ListenerID), AdminStateUp: octavia.Some(up)}})
	}
	Expect(env.agent.SetLoadBalancer(olb)).To(Succeed())
}

// hm returns a health monitor of the fixture's pool.
func (f *fixture) hm(typ string) *octavia.HealthMonitor {
	return &octavia.HealthMonitor{
		HealthMonitorID: octavia.Some(f.HMID),
		PoolID:          octavia.Some(f.PoolID),
		Type:            octavia.Some(typ),
		Delay:           octavia.Some(10),
		Timeout:         octavia.Some(5),
		MaxRetries:      octavia.Some(3),
		MaxRetriesDown:  octavia.Some(4),
		AdminStateUp:    octavia.Some(true),
	}
}

// hmPort returns the fake Neutron's HM port of the fixture's subnet.
func (f *fixture) hmPorts() []fakeneutron.Port {
	var out []fakeneutron.Port
	for _, p := range env.neutron.Ports() {
		if p.Name == "ovn-lb-hm-"+f.SubnetID {
			out = append(out, p)
		}
	}
	return out
}

// entry formats one status entry as it appears on the wire.
func entry(id, prov, oper string) string {
	s := fmt.Sprintf(`{"id": "%s"`, id)
	if prov != "" {
		s += fmt.Sprintf(`, "provisioning_status": "%s"`, prov)
	}
	if oper != "" {
		s += fmt.Sprintf(`, "operating_status": "%s"`, oper)
	}
	return s + "}"
}
