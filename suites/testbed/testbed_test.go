package testbed

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "tb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestStandaloneRestartKeepsData(t *testing.T) {
	dir := shortDir(t)
	s, err := StartNB(dir, WithTCP())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	for _, r := range []string{s.Remote(), s.TCPRemote()} {
		dbs, err := ListDBs(r, time.Second)
		if err != nil || !slices.Contains(dbs, NBDatabase) {
			t.Fatalf("list_dbs %s: %v %v", r, dbs, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ConnectNB(ctx, s.Remote())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ops, err := c.Create(&nb.LogicalSwitch{Name: "ls1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Transact(ctx, c, ops...); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Running() {
		t.Fatal("still running after Stop")
	}
	if _, err := os.Stat(s.PIDFile); err == nil {
		t.Errorf("pidfile of pid %d left behind", pid)
	}
	out, err := s.TransactOffline(`["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"ls2"}}]`)
	if err != nil {
		t.Fatal(err, out)
	}
	if _, err := s.TransactOffline(`["OVN_Northbound",{"op":"insert","table":"No_Such","row":{}}]`); err == nil {
		t.Error("offline transact on a missing table succeeded")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	var names []string
	// The reconnecting client sees both switches after the restart.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var lss []nb.LogicalSwitch
		_ = c.List(ctx, &lss)
		names = names[:0]
		for _, ls := range lss {
			names = append(names, ls.Name)
		}
		slices.Sort(names)
		if slices.Equal(names, []string{"ls1", "ls2"}) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("switches after restart: %v", names)
}

func TestClusterLeaderFailover(t *testing.T) {
	dir := shortDir(t)
	c, err := StartCluster(dir, NBSchema, NBDatabase, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	if got := strings.Count(c.Remote(), "tcp:127.0.0.1:"); got != 3 {
		t.Fatalf("remote %q", c.Remote())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	old, err := c.KillLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if l == old {
		t.Fatal("killed leader still reported as leader")
	}
	cl, err := ConnectNB(ctx, c.Remote())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if cl.CurrentEndpoint() != l.TCPRemote() {
		t.Errorf("leader-only client on %s, leader is %s", cl.CurrentEndpoint(), l.TCPRemote())
	}
	ops, _ := cl.Create(&nb.LogicalRouter{Name: "r1"})
	if _, err := Transact(ctx, cl, ops...); err != nil {
		t.Fatal(err)
	}
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitFormed(ctx); err != nil {
		t.Fatal(err)
	}
	var res []ovsdb.OperationResult
	if res, err = Transact(ctx, cl, ovsdb.Operation{Op: "select", Table: "Logical_Router", Where: []ovsdb.Condition{}}); err != nil || len(res[0].Rows) != 1 {
		t.Fatalf("select after rejoin: %v %v", res, err)
	}
}

func TestNorthdTranslates(t *testing.T) {
	dir := shortDir(t)
	nbs, err := StartNB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nbs.Stop() })
	sbs, err := StartSB(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sbs.Stop() })
	nd, err := StartNorthd(dir, nbs, sbs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nd.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ConnectNB(ctx, nbs.Remote())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ops, _ := c.Create(&nb.LogicalSwitch{Name: "ls-northd"})
	if _, err := Transact(ctx, c, ops...); err != nil {
		t.Fatal(err)
	}
	for {
		var out []struct {
			Rows []map[string]any `json:"rows"`
		}
		err := call(sbs.Remote(), 5*time.Second, "transact", []any{SBDatabase,
			map[string]any{"op": "select", "table": "Datapath_Binding", "where": []any{}}}, &out)
		if err == nil && len(out) == 1 && len(out[0].Rows) == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("northd did not create a datapath binding: %v %v", out, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
