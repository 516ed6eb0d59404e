package testbed

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// TestEnvWiring starts a full Env and checks each part is wired to the
// others: a Store commit reaches the NB cache, the Neutron client talks to
// the fake, the status client reaches the driver agent; Close stops the
// servers and removes the directory.
func TestEnvWiring(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e, err := NewEnv(ctx, EnvConfig{SB: true, LogLevel: logrus.WarnLevel})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = e.Close()
		}
	}()

	if err := e.Store.Run(ctx, func(tx *nbtxn.Txn) error {
		tx.CreateLB(&nb.LoadBalancer{Name: "env-lb"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.Store.Stats().Transactions; got != 1 {
		t.Fatalf("transactions: got %d, want 1", got)
	}
	var lbs []nb.LoadBalancer
	if err := e.NB.WhereCache(func(lb *nb.LoadBalancer) bool { return lb.Name == "env-lb" }).List(ctx, &lbs); err != nil || len(lbs) != 1 {
		t.Fatalf("LB row in the NB cache: %v, %d rows", err, len(lbs))
	}

	if _, err := e.FakeNeutron.AddNetwork(fakeneutron.Network{ID: "net-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.FakeNeutron.AddSubnet(fakeneutron.Subnet{ID: "sub-1", NetworkID: "net-1", CIDR: "10.9.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	sn, err := e.Neutron.GetSubnet(ctx, "sub-1")
	if err != nil || sn.CIDR != "10.9.0.0/24" {
		t.Fatalf("subnet through the Neutron client: %+v, %v", sn, err)
	}

	var st octavia.Status
	st.Add(octavia.KindLoadBalancers, octavia.StatusEntry{ID: "env-lb", ProvisioningStatus: octavia.ProvisioningActive})
	if err := e.Status.Send(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := e.Agent.Messages(); len(got) != 1 || got[0].LoadBalancers[0].ID != "env-lb" {
		t.Fatalf("driver agent received %v", got)
	}
	if e.SB == nil || e.Northd == nil || e.Monitors == nil || e.Get == nil {
		t.Fatal("Env with SB: SB client, northd, monitors and get client must be set")
	}

	dir := e.Dir
	closed = true
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory %s left behind: %v", dir, err)
	}
	if e.NBServer.Running() || e.SBServer.Running() {
		t.Fatal("ovsdb-servers still running after Close")
	}
}
