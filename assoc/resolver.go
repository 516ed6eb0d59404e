package assoc

import (
	"net/netip"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// Resolver applies the router association rules (AttachToRouter,
// DetachFromRouter, RoutedSwitches) to many rows of one Txn, resolving each
// router's switches once per IP family instead of once per row. The package
// functions of the same names are a Resolver used once.
//
// Why it exists: the switches of a router are found by name, and every
// Txn.SwitchByName hands out a copy of the switch with its whole
// load_balancer set. A router-interface event attaching 1,000 rows would
// otherwise copy a 1,000-entry set 1,000 times per switch of the router.
//
// What it remembers - which switches and routers exist under which name,
// and which LRPs a router has - is never written by a Txn (a Txn only
// changes load_balancer membership, which the Resolver does not remember),
// so the answers stay right for the Txn's lifetime. A Resolver belongs to
// one Txn: make a new one for every Store.Run attempt.
type Resolver struct {
	t *nbtxn.Txn

	switchUUID     map[string]string            // switch name -> UUID, "" when absent
	routerByName   map[string]*nb.LogicalRouter // nil when absent; Name, UUID and Ports only
	routerNames    map[routerFamily][]string
	routerSwitches map[routerFamily][]SwitchRef
}

// routerFamily keys the switches of a router for rows of one IP version.
type routerFamily struct {
	router string
	v4     bool
}

// SwitchRef is an existing Logical_Switch by name and UUID.
type SwitchRef struct {
	Name, UUID string
}

// NewResolver returns a Resolver over t.
func NewResolver(t *nbtxn.Txn) *Resolver {
	return &Resolver{
		t:              t,
		switchUUID:     map[string]string{},
		routerByName:   map[string]*nb.LogicalRouter{},
		routerNames:    map[routerFamily][]string{},
		routerSwitches: map[routerFamily][]SwitchRef{},
	}
}

// SwitchesOfRouter is the package SwitchesOfRouter by name and UUID: the
// existing switches of SwitchNamesOfRouter(lr, vip), in that order. The
// slice is shared between calls; callers must not modify it.
func (r *Resolver) SwitchesOfRouter(lr *nb.LogicalRouter, vip string) []SwitchRef {
	key, ok := familyOf(lr, vip)
	if !ok {
		return nil
	}
	if refs, ok := r.routerSwitches[key]; ok {
		return refs
	}
	var refs []SwitchRef
	for _, name := range r.switchNames(lr, vip) {
		if u := r.switchUUIDOf(name); u != "" {
			refs = append(refs, SwitchRef{Name: name, UUID: u})
		}
	}
	r.routerSwitches[key] = refs
	return refs
}

// AttachToRouter is the package AttachToRouter.
func (r *Resolver) AttachToRouter(lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	r.t.AttachRouter(lr.UUID, lb)
	for _, ls := range r.SwitchesOfRouter(lr, lb.ExternalIDs[lbdata.KeyVIP]) {
		r.t.AttachSwitch(ls.UUID, lb)
	}
	ensureExternalIDs(lb)
	lb.ExternalIDs[lbdata.KeyLRRef] = lbdata.LRRefAdd(lb.ExternalIDs[lbdata.KeyLRRef], lr.Name)
}

// DetachFromRouter is the package DetachFromRouter.
func (r *Resolver) DetachFromRouter(lb *nb.LoadBalancer, lr *nb.LogicalRouter) {
	ensureExternalIDs(lb)
	if cur, ok := lb.ExternalIDs[lbdata.KeyLRRef]; ok {
		rest, remains := lbdata.LRRefRemove(cur, lr.Name)
		if remains {
			lb.ExternalIDs[lbdata.KeyLRRef] = rest
		} else {
			delete(lb.ExternalIDs, lbdata.KeyLRRef)
		}
		r.t.DetachRouter(lr.UUID, lb)
	}
	keep := r.RoutedSwitches(lb, lr.Name)
	for _, ls := range r.SwitchesOfRouter(lr, lb.ExternalIDs[lbdata.KeyVIP]) {
		if !keep[ls.Name] {
			r.t.DetachSwitch(ls.UUID, lb)
		}
	}
}

// RoutedSwitches returns the names of the switches the row reaches through
// the routers listed in its `lr_ref`, leaving out the router named except
// ("" leaves out nothing). Switch names are returned whether or not the
// switch exists, as SwitchNamesOfRouter gives them.
func (r *Resolver) RoutedSwitches(lb *nb.LoadBalancer, except string) map[string]bool {
	out := map[string]bool{}
	vip := lb.ExternalIDs[lbdata.KeyVIP]
	for _, name := range lbdata.LRRefs(lb.ExternalIDs[lbdata.KeyLRRef]) {
		if name == except {
			continue
		}
		lr := r.router(name)
		if lr == nil {
			continue
		}
		for _, ls := range r.switchNames(lr, vip) {
			out[ls] = true
		}
	}
	return out
}

// familyOf keys the switches of lr for vip: SwitchNamesOfRouter depends on
// the VIP's IP version only. It is false for a VIP that does not parse
// (which has no switches).
func familyOf(lr *nb.LogicalRouter, vip string) (routerFamily, bool) {
	addr, err := netip.ParseAddr(vip)
	if err != nil {
		return routerFamily{}, false
	}
	return routerFamily{router: lr.UUID, v4: addr.Unmap().Is4()}, true
}

// switchNames is SwitchNamesOfRouter, remembered per router and IP version.
// The slice is shared between calls.
func (r *Resolver) switchNames(lr *nb.LogicalRouter, vip string) []string {
	key, ok := familyOf(lr, vip)
	if !ok {
		return nil
	}
	names, ok := r.routerNames[key]
	if !ok {
		names = SwitchNamesOfRouter(r.t, lr, vip)
		r.routerNames[key] = names
	}
	return names
}

// switchUUIDOf returns the UUID of the switch named name, "" if none.
func (r *Resolver) switchUUIDOf(name string) string {
	u, ok := r.switchUUID[name]
	if !ok {
		if ls := r.t.SwitchByName(name); ls != nil {
			u = ls.UUID
		}
		r.switchUUID[name] = u
	}
	return u
}

// router returns the router named name, or nil; its load_balancer set is
// the one of the first lookup and must not be read.
func (r *Resolver) router(name string) *nb.LogicalRouter {
	lr, ok := r.routerByName[name]
	if !ok {
		lr = r.t.RouterByName(name)
		r.routerByName[name] = lr
	}
	return lr
}
