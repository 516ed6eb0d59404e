// Package watcher owns the agent's OVSDB connections: the connection policy
// (conn.go), the NB and SB monitors, typed events from cache callbacks
// through a de-duplicating queue, reconnect detection and the OVSDB lock
// that makes one agent of several the active one.
//
// Life cycle:
//
//	w, err := watcher.Start(ctx, watcher.Config{NB: nbCfg, SB: sbCfg, Log: log})
//	defer w.Close()
//	for {
//		evs, err := w.Next(ctx) // blocks; everything queued, coalesced
//		...
//	}
//
// Initial-dump rows are state, not events: the first batch delivered is a
// Resync. A Resync follows every reconnect (a standalone server re-dumps
// its rows without reporting deletions) and every acquisition of the lock
// (events seen while standing by are not queued).
package watcher

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// ErrClosed is returned by Next after Close or the end of Start's ctx.
var ErrClosed = errors.New("watcher closed")

// external_ids keys of Logical_Switch_Port read by event E3
// (nb-data-contract §14).
const (
	keyPortName       = "neutron:port_name"
	keyPortFIP        = "neutron:port_fip"
	vipPortNamePrefix = "ovn-lb-vip-"
)

// reconnectPoll is the fallback poll of CurrentEndpoint for reconnects.
const reconnectPoll = 100 * time.Millisecond

// Config configures a Watcher.
type Config struct {
	NB ConnConfig
	// SB is optional: with an empty SB.Remote there is no SB connection
	// and no Service_Monitor event.
	SB ConnConfig
	// LockName defaults to DefaultLockName.
	LockName string
	// DisableLock makes this watcher always active (single agent, or a
	// server without lock support such as the in-memory one of `demo`).
	DisableLock bool
	// Log defaults to the standard logrus logger.
	Log *logrus.Entry
}

// LockState is the lock situation of a watcher. Active (events are
// delivered) means holding the NB lock and, with an SB connection, the SB
// lock. The SB lock is only requested while holding the NB lock, so two
// agents cannot split the locks and both stand by.
type LockState struct {
	Active bool
	NB, SB bool
}

// Watcher watches NB and SB and delivers typed events while active.
type Watcher struct {
	cfg    Config
	log    *logrus.Entry
	nb, sb *conn
	q      *queue

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	mu      sync.Mutex
	ready   bool                // initial dump accounted for
	liveLRP map[string]struct{} // Logical_Router_Port UUIDs seen in the cache

	stateMu sync.Mutex
	state   LockState
	stateCh chan LockState // capacity 1, latest state wins
}

// Start connects to NB (and SB), starts the monitors and, unless disabled,
// the lock sessions. ctx bounds the connection attempts and the life of
// the watcher: cancelling it is like Close. Errors: malformed remote,
// unreachable server (when ctx ends first), missing database or table.
func Start(ctx context.Context, cfg Config) (*Watcher, error) {
	if cfg.LockName == "" {
		cfg.LockName = DefaultLockName
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if cfg.NB.Log == nil {
		cfg.NB.Log = cfg.Log
	}
	if cfg.SB.Log == nil {
		cfg.SB.Log = cfg.Log
	}
	w := &Watcher{
		cfg:     cfg,
		log:     cfg.Log.WithField("component", "watcher"),
		q:       newQueue(),
		liveLRP: map[string]struct{}{},
		stateCh: make(chan LockState, 1),
	}
	// Validate both remotes before dialling either.
	if _, err := ParseRemotes(cfg.NB.Remote); err != nil {
		return nil, fmt.Errorf("NB: %w", err)
	}
	if cfg.SB.Remote != "" {
		if _, err := ParseRemotes(cfg.SB.Remote); err != nil {
			return nil, fmt.Errorf("SB: %w", err)
		}
	}
	var err error
	if w.nb, err = connect(ctx, nbSpec(), cfg.NB, &cache.EventHandlerFuncs{
		AddFunc:    w.nbAdd,
		UpdateFunc: w.nbUpdate,
		DeleteFunc: w.nbDelete,
	}); err != nil {
		return nil, fmt.Errorf("watcher: %w", err)
	}
	if cfg.SB.Remote != "" {
		if w.sb, err = connect(ctx, sbSpec(), cfg.SB, &cache.EventHandlerFuncs{
			UpdateFunc: w.sbUpdate,
			DeleteFunc: w.sbDelete,
		}); err != nil {
			w.nb.Close()
			return nil, fmt.Errorf("watcher: %w", err)
		}
	}

	// The monitors are populated: every LRP now in the cache is state.
	// Callbacks still draining the initial dump find their rows here.
	w.mu.Lock()
	for uuid := range w.nb.Cache().Table(nb.LogicalRouterPortTable).RowsShallow() {
		w.liveLRP[uuid] = struct{}{}
	}
	w.ready = true
	w.mu.Unlock()

	w.ctx, w.cancel = context.WithCancel(ctx)
	for _, c := range []*conn{w.nb, w.sb} {
		if c != nil {
			w.wg.Add(1)
			go w.watchReconnects(c)
		}
	}
	if cfg.DisableLock {
		w.setLockState(LockState{Active: true, NB: true, SB: w.sb != nil}, "initial dump")
	} else {
		w.wg.Add(1)
		go w.runLocks()
	}
	go func() {
		<-w.ctx.Done()
		w.Close()
	}()
	return w, nil
}

// NB is the NB client; its cache holds the monitored NB tables. The write
// layer (nbtxn) transacts through it.
func (w *Watcher) NB() client.Client { return w.nb.Client }

// SB is the SB client, nil without an SB connection.
func (w *Watcher) SB() client.Client {
	if w.sb == nil {
		return nil
	}
	return w.sb.Client
}

// Next blocks until events are queued and the watcher is active, then
// returns all of them in order (coalesced, see queue). It returns ctx's
// error, or ErrClosed after Close.
func (w *Watcher) Next(ctx context.Context) ([]Event, error) { return w.q.next(ctx) }

// HasLock reports whether this watcher is active (holds the lock, or
// locking is disabled).
func (w *Watcher) HasLock() bool {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	return w.state.Active
}

// LockStates delivers lock state changes; when the reader is slow only the
// latest state is kept. A consumer should abandon in-flight work when
// Active turns false.
func (w *Watcher) LockStates() <-chan LockState { return w.stateCh }

// Close stops the lock sessions (releasing the locks with unlock), the
// monitors and the connections. It is safe to call more than once.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		if w.cancel != nil {
			w.cancel()
		}
		w.wg.Wait()
		w.setLockState(LockState{}, "")
		w.q.close()
		w.nb.Close()
		if w.sb != nil {
			w.sb.Close()
		}
		w.log.Info("watcher closed")
	})
	return nil
}

func (w *Watcher) setLockState(st LockState, reason string) {
	w.stateMu.Lock()
	old := w.state
	w.state = st
	if st != old {
		select {
		case <-w.stateCh:
		default:
		}
		w.stateCh <- st
	}
	w.stateMu.Unlock()
	if st.Active != old.Active {
		// Opening the gate queues a Resync; closing it drops the queue.
		w.q.setActive(st.Active, reason)
		w.log.WithFields(logrus.Fields{"active": st.Active, "nb_lock": st.NB, "sb_lock": st.SB}).Info("event processing state changed")
	}
}

// runLocks runs the NB lock session and, while the NB lock is held, the SB
// one.
func (w *Watcher) runLocks() {
	defer w.wg.Done()
	type report struct {
		db   string
		gen  int
		held bool
	}
	reports := make(chan report)
	start := func(ctx context.Context, c *conn, gen int) {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			s := &lockSession{c: c, name: w.cfg.LockName, log: w.log.WithField("db", c.db),
				report: func(held bool) {
					select {
					case reports <- report{db: c.db, gen: gen, held: held}:
					case <-ctx.Done():
					}
				}}
			s.run(ctx)
		}()
	}
	start(w.ctx, w.nb, 0)
	var (
		nbHeld, sbHeld bool
		sbGen          int
		sbCancel       context.CancelFunc
	)
	for {
		select {
		case <-w.ctx.Done():
			if sbCancel != nil {
				sbCancel()
			}
			return
		case r := <-reports:
			switch {
			case r.db == w.nb.db:
				if r.held == nbHeld {
					continue
				}
				nbHeld = r.held
				if w.sb == nil {
					break
				}
				if nbHeld {
					sbGen++
					var sctx context.Context
					sctx, sbCancel = context.WithCancel(w.ctx)
					start(sctx, w.sb, sbGen)
				} else if sbCancel != nil {
					sbCancel() // the session unlocks SB on its way out
					sbCancel, sbHeld = nil, false
				}
			case sbCancel != nil && r.gen == sbGen:
				sbHeld = r.held
			default:
				continue // a report from a cancelled SB session
			}
			st := LockState{NB: nbHeld, SB: sbHeld, Active: nbHeld && (w.sb == nil || sbHeld)}
			w.setLockState(st, "became lock holder")
		}
	}
}

// watchReconnects emits a Resync after every reconnect of c, once its
// monitor is re-established. libovsdb has no reconnect callback: the
// signal is its "reconnected" log message (seen by our log sink), with a
// poll of CurrentEndpoint going "" -> non-empty as a fallback.
// CurrentEndpoint blocks while libovsdb reconnects (it holds the client
// mutex until the monitors are restarted), so a non-empty answer after the
// signal means the cache holds the new dump.
func (w *Watcher) watchReconnects(c *conn) {
	defer w.wg.Done()
	t := time.NewTicker(reconnectPoll)
	defer t.Stop()
	lastCount := c.reconnects.Load()
	lastEP := c.CurrentEndpoint()
	pending := false
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-c.reconnected:
		case <-t.C:
		}
		count := c.reconnects.Load()
		ep := c.CurrentEndpoint()
		if count != lastCount || (lastEP == "" && ep != "") || (lastEP != "" && ep != "" && ep != lastEP) {
			pending = true
		}
		lastCount, lastEP = count, ep
		if !pending || ep == "" {
			continue
		}
		pending = false
		if c == w.nb {
			w.pruneLRPs()
		}
		w.log.WithFields(logrus.Fields{"db": c.db, "endpoint": ep}).Info("OVSDB reconnected, full resync")
		w.q.push(Resync{Reason: fmt.Sprintf("%s reconnected to %s", c.db, ep)})
	}
}

// pruneLRPs forgets LRPs that vanished without a DELETE (a re-dump after a
// reconnect reports none).
func (w *Watcher) pruneLRPs() {
	t := w.nb.Cache().Table(nb.LogicalRouterPortTable)
	w.mu.Lock()
	defer w.mu.Unlock()
	for uuid := range w.liveLRP {
		if !t.HasRow(uuid) {
			delete(w.liveLRP, uuid)
		}
	}
}

// Cache callbacks: classify and enqueue, nothing else (they run on
// libovsdb's single event goroutine).

func (w *Watcher) nbAdd(table string, m model.Model) {
	if table != nb.LogicalRouterPortTable {
		return
	}
	lrp, ok := m.(*nb.LogicalRouterPort)
	if !ok {
		return
	}
	w.mu.Lock()
	_, known := w.liveLRP[lrp.UUID]
	w.liveLRP[lrp.UUID] = struct{}{}
	ready := w.ready
	w.mu.Unlock()
	// Initial dump and re-dumps after a reconnect re-add known rows: state.
	if ready && !known {
		w.q.push(LRPCreated{LRP: *lrp.DeepCopy()})
	}
}

func (w *Watcher) nbUpdate(table string, old, cur model.Model) {
	if table != nb.LogicalSwitchPortTable {
		return
	}
	o, ok1 := old.(*nb.LogicalSwitchPort)
	n, ok2 := cur.(*nb.LogicalSwitchPort)
	if !ok1 || !ok2 {
		return
	}
	name := n.ExternalIDs[keyPortName]
	if !strings.HasPrefix(name, vipPortNamePrefix) {
		return
	}
	oldFIP, newFIP := o.ExternalIDs[keyPortFIP], n.ExternalIDs[keyPortFIP]
	if oldFIP == newFIP {
		return
	}
	w.q.push(VIPPortFIPChanged{LSP: n.Name, PortName: name, OldFIP: oldFIP, NewFIP: newFIP})
}

func (w *Watcher) nbDelete(table string, m model.Model) {
	if table != nb.LogicalRouterPortTable {
		return
	}
	lrp, ok := m.(*nb.LogicalRouterPort)
	if !ok {
		return
	}
	w.mu.Lock()
	delete(w.liveLRP, lrp.UUID)
	w.mu.Unlock()
	w.q.push(LRPDeleted{LRP: *lrp.DeepCopy()})
}

func (w *Watcher) sbUpdate(table string, _, cur model.Model) {
	if sm, ok := cur.(*sb.ServiceMonitor); ok && table == sb.ServiceMonitorTable {
		w.q.push(ServiceMonitorUpdated{SM: *sm.DeepCopy()})
	}
}

func (w *Watcher) sbDelete(table string, m model.Model) {
	if sm, ok := m.(*sb.ServiceMonitor); ok && table == sb.ServiceMonitorTable {
		w.q.push(ServiceMonitorDeleted{SM: *sm.DeepCopy()})
	}
}
