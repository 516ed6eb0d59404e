package watcher

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/database/inmemory"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/ovn-kubernetes/libovsdb/server"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// The embedded demo serves NB and SB from libovsdb's in-memory server,
// which has no _Server database and no locks. The suites cover real
// ovsdb-server; this checks the switches that make the demo work.
func TestInMemoryServerNeedsLeaderOnlyAndLockOff(t *testing.T) {
	dir, err := os.MkdirTemp("", "wm")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "db.sock")
	nbClient, _ := nb.FullDatabaseModel()
	sbClient, _ := sb.FullDatabaseModel()
	nbModel, errs := model.NewDatabaseModel(nb.Schema(), nbClient)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sbModel, errs := model.NewDatabaseModel(sb.Schema(), sbClient)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	lg := logr.Discard()
	db := inmemory.NewDatabase(map[string]model.ClientDBModel{nbClient.Name(): nbClient, sbClient.Name(): sbClient}, &lg)
	srv, err := server.NewOvsdbServer(db, &lg, nbModel, sbModel)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve("unix", sock) }()
	defer srv.Close()
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("in-memory server not ready")
		}
	}
	l := logrus.New()
	l.SetOutput(testWriter{t})
	log := logrus.NewEntry(l)

	// Leader-only (the default) needs _Server: a clear error, no hang.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_, err = Start(ctx, Config{NB: ConnConfig{Remote: "unix:" + sock}, Log: log, DisableLock: true})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "leader-only needs the _Server database") || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("leader-only against the in-memory server: %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	cfg := ConnConfig{Remote: "unix:" + sock, DisableLeaderOnly: true}
	w, err := Start(ctx, Config{NB: cfg, SB: cfg, DisableLock: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	nctx, ncancel := context.WithTimeout(ctx, 10*time.Second)
	defer ncancel()
	evs, err := w.Next(nctx)
	if err != nil || len(evs) != 1 || evs[0] != (Resync{Reason: "initial dump"}) {
		t.Fatalf("first batch: %v %v", evs, err)
	}
	res, err := w.NB().Transact(nctx,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterPortTable, UUIDName: "p",
			Row: ovsdb.Row{"name": "lrp-mem", "mac": "fa:16:3e:00:00:01", "networks": ovsdb.OvsSet{GoSet: []any{"10.0.0.1/24"}}}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nb.LogicalRouterTable,
			Row: ovsdb.Row{"name": "r", "ports": ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "p"}}}}})
	if _, cerr := ovsdb.CheckOperationResults(res, nil); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	evs, err = w.Next(nctx)
	if err != nil || len(evs) != 1 {
		t.Fatalf("after creating an LRP: %v %v", evs, err)
	}
	if c, ok := evs[0].(LRPCreated); !ok || c.LRP.Name != "lrp-mem" {
		t.Fatalf("after creating an LRP: %v", evs)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
