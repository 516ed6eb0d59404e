package watcher

import (
	"context"
	"strings"
	"sync"
)

// queue is the de-duplicating, unbounded event queue between the cache
// callbacks (producers, which must never block) and the consumer. It also
// carries the lock gate: while inactive nothing is queued, and turning
// inactive drops what was queued, so a standby never delivers.
//
// Coalescing: Service_Monitor events are keyed by row UUID and a newer one
// replaces the queued one in place; Resyncs merge into the first queued
// one (reasons joined). LRP and FIP events keep their order and are never
// merged: a create and a delete of the same port are two actions.
type queue struct {
	mu       sync.Mutex
	active   bool
	items    []Event
	smIndex  map[string]int // Service_Monitor UUID -> index in items
	resync   int            // index of the queued Resync, -1 if none
	notify   chan struct{}  // capacity 1: "items may be non-empty"
	closed   chan struct{}
	isClosed bool
}

func newQueue() *queue {
	return &queue{
		smIndex: map[string]int{},
		resync:  -1,
		notify:  make(chan struct{}, 1),
		closed:  make(chan struct{}),
	}
}

// push queues e unless the queue is inactive; it never blocks.
func (q *queue) push(e Event) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.active || q.isClosed {
		return false
	}
	switch ev := e.(type) {
	case ServiceMonitorUpdated:
		q.putKeyed(ev.SM.UUID, e)
	case ServiceMonitorDeleted:
		q.putKeyed(ev.SM.UUID, e)
	case Resync:
		if q.resync >= 0 {
			old := q.items[q.resync].(Resync)
			if !strings.Contains(old.Reason, ev.Reason) {
				old.Reason += "; " + ev.Reason
			}
			q.items[q.resync] = old
		} else {
			q.resync = len(q.items)
			q.items = append(q.items, e)
		}
	default:
		q.items = append(q.items, e)
	}
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

func (q *queue) putKeyed(uuid string, e Event) {
	if i, ok := q.smIndex[uuid]; ok {
		q.items[i] = e
		return
	}
	q.smIndex[uuid] = len(q.items)
	q.items = append(q.items, e)
}

// take removes and returns everything queued (nil when inactive or empty).
func (q *queue) take() []Event {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.active || len(q.items) == 0 {
		return nil
	}
	items := q.items
	q.reset()
	return items
}

func (q *queue) reset() {
	q.items = nil
	q.resync = -1
	clear(q.smIndex)
}

// setActive opens or closes the gate. Opening queues reason as a Resync
// (whatever happened while closed was not queued); closing drops the
// queue at once.
func (q *queue) setActive(active bool, reason string) {
	q.mu.Lock()
	changed := q.active != active
	q.active = active
	if !active {
		q.reset()
	}
	q.mu.Unlock()
	if active && changed {
		q.push(Resync{Reason: reason})
	}
}

func (q *queue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.isClosed {
		q.isClosed = true
		q.reset()
		close(q.closed)
	}
}

// next blocks until events are available (and the gate is open), ctx ends
// or the queue is closed.
func (q *queue) next(ctx context.Context) ([]Event, error) {
	for {
		if items := q.take(); items != nil {
			return items, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-q.closed:
			return nil, ErrClosed
		case <-q.notify:
		}
	}
}
