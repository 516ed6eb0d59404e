// Package handlers holds the agent's event handlers: router interface
// added/removed (events-and-status §4), VIP port floating IP changes (§5) and
// Service_Monitor health results (§6), the full resync that reconciles
// associations and member statuses after a (re)connect or on taking the
// OVSDB lock, and the batching around them.
//
// Batching: the watcher hands over everything its queue holds (a burst).
// HandleBurst applies the whole burst in one nbtxn.Run - one NB transaction,
// split into several only past MaxEventsPerTxn events - and then offers the
// status changes of the burst to the Reporter, which sends one message per
// burst with every object whose status changed. Every handler is idempotent:
// replaying a burst writes nothing (nbtxn skips empty diffs).
package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/assoc"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// DefaultMaxEventsPerTxn bounds the events applied in one NB transaction.
// A burst larger than this is split; below it, a burst is one transaction
// whatever its size (coalesced row writes keep it small: 5,000
// Service_Monitor flips of one pool rewrite one external_ids value).
const DefaultMaxEventsPerTxn = 20000

// PortGetter reads a Neutron port (VIP port fixed IPs for FIP events).
type PortGetter interface {
	GetPort(ctx context.Context, id string) (*neutron.Port, error)
}

// Config wires a Handler.
type Config struct {
	// Store commits every NB write.
	Store *nbtxn.Store
	// ServiceMonitors returns the SB Service_Monitor rows (the SB cache),
	// read by the full resync. Nil skips the member-status part of resync.
	ServiceMonitors func() []sb.ServiceMonitor
	// Neutron reads VIP ports for FIP events; nil falls back to the VIP
	// LSP's addresses in NB (the same fixed IPs).
	Neutron PortGetter
	// Health rolls member statuses up to pools, listeners and LBs (with
	// admin states from the get socket).
	Health *health.Monitors
	// Reporter receives status changes; nil disables status reporting.
	Reporter *Reporter
	Log      *logrus.Entry
	// MaxEventsPerTxn splits very large bursts; 0 means DefaultMaxEventsPerTxn.
	MaxEventsPerTxn int
	// FindRowsTimeout bounds the wait for the NB rows of an LB named by a
	// FIP event (events-and-status §5 step 3); 0 means 10 s.
	FindRowsTimeout time.Duration
}

// Handler applies agent events to NB.
type Handler struct {
	cfg Config
	log *logrus.Entry

	mu       sync.Mutex
	deferred map[string]rowChange // roll-ups waiting for the get socket, by row UUID
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.MaxEventsPerTxn <= 0 {
		cfg.MaxEventsPerTxn = DefaultMaxEventsPerTxn
	}
	if cfg.FindRowsTimeout <= 0 {
		cfg.FindRowsTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Handler{cfg: cfg, log: cfg.Log, deferred: map[string]rowChange{}}
}

// Result summarizes one HandleBurst call.
type Result struct {
	Events   int  // events applied
	Resynced bool // a full resync ran (and completed)
}

// HandleBurst applies a burst of events. Non-resync events are applied in
// order in one NB transaction (chunks of MaxEventsPerTxn); a Resync anywhere
// in the burst runs one full resync afterwards, which supersedes what the
// events did to associations and member statuses. Errors of single events on
// bad NB data are logged and skipped; the returned error is a failed NB
// transaction or a cancelled ctx.
func (h *Handler) HandleBurst(ctx context.Context, events []watcher.Event) (Result, error) {
	var res Result
	var work []watcher.Event
	resync := false
	for _, e := range events {
		if _, ok := e.(watcher.Resync); ok {
			resync = true
			continue
		}
		work = append(work, e)
	}
	items := h.prepare(ctx, work)
	var errs []error
	for start := 0; start < len(items); start += h.cfg.MaxEventsPerTxn {
		end := min(start+h.cfg.MaxEventsPerTxn, len(items))
		if err := h.apply(ctx, items[start:end]); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				return res, errors.Join(errs...)
			}
			continue
		}
		res.Events += end - start
	}
	if resync {
		if err := h.Resync(ctx); err != nil {
			errs = append(errs, err)
		} else {
			res.Resynced = true
		}
	}
	return res, errors.Join(errs...)
}

// prepared is an event with what had to be looked up outside the NB
// transaction (Neutron calls must not be repeated on a conflict retry).
type prepared struct {
	ev  watcher.Event
	fip *fipRequest
}

func (h *Handler) prepare(ctx context.Context, events []watcher.Event) []prepared {
	out := make([]prepared, 0, len(events))
	for _, e := range events {
		p := prepared{ev: e}
		if f, ok := e.(watcher.VIPPortFIPChanged); ok {
			req, err := h.prepareFIP(ctx, f)
			if err != nil {
				h.log.WithError(err).WithField("event", f.String()).Warn("VIP FIP event skipped")
				continue
			}
			if req == nil {
				continue
			}
			p.fip = req
		}
		out = append(out, p)
	}
	return out
}

// apply runs one chunk of events in one nbtxn.Run and reports the status
// changes it made.
func (h *Handler) apply(ctx context.Context, events []prepared) error {
	var final *burst
	err := h.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		b := newBurst(t, h.log)
		for _, p := range events {
			switch e := p.ev.(type) {
			case watcher.LRPCreated:
				b.lrpCreated(&e.LRP)
			case watcher.LRPDeleted:
				b.lrpDeleted(&e.LRP)
			case watcher.VIPPortFIPChanged:
				b.vipFIP(p.fip)
			case watcher.ServiceMonitorUpdated:
				b.serviceMonitor(&e.SM, false)
			case watcher.ServiceMonitorDeleted:
				b.serviceMonitor(&e.SM, true)
			default:
				h.log.WithField("event", fmt.Sprint(e)).Warn("unknown event type ignored")
			}
		}
		if err := b.flush(); err != nil {
			return err
		}
		final = b
		return nil
	})
	if err != nil {
		return fmt.Errorf("applying %d events: %w", len(events), err)
	}
	h.report(ctx, final.statusChanges())
	return nil
}

// burst is the state of one Run attempt: the Txn plus per-row caches that
// let thousands of events on one row cost one parse and one write.
type burst struct {
	t   *nbtxn.Txn
	log *logrus.Entry

	// statuses caches parsed neutron:member_status per LB UUID; written
	// back by flush.
	statuses map[string]*memberStatuses
	// smIndex maps Service_Monitor match keys to LB rows (built lazily).
	smIndex map[smKey][]string
	// members caches the (ip, port) -> member id index per LB UUID.
	members map[string]map[string]string
	// nats indexes NAT working copies by neutron:fip_port_id.
	nats map[string]*nb.NAT
	// routes applies the router association rules with each router's
	// switches resolved once per burst (assoc.Resolver).
	routes *assoc.Resolver
}

func newBurst(t *nbtxn.Txn, log *logrus.Entry) *burst {
	return &burst{t: t, log: log, statuses: map[string]*memberStatuses{}, members: map[string]map[string]string{},
		routes: assoc.NewResolver(t)}
}

// flush writes the cached member statuses into the rows.
func (b *burst) flush() error {
	for uuid, ms := range b.statuses {
		if !ms.dirty {
			continue
		}
		lb := b.t.LB(uuid)
		if lb == nil {
			continue
		}
		if err := ms.writeTo(lb); err != nil {
			return fmt.Errorf("LB %s (%s): %w", lb.Name, uuid, err)
		}
	}
	return nil
}

// isForeign reports rows the provider does not own (Neutron port
// forwarding, nb-data-contract §3.3).
func isForeign(lb *nb.LoadBalancer) bool {
	return lb.ExternalIDs["neutron:device_owner"] == "port_forwarding_plugin"
}

// isOurs reports rows written by the provider: a named row with a VIP.
func isOurs(lb *nb.LoadBalancer) bool {
	if lb.Name == "" || isForeign(lb) {
		return false
	}
	_, ok := lb.ExternalIDs["neutron:vip"]
	return ok
}

// eachOurLB calls fn with a working copy of every row of ours, in UUID
// order. The UUIDs are gathered first because ScanLBs hands out shared rows
// that must not be modified; fn gets t.LB's copy and may change it.
func (b *burst) eachOurLB(fn func(lb *nb.LoadBalancer)) {
	var ours []string
	b.t.ScanLBs(func(lb *nb.LoadBalancer) bool {
		if isOurs(lb) {
			ours = append(ours, lb.UUID)
		}
		return true
	})
	for _, uuid := range ours {
		if lb := b.t.LB(uuid); lb != nil {
			fn(lb)
		}
	}
}
