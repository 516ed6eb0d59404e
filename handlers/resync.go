package handlers

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// Resync reconciles NB with itself after a (re)connect or on taking the
// OVSDB lock, in one transaction (events-and-status §9 Recommendation):
//
//   - associations: for every LB row of ours, the switches and routers it
//     should be attached to are recomputed from current NB per
//     nb-data-contract §13.4 (counted switches of ls_refs, routers with an
//     interface in the subnet of the VIP, an additional VIP or a member,
//     and those routers' switches); missing attachments are added, stale
//     ones removed, lr_ref rewritten (existing order kept). ls_refs is never
//     changed.
//   - floating IPs: neutron:vip_fip / neutron:additional_vip_fips follow
//     the neutron:port_fip of the provider-named VIP ports, with the FIP
//     health checks and vips of the events that were missed (resyncFIPs).
//   - member statuses: every SB Service_Monitor row with a probe result is
//     applied as an update event would be, but only to members whose status
//     is a probe result already (ONLINE/ERROR): admin-down (OFFLINE) and
//     unmonitored (NO_MONITOR) members are the provider's to set. A member
//     whose monitor vanished while we were away keeps its status: a missing
//     row cannot be told apart from one ovn-northd has not created yet.
//
// Rows with corrupt ls_refs are logged and left alone. Only statuses that
// changed are reported.
func (h *Handler) Resync(ctx context.Context) error {
	var monitors []sb.ServiceMonitor
	if h.cfg.ServiceMonitors != nil {
		monitors = h.cfg.ServiceMonitors()
	}
	var final *burst
	err := h.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		b := newBurst(t, h.log.WithField("event", "resync"))
		b.resyncAssociations()
		b.resyncFIPs()
		b.resyncMemberStatuses(monitors)
		if err := b.flush(); err != nil {
			return err
		}
		final = b
		return nil
	})
	if err != nil {
		return fmt.Errorf("full resync: %w", err)
	}
	h.report(ctx, final.statusChanges())
	return nil
}

// resyncState holds the indexes of one association pass.
type resyncState struct {
	b *burst
	// lspSwitch maps LSP UUIDs to the switch holding them.
	lspSwitch map[string]*nb.LogicalSwitch
	// ifaces caches the router-interface CIDRs of a switch.
	ifaces map[string][]netip.Prefix
	// routers caches assoc.RoutersOfSubnet per switch and CIDR.
	routers map[string][]*nb.LogicalRouter
	// switchIPs caches ip -> present for the LSPs of a switch.
	switchIPs map[string]map[string]bool
	// attachedTo maps LB UUIDs to the switches/routers holding them now.
	lbSwitches map[string][]*nb.LogicalSwitch
	lbRouters  map[string][]*nb.LogicalRouter
	// ifSwitches caches interfaceSwitches per router UUID.
	ifSwitches map[string][]string
}

func (b *burst) resyncAssociations() {
	rs := &resyncState{
		b:          b,
		lspSwitch:  map[string]*nb.LogicalSwitch{},
		ifaces:     map[string][]netip.Prefix{},
		routers:    map[string][]*nb.LogicalRouter{},
		switchIPs:  map[string]map[string]bool{},
		lbSwitches: map[string][]*nb.LogicalSwitch{},
		lbRouters:  map[string][]*nb.LogicalRouter{},
		ifSwitches: map[string][]string{},
	}
	for _, ls := range b.t.Switches() {
		for _, p := range ls.Ports {
			rs.lspSwitch[p] = ls
		}
		for _, lb := range ls.LoadBalancer {
			rs.lbSwitches[lb] = append(rs.lbSwitches[lb], ls)
		}
	}
	for _, lr := range b.t.Routers() {
		for _, lb := range lr.LoadBalancer {
			rs.lbRouters[lb] = append(rs.lbRouters[lb], lr)
		}
	}
	b.eachOurLB(func(lb *nb.LoadBalancer) {
		if err := rs.reconcile(lb); err != nil {
			b.log.WithError(err).WithFields(logrus.Fields{"lb": lb.Name, "lb_uuid": lb.UUID}).
				Error("LB row skipped by resync")
		}
	})
	b.resyncRouterRows()
}

// resyncRouterRows reproduces what router-interface events do with the
// rows of a router the provider does not own (Neutron port forwarding):
// creations copy them to the switch of each non-gateway interface (§4.1
// step 3, the quirk kept by lrpCreated), deletions remove them from the
// switch again (§4.2 step 3). So such a row belongs on exactly the switches
// of the non-gateway interfaces of the routers holding it; rows on no router
// are left alone.
func (b *burst) resyncRouterRows() {
	want := map[string]map[string]bool{} // foreign row -> switch UUIDs
	for _, lr := range b.t.Routers() {
		var foreign []string
		for _, uuid := range lr.LoadBalancer {
			if lb := b.t.LB(uuid); lb != nil && !isOurs(lb) {
				foreign = append(foreign, uuid)
				if want[uuid] == nil {
					want[uuid] = map[string]bool{}
				}
			}
		}
		if len(foreign) == 0 {
			continue
		}
		for _, p := range lr.Ports {
			lrp := b.t.LRP(p)
			if lrp == nil || assoc.IsGatewayLRP(lrp) || pyBool(lrp.ExternalIDs[lrpIsExtGWKey]) {
				continue
			}
			ls := b.t.SwitchByName(assoc.OVNName(lrp.ExternalIDs[lrpNetworkNameKey]))
			if ls == nil || assoc.IsProviderNetwork(ls) {
				continue
			}
			for _, uuid := range foreign {
				want[uuid][ls.UUID] = true
			}
		}
	}
	if len(want) == 0 {
		return
	}
	for _, ls := range b.t.Switches() {
		have := toSet(ls.LoadBalancer)
		for uuid, switches := range want {
			switch {
			case switches[ls.UUID] && !have[uuid]:
				b.t.AttachSwitch(ls.UUID, &nb.LoadBalancer{UUID: uuid})
			case !switches[ls.UUID] && have[uuid]:
				b.t.DetachSwitch(ls.UUID, &nb.LoadBalancer{UUID: uuid})
			}
		}
	}
}

// reconcile brings one row's switch and router attachments to the desired
// state.
func (rs *resyncState) reconcile(lb *nb.LoadBalancer) error {
	t := rs.b.t
	refs, cerr := lbdata.LSRefsFrom(lb.ExternalIDs)
	if cerr != nil {
		// Treating it as {} (as the reference does) would detach the row
		// from every switch it is counted on: leave the row alone.
		return cerr
	}
	var counted []*nb.LogicalSwitch
	for _, name := range refs.Names() {
		if ls := t.SwitchByName(name); ls != nil && !assoc.IsProviderNetwork(ls) {
			counted = append(counted, ls)
		}
	}

	// Routers: of the VIP subnets (found on the switches holding the VIP
	// ports) and of the member subnets (found on the counted switches).
	var routers []*nb.LogicalRouter
	addRouters := func(lrs []*nb.LogicalRouter) {
		for _, lr := range lrs {
			if !slices.ContainsFunc(routers, func(x *nb.LogicalRouter) bool { return x.UUID == lr.UUID }) {
				routers = append(routers, lr)
			}
		}
	}
	vips := append([]string{lb.ExternalIDs[lbdata.KeyVIP]}, splitList(lb.ExternalIDs[lbdata.KeyAdditionalVIPs])...)
	ports := append([]string{lb.ExternalIDs[lbdata.KeyVIPPortID]}, splitList(lb.ExternalIDs[lbdata.KeyAdditionalVIPPortIDs])...)
	for i, vip := range vips {
		if vip == "" {
			continue
		}
		var ls *nb.LogicalSwitch
		if i < len(ports) && ports[i] != "" {
			if lsp := t.LSPByName(ports[i]); lsp != nil {
				ls = rs.lspSwitch[lsp.UUID]
			}
		}
		if ls != nil {
			addRouters(rs.routersServing(ls, vip))
		} else {
			for _, c := range counted {
				addRouters(rs.routersServing(c, vip))
			}
		}
	}
	for _, m := range rs.b.poolMembers(lb) {
		addRouters(rs.routersServing(rs.memberSwitch(counted, m.IP), m.IP))
	}

	// Desired switches: counted ones plus the routers' switches.
	wantLS := map[string]bool{}
	for _, ls := range counted {
		wantLS[ls.UUID] = true
	}
	vip := lb.ExternalIDs[lbdata.KeyVIP]
	for _, lr := range routers {
		for _, ls := range rs.b.routes.SwitchesOfRouter(lr, vip) {
			wantLS[ls.UUID] = true
		}
	}
	// Router-interface creations copy every row of the router to the new
	// switch whatever its IP version (events-and-status §4.1 step 3), so a
	// row may rightly sit on any interface switch of its routers: such
	// attachments are kept, though not created.
	tolerated := map[string]bool{}
	for _, lr := range routers {
		for _, ls := range rs.interfaceSwitches(lr) {
			tolerated[ls] = true
		}
	}
	haveLS := map[string]bool{}
	for _, ls := range rs.lbSwitches[lb.UUID] {
		haveLS[ls.UUID] = true
		if !wantLS[ls.UUID] && !tolerated[ls.UUID] {
			t.DetachSwitch(ls.UUID, lb)
		}
	}
	for _, uuid := range slices.Sorted(maps.Keys(wantLS)) {
		if !haveLS[uuid] {
			t.AttachSwitch(uuid, lb)
		}
	}

	wantLR := map[string]bool{}
	for _, lr := range routers {
		wantLR[lr.UUID] = true
	}
	for _, lr := range rs.lbRouters[lb.UUID] {
		if !wantLR[lr.UUID] {
			t.DetachRouter(lr.UUID, lb)
		}
	}
	for _, lr := range routers {
		t.AttachRouter(lr.UUID, lb)
	}

	// lr_ref: existing names still wanted keep their order, new ones follow.
	wantNames := map[string]bool{}
	for _, lr := range routers {
		wantNames[lr.Name] = true
	}
	var names []string
	for _, n := range lbdata.LRRefs(lb.ExternalIDs[lbdata.KeyLRRef]) {
		if wantNames[n] && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, lr := range routers {
		if !slices.Contains(names, lr.Name) {
			names = append(names, lr.Name)
		}
	}
	cur, had := lb.ExternalIDs[lbdata.KeyLRRef]
	switch {
	case len(names) == 0 && had:
		delete(lb.ExternalIDs, lbdata.KeyLRRef)
	case len(names) > 0 && (!had || !sameNames(cur, names)):
		lb.ExternalIDs[lbdata.KeyLRRef] = strings.Join(names, ",")
	}
	return nil
}

// interfaceSwitches returns the UUIDs of the switches behind the router's
// non-gateway interfaces (those LRP creations copy router rows to),
// provider networks excluded.
func (rs *resyncState) interfaceSwitches(lr *nb.LogicalRouter) []string {
	if out, ok := rs.ifSwitches[lr.UUID]; ok {
		return out
	}
	var out []string
	for _, p := range lr.Ports {
		lrp := rs.b.t.LRP(p)
		if lrp == nil || assoc.IsGatewayLRP(lrp) || pyBool(lrp.ExternalIDs[lrpIsExtGWKey]) {
			continue
		}
		if ls := rs.b.t.SwitchByName(assoc.OVNName(lrp.ExternalIDs[lrpNetworkNameKey])); ls != nil && !assoc.IsProviderNetwork(ls) {
			out = append(out, ls.UUID)
		}
	}
	rs.ifSwitches[lr.UUID] = out
	return out
}

// sameNames reports whether an lr_ref value lists exactly names in order
// (spaces around entries tolerated, so a readable value is not rewritten).
func sameNames(cur string, names []string) bool {
	return slices.Equal(lbdata.LRRefs(cur), names)
}

// memberSwitch returns the counted switch with an LSP holding ip, else nil.
func (rs *resyncState) memberSwitch(counted []*nb.LogicalSwitch, ip string) *nb.LogicalSwitch {
	for _, ls := range counted {
		ips, ok := rs.switchIPs[ls.UUID]
		if !ok {
			ips = map[string]bool{}
			for _, p := range ls.Ports {
				if lsp := rs.b.t.LSP(p); lsp != nil {
					for _, a := range lspIPs(lsp) {
						ips[a] = true
					}
				}
			}
			rs.switchIPs[ls.UUID] = ips
		}
		if ips[ip] {
			return ls
		}
	}
	return nil
}

// routersServing returns the routers with an interface on ls whose subnet
// contains ip (NB §13.4 "routers of a subnet", with the subnet identified by
// the address instead of a Neutron subnet read).
func (rs *resyncState) routersServing(ls *nb.LogicalSwitch, ip string) []*nb.LogicalRouter {
	if ls == nil {
		return nil
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	prefixes, ok := rs.ifaces[ls.UUID]
	if !ok {
		for _, p := range ls.Ports {
			lsp := rs.b.t.LSP(p)
			if lsp == nil || lsp.Type != "router" || lsp.ExternalIDs["neutron:device_owner"] != "network:router_interface" {
				continue
			}
			for _, c := range strings.Fields(lsp.ExternalIDs[lbdata.KeyCIDRs]) {
				if pf, err := netip.ParsePrefix(c); err == nil && !slices.Contains(prefixes, pf.Masked()) {
					prefixes = append(prefixes, pf.Masked())
				}
			}
		}
		rs.ifaces[ls.UUID] = prefixes
	}
	var out []*nb.LogicalRouter
	for _, pf := range prefixes {
		if !pf.Contains(addr) {
			continue
		}
		key := ls.UUID + " " + pf.String()
		lrs, ok := rs.routers[key]
		if !ok {
			lrs = assoc.RoutersOfSubnet(rs.b.t, ls.Name, pf.String())
			rs.routers[key] = lrs
		}
		out = append(out, lrs...)
	}
	return out
}

// resyncMemberStatuses applies every Service_Monitor row with a probe
// result to the members whose status is a probe result.
func (b *burst) resyncMemberStatuses(monitors []sb.ServiceMonitor) {
	if len(monitors) == 0 {
		return
	}
	b.buildSMIndex()
	for i := range monitors {
		sm := &monitors[i]
		if sm.Status == nil || *sm.Status == "" {
			continue // no probe result yet
		}
		status := smMemberStatus(sm, false)
		port := strconv.Itoa(sm.Port)
		for _, uuid := range b.smIndex[smKeyOf(sm)] {
			lb := b.t.LB(uuid)
			if lb == nil || !isOurs(lb) {
				continue
			}
			id, ok := b.memberIndex(lb)[sm.IP+" "+port]
			if !ok {
				continue
			}
			ms := b.memberStatus(lb)
			if ms == nil {
				continue
			}
			cur, _ := ms.get(id)
			if cur != octavia.OperatingOnline && cur != octavia.OperatingError {
				continue
			}
			ms.set(id, status)
		}
	}
}
