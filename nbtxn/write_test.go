package nbtxn_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

// settledLB returns the observer's copy of the only LB row once cond holds
// (or fails after 5s).
func (e *env) settledLB(t *testing.T, cond func(nb.LoadBalancer) bool) nb.LoadBalancer {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		lbs := e.lbs(t, 1)
		if len(lbs) == 1 && cond(lbs[0]) {
			return lbs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("LB rows %+v never reached the expected state", lbs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Map columns are written as mutations under the wait guard: keys added,
// changed and removed in several map columns at once must give exactly the
// new maps, and other columns changing together still give an update.
func TestRewrittenColumnsEndExactlyAsWritten(t *testing.T) {
	e := newEnv(t)
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "lb1",
			ExternalIDs: map[string]string{"enabled": "True", "lr_ref": "neutron-r1", "pool_a": "x", "gone": "1"},
			Vips:        map[string]string{"10.0.0.1:80": "10.0.0.5:80", "10.0.0.1:81": "10.0.0.5:81"}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.LBsByName("lb1")) == 1 })

	wantExt := map[string]string{"enabled": "False", "lr_ref": "neutron-r1", "pool_a": "x,y", "new": ""}
	wantVips := map[string]string{"10.0.0.1:80": "10.0.0.6:80", "10.0.0.1:82": "10.0.0.5:82"}
	before := e.store.Stats()
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.LBsByName("lb1")[0]
		lb.ExternalIDs = maps.Clone(wantExt)
		lb.Vips = maps.Clone(wantVips)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.store.Stats(); got.Transactions-before.Transactions != 1 || got.Operations-before.Operations != 2 {
		t.Fatalf("stats %+v -> %+v, want one transaction of a wait and one write", before, got)
	}
	row := e.settledLB(t, func(lb nb.LoadBalancer) bool { return maps.Equal(lb.ExternalIDs, wantExt) })
	if !maps.Equal(row.Vips, wantVips) {
		t.Fatalf("vips = %v, want %v", row.Vips, wantVips)
	}

	// Every key removed: the column ends empty.
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.LBsByName("lb1")[0]
		lb.Vips = map[string]string{}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.settledLB(t, func(lb nb.LoadBalancer) bool { return len(lb.Vips) == 0 })

	// Non-map columns with a map column: one update of all of them.
	proto := "udp"
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.LBsByName("lb1")[0]
		lb.Name = "lb2"
		lb.Protocol = &proto
		lb.SelectionFields = []nb.LoadBalancerSelectionFields{"ip_src", "tp_src"}
		lb.ExternalIDs["enabled"] = "True"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	row = e.settledLB(t, func(lb nb.LoadBalancer) bool { return lb.Name == "lb2" })
	if row.Protocol == nil || *row.Protocol != "udp" || row.ExternalIDs["enabled"] != "True" ||
		!slices.Equal(slices.Sorted(slices.Values(row.SelectionFields)), []nb.LoadBalancerSelectionFields{"ip_src", "tp_src"}) {
		t.Fatalf("row = %+v", row)
	}
}

// A concurrent change of a guarded map column other than external_ids (vips)
// forces a re-read: the mutation never lands on a value it was not computed
// from.
func TestConcurrentVipsChangeIsNotOverwritten(t *testing.T) {
	e := newEnv(t)
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "lb1", Vips: map[string]string{"10.0.0.1:80": "10.0.0.5:80"}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.LBsByName("lb1")) == 1 })

	attempts := 0
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		attempts++
		lb := tx.LBsByName("lb1")[0]
		if attempts == 1 {
			row := &nb.LoadBalancer{UUID: lb.UUID, Vips: map[string]string{"10.0.0.1:80": "10.0.0.7:80"}}
			ops, err := e.other.Where(row).Update(row, &row.Vips)
			if err != nil {
				return err
			}
			if _, err := testbed.Transact(e.ctx, e.other, ops...); err != nil {
				return err
			}
		}
		// Add a backend to whatever the row holds.
		lb.Vips["10.0.0.1:80"] += ",10.0.0.9:80"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Fatalf("fn ran %d times, want a retry after the conflict", attempts)
	}
	want := map[string]string{"10.0.0.1:80": "10.0.0.7:80,10.0.0.9:80"}
	e.settledLB(t, func(lb nb.LoadBalancer) bool { return maps.Equal(lb.Vips, want) })
}
