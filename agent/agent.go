// Package agent is the long-running provider agent: it watches NB and SB
// (watcher), applies router-interface, VIP floating IP and Service_Monitor
// events to NB in bursts (handlers), reports health statuses to Octavia over
// the driver agent's status socket, and runs a full resync after every
// (re)connect and on taking the OVSDB lock.
//
// The core is the reusable Agent type; Main is the `ovn-octavia agent`
// command around it. `demo` runs an Agent in-process against libovsdb's
// in-memory server with the lock disabled.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/handlers"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/maintenance"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// Lifecycle events written as JSON lines to Config.Events.
const (
	EventReady   = "ready"
	EventActive  = "active"
	EventStandby = "standby"
	EventSynced  = "synced"
)

// deferredRetry is the interval of retries of status roll-ups that could
// not read the get socket.
const deferredRetry = 2 * time.Second

// Config configures an Agent.
type Config struct {
	// Watcher holds the NB/SB connections and the lock policy. Set
	// DisableLock for a single agent or the in-memory server of `demo`.
	Watcher watcher.Config
	// Neutron is optional: FIP events then read the VIP port's IPs from NB,
	// and health monitors cannot create HM ports.
	Neutron neutron.Client
	// Status receives status messages (one attempt per call; the agent
	// retries with back-off). Get reads admin states for roll-ups.
	Status handlers.StatusSender
	Get    health.Getter
	// Events receives one JSON object per line: {"event": "ready"} etc.
	// Nil discards them.
	Events io.Writer
	Log    *logrus.Entry
	// StandbyGrace is how long Run waits for the lock before announcing
	// standby; 0 means 2 s.
	StandbyGrace time.Duration
	// ShutdownGrace bounds the work after ctx ends (current burst, status
	// flush, lock release); 0 means 8 s.
	ShutdownGrace time.Duration
	// StatusBackoff caps the wait between failed status sends; 0 means 5 s.
	StatusBackoff time.Duration
	// MaintenanceInterval is the period of the maintenance tasks until
	// they finish; 0 means maintenance.DefaultInterval (600 s).
	MaintenanceInterval time.Duration
}

// Agent is the provider agent.
type Agent struct {
	cfg Config
	log *logrus.Entry

	evMu   sync.Mutex
	ready  bool
	active bool

	// Set while Run runs, for tests and demo.
	mu       sync.Mutex
	store    *nbtxn.Store
	reporter *handlers.Reporter
	bursts   int
}

// New returns an Agent; Run starts it.
func New(cfg Config) *Agent {
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.Watcher.Log == nil {
		cfg.Watcher.Log = cfg.Log
	}
	if cfg.StandbyGrace <= 0 {
		cfg.StandbyGrace = 2 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 8 * time.Second
	}
	return &Agent{cfg: cfg, log: cfg.Log.WithField("component", "agent")}
}

// emit writes one lifecycle event line.
func (a *Agent) emit(event string) {
	if a.cfg.Events == nil {
		return
	}
	b, _ := json.Marshal(map[string]string{"event": event})
	a.evMu.Lock()
	defer a.evMu.Unlock()
	if _, err := a.cfg.Events.Write(append(b, '\n')); err != nil {
		a.log.WithError(err).Warn("cannot write lifecycle event")
	}
}

func (a *Agent) markReady() {
	a.evMu.Lock()
	first := !a.ready
	a.ready = true
	a.evMu.Unlock()
	if first {
		a.emit(EventReady)
		a.log.Info("OVN provider agent has started.")
	}
}

// setActive announces a lock state change (once per change).
func (a *Agent) setActive(active bool) {
	a.evMu.Lock()
	changed := a.active != active
	a.active = active
	a.evMu.Unlock()
	if !changed {
		return
	}
	if active {
		a.emit(EventActive)
	} else {
		a.emit(EventStandby)
	}
}

// Store returns the NB write layer of the running agent (nil before Run
// connected).
func (a *Agent) Store() *nbtxn.Store {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.store
}

// Reporter returns the status reporter of the running agent.
func (a *Agent) Reporter() *handlers.Reporter {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reporter
}

// Run connects, then processes bursts until ctx ends. On the end of ctx it
// finishes the burst at hand, flushes pending statuses, releases the lock
// and returns nil, all within ShutdownGrace. Errors: the connection could
// not be established before ctx ended, or the watcher failed.
func (a *Agent) Run(ctx context.Context) error {
	// The watcher lives until we close it: the lock must outlive the last
	// burst so that no other agent starts before we are done.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	startCtx, startCancel := context.WithCancel(wctx)
	stopStart := context.AfterFunc(ctx, startCancel)
	w, err := watcher.Start(startCtx, a.cfg.Watcher)
	stopStart()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer w.Close()

	store := nbtxn.New(w.NB(), a.log.WithField("component", "nbtxn"))
	reporter := handlers.NewReporter(handlers.ReporterConfig{
		Sender:     a.cfg.Status,
		Log:        a.log.WithField("component", "status"),
		MaxBackoff: a.cfg.StatusBackoff,
	})
	mon := health.New(health.Config{Store: store, Neutron: a.cfg.Neutron, Get: a.cfg.Get, Log: a.log})
	var smRows func() []sb.ServiceMonitor
	if sbc := w.SB(); sbc != nil {
		smRows = func() []sb.ServiceMonitor { return serviceMonitors(sbc.Cache()) }
	}
	var nc handlers.PortGetter
	if a.cfg.Neutron != nil {
		nc = a.cfg.Neutron
	}
	h := handlers.New(handlers.Config{
		Store:           store,
		ServiceMonitors: smRows,
		Neutron:         nc,
		Health:          mon,
		Reporter:        reporter,
		Log:             a.log.WithField("component", "handlers"),
	})
	a.mu.Lock()
	a.store, a.reporter = store, reporter
	a.mu.Unlock()

	// Maintenance runs in every agent, holding the lock or not
	// (events-and-status §2, §10); it stops with ctx.
	mctx, mcancel := context.WithCancel(ctx)
	var mwg sync.WaitGroup
	mwg.Add(1)
	go func() {
		defer mwg.Done()
		maintenance.New(maintenance.Config{Store: store, Neutron: a.cfg.Neutron,
			Interval: a.cfg.MaintenanceInterval, Log: a.log.WithField("component", "maintenance")}).Run(mctx)
	}()

	rctx, rcancel := context.WithCancel(wctx)
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		reporter.Run(rctx)
	}()

	// Lock states: announce active/standby; a standby is ready as soon as
	// it is monitoring.
	lwg := sync.WaitGroup{}
	lctx, lcancel := context.WithCancel(ctx)
	lwg.Add(1)
	go func() {
		defer lwg.Done()
		a.watchLock(lctx, w)
	}()

	err = a.loop(ctx, w, h)
	mcancel()
	mwg.Wait()

	// Shutdown: the burst in hand is done (loop returns between bursts);
	// deliver what is pending, then release the lock.
	lcancel()
	lwg.Wait()
	rcancel()
	rwg.Wait()
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownGrace/2)
	if ferr := reporter.Flush(fctx); ferr != nil {
		a.log.WithError(ferr).WithField("pending", reporter.Pending()).Warn("statuses still pending at shutdown")
	}
	fcancel()
	w.Close()
	a.log.Info("OVN provider agent is exiting.")
	if ctx.Err() != nil {
		return nil // asked to stop: a clean shutdown
	}
	return err
}

func (a *Agent) watchLock(ctx context.Context, w *watcher.Watcher) {
	if a.cfg.Watcher.DisableLock {
		return // always active; announced by the first resync
	}
	grace := time.NewTimer(a.cfg.StandbyGrace)
	defer grace.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-grace.C:
			if !w.HasLock() {
				a.setActive(false)
				a.emitStandbyOnce()
				a.markReady()
			}
		case st := <-w.LockStates():
			a.evMu.Lock()
			wasActive := a.active
			a.evMu.Unlock()
			switch {
			case st.Active:
				a.setActive(true)
			case wasActive:
				a.setActive(false) // lost the lock
			default:
				// Not (yet) holding both locks, e.g. NB granted and SB
				// pending: the grace timer decides whether we stand by.
			}
		}
	}
}

// emitStandbyOnce makes sure a fresh agent that never held the lock says
// "standby" once (setActive only reports changes from active).
func (a *Agent) emitStandbyOnce() {
	a.evMu.Lock()
	said := a.ready || a.active
	a.evMu.Unlock()
	if !said {
		a.emit(EventStandby)
	}
}

// loop drains the watcher in bursts.
func (a *Agent) loop(ctx context.Context, w *watcher.Watcher, h *handlers.Handler) error {
	for {
		nctx, ncancel := ctx, context.CancelFunc(func() {})
		if h.HasDeferred() {
			// Roll-ups wait for the get socket: retry them every so often.
			nctx, ncancel = context.WithTimeout(ctx, deferredRetry)
		}
		events, err := w.Next(nctx)
		ncancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			h.RetryDeferred(ctx)
			continue
		}
		if err != nil {
			return err
		}
		events = a.gather(ctx, w, events)
		if a.cfg.Watcher.DisableLock || w.HasLock() {
			a.setActive(true)
		}
		// The burst runs to completion even if ctx ends meanwhile (SIGTERM:
		// finish the current burst), bounded by ShutdownGrace.
		bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(a.cfg.ShutdownGrace/2, cancel) })
		res, err := h.HandleBurst(bctx, events)
		if err != nil && !res.Resynced && bctx.Err() == nil {
			// The burst's NB transaction failed (NB gone, endless
			// conflicts): its events are lost, so reconcile everything
			// from NB instead, retrying until it succeeds.
			res, err = a.retryResync(bctx, h, err)
		}
		stop()
		cancel()
		a.mu.Lock()
		a.bursts++
		a.mu.Unlock()
		if err != nil {
			a.log.WithError(err).WithField("events", len(events)).Error("burst failed")
		}
		if res.Resynced {
			a.markReady()
			a.emit(EventSynced)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Burst gathering: a storm (thousands of Service_Monitor rows flipping in
// one SB transaction) reaches the queue over tens of milliseconds; waiting
// for the queue to stay quiet for gatherQuiet (at most gatherMax in all)
// turns it into one burst - one NB transaction, one status message -
// instead of several.
const (
	gatherQuiet = 20 * time.Millisecond
	gatherMax   = 250 * time.Millisecond
)

// gather appends whatever the watcher queues until it stays quiet. Waiting
// for quiet pays off for health results, which ovn-controller writes in
// storms, and for events already arriving together; a lone topology event
// (a router interface, a floating IP) is handled at once.
func (a *Agent) gather(ctx context.Context, w *watcher.Watcher, events []watcher.Event) []watcher.Event {
	if !worthGathering(events) {
		return events
	}
	deadline := time.Now().Add(gatherMax)
	for time.Now().Before(deadline) {
		qctx, cancel := context.WithTimeout(ctx, gatherQuiet)
		more, err := w.Next(qctx)
		cancel()
		if err != nil || len(more) == 0 {
			return events
		}
		events = append(events, more...)
	}
	return events
}

func worthGathering(events []watcher.Event) bool {
	if len(events) > 1 {
		return true
	}
	for _, e := range events {
		switch e.(type) {
		case watcher.ServiceMonitorUpdated, watcher.ServiceMonitorDeleted:
			return true
		}
	}
	return false
}

// retryResync runs full resyncs with back-off until one succeeds or ctx
// ends: until then, associations and statuses may be stale.
func (a *Agent) retryResync(ctx context.Context, h *handlers.Handler, first error) (handlers.Result, error) {
	delay := 500 * time.Millisecond
	err := first
	for {
		a.log.WithError(err).WithField("retry_in", delay).Error("full resync failed, retrying")
		select {
		case <-ctx.Done():
			return handlers.Result{}, errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}
		if err = h.Resync(ctx); err == nil {
			return handlers.Result{Resynced: true}, nil
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// The status client of Main makes one attempt per SendOnce; the Reporter
// owns the retries.
var _ handlers.StatusSender = (*octavia.StatusClient)(nil)
