package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
	"github.com/ovn-octavia/ovn-octavia/provider"
)

// EnvConfig chooses what NewEnv starts.
type EnvConfig struct {
	// SB also starts an SB ovsdb-server and ovn-northd between NB and SB
	// (suites that need Service_Monitor rows).
	SB bool
	// LogOutput receives the logs of every component (GinkgoWriter in
	// suites, io.Discard in benchmarks); nil discards them.
	LogOutput io.Writer
	// LogLevel is the logrus level; the zero value is PanicLevel, so set it.
	LogLevel logrus.Level
	// Token is the fake Neutron's Keystone token ("testbed-token" if empty).
	Token string
	// DirPrefix names the temporary directory (short: unix socket paths
	// have a length limit). "tb" if empty.
	DirPrefix string
}

// Env is the test bed the provider and health suites share: a real NB
// ovsdb-server (and SB with ovn-northd when asked), an NB client whose cache
// monitors every table, the nbtxn Store over it, the fake Neutron over HTTP
// on 127.0.0.1 with a gophercloud client, and the in-process driver agent
// with status and get clients, all wired into a health.Monitors. Driver
// builds the provider front end over them.
type Env struct {
	Dir string
	Log *logrus.Entry

	NBServer *Server
	NB       client.Client
	Store    *nbtxn.Store

	// Set only with EnvConfig.SB.
	SBServer *Server
	Northd   *Northd
	SB       client.Client

	FakeNeutron *fakeneutron.Server
	Neutron     neutron.Client

	Agent    *driveragent.Server
	Status   *octavia.StatusClient
	Get      *octavia.GetClient
	Monitors *health.Monitors
}

// NewEnv starts an Env. On error everything already started is stopped.
// Close it when done.
func NewEnv(ctx context.Context, cfg EnvConfig) (_ *Env, err error) {
	if cfg.Token == "" {
		cfg.Token = "testbed-token"
	}
	if cfg.DirPrefix == "" {
		cfg.DirPrefix = "tb"
	}
	if cfg.LogOutput == nil {
		cfg.LogOutput = io.Discard
	}
	e := &Env{}
	defer func() {
		if err != nil {
			err = errors.Join(err, e.Close())
		}
	}()
	if e.Dir, err = os.MkdirTemp("", cfg.DirPrefix); err != nil {
		return nil, fmt.Errorf("testbed: %w", err)
	}
	logger := logrus.New()
	logger.SetOutput(cfg.LogOutput)
	logger.SetLevel(cfg.LogLevel)
	e.Log = logrus.NewEntry(logger)

	if e.NBServer, err = StartNB(e.Dir); err != nil {
		return nil, err
	}
	if cfg.SB {
		if e.SBServer, err = StartSB(e.Dir); err != nil {
			return nil, err
		}
		if e.Northd, err = StartNorthd(e.Dir, e.NBServer, e.SBServer); err != nil {
			return nil, err
		}
	}
	if e.NB, err = ConnectNB(ctx, e.NBServer.Remote()); err != nil {
		return nil, err
	}
	if cfg.SB {
		if e.SB, err = ConnectSB(ctx, e.SBServer.Remote()); err != nil {
			return nil, err
		}
	}
	e.Store = nbtxn.New(e.NB, e.Log)

	e.FakeNeutron = fakeneutron.New(cfg.Token)
	url, err := e.FakeNeutron.Start()
	if err != nil {
		return nil, fmt.Errorf("testbed: fake neutron: %w", err)
	}
	if e.Neutron, err = neutron.NewFromToken(url, cfg.Token, neutron.WithLogger(e.Log)); err != nil {
		return nil, fmt.Errorf("testbed: neutron client: %w", err)
	}

	if e.Agent, err = driveragent.Start(e.Dir, e.Log); err != nil {
		return nil, fmt.Errorf("testbed: driver agent: %w", err)
	}
	// Short retries: a status the agent refuses fails the spec quickly.
	e.Status = octavia.NewStatusClient(e.Agent.StatusConfig(),
		octavia.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxAttempts: 3}, e.Log)
	e.Get = octavia.NewGetClient(e.Agent.GetConfig(), e.Log)
	e.Monitors = health.New(health.Config{Store: e.Store, Neutron: e.Neutron, Get: e.Get, Status: e.Status, Log: e.Log})
	return e, nil
}

// Driver returns a new provider front end over the Env's store, Neutron
// client, status and get clients and health monitors, as the binary wires
// its own.
func (e *Env) Driver() *provider.Driver {
	return provider.New(provider.Config{
		Store: e.Store, Neutron: e.Neutron, Status: e.Status, Get: e.Get, Health: provider.FromMonitors(e.Monitors), Log: e.Log,
	})
}

// Close stops everything NewEnv started, clients before servers, and
// removes the directory. It returns the errors of the servers' stops.
func (e *Env) Close() error {
	var errs []error
	if e.NB != nil {
		e.NB.Close()
	}
	if e.SB != nil {
		e.SB.Close()
	}
	if e.Agent != nil {
		errs = append(errs, e.Agent.Close())
	}
	if e.FakeNeutron != nil {
		e.FakeNeutron.Close()
	}
	if e.Northd != nil {
		errs = append(errs, e.Northd.Stop())
	}
	if e.SBServer != nil {
		errs = append(errs, e.SBServer.Stop())
	}
	if e.NBServer != nil {
		errs = append(errs, e.NBServer.Stop())
	}
	if e.Dir != "" {
		errs = append(errs, os.RemoveAll(e.Dir))
	}
	return errors.Join(errs...)
}
