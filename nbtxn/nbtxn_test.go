package nbtxn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

// env is a real NB ovsdb-server with two clients: one behind the Store under
// test, one playing "another writer" and reading back what was committed.
type env struct {
	ctx   context.Context
	store *nbtxn.Store
	other client.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	srv, err := testbed.StartNB(t.TempDir())
	if err != nil {
		t.Fatalf("start nb: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	mine, err := testbed.ConnectNB(ctx, srv.Remote())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(mine.Close)
	other, err := testbed.ConnectNB(ctx, srv.Remote())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(other.Close)
	log := logrus.New()
	log.SetOutput(io.Discard)
	return &env{ctx: ctx, store: nbtxn.New(mine, logrus.NewEntry(log)), other: other}
}

func (e *env) createSwitch(t *testing.T, name string) string {
	t.Helper()
	ls := &nb.LogicalSwitch{UUID: "ls", Name: name}
	ops, err := e.other.Create(ls)
	if err != nil {
		t.Fatal(err)
	}
	res, err := testbed.Transact(e.ctx, e.other, ops...)
	if err != nil {
		t.Fatal(err)
	}
	uuid := res[0].UUID.GoUUID
	e.eventually(t, func(tx *nbtxn.Txn) bool { return tx.SwitchByName(name) != nil })
	return uuid
}

// eventually polls the Store's view until cond holds.
func (e *env) eventually(t *testing.T, cond func(tx *nbtxn.Txn) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok := false
		_ = e.store.Run(e.ctx, func(tx *nbtxn.Txn) error { ok = cond(tx); return nil })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lbs returns the observer client's rows once it shows n of them (its cache
// lags the server a little), or whatever it shows after 5s.
func (e *env) lbs(t *testing.T, n int) []nb.LoadBalancer {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var lbs []nb.LoadBalancer
		if err := e.other.List(e.ctx, &lbs); err != nil {
			t.Fatal(err)
		}
		if len(lbs) == n || time.Now().After(deadline) {
			return lbs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// healthChecks is lbs for Load_Balancer_Health_Check rows.
func (e *env) healthChecks(t *testing.T, n int) []nb.LoadBalancerHealthCheck {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var hcs []nb.LoadBalancerHealthCheck
		if err := e.other.List(e.ctx, &hcs); err != nil {
			t.Fatal(err)
		}
		if len(hcs) == n || time.Now().After(deadline) {
			return hcs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCreateAttachAndIdempotence(t *testing.T) {
	e := newEnv(t)
	lsUUID := e.createSwitch(t, "neutron-net1")

	ensure := func(tx *nbtxn.Txn) error {
		if len(tx.LBsByName("lb1")) > 0 {
			return nil
		}
		lb := tx.CreateLB(&nb.LoadBalancer{Name: "lb1", ExternalIDs: map[string]string{"enabled": "True"}})
		hc := tx.CreateHealthCheck(lb, &nb.LoadBalancerHealthCheck{Vip: "10.0.0.10:80", Options: map[string]string{"interval": "5"}})
		if hc.UUID == "" {
			return errors.New("health check got no uuid")
		}
		tx.AttachSwitch(tx.SwitchByName("neutron-net1").UUID, lb)
		return nil
	}
	if err := e.store.Run(e.ctx, ensure); err != nil {
		t.Fatal(err)
	}
	if got := e.store.Stats().Transactions; got != 1 {
		t.Fatalf("transactions = %d, want 1", got)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.LBsByName("lb1")) == 1 })

	lbs := e.lbs(t, 1)
	if len(lbs) != 1 || lbs[0].ExternalIDs["enabled"] != "True" || len(lbs[0].HealthCheck) != 1 {
		t.Fatalf("unexpected rows: %+v", lbs)
	}
	if hcs := e.healthChecks(t, 1); len(hcs) != 1 || hcs[0].Vip != "10.0.0.10:80" {
		t.Fatalf("health checks %+v", hcs)
	}
	ls := &nb.LogicalSwitch{UUID: lsUUID}
	if err := e.other.Get(e.ctx, ls); err != nil || len(ls.LoadBalancer) != 1 || ls.LoadBalancer[0] != lbs[0].UUID {
		t.Fatalf("switch load_balancer = %v (%v), want [%s]", ls.LoadBalancer, err, lbs[0].UUID)
	}

	// The same desired state again: nothing to write, no transaction.
	if err := e.store.Run(e.ctx, ensure); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.LBsByName("lb1")[0]
		tx.AttachSwitch(lsUUID, lb) // already attached
		lb.ExternalIDs["enabled"] = "True"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.store.Stats().Transactions; got != 1 {
		t.Fatalf("idempotent runs wrote: transactions = %d, want 1", got)
	}
}

func TestFunctionErrorWritesNothing(t *testing.T) {
	e := newEnv(t)
	boom := errors.New("validation failed")
	err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "lb1"})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if lbs := e.lbs(t, 0); len(lbs) != 0 {
		t.Fatalf("rows written despite error: %+v", lbs)
	}
	if got := e.store.Stats().Transactions; got != 0 {
		t.Fatalf("transactions = %d, want 0", got)
	}
}

// A concurrent writer changes external_ids between our read and our commit:
// the guard rejects our transaction, Run re-reads and re-applies, and both
// changes survive.
func TestConcurrentWriterIsNotOverwritten(t *testing.T) {
	e := newEnv(t)
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "lb1", ExternalIDs: map[string]string{"enabled": "True"}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.LBsByName("lb1")) == 1 })

	attempts := 0
	err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		attempts++
		lb := tx.LBsByName("lb1")[0]
		if attempts == 1 {
			// The other agent writes after we read.
			row := &nb.LoadBalancer{UUID: lb.UUID, ExternalIDs: map[string]string{"enabled": "True", "listener_x": "80:"}}
			ops, err := e.other.Where(row).Update(row, &row.ExternalIDs)
			if err != nil {
				return err
			}
			if _, err := testbed.Transact(e.ctx, e.other, ops...); err != nil {
				return err
			}
		}
		lb.ExternalIDs["pool_y"] = ""
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Fatalf("fn ran %d times, want a retry after the conflict", attempts)
	}
	if got := e.store.Stats().Conflicts; got < 1 {
		t.Fatalf("conflicts = %d, want >= 1", got)
	}
	var lbs []nb.LoadBalancer
	deadline := time.Now().Add(5 * time.Second)
	for {
		lbs = e.lbs(t, 1)
		if len(lbs[0].ExternalIDs) == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := map[string]string{"enabled": "True", "listener_x": "80:", "pool_y": ""}
	if len(lbs) != 1 || len(lbs[0].ExternalIDs) != len(want) {
		t.Fatalf("external_ids = %v, want %v", lbs[0].ExternalIDs, want)
	}
	for k, v := range want {
		if lbs[0].ExternalIDs[k] != v {
			t.Fatalf("external_ids = %v, want %v", lbs[0].ExternalIDs, want)
		}
	}
}

func TestDeleteDetachesAndDropsHealthChecks(t *testing.T) {
	e := newEnv(t)
	lsUUID := e.createSwitch(t, "neutron-net1")
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.CreateLB(&nb.LoadBalancer{Name: "lb1"})
		tx.CreateHealthCheck(lb, &nb.LoadBalancerHealthCheck{Vip: "10.0.0.10:80"})
		tx.AttachSwitch(lsUUID, lb)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.LBsByName("lb1")) == 1 })

	// Removing the health check reference destroys the non-root row.
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		lb := tx.LBsByName("lb1")[0]
		for _, hc := range tx.HealthChecksOf(lb) {
			tx.RemoveHealthCheck(lb, hc)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if hcs := e.healthChecks(t, 0); len(hcs) != 0 {
		t.Fatalf("health checks left: %+v", hcs)
	}

	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		for _, lb := range tx.LBsByName("lb1") {
			tx.DeleteLB(lb)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if lbs := e.lbs(t, 0); len(lbs) != 0 {
		t.Fatalf("rows left: %+v", lbs)
	}
	ls := &nb.LogicalSwitch{UUID: lsUUID}
	if err := e.other.Get(e.ctx, ls); err != nil || len(ls.LoadBalancer) != 0 {
		t.Fatalf("switch still lists %v (%v)", ls.LoadBalancer, err)
	}
}

func TestAfterCommitRunsOnlyAfterSuccess(t *testing.T) {
	e := newEnv(t)
	ran := 0
	err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.AfterCommit(func(context.Context) error { ran++; return nil })
		return errors.New("abort")
	})
	if err == nil || ran != 0 || nbtxn.OnlyAfterCommitFailed(err) {
		t.Fatalf("err=%v ran=%d: after-commit hook must not run when fn fails", err, ran)
	}
	hookErr := errors.New("neutron down")
	err = e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "lb1"})
		tx.AfterCommit(func(context.Context) error { ran++; return hookErr })
		return nil
	})
	if ran != 1 || !errors.Is(err, hookErr) || !nbtxn.OnlyAfterCommitFailed(err) {
		t.Fatalf("ran=%d err=%v: hook must run once and its error be returned as an AfterCommitError", ran, err)
	}
	if lbs := e.lbs(t, 1); len(lbs) != 1 {
		t.Fatalf("the NB change must stand: %+v", lbs)
	}
}

// Reads inside a Txn see its own attach, detach and delete at once, and the
// committed sets equal what the last read showed.
func TestMembershipReadsSeePendingChanges(t *testing.T) {
	e := newEnv(t)
	lsUUID := e.createSwitch(t, "neutron-net1")
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		for _, name := range []string{"a", "b", "c"} {
			tx.AttachSwitch(lsUUID, tx.CreateLB(&nb.LoadBalancer{Name: name}))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, func(tx *nbtxn.Txn) bool { return len(tx.Switch(lsUUID).LoadBalancer) == 3 })

	var last []string
	if err := e.store.Run(e.ctx, func(tx *nbtxn.Txn) error {
		a, b, c := tx.LBsByName("a")[0], tx.LBsByName("b")[0], tx.LBsByName("c")[0]
		tx.DetachSwitch(lsUUID, a)
		if got := tx.Switch(lsUUID).LoadBalancer; len(got) != 2 || contains(got, a.UUID) {
			return fmt.Errorf("after detach: %v", got)
		}
		d := tx.CreateLB(&nb.LoadBalancer{Name: "d"})
		tx.AttachSwitch(lsUUID, d)
		tx.AttachSwitch(lsUUID, b) // already there
		tx.DeleteLB(c)
		last = tx.Switch(lsUUID).LoadBalancer
		if len(last) != 2 || !contains(last, b.UUID) || !contains(last, d.UUID) {
			return fmt.Errorf("after attach/delete: %v (b=%s d=%s)", last, b.UUID, d.UUID)
		}
		if sw := tx.SwitchesOf(d); len(sw) != 1 || sw[0].UUID != lsUUID {
			return fmt.Errorf("SwitchesOf(new row) = %v", sw)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ls := &nb.LogicalSwitch{UUID: lsUUID}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := e.other.Get(e.ctx, ls); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, uuid := range ls.LoadBalancer {
			row := &nb.LoadBalancer{UUID: uuid}
			if err := e.other.Get(e.ctx, row); err == nil {
				names[row.Name] = true
			}
		}
		if len(ls.LoadBalancer) == 2 && names["b"] && names["d"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("switch holds %v (%v), want b and d", ls.LoadBalancer, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func contains(set []string, v string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}
