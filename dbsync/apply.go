package dbsync

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// managedKeys are the LB-row external_ids keys whose value db-sync takes
// from the computed rows; an existing key of this set (or of the listener
// and pool families) that the computed row lacks is removed. Other keys
// are left alone. lr_ref is merged (routers attached through router
// events are kept) and the floating IP keys always come from fipExtra.
var managedKeys = map[string]bool{
	lbdata.KeyVIP: true, lbdata.KeyVIPPortID: true, lbdata.KeyEnabled: true,
	lbdata.KeyAdditionalVIPs: true, lbdata.KeyAdditionalVIPPortIDs: true,
	lbdata.KeyVIPFIP: true, lbdata.KeyAdditionalVIPFIPs: true,
	lbdata.KeyLSRefs: true, lbdata.KeyMemberStatus: true, lbdata.KeyHealthMonitors: true,
}

func isManaged(k string) bool {
	return managedKeys[k] || lbdata.IsListenerKey(k) || lbdata.IsPoolKey(k)
}

// applier brings the rows of one LB to the computed state inside a Txn and
// describes every change it makes.
type applier struct {
	t       *nbtxn.Txn
	lbID    string
	changes []string
	// subnets of member entries removed from rows with health checks: their
	// HM port is cleaned up after the commit when unused.
	hmSubnets map[string]bool
}

func (a *applier) change(format string, args ...any) {
	a.changes = append(a.changes, fmt.Sprintf(format, args...))
}

func protoName(p string) string {
	if p == "" {
		return "row without protocol"
	}
	return "row " + p
}

func rowProtocol(r *nb.LoadBalancer) string {
	if r.Protocol == nil {
		return ""
	}
	return strings.ToLower(*r.Protocol)
}

// apply matches the computed rows to the LB's rows by protocol (a single row
// without protocol serves any protocol, NB §3.2), updates matched rows in
// place, creates the missing ones and deletes rows of protocols the LB no
// longer has. It returns the LB's rows after the change.
func (a *applier) apply(specs []rowSpec) []*nb.LoadBalancer {
	existing := a.t.LBsByName(a.lbID)
	used := map[string]bool{}
	matched := make([]*nb.LoadBalancer, len(specs))
	for i, sp := range specs {
		for _, r := range existing {
			if !used[r.UUID] && rowProtocol(r) == sp.protocol {
				matched[i], used[r.UUID] = r, true
				break
			}
		}
	}
	for i := range specs {
		if matched[i] != nil {
			continue
		}
		// A row of another protocol (or none) that nothing claimed takes
		// the spec rather than being deleted and re-created.
		for _, r := range existing {
			if !used[r.UUID] && (rowProtocol(r) == "" || !slices.ContainsFunc(specs, func(s rowSpec) bool { return s.protocol == rowProtocol(r) })) {
				matched[i], used[r.UUID] = r, true
				break
			}
		}
	}
	var out []*nb.LoadBalancer
	for _, r := range existing {
		if !used[r.UUID] {
			a.change("%s: deleted (no listener or pool of that protocol in Octavia)", protoName(rowProtocol(r)))
			a.noteRemovedMembers(r, nil)
			a.t.DeleteLB(r)
		}
	}
	for i, sp := range specs {
		if matched[i] == nil {
			out = append(out, a.create(sp))
			continue
		}
		a.update(matched[i], sp)
		out = append(out, matched[i])
	}
	return out
}

// create writes a new row equal to the spec.
func (a *applier) create(sp rowSpec) *nb.LoadBalancer {
	row := &nb.LoadBalancer{
		Name:            a.lbID,
		ExternalIDs:     maps.Clone(sp.externalIDs),
		Options:         maps.Clone(sp.options),
		SelectionFields: slices.Clone(sp.selectionFields),
		IPPortMappings:  maps.Clone(sp.ipPortMappings),
	}
	if sp.protocol != "" {
		p := sp.protocol
		row.Protocol = &p
	}
	row.Vips = lbdata.ComputeVIPs(row.ExternalIDs)
	row = a.t.CreateLB(row)
	for _, h := range sp.healthChecks {
		a.t.CreateHealthCheck(row, &nb.LoadBalancerHealthCheck{Vip: h.vip, Options: maps.Clone(h.options), ExternalIDs: maps.Clone(h.externalIDs)})
	}
	for _, name := range sp.switches {
		if ls := a.t.SwitchByName(name); ls != nil {
			a.t.AttachSwitch(ls.UUID, row)
		}
	}
	for _, name := range sp.routers {
		if lr := a.t.RouterByName(name); lr != nil {
			a.t.AttachRouter(lr.UUID, row)
		}
	}
	a.change("%s: created (%s; %d health check(s); switches %v; routers %v)", protoName(sp.protocol),
		summarizeExt(sp.externalIDs), len(sp.healthChecks), sp.switches, sp.routers)
	return row
}

// summarizeExt names the listener and pool keys of a row and its member
// count, for a created row's report line.
func summarizeExt(ext map[string]string) string {
	var keys []string
	members := 0
	for _, k := range slices.Sorted(maps.Keys(ext)) {
		switch {
		case lbdata.IsListenerKey(k):
			keys = append(keys, k)
		case lbdata.IsPoolKey(k):
			keys = append(keys, k)
			members += len(lbdata.PoolEntries(ext[k]))
		}
	}
	return fmt.Sprintf("keys %v, %d member(s)", keys, members)
}

// update brings an existing row to the spec.
func (a *applier) update(r *nb.LoadBalancer, sp rowSpec) {
	name := protoName(sp.protocol)
	if rowProtocol(r) != sp.protocol || (r.Protocol != nil && *r.Protocol != sp.protocol) {
		a.change("%s: protocol %q -> %q", name, rowProtocol(r), sp.protocol)
		if sp.protocol == "" {
			r.Protocol = nil
		} else {
			p := sp.protocol
			r.Protocol = &p
		}
	}
	if r.ExternalIDs == nil {
		r.ExternalIDs = map[string]string{}
	}
	origLSRefs := assoc.LSRefs(r).Names()
	a.noteRemovedMembers(r, sp.externalIDs)
	a.mergeExternalIDs(name, r, sp.externalIDs)

	if vips := lbdata.ComputeVIPs(r.ExternalIDs); !maps.Equal(vips, r.Vips) {
		a.change("%s: vips %s -> %s", name, fmtMap(r.Vips), fmtMap(vips))
		r.Vips = vips
	}
	if r.Options == nil {
		r.Options = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(sp.options)) {
		if v, ok := r.Options[k]; !ok || v != sp.options[k] {
			a.change("%s: options:%s %q -> %q", name, k, v, sp.options[k])
			r.Options[k] = sp.options[k]
		}
	}
	if v, ok := r.Options[lbdata.OptAffinityTimeout]; ok {
		if _, want := sp.options[lbdata.OptAffinityTimeout]; !want {
			a.change("%s: options:%s %q removed (no pool of the row has session persistence)", name, lbdata.OptAffinityTimeout, v)
			delete(r.Options, lbdata.OptAffinityTimeout)
		}
	}
	// selection_fields: kept when set (db-sync.md §3.2), else the computed set.
	if len(r.SelectionFields) == 0 && len(sp.selectionFields) > 0 {
		a.change("%s: selection_fields set to %v", name, sp.selectionFields)
		r.SelectionFields = slices.Clone(sp.selectionFields)
	}
	if !maps.Equal(r.IPPortMappings, sp.ipPortMappings) && !(len(r.IPPortMappings) == 0 && len(sp.ipPortMappings) == 0) {
		a.change("%s: ip_port_mappings %s -> %s", name, fmtMap(r.IPPortMappings), fmtMap(sp.ipPortMappings))
		r.IPPortMappings = maps.Clone(sp.ipPortMappings)
		if r.IPPortMappings == nil {
			r.IPPortMappings = map[string]string{}
		}
	}
	a.syncHealthChecks(name, r, sp.healthChecks)
	a.syncMembership(name, r, sp, origLSRefs)
}

// noteRemovedMembers records the subnets of member entries the row holds
// and the spec does not (want nil: the row goes), for the HM port cleanup
// a member delete does (operations.md §10.3 step 2).
func (a *applier) noteRemovedMembers(r *nb.LoadBalancer, want map[string]string) {
	if len(r.HealthCheck) == 0 {
		return
	}
	keep := map[string]bool{}
	for k, v := range want {
		if lbdata.IsPoolKey(k) {
			for _, e := range lbdata.PoolEntries(v) {
				keep[e] = true
			}
		}
	}
	for k, v := range r.ExternalIDs {
		if !lbdata.IsPoolKey(k) {
			continue
		}
		ms, _ := lbdata.ParsePoolValue(v)
		for _, m := range ms {
			if !keep[m.Entry()] && m.SubnetID != "" {
				a.hmSubnets[m.SubnetID] = true
			}
		}
	}
}

// mergeExternalIDs writes the computed external_ids into the row, keeping
// the order of JSON values and member entries where the content allows,
// so that a row already in sync is not rewritten.
func (a *applier) mergeExternalIDs(name string, r *nb.LoadBalancer, want map[string]string) {
	ext := r.ExternalIDs
	for _, k := range slices.Sorted(maps.Keys(ext)) {
		if _, ok := want[k]; !ok && isManaged(k) {
			a.change("%s: external_ids:%s removed (was %q)", name, k, ext[k])
			delete(ext, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		cur, had := ext[k]
		var next string
		switch {
		case k == lbdata.KeyLRRef:
			next = cur
			for _, lr := range lbdata.LRRefs(want[k]) {
				next = lbdata.LRRefAdd(next, lr)
			}
		case k == lbdata.KeyLSRefs:
			next = mergeLSRefs(cur, want[k])
		case k == lbdata.KeyMemberStatus:
			next = mergeMemberStatus(cur, want[k])
		case k == lbdata.KeyHealthMonitors:
			next = want[k]
			if sameJSONList(cur, want[k]) {
				next = cur
			}
		case lbdata.IsPoolKey(k):
			next = mergePoolValue(cur, want[k])
		default:
			next = want[k]
		}
		if had && next == cur {
			continue
		}
		switch {
		case !had:
			a.change("%s: external_ids:%s added %q", name, k, next)
		case lbdata.IsPoolKey(k):
			added, removed := entryDiff(cur, next)
			a.change("%s: external_ids:%s members added %v, removed %v", name, k, added, removed)
		default:
			a.change("%s: external_ids:%s %q -> %q", name, k, cur, next)
		}
		ext[k] = next
	}
}

// mergeLSRefs returns want's counts in cur's key order (new keys appended);
// cur unchanged when the content is the same.
func mergeLSRefs(cur, want string) string {
	w, err := lbdata.ParseLSRefs(want)
	if err != nil {
		return want
	}
	c, err := lbdata.ParseLSRefs(cur)
	if err != nil {
		return w.String()
	}
	same := c.Len() == w.Len()
	for _, n := range c.Names() {
		wc, ok := w.Count(n)
		cc, _ := c.Count(n)
		if !ok {
			c.Delete(n)
			same = false
			continue
		}
		if wc != cc {
			same = false
		}
		c.Set(n, wc)
	}
	for _, n := range w.Names() {
		wc, _ := w.Count(n)
		if _, ok := c.Count(n); !ok {
			c.Set(n, wc)
			same = false
		}
	}
	if same {
		return cur
	}
	return c.String()
}

// mergeMemberStatus returns the computed member statuses in cur's order
// (new members appended). A monitored member the computation reports
// ONLINE keeps a health result already recorded (ONLINE or ERROR, written
// by the agent from Service_Monitor rows): db-sync must not hide a failed
// backend. Disabled members are OFFLINE, unmonitored ones NO_MONITOR, as
// computed.
func mergeMemberStatus(cur, want string) string {
	w, err := lbdata.ParseMemberStatus(want)
	if err != nil {
		return want
	}
	c, err := lbdata.ParseMemberStatus(cur)
	if err != nil {
		return w.String()
	}
	same := c.Len() == w.Len()
	for _, id := range c.IDs() {
		ws, ok := w.Get(id)
		cs, _ := c.Get(id)
		if !ok {
			c.Delete(id)
			same = false
			continue
		}
		if ws == octavia.OperatingOnline && (cs == octavia.OperatingOnline || cs == octavia.OperatingError) {
			continue
		}
		if ws != cs {
			same = false
		}
		c.Set(id, ws)
	}
	for _, id := range w.IDs() {
		if _, ok := c.Get(id); !ok {
			ws, _ := w.Get(id)
			c.Set(id, ws)
			same = false
		}
	}
	if same {
		return cur
	}
	return c.String()
}

func sameJSONList(a, b string) bool {
	x, err1 := lbdata.ParseHealthMonitors(a)
	y, err2 := lbdata.ParseHealthMonitors(b)
	return err1 == nil && err2 == nil && slices.Equal(x, y)
}

// mergePoolValue keeps the entries of cur that want has, in cur's order,
// and appends want's other entries in want's order.
func mergePoolValue(cur, want string) string {
	wantEntries := lbdata.PoolEntries(want)
	in := map[string]bool{}
	for _, e := range wantEntries {
		in[e] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range lbdata.PoolEntries(cur) {
		if in[e] && !seen[e] {
			out = append(out, e)
			seen[e] = true
		}
	}
	for _, e := range wantEntries {
		if !seen[e] {
			out = append(out, e)
			seen[e] = true
		}
	}
	return strings.Join(out, ",")
}

func entryDiff(cur, next string) (added, removed []string) {
	c, n := lbdata.PoolEntries(cur), lbdata.PoolEntries(next)
	for _, e := range n {
		if !slices.Contains(c, e) {
			added = append(added, e)
		}
	}
	for _, e := range c {
		if !slices.Contains(n, e) {
			removed = append(removed, e)
		}
	}
	return added, removed
}

// syncHealthChecks makes the row's LBHCs equal to the computed ones: equal
// rows are kept, rows of the same HM and address are rewritten in place,
// the rest is removed (and destroyed by ovsdb-server) or created.
func (a *applier) syncHealthChecks(name string, r *nb.LoadBalancer, want []hcSpec) {
	have := a.t.HealthChecksOf(r)
	used := make([]bool, len(have))
	pending := []hcSpec{}
	for _, w := range want {
		found := false
		for i, hc := range have {
			if !used[i] && w.equal(hc) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			pending = append(pending, w)
		}
	}
	for _, w := range pending {
		done := false
		for i, hc := range have {
			if used[i] || hc.ExternalIDs[lbdata.KeyHCHealthMonitor] != w.externalIDs[lbdata.KeyHCHealthMonitor] ||
				hc.ExternalIDs[lbdata.KeyHCVIP] != w.externalIDs[lbdata.KeyHCVIP] {
				continue
			}
			used[i], done = true, true
			a.change("%s: health check %s of %s rewritten (vip %q -> %q)", name, w.externalIDs[lbdata.KeyHCVIP],
				w.externalIDs[lbdata.KeyHCHealthMonitor], hc.Vip, w.vip)
			hc.Vip, hc.Options, hc.ExternalIDs = w.vip, maps.Clone(w.options), maps.Clone(w.externalIDs)
			break
		}
		if !done {
			a.change("%s: health check %s of %s created (vip %q)", name, w.externalIDs[lbdata.KeyHCVIP],
				w.externalIDs[lbdata.KeyHCHealthMonitor], w.vip)
			a.t.CreateHealthCheck(r, &nb.LoadBalancerHealthCheck{Vip: w.vip, Options: maps.Clone(w.options), ExternalIDs: maps.Clone(w.externalIDs)})
		}
	}
	for i, hc := range have {
		if !used[i] {
			a.change("%s: health check %q (%s) removed", name, hc.Vip, hc.ExternalIDs[lbdata.KeyHCHealthMonitor])
			a.t.RemoveHealthCheck(r, hc)
		}
	}
}

// syncMembership attaches the row to every computed switch and router it
// is missing from. It detaches it only from switches it counted in ls_refs
// that the computed state neither counts nor reaches through a router of
// lr_ref (a stale reference); other memberships (router events) stay.
func (a *applier) syncMembership(name string, r *nb.LoadBalancer, sp rowSpec, origLSRefs []string) {
	for _, n := range sp.switches {
		ls := a.t.SwitchByName(n)
		if ls != nil && !slices.Contains(ls.LoadBalancer, r.UUID) {
			a.change("%s: added to switch %s", name, n)
			a.t.AttachSwitch(ls.UUID, r)
		}
	}
	for _, n := range sp.routers {
		lr := a.t.RouterByName(n)
		if lr != nil && !slices.Contains(lr.LoadBalancer, r.UUID) {
			a.change("%s: added to router %s", name, n)
			a.t.AttachRouter(lr.UUID, r)
		}
	}
	routed := assoc.RoutedSwitches(a.t, r)
	for _, n := range origLSRefs {
		if slices.Contains(sp.switches, n) || routed[n] {
			continue
		}
		if ls := a.t.SwitchByName(n); ls != nil && slices.Contains(ls.LoadBalancer, r.UUID) {
			a.change("%s: removed from switch %s (no longer referenced)", name, n)
			a.t.DetachSwitch(ls.UUID, r)
		}
	}
}

func fmtMap(m map[string]string) string {
	if len(m) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%s", k, m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
