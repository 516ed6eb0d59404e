package demo

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// The demo's in-memory server must accept what nbtxn writes: named UUIDs,
// wait guards, set mutations.
func TestMemOVSDBAcceptsNBTransactions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := startMemOVSDB(t.TempDir(), logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dbModel, _ := nb.FullDatabaseModel()
	c, err := client.NewOVSDBClient(dbModel, client.WithEndpoint(m.Remote()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.MonitorAll(ctx); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	store := nbtxn.New(c, logrus.NewEntry(log))
	ops, _ := c.Create(&nb.LogicalSwitch{UUID: "ls", Name: "neutron-n1"})
	if _, err := c.Transact(ctx, ops...); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // create, then update through a wait guard
		if err := store.Run(ctx, func(tx *nbtxn.Txn) error {
			if lbs := tx.LBsByName("lb1"); len(lbs) > 0 {
				lbs[0].ExternalIDs["enabled"] = "False"
				return nil
			}
			ls := tx.SwitchByName("neutron-n1")
			if ls == nil {
				t.Error("switch not in cache")
				return nil
			}
			lb := tx.CreateLB(&nb.LoadBalancer{Name: "lb1", ExternalIDs: map[string]string{"enabled": "True"}})
			tx.CreateHealthCheck(lb, &nb.LoadBalancerHealthCheck{Vip: "10.0.0.1:80"})
			tx.AttachSwitch(ls.UUID, lb)
			return nil
		}); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var lbs []nb.LoadBalancer
	if err := c.List(ctx, &lbs); err != nil || len(lbs) != 1 || lbs[0].ExternalIDs["enabled"] != "False" || len(lbs[0].HealthCheck) != 1 {
		t.Fatalf("rows %+v err %v", lbs, err)
	}
	if got := store.Stats().Transactions; got != 2 {
		t.Fatalf("transactions = %d, want 2", got)
	}
}
