package demo

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-kubernetes/libovsdb/database/inmemory"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/server"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// memOVSDB serves the NB and SB databases from libovsdb's in-memory database
// on one unix socket, so the demo runs on a machine without OVN. It has no
// _Server database, no locks and no clustering: clients must connect without
// leader-only and the agent must run without the OVSDB lock.
type memOVSDB struct {
	srv    *server.OvsdbServer
	socket string
	done   chan error
}

func startMemOVSDB(dir string, log logr.Logger) (*memOVSDB, error) {
	nbClient, err := nb.FullDatabaseModel()
	if err != nil {
		return nil, fmt.Errorf("nb model: %w", err)
	}
	sbClient, err := sb.FullDatabaseModel()
	if err != nil {
		return nil, fmt.Errorf("sb model: %w", err)
	}
	nbModel, errs := model.NewDatabaseModel(nb.Schema(), nbClient)
	if len(errs) > 0 {
		return nil, fmt.Errorf("nb database model: %v", errs)
	}
	sbModel, errs := model.NewDatabaseModel(sb.Schema(), sbClient)
	if len(errs) > 0 {
		return nil, fmt.Errorf("sb database model: %v", errs)
	}
	db := inmemory.NewDatabase(map[string]model.ClientDBModel{
		nbClient.Name(): nbClient,
		sbClient.Name(): sbClient,
	}, &log)
	srv, err := server.NewOvsdbServer(db, &log, nbModel, sbModel)
	if err != nil {
		return nil, fmt.Errorf("in-memory ovsdb server: %w", err)
	}
	m := &memOVSDB{srv: srv, socket: filepath.Join(dir, "ovsdb.sock"), done: make(chan error, 1)}
	go func() { m.done <- srv.Serve("unix", m.socket) }()
	deadline := time.Now().Add(5 * time.Second)
	for !srv.Ready() {
		select {
		case err := <-m.done:
			return nil, fmt.Errorf("in-memory ovsdb server on %s: %w", m.socket, err)
		default:
		}
		if time.Now().After(deadline) {
			srv.Close()
			return nil, fmt.Errorf("in-memory ovsdb server on %s not ready after 5s", m.socket)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m, nil
}

// Remote is the OVSDB remote of both databases.
func (m *memOVSDB) Remote() string { return "unix:" + m.socket }

func (m *memOVSDB) Close() { m.srv.Close() }
