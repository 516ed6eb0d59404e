package handlers

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// StatusSender makes one attempt to deliver a status message.
// *octavia.StatusClient implements it with SendOnce.
type StatusSender interface {
	SendOnce(ctx context.Context, s octavia.Status) error
}

// ReporterConfig configures a Reporter.
type ReporterConfig struct {
	Sender StatusSender
	Log    *logrus.Entry
	// InitialBackoff and MaxBackoff bound the wait between failed sends
	// (doubling); 0 means 200 ms and 5 s. Sends are retried until they
	// succeed or the Reporter stops: a status is never dropped.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// ReporterStats are counters for tests and benchmarks.
type ReporterStats struct {
	Messages int64 // messages delivered (status_code 200)
	Failures int64 // failed attempts
	Entries  int64 // entries delivered
	Dropped  int64 // entries Octavia rejected by name (status_object_id)
}

type statusKey struct {
	kind octavia.Kind
	id   string
}

type pendingEntry struct {
	e   octavia.StatusEntry
	seq uint64
}

// Reporter sends status changes to Octavia: at most one message in flight,
// every object whose status changed since the last delivery in it, newer
// statuses of an object replacing older undelivered ones. It remembers the
// last status delivered per object so that an unchanged status is never
// sent again.
type Reporter struct {
	cfg ReporterConfig
	log *logrus.Entry

	wake   chan struct{}
	sendMu sync.Mutex // one send at a time (Run and Flush)

	mu      sync.Mutex
	last    map[statusKey]octavia.StatusEntry
	pending map[statusKey]pendingEntry
	seq     uint64
	stats   ReporterStats
}

// NewReporter returns a Reporter; call Run to deliver in the background.
func NewReporter(cfg ReporterConfig) *Reporter {
	if cfg.InitialBackoff <= 0 {
		cfg.InitialBackoff = 200 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Reporter{
		cfg:     cfg,
		log:     cfg.Log,
		wake:    make(chan struct{}, 1),
		last:    map[statusKey]octavia.StatusEntry{},
		pending: map[statusKey]pendingEntry{},
	}
}

func keyOf(k octavia.Kind, id string) statusKey {
	return statusKey{kind: k, id: strings.TrimSuffix(id, octavia.DisabledSuffix)}
}

func stripEntry(e octavia.StatusEntry) octavia.StatusEntry {
	e.ID = strings.TrimSuffix(e.ID, octavia.DisabledSuffix)
	return e
}

// Offer queues the entries of after that differ from before (the statuses
// the NB state implied before the change) or from what was last delivered.
// An undelivered entry is replaced by a newer one, or withdrawn when the
// newer one equals what Octavia already has.
func (r *Reporter) Offer(before, after octavia.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	queued := false
	for _, k := range octavia.Kinds() {
		prev := make(map[string]octavia.StatusEntry, len(before.List(k)))
		for _, e := range before.List(k) {
			e = stripEntry(e)
			prev[e.ID] = e
		}
		for _, e := range after.List(k) {
			e = stripEntry(e)
			key := statusKey{kind: k, id: e.ID}
			last, known := r.last[key]
			if _, inFlight := r.pending[key]; inFlight {
				if known && last == e {
					delete(r.pending, key)
				} else {
					r.pending[key] = pendingEntry{e: e, seq: r.pending[key].seq}
				}
				continue
			}
			// Queued when the NB state changed the status, or when it differs
			// from what we delivered last (someone else reported meanwhile).
			b, had := prev[e.ID]
			if had && b == e && (!known || last == e) {
				continue
			}
			r.seq++
			r.pending[key] = pendingEntry{e: e, seq: r.seq}
			queued = true
		}
	}
	if queued {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// Pending returns the number of undelivered entries.
func (r *Reporter) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending)
}

// Stats returns the counters so far.
func (r *Reporter) Stats() ReporterStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Last returns the last delivered status of an object.
func (r *Reporter) Last(kind octavia.Kind, id string) (octavia.StatusEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.last[keyOf(kind, id)]
	return e, ok
}

// queued is a pending entry with its key.
type queued struct {
	k statusKey
	p pendingEntry
}

// snapshot returns the pending entries as one message, in kind order and
// queueing order within a kind, and the entries it holds. They are sorted
// as a slice and returned as one: a comparator looking the sequence numbers
// up in the map, and a map of what was sent, cost several ms for the 5,003
// entries of a 5,000-member storm.
func (r *Reporter) snapshot() (octavia.Status, []queued) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s octavia.Status
	q := make([]queued, 0, len(r.pending))
	for k, p := range r.pending {
		q = append(q, queued{k, p})
	}
	slices.SortFunc(q, func(a, b queued) int { return cmp.Compare(a.p.seq, b.p.seq) })
	sent := make([]queued, 0, len(q))
	for _, kind := range octavia.Kinds() {
		for _, x := range q {
			if x.k.kind == kind {
				s.Add(kind, x.p.e)
				sent = append(sent, x)
			}
		}
	}
	return s, sent
}

// sendOnce makes one delivery attempt of everything pending. It returns
// false when nothing was pending.
func (r *Reporter) sendOnce(ctx context.Context) (bool, error) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	msg, sent := r.snapshot()
	if len(sent) == 0 {
		return false, nil
	}
	err := r.cfg.Sender.SendOnce(ctx, msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.stats.Messages++
		r.stats.Entries += int64(len(sent))
		for _, x := range sent {
			k, e := x.k, x.p.e
			r.last[k] = e
			if p, ok := r.pending[k]; ok && p.e == e {
				delete(r.pending, k)
			}
		}
		r.log.WithField("entries", len(sent)).Debug("status delivered")
		return true, nil
	}
	r.stats.Failures++
	// Octavia applies record by record and stops at the first failing one,
	// naming it: that record will never succeed (e.g. the object is gone),
	// so it is dropped and the rest re-sent at once.
	var ue *octavia.UpdateStatusError
	if errors.As(err, &ue) && ue.StatusCode != 0 && ue.StatusObject != "" && ue.StatusObjectID != "" {
		k := statusKey{kind: octavia.Kind(ue.StatusObject), id: ue.StatusObjectID}
		if _, ok := r.pending[k]; ok {
			delete(r.pending, k)
			r.stats.Dropped++
			r.log.WithError(err).WithFields(logrus.Fields{"object": ue.StatusObject, "id": ue.StatusObjectID}).
				Error("Octavia rejected a status record; dropped, re-sending the rest")
			return true, nil
		}
	}
	return true, err
}

// Run delivers pending statuses until ctx ends, retrying failed sends with
// capped exponential back-off.
func (r *Reporter) Run(ctx context.Context) {
	delay := r.cfg.InitialBackoff
	for {
		did, err := r.sendOnce(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			r.log.WithError(err).WithFields(logrus.Fields{"pending": r.Pending(), "retry_in": delay}).
				Warn("status delivery failed; statuses kept and merged with newer ones")
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(delay*2, r.cfg.MaxBackoff)
			continue
		case did:
			delay = r.cfg.InitialBackoff
			continue // more may have been queued meanwhile
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
	}
}

// Flush delivers everything pending, retrying until it succeeds or ctx
// ends (used on shutdown and by tests).
func (r *Reporter) Flush(ctx context.Context) error {
	delay := r.cfg.InitialBackoff
	for {
		did, err := r.sendOnce(ctx)
		if err == nil && !did {
			return nil
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return errors.Join(ctx.Err(), err)
			case <-time.After(delay):
			}
			delay = min(delay*2, r.cfg.MaxBackoff)
		}
	}
}
