package nbtxn

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// operations turns the Txn's working state into the OVSDB operations of one
// transaction: health-check inserts first (they may be referenced by the LB
// rows that follow), then LB inserts, guarded LB updates, deletes, and last
// the switch/router membership mutations.
func (t *Txn) operations() ([]ovsdb.Operation, error) {
	var ops []ovsdb.Operation
	c := t.s.c

	for _, uuid := range t.hcCreated {
		hc := t.hcs[uuid]
		if !t.hcReferenced(uuid) {
			continue // created and dropped in the same Txn
		}
		o, err := c.Create(hc)
		if err != nil {
			return nil, fmt.Errorf("insert Load_Balancer_Health_Check: %w", err)
		}
		ops = append(ops, o...)
	}
	for _, uuid := range t.lbCreated {
		if t.lbDeleted[uuid] {
			continue
		}
		o, err := c.Create(t.lbs[uuid])
		if err != nil {
			return nil, fmt.Errorf("insert Load_Balancer %q: %w", t.lbs[uuid].Name, err)
		}
		ops = append(ops, o...)
	}

	for _, uuid := range sortedKeys(t.lbOrig) {
		orig, cur := t.lbOrig[uuid], t.lbs[uuid]
		if t.lbDeleted[uuid] {
			o, err := c.Where(orig).Delete()
			if err != nil {
				return nil, fmt.Errorf("delete Load_Balancer %s: %w", uuid, err)
			}
			ops = append(ops, o...)
			continue
		}
		o, err := t.lbUpdateOps(orig, cur)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o...)
	}

	for _, uuid := range sortedKeys(t.hcOrig) {
		orig, cur := t.hcOrig[uuid], t.hcs[uuid]
		var fields []any
		if orig.Vip != cur.Vip {
			fields = append(fields, &cur.Vip)
		}
		if !maps.Equal(orig.Options, cur.Options) {
			fields = append(fields, &cur.Options)
		}
		if !maps.Equal(orig.ExternalIDs, cur.ExternalIDs) {
			fields = append(fields, &cur.ExternalIDs)
		}
		if len(fields) == 0 {
			continue
		}
		o, err := c.Where(cur).Update(cur, fields...)
		if err != nil {
			return nil, fmt.Errorf("update Load_Balancer_Health_Check %s: %w", uuid, err)
		}
		ops = append(ops, o...)
	}

	for _, uuid := range sortedKeys(t.natOrig) {
		orig, cur := t.natOrig[uuid], t.nats[uuid]
		var fields []any
		if !ptrEqual(orig.ExternalMAC, cur.ExternalMAC) {
			fields = append(fields, &cur.ExternalMAC)
		}
		if !ptrEqual(orig.LogicalPort, cur.LogicalPort) {
			fields = append(fields, &cur.LogicalPort)
		}
		if len(fields) == 0 {
			continue
		}
		o, err := c.Where(cur).Update(cur, fields...)
		if err != nil {
			return nil, fmt.Errorf("update NAT %s: %w", uuid, err)
		}
		ops = append(ops, o...)
	}

	for _, table := range []string{nb.LogicalSwitchTable, nb.LogicalRouterTable} {
		ops = append(ops, t.membershipOps(table)...)
	}
	return ops, nil
}

// lbUpdateOps returns a wait guarding external_ids and every rewritten column
// on its read value, followed by one write of the changed columns.
// health_check is mutated instead of rewritten: health checks are created
// with named UUIDs, and a mutation needs no guard.
//
// The operations are built here rather than with libovsdb's Where/Wait/Update
// API, which maps the whole model by reflection for every row (a third of
// the CPU time of a 1,000-row router-interface burst). When only map columns
// changed - nearly always: external_ids - the write is a mutate that deletes
// the keys that went or changed and inserts the new pairs. The wait on the
// read value runs first in the same transaction, so the result is exactly
// the new value, as with an update; but only the difference goes over the
// wire: 1,000 rows gaining lr_ref send one pair each instead of their whole
// external_ids again.
func (t *Txn) lbUpdateOps(orig, cur *nb.LoadBalancer) ([]ovsdb.Operation, error) {
	type column struct {
		name      string
		orig, cur any
	}
	// external_ids is always guarded, changed or not.
	guard := []column{{"external_ids", orig.ExternalIDs, cur.ExternalIDs}}
	var changed []column
	if !maps.Equal(orig.ExternalIDs, cur.ExternalIDs) {
		changed = append(changed, guard[0])
	}
	for _, c := range []column{
		{"vips", orig.Vips, cur.Vips},
		{"ip_port_mappings", orig.IPPortMappings, cur.IPPortMappings},
		{"options", orig.Options, cur.Options},
	} {
		if !maps.Equal(c.orig.(map[string]string), c.cur.(map[string]string)) {
			changed = append(changed, c)
			guard = append(guard, c)
		}
	}
	onlyMaps := true
	if !ptrEqual(orig.Protocol, cur.Protocol) {
		c := column{"protocol", orig.Protocol, cur.Protocol}
		changed, guard, onlyMaps = append(changed, c), append(guard, c), false
	}
	if !sameSet(orig.SelectionFields, cur.SelectionFields) {
		c := column{"selection_fields", orig.SelectionFields, cur.SelectionFields}
		changed, guard, onlyMaps = append(changed, c), append(guard, c), false
	}
	if orig.Name != cur.Name {
		c := column{"name", orig.Name, cur.Name}
		changed, guard, onlyMaps = append(changed, c), append(guard, c), false
	}
	added, removed := setDiff(orig.HealthCheck, cur.HealthCheck)
	if len(changed) == 0 && len(added) == 0 && len(removed) == 0 {
		return nil, nil
	}

	schema := t.s.c.Schema().Table(nb.LoadBalancerTable)
	if schema == nil {
		return nil, fmt.Errorf("guard Load_Balancer %s: table not in the NB schema", orig.UUID)
	}
	where := []ovsdb.Condition{uuidCondition(orig.UUID)}
	row := ovsdb.Row{}
	names := make([]string, 0, len(guard))
	for _, c := range guard {
		v, err := ovsValue(schema, c.name, c.orig)
		if err != nil {
			return nil, fmt.Errorf("guard Load_Balancer %s: %w", orig.UUID, err)
		}
		row[c.name] = v
		names = append(names, c.name)
	}
	zero := 0
	ops := []ovsdb.Operation{{Op: ovsdb.OperationWait, Table: nb.LoadBalancerTable, Where: where,
		Until: string(ovsdb.WaitConditionEqual), Columns: names, Rows: []ovsdb.Row{row}, Timeout: &zero}}
	switch {
	case len(changed) == 0:
	case onlyMaps:
		var muts []ovsdb.Mutation
		for _, c := range changed {
			muts = append(muts, mapMutations(c.name, c.orig.(map[string]string), c.cur.(map[string]string))...)
		}
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nb.LoadBalancerTable, Where: where, Mutations: muts})
	default:
		row := ovsdb.Row{}
		for _, c := range changed {
			v, err := ovsValue(schema, c.name, c.cur)
			if err != nil {
				return nil, fmt.Errorf("update Load_Balancer %s: %w", orig.UUID, err)
			}
			row[c.name] = v
		}
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: nb.LoadBalancerTable, Where: where, Row: row})
	}
	if len(removed) > 0 {
		ops = append(ops, mutateSet(nb.LoadBalancerTable, where, "health_check", ovsdb.MutateOperationDelete, removed))
	}
	if len(added) > 0 {
		ops = append(ops, mutateSet(nb.LoadBalancerTable, where, "health_check", ovsdb.MutateOperationInsert, added))
	}
	return ops, nil
}

// ovsValue converts a model field value to OVSDB notation for column.
// string->string maps (every map column we write) skip libovsdb's
// per-key reflection.
func ovsValue(table *ovsdb.TableSchema, column string, v any) (any, error) {
	col := table.Column(column)
	if col == nil {
		return nil, fmt.Errorf("column %s not in the NB schema", column)
	}
	if m, ok := v.(map[string]string); ok && col.Type == ovsdb.TypeMap &&
		col.TypeObj.Key.Type == ovsdb.TypeString && col.TypeObj.Value.Type == ovsdb.TypeString {
		out := make(map[any]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return ovsdb.OvsMap{GoMap: out}, nil
	}
	return ovsdb.NativeToOvs(col, v)
}

// mapMutations turns map column from orig into cur: the keys that went or
// whose value changed are deleted, then the new pairs inserted (an insert
// never overwrites a key). Only exact under a wait on orig.
func mapMutations(column string, orig, cur map[string]string) []ovsdb.Mutation {
	var del []any
	for _, k := range sortedKeys(orig) {
		if v, ok := cur[k]; !ok || v != orig[k] {
			del = append(del, k)
		}
	}
	ins := map[any]any{}
	for k, v := range cur {
		if ov, ok := orig[k]; !ok || ov != v {
			ins[k] = v
		}
	}
	var muts []ovsdb.Mutation
	if len(del) > 0 {
		muts = append(muts, *ovsdb.NewMutation(column, ovsdb.MutateOperationDelete, ovsdb.OvsSet{GoSet: del}))
	}
	if len(ins) > 0 {
		muts = append(muts, *ovsdb.NewMutation(column, ovsdb.MutateOperationInsert, ovsdb.OvsMap{GoMap: ins}))
	}
	return muts
}

// membershipOps mutates load_balancer sets. A mutation of a switch or router
// that vanished meanwhile matches no row and is a no-op, which is the
// reference's "skip missing switches" retry in one step.
func (t *Txn) membershipOps(table string) []ovsdb.Operation {
	var ops []ovsdb.Operation
	byOwner := t.members[table]
	for _, owner := range sortedKeys(byOwner) {
		var ins, del []string
		for _, lb := range sortedKeys(byOwner[owner]) {
			if t.lbDeleted[lb] {
				continue
			}
			if byOwner[owner][lb] {
				ins = append(ins, lb)
			} else {
				del = append(del, lb)
			}
		}
		current := t.cachedRow(table, owner)
		var have []string
		switch row := current.(type) {
		case *nb.LogicalSwitch:
			have = row.LoadBalancer
		case *nb.LogicalRouter:
			have = row.LoadBalancer
		default:
			continue // gone
		}
		// A set, not contains(): a burst attaching 1,000 rows to a switch of
		// 1,000 would otherwise compare a million UUIDs.
		haveSet := toSet(have)
		ins = slices.DeleteFunc(ins, func(lb string) bool { return haveSet[lb] })
		del = slices.DeleteFunc(del, func(lb string) bool { return !haveSet[lb] })
		where := []ovsdb.Condition{uuidCondition(owner)}
		if len(del) > 0 {
			ops = append(ops, mutateSet(table, where, "load_balancer", ovsdb.MutateOperationDelete, del))
		}
		if len(ins) > 0 {
			ops = append(ops, mutateSet(table, where, "load_balancer", ovsdb.MutateOperationInsert, ins))
		}
	}
	return ops
}

func (t *Txn) hcReferenced(uuid string) bool {
	for lbUUID, lb := range t.lbs {
		if !t.lbDeleted[lbUUID] && contains(lb.HealthCheck, uuid) {
			return true
		}
	}
	return false
}

// waitCacheCaughtUp waits until the cache shows the rows this Txn wrote, so
// the next Txn of this process diffs against them. The server sends the
// monitor update around the transaction reply, not necessarily before it.
func (t *Txn) waitCacheCaughtUp(ctx context.Context) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if t.cacheCaughtUp() {
			return nil
		}
		if time.Now().After(deadline) {
			t.s.log.Warn("nb cache did not show our own transaction within 5s; continuing")
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// cacheCaughtUp reads the cache's rows in place (read-only) rather than
// cloning every row it compares: it is polled while the monitor update of
// a 1,000-row burst is being decoded, and clones would compete for the CPU
// with that decoding.
func (t *Txn) cacheCaughtUp() bool {
	lbRows := t.cachedRows(nb.LoadBalancerTable)
	for uuid, cur := range t.lbs {
		if _, existed := t.lbOrig[uuid]; !existed {
			continue // created: its real UUID is unknown here
		}
		row, _ := lbRows[uuid].(*nb.LoadBalancer)
		if t.lbDeleted[uuid] {
			if row != nil {
				return false
			}
			continue
		}
		if row == nil || !maps.Equal(row.ExternalIDs, cur.ExternalIDs) || !maps.Equal(row.Vips, cur.Vips) ||
			!maps.Equal(row.IPPortMappings, cur.IPPortMappings) {
			return false
		}
	}
	for _, table := range []string{nb.LogicalSwitchTable, nb.LogicalRouterTable} {
		if len(t.members[table]) == 0 {
			continue
		}
		rows := t.cachedRows(table)
		for owner, lbs := range t.members[table] {
			var have []string
			switch row := rows[owner].(type) {
			case *nb.LogicalSwitch:
				have = row.LoadBalancer
			case *nb.LogicalRouter:
				have = row.LoadBalancer
			default:
				continue
			}
			haveSet := toSet(have)
			for lb, insert := range lbs {
				// Rows created by this Txn have named UUIDs the cache never
				// shows (asked of the Txn, not of ovsdb.IsNamedUUID, whose
				// regexp costs more than the rest of the check).
				if t.createdHere(lb) || t.lbDeleted[lb] {
					continue
				}
				if haveSet[lb] != insert {
					return false
				}
			}
		}
	}
	return true
}

// createdHere reports whether uuid is the named UUID of a row CreateLB made.
func (t *Txn) createdHere(uuid string) bool {
	_, ok := t.lbs[uuid]
	_, read := t.lbOrig[uuid]
	return ok && !read
}

func uuidCondition(uuid string) ovsdb.Condition {
	return ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: uuid})
}

func mutateSet(table string, where []ovsdb.Condition, column string, mutator ovsdb.Mutator, uuids []string) ovsdb.Operation {
	set := make([]any, 0, len(uuids))
	for _, u := range uuids {
		set = append(set, ovsdb.UUID{GoUUID: u})
	}
	return ovsdb.Operation{
		Op:        ovsdb.OperationMutate,
		Table:     table,
		Where:     where,
		Mutations: []ovsdb.Mutation{*ovsdb.NewMutation(column, mutator, ovsdb.OvsSet{GoSet: set})},
	}
}

func setDiff(before, after []string) (added, removed []string) {
	for _, v := range after {
		if !contains(before, v) {
			added = append(added, v)
		}
	}
	for _, v := range before {
		if !contains(after, v) {
			removed = append(removed, v)
		}
	}
	return added, removed
}

func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[T]int, len(a))
	for _, v := range a {
		seen[v]++
	}
	for _, v := range b {
		if seen[v] == 0 {
			return false
		}
		seen[v]--
	}
	return true
}

func ptrEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func toSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
