package handlers

import (
	"net/netip"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// attachToRouter and detachFromRouter are assoc.AttachToRouter and
// assoc.DetachFromRouter with the router's switches resolved once per burst
// and router instead of once per row: assoc resolves them with
// Txn.SwitchByName, which copies the switch with its whole load_balancer
// set, so a router interface event for 1,000 rows cost 1,000 copies of
// 1,000-entry sets. The rules (NB §13.3, §13.4, events-and-status §4.2)
// are assoc's, whose SwitchNamesOfRouter picks the switches.

// familyKey is "4" or "6" for a VIP, "" when it does not parse.
func familyKey(vip string) string {
	a, err := netip.ParseAddr(vip)
	switch {
	case err != nil:
		return ""
	case a.Unmap().Is4():
		return "4"
	default:
		return "6"
	}
}

// switchUUID returns the UUID of the switch named name, "" if none.
func (b *burst) switchUUID(name string) string {
	if b.lsUUIDs == nil {
		b.lsUUIDs = map[string]string{}
		for _, ls := range b.t.Switches() {
			b.lsUUIDs[ls.Name] = ls.UUID
		}
	}
	return b.lsUUIDs[name]
}

// routerSwitches returns name -> UUID of the existing switches of lr for a
// row whose VIP is vip (assoc.SwitchNamesOfRouter), cached per router and
// IP family.
func (b *burst) routerSwitches(lr *nb.LogicalRouter, vip string) map[string]string {
	fam := familyKey(vip)
	key := lr.UUID + "/" + fam
	if m, ok := b.lrSwitches[key]; ok {
		return m
	}
	m := map[string]string{}
	if fam != "" {
		for _, name := range assoc.SwitchNamesOfRouter(b.t, lr, vip) {
			if u := b.switchUUID(name); u != "" {
				m[name] = u
			}
		}
	}
	if b.lrSwitches == nil {
		b.lrSwitches = map[string]map[string]string{}
	}
	b.lrSwitches[key] = m
	return m
}

// attachToRouter attaches the row to lr and its switches and records lr in
// lr_ref; ls_refs is not touched.
func (b *burst) attachToRouter(lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	b.t.AttachRouter(lr.UUID, lb)
	for _, u := range b.routerSwitches(lr, lb.ExternalIDs[lbdata.KeyVIP]) {
		b.t.AttachSwitch(u, lb)
	}
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
	lb.ExternalIDs[lbdata.KeyLRRef] = lbdata.LRRefAdd(lb.ExternalIDs[lbdata.KeyLRRef], lr.Name)
}

// detachFromRouter is the router half of an interface removal (§4.2 step
// 2): with lr_ref present, lr leaves it (the key goes when empty) and the
// row leaves lr; the row leaves every switch of lr except the switches of
// the routers still listed in lr_ref.
func (b *burst) detachFromRouter(lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	if cur, ok := lb.ExternalIDs[lbdata.KeyLRRef]; ok {
		if rest, remains := lbdata.LRRefRemove(cur, lr.Name); remains {
			lb.ExternalIDs[lbdata.KeyLRRef] = rest
		} else {
			delete(lb.ExternalIDs, lbdata.KeyLRRef)
		}
		b.t.DetachRouter(lr.UUID, lb)
	}
	vip := lb.ExternalIDs[lbdata.KeyVIP]
	keep := map[string]bool{}
	for _, name := range lbdata.LRRefs(lb.ExternalIDs[lbdata.KeyLRRef]) {
		if name == lr.Name {
			continue
		}
		if other := b.routerByName(name); other != nil {
			for n := range b.routerSwitches(other, vip) {
				keep[n] = true
			}
		}
	}
	for name, u := range b.routerSwitches(lr, vip) {
		if !keep[name] {
			b.t.DetachSwitch(u, lb)
		}
	}
}

// routerByName caches Txn.RouterByName per burst.
func (b *burst) routerByName(name string) *nb.LogicalRouter {
	if lr, ok := b.lrByName[name]; ok {
		return lr
	}
	lr := b.t.RouterByName(name)
	if b.lrByName == nil {
		b.lrByName = map[string]*nb.LogicalRouter{}
	}
	b.lrByName[name] = lr
	return lr
}
