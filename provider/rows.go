package provider

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// sourceIPPortFields is the selection_fields set of a new row and of a
// SOURCE_IP_PORT pool (nb-data-contract §9).
var sourceIPPortFields = []string{
	nb.LoadBalancerSelectionFieldsIPSrc, nb.LoadBalancerSelectionFieldsIPDst,
	nb.LoadBalancerSelectionFieldsTpSrc, nb.LoadBalancerSelectionFieldsTpDst,
}

// sourceIPFields is the selection_fields set of a SOURCE_IP pool.
var sourceIPFields = []string{nb.LoadBalancerSelectionFieldsIPSrc, nb.LoadBalancerSelectionFieldsIPDst}

func selectionFieldsFor(algorithm string) []string {
	if algorithm == octavia.AlgorithmSourceIP {
		return append([]string(nil), sourceIPFields...)
	}
	return append([]string(nil), sourceIPPortFields...)
}

// rowsOf returns the rows of an LB (NB §3.2 "by LB id").
func rowsOf(t *nbtxn.Txn, lbID string) []*nb.LoadBalancer {
	return t.LBsByName(lbID)
}

// rowByProtocol finds the row of an LB for a protocol (NB §3.2): a single
// row without protocol serves any protocol; otherwise the row whose protocol
// matches case-insensitively. nil when none.
func rowByProtocol(t *nbtxn.Txn, lbID, protocol string) *nb.LoadBalancer {
	rows := rowsOf(t, lbID)
	if len(rows) == 1 && rows[0].Protocol == nil {
		return rows[0]
	}
	for _, r := range rows {
		if r.Protocol != nil && strings.EqualFold(*r.Protocol, protocol) {
			return r
		}
	}
	return nil
}

// poolKeyOf returns the key form of the pool present in the row ("" if
// none).
func poolKeyOf(lb *nb.LoadBalancer, poolID string) string {
	for _, k := range []string{lbdata.PoolKey(poolID, true), lbdata.PoolKey(poolID, false)} {
		if _, ok := lb.ExternalIDs[k]; ok {
			return k
		}
	}
	return ""
}

// listenerKeyOf returns the key form of the listener present in the row.
func listenerKeyOf(lb *nb.LoadBalancer, listenerID string) string {
	for _, k := range []string{lbdata.ListenerKey(listenerID, true), lbdata.ListenerKey(listenerID, false)} {
		if _, ok := lb.ExternalIDs[k]; ok {
			return k
		}
	}
	return ""
}

// recomputeVIPs rewrites the row's vips from its external_ids (NB §8).
func recomputeVIPs(lb *nb.LoadBalancer) {
	lb.Vips = lbdata.ComputeVIPs(lb.ExternalIDs)
	if lb.Vips == nil {
		lb.Vips = map[string]string{}
	}
}

// dropIfEmpty clears the protocol of an empty row, or deletes the row when
// the LB has other rows (NB §3.1). It returns whether the row was deleted.
func dropIfEmpty(t *nbtxn.Txn, lb *nb.LoadBalancer) bool {
	if !lbdata.RowEmpty(lb.ExternalIDs) {
		return false
	}
	if len(rowsOf(t, lb.Name)) > 1 {
		t.DeleteLB(lb)
		return true
	}
	lb.Protocol = nil
	recomputeVIPs(lb)
	return false
}

// vipAddrs returns the row's VIP and additional VIPs.
func vipAddrs(ext map[string]string) []string {
	var out []string
	if v := ext[lbdata.KeyVIP]; v != "" {
		out = append(out, v)
	}
	for _, v := range lbdata.SplitList(ext[lbdata.KeyAdditionalVIPs]) {
		out = append(out, v)
	}
	return out
}

// checkFamily is V7 (operations.md §1.1): a member whose address family
// differs from the VIPs' common family is refused; VIPs of mixed families
// accept anything.
func checkFamily(vips []string, addr string) error {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return octavia.NewDriverError(fmt.Sprintf("invalid member address %q", addr))
	}
	has4, has6 := false, false
	for _, v := range vips {
		va, err := netip.ParseAddr(v)
		if err != nil {
			continue
		}
		if va.Unmap().Is4() {
			has4 = true
		} else {
			has6 = true
		}
	}
	if has4 && has6 || !has4 && !has6 {
		return nil
	}
	if a.Unmap().Is4() != has4 {
		return octavia.ErrIPVersionsMixing()
	}
	return nil
}

// memberStatus returns the row's parsed neutron:member_status (empty when
// absent or unparseable: the reference starts over the same way).
func memberStatus(lb *nb.LoadBalancer) *lbdata.MemberStatus {
	ms, _ := lbdata.MemberStatusFrom(lb.ExternalIDs)
	return ms
}

// setMemberStatus writes ms back; an empty status removes the key
// (nb-data-contract §16).
func setMemberStatus(lb *nb.LoadBalancer, ms *lbdata.MemberStatus) error {
	ms.Store(lb.ExternalIDs)
	return nil
}

// memberStatusOf returns one member's recorded status ("" when none).
func memberStatusOf(ms *lbdata.MemberStatus, id string) string {
	s, _ := ms.Get(id)
	return s
}

// hasHealthChecks reports whether the row has LBHC rows.
func hasHealthChecks(lb *nb.LoadBalancer) bool { return len(lb.HealthCheck) > 0 }

// vipSubnet is what LB creation learns from Neutron about the VIP.
type vipSubnet struct {
	portID    string
	portName  string
	networkID string
	subnetID  string
	cidr      string
}

// lookupVIP finds the VIP port and its subnet (operations.md §4 step 1):
// by port id when known, else the first port of the network holding the
// address.
func (d *Driver) lookupVIP(ctx context.Context, portID, networkID, address string) (*vipSubnet, error) {
	if d.neutron == nil {
		return nil, fmt.Errorf("no Neutron client configured")
	}
	var out vipSubnet
	if portID != "" {
		p, err := d.neutron.GetPort(ctx, portID)
		if err != nil {
			return nil, fmt.Errorf("get VIP port %s: %w", portID, err)
		}
		for _, ip := range p.FixedIPs {
			if sameIP(ip.IPAddress, address) {
				out = vipSubnet{portID: p.ID, portName: p.Name, networkID: p.NetworkID, subnetID: ip.SubnetID}
				break
			}
		}
	} else {
		ports, err := d.neutron.ListPorts(ctx, neutron.PortFilter{NetworkID: networkID})
		if err != nil {
			return nil, fmt.Errorf("list ports of network %s: %w", networkID, err)
		}
	search:
		for _, p := range ports {
			for _, ip := range p.FixedIPs {
				if sameIP(ip.IPAddress, address) {
					out = vipSubnet{portID: p.ID, portName: p.Name, networkID: p.NetworkID, subnetID: ip.SubnetID}
					break search
				}
			}
		}
	}
	if out.portID == "" {
		return nil, fmt.Errorf("no Neutron port holds VIP %s on network %s", address, networkID)
	}
	if out.networkID == "" {
		out.networkID = networkID
	}
	sn, err := d.neutron.GetSubnet(ctx, out.subnetID)
	if err != nil {
		return nil, fmt.Errorf("get VIP subnet %s: %w", out.subnetID, err)
	}
	out.cidr = sn.CIDR
	if sn.NetworkID != "" {
		out.networkID = sn.NetworkID
	}
	return &out, nil
}

// sameIP compares two textual addresses by value (Neutron may print IPv6
// differently from Octavia).
func sameIP(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	return err1 == nil && err2 == nil && x == y
}

// associateNewRow attaches a row just created for an LB or a protocol to the
// routers of its VIP subnet and to its VIP switch (operations.md §4 steps
// 3–4), then, for a protocol row, to the other switches counted by the
// first row (step 5).
func associateNewRow(t *nbtxn.Txn, lb *nb.LoadBalancer, vs *vipSubnet, additional int, copied []string) error {
	for _, lr := range assoc.RoutersOfSubnet(t, vs.networkID, vs.cidr) {
		assoc.AttachToRouter(t, lb, lr)
	}
	if err := assoc.AttachVIPSwitch(t, lb, vs.networkID, additional); err != nil {
		return err
	}
	vipSwitch := assoc.OVNName(vs.networkID)
	for _, name := range copied {
		if name == vipSwitch {
			continue
		}
		if err := assoc.AddSwitchRef(t, lb, name, 1); err != nil {
			return err
		}
	}
	return nil
}

// protocolRow returns the row of the LB for protocol, creating it when the
// LB has rows but none for this protocol (NB §3.1). algorithm decides the
// selection_fields of a new row ("" for a listener: SOURCE_IP_PORT). A
// single row without protocol is taken and gets the protocol. It returns nil
// when the LB has no row at all.
//
// Quirk avoided (operations.md §4): the new row copies `enabled` from the
// existing row rather than taking the listener's/pool's admin state, and a
// failure here never deletes the VIP port.
//
// The additional VIP keys are copied from the existing row instead of being
// re-read from Octavia: both carry the same values, and the copy needs no
// get-socket round trip inside the transaction.
func (d *Driver) protocolRow(ctx context.Context, t *nbtxn.Txn, lbID, protocol, algorithm string) (*nb.LoadBalancer, error) {
	proto := strings.ToLower(protocol)
	rows := rowsOf(t, lbID)
	if len(rows) == 0 {
		return nil, nil
	}
	if r := rowByProtocol(t, lbID, proto); r != nil {
		if r.Protocol == nil {
			r.Protocol = &proto
		}
		return r, nil
	}
	first := rows[0]
	ext := map[string]string{}
	for _, k := range []string{lbdata.KeyVIP, lbdata.KeyVIPPortID, lbdata.KeyEnabled, lbdata.KeyLRRef,
		lbdata.KeyAdditionalVIPs, lbdata.KeyAdditionalVIPPortIDs, lbdata.KeyVIPFIP, lbdata.KeyAdditionalVIPFIPs} {
		if v, ok := first.ExternalIDs[k]; ok {
			ext[k] = v
		}
	}
	if _, ok := ext[lbdata.KeyEnabled]; !ok {
		ext[lbdata.KeyEnabled] = lbdata.FormatBool(true)
	}
	vs, err := d.lookupVIP(ctx, ext[lbdata.KeyVIPPortID], "", ext[lbdata.KeyVIP])
	if err != nil {
		return nil, err
	}
	row := t.CreateLB(&nb.LoadBalancer{
		Name:            lbID,
		Protocol:        &proto,
		ExternalIDs:     ext,
		SelectionFields: selectionFieldsFor(algorithm),
	})
	copied := assoc.LSRefs(first).Names()
	if err := associateNewRow(t, row, vs, len(lbdata.SplitList(ext[lbdata.KeyAdditionalVIPs])), copied); err != nil {
		return nil, err
	}
	recomputeVIPs(row)
	return row, nil
}
