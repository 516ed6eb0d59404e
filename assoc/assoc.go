// Package assoc decides which Logical_Switches and Logical_Routers an OVN
// Load_Balancer row is attached to, and keeps the row's `ls_refs` and
// `lr_ref` bookkeeping (nb-data-contract.md §13.2–§13.4).
//
// Everything works on an *nbtxn.Txn: reads see the Txn's pending changes, and
// writes (switch/router membership, external_ids) become part of the Txn's
// single transaction. The package is shared by the CRUD front end (LB and
// member calls) and the agent's router-interface handlers, so each function
// does one rule of the spec and nothing more; callers combine them.
//
// Rules in short:
//
//   - A row is counted (`ls_refs`) only on switches it references directly:
//     its VIP switch (1 + number of additional VIPs) and the switches of its
//     members (+1 each). Router-driven associations never touch `ls_refs`.
//   - The row is added to a switch only when its `ls_refs` key is newly
//     created, and removed when the key goes away.
//   - Routers of a subnet are found through router-interface LSPs whose
//     `neutron:cidrs` lie in the subnet; attaching to a router also attaches
//     the router's non-gateway switches of the VIP's IP family and records
//     the router in `lr_ref`.
//   - Provider networks (switches with `neutron:provnet-physical-network`)
//     are never attached directly.
package assoc

import (
	"net/netip"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// OVNName returns `neutron-<id>`, without doubling an existing prefix
// (nb-data-contract §2).
func OVNName(id string) string { return lbdata.NeutronName(id) }

// IsProviderNetwork reports whether ls belongs to a Neutron provider network;
// LB rows are never attached to those directly.
func IsProviderNetwork(ls *nb.LogicalSwitch) bool {
	if ls == nil {
		return false
	}
	_, ok := ls.ExternalIDs[lbdata.KeyProvnetPhysicalNetwork]
	return ok
}

// RoutersOfSubnet returns the routers with an interface in the subnet of
// network netID whose CIDR is cidr (NB §13.4): the switch `neutron-<netID>`
// must have an LSP of type `router`, device owner
// `network:router_interface`, one of whose `neutron:cidrs` lies in the same
// network as cidr. The router is the one owning the LRP named by the LSP's
// `options:router-port`, or the router whose `lrp-<neutron:gw_port_id>` is
// that name. Gateway ports (device owner `network:router_gateway`) never
// qualify. The result has no duplicates and follows the switch's port order.
func RoutersOfSubnet(t *nbtxn.Txn, netID, cidr string) []*nb.LogicalRouter {
	subnet, err := netip.ParsePrefix(strings.TrimSpace(cidr))
	if err != nil {
		return nil
	}
	subnet = subnet.Masked()
	ls := t.SwitchByName(OVNName(netID))
	if ls == nil {
		return nil
	}
	var out []*nb.LogicalRouter
	seen := map[string]bool{}
	for _, portUUID := range ls.Ports {
		lsp := t.LSP(portUUID)
		if lsp == nil || lsp.Type != lbdata.LSPTypeRouter ||
			lsp.ExternalIDs[lbdata.KeyDeviceOwner] != lbdata.DeviceOwnerRouterInterface {
			continue
		}
		if !cidrsMatch(lsp.ExternalIDs[lbdata.KeyCIDRs], subnet) {
			continue
		}
		lrpName := lsp.Options[lbdata.OptRouterPort]
		if lrpName == "" {
			continue
		}
		lr := routerOfLRP(t, lrpName)
		if lr == nil || seen[lr.UUID] {
			continue
		}
		seen[lr.UUID] = true
		out = append(out, lr)
	}
	return out
}

// cidrsMatch reports whether one of the space-separated `<ip>/<prefix>`
// values lies in the same network as subnet.
func cidrsMatch(cidrs string, subnet netip.Prefix) bool {
	for _, c := range strings.Fields(cidrs) {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			continue
		}
		if p.Masked() == subnet {
			return true
		}
	}
	return false
}

// routerOfLRP returns the router owning the LRP named lrpName, or the router
// whose gateway port it is.
func routerOfLRP(t *nbtxn.Txn, lrpName string) *nb.LogicalRouter {
	lrp := t.LRPByName(lrpName)
	for _, lr := range t.Routers() {
		if lrp != nil {
			for _, p := range lr.Ports {
				if p == lrp.UUID {
					return lr
				}
			}
		}
		if gw := lr.ExternalIDs[lbdata.KeyGWPortID]; gw != "" && lbdata.LRPPrefix+gw == lrpName {
			return lr
		}
	}
	return nil
}

// IsGatewayLRP reports whether the LRP is bound to a gateway chassis (it has
// `gateway_chassis` or `ha_chassis_group`). Such ports are skipped when
// collecting a router's switches.
func IsGatewayLRP(lrp *nb.LogicalRouterPort) bool {
	return len(lrp.GatewayChassis) > 0 || lrp.HaChassisGroup != nil
}

// SwitchNamesOfRouter returns the names of the switches of lr for a row whose
// VIP is vip (NB §13.4): for each LRP without gateway chassis whose first
// `networks` entry has vip's IP version, `neutron-` + the LRP's
// `neutron:network_name`. Switches that do not exist are included (callers
// look them up); provider networks behind non-gateway LRPs are not filtered,
// as in the reference. An unparseable vip yields nothing.
func SwitchNamesOfRouter(t *nbtxn.Txn, lr *nb.LogicalRouter, vip string) []string {
	addr, err := netip.ParseAddr(vip)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, portUUID := range lr.Ports {
		lrp := t.LRP(portUUID)
		if lrp == nil || IsGatewayLRP(lrp) || len(lrp.Networks) == 0 {
			continue
		}
		// networks is an OVSDB set; libovsdb hands it out in wire order,
		// which for a one-element set (the usual case) is the only entry.
		p, err := netip.ParsePrefix(lrp.Networks[0])
		if err != nil || p.Addr().Is4() != addr.Unmap().Is4() {
			continue
		}
		net := lrp.ExternalIDs[lbdata.KeyNetworkName]
		if net == "" {
			continue
		}
		name := OVNName(net)
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// SwitchesOfRouter returns the existing switches of SwitchNamesOfRouter.
func SwitchesOfRouter(t *nbtxn.Txn, lr *nb.LogicalRouter, vip string) []*nb.LogicalSwitch {
	var out []*nb.LogicalSwitch
	for _, name := range SwitchNamesOfRouter(t, lr, vip) {
		if ls := t.SwitchByName(name); ls != nil {
			out = append(out, ls)
		}
	}
	return out
}

// AttachToRouter attaches the row to lr and to every switch of lr
// (SwitchesOfRouter for the row's `neutron:vip`), and appends lr's name to
// `lr_ref`. `ls_refs` is not touched: router-driven associations are not
// counted (NB §13.2). Callers attaching many rows in one Txn use a Resolver.
func AttachToRouter(t *nbtxn.Txn, lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	NewResolver(t).AttachToRouter(lb, lr)
}

// DetachFromRouter is the router half of a router-interface removal
// (events-and-status §4.2 step 2): when the row has `lr_ref`, lr's name is
// removed from it (the key goes when nothing remains) and the row leaves
// lr; in any case the row leaves every switch of lr (same IP family,
// non-gateway LRPs) except the switches that are also switches of a router
// still listed in the remaining `lr_ref`. Note that this also removes the
// row from its own VIP switch when that switch hangs off lr: that is the
// reference's NB end state, and callers that want otherwise must re-add it.
// Callers detaching many rows in one Txn use a Resolver.
func DetachFromRouter(t *nbtxn.Txn, lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	NewResolver(t).DetachFromRouter(lb, lr)
}

// RoutedSwitches returns the names of the switches the row reaches through
// the routers listed in its `lr_ref`.
func RoutedSwitches(t *nbtxn.Txn, lb *nb.LoadBalancer) map[string]bool {
	return NewResolver(t).RoutedSwitches(lb, "")
}

// LSRefs returns the row's parsed `ls_refs`; a missing or unparseable value
// is empty (NB §13.2).
func LSRefs(lb *nb.LoadBalancer) *lbdata.LSRefs {
	refs, _ := lbdata.LSRefsFrom(lb.ExternalIDs)
	return refs
}

// AddSwitchRef counts n direct references of the row to the switch lsName
// (NB §13.2). Nothing happens when the switch does not exist or is a
// provider network. The count is created with n when absent (and the row is
// attached to the switch) or increased by n (no re-attach).
func AddSwitchRef(t *nbtxn.Txn, lb *nb.LoadBalancer, lsName string, n int) error {
	ls := t.SwitchByName(lsName)
	if ls == nil || IsProviderNetwork(ls) {
		return nil
	}
	refs := LSRefs(lb)
	created := refs.Inc(lsName, int64(n))
	ensureExternalIDs(lb)
	refs.Store(lb.ExternalIDs)
	if created {
		t.AttachSwitch(ls.UUID, lb)
	}
	return nil
}

// RemoveSwitchRef drops one direct reference of the row to lsName (NB
// §13.2): an absent key counts nothing and the row leaves the switch; a
// count of 1 deletes the key and the row leaves the switch; a higher count
// is decremented. The count is decremented even when the switch no longer
// exists.
//
// Quirk avoided (NB §13.2 Recommendation): the reference also removes the
// row from a switch it still reaches through a router in `lr_ref`. We keep
// it there, so router-driven associations survive member removal; the NB
// stays readable by the reference (it re-adds with "may exist" semantics).
func RemoveSwitchRef(t *nbtxn.Txn, lb *nb.LoadBalancer, lsName string) error {
	refs := LSRefs(lb)
	deleted, found := refs.Dec(lsName)
	if found {
		ensureExternalIDs(lb)
		refs.Store(lb.ExternalIDs)
	}
	if found && !deleted {
		return nil
	}
	if RoutedSwitches(t, lb)[lsName] {
		return nil
	}
	if ls := t.SwitchByName(lsName); ls != nil {
		t.DetachSwitch(ls.UUID, lb)
	}
	return nil
}

// AttachVIPSwitch associates a row created for an LB (or a new protocol row)
// with its VIP switch: unless it is a provider network, the count of
// `neutron-<vipNetID>` is set to 1 + additional (the number of additional
// VIPs) when absent, and the row is attached.
func AttachVIPSwitch(t *nbtxn.Txn, lb *nb.LoadBalancer, vipNetID string, additional int) error {
	return AddSwitchRef(t, lb, OVNName(vipNetID), 1+additional)
}

func ensureExternalIDs(lb *nb.LoadBalancer) {
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
}
