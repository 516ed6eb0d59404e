package watcher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/sirupsen/logrus"
)

// DefaultLockName is the reference's OVSDB lock (events-and-status.md §2).
const DefaultLockName = "neutron_ovn_octavia_event_lock"

const (
	// endpointPoll is how often a lock session checks that the database
	// connection still uses the endpoint the lock was taken on.
	endpointPoll = 200 * time.Millisecond
	// lockCallTimeout bounds one lock/unlock/select request.
	lockCallTimeout = 10 * time.Second
)

var (
	errStolen       = errors.New("lock stolen")
	errMoved        = errors.New("database connection moved to another server")
	errNotLeader    = errors.New("server is not the cluster leader")
	errLockProbeOut = errors.New("no echo reply within the probe interval")
)

// lockSession holds one OVSDB lock on the server its database connection
// (c) currently uses. OVSDB locks are per server process: in a RAFT cluster
// every member has its own lock table, so the lock must be taken where the
// leader-only monitor is, and must move when that connection moves.
type lockSession struct {
	c      *conn
	name   string
	log    *logrus.Entry
	report func(held bool)
}

// run keeps the lock requested until ctx ends, reconnecting with back-off.
// report(true) is called when the server grants the lock, report(false)
// whenever it is lost or the session ends.
func (s *lockSession) run(ctx context.Context) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 200 * time.Millisecond
	b.MaxInterval = 5 * time.Second
	b.MaxElapsedTime = 0
	for {
		ep, err := s.waitEndpoint(ctx)
		if err != nil {
			return
		}
		start := time.Now()
		err = s.session(ctx, ep)
		s.report(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 30*time.Second {
			b.Reset()
		}
		wait := b.NextBackOff()
		if errors.Is(err, errMoved) {
			wait = 0 // follow the database connection at once
		}
		s.log.WithError(err).WithFields(logrus.Fields{"endpoint": ep, "retry_in": wait}).Info("OVSDB lock session ended")
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// waitEndpoint waits until the database connection is up and returns its
// endpoint.
func (s *lockSession) waitEndpoint(ctx context.Context) (string, error) {
	t := time.NewTicker(endpointPoll)
	defer t.Stop()
	for {
		if ep := s.c.CurrentEndpoint(); ep != "" {
			return ep, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-t.C:
		}
	}
}

// session runs one connection: check leadership, request the lock, then
// wait for grants, losses, a move of the database connection, a dead
// connection or ctx.
func (s *lockSession) session(ctx context.Context, ep string) error {
	dctx, cancel := context.WithTimeout(ctx, lockCallTimeout)
	nc, err := s.c.dial(dctx, ep)
	cancel()
	if err != nil {
		return fmt.Errorf("dial %s: %w", ep, err)
	}
	rpc := newRPCConn(nc)
	defer rpc.close()

	if s.c.leader {
		leader, err := s.isLeader(ctx, rpc)
		if err != nil {
			return err
		}
		if !leader {
			return errNotLeader
		}
	}
	var res struct {
		Locked bool `json:"locked"`
	}
	cctx, cancel := context.WithTimeout(ctx, lockCallTimeout)
	err = rpc.call(cctx, "lock", []any{s.name}, &res)
	cancel()
	if err != nil {
		return err
	}
	log := s.log.WithFields(logrus.Fields{"lock": s.name, "endpoint": ep})
	// ovsdb-server also sends a "locked" notification for an immediate
	// grant; held keeps the log and report single.
	held := res.Locked
	if held {
		log.Info("OVSDB lock acquired")
		s.report(true)
	} else {
		log.Info("OVSDB lock held by another client, standing by")
	}

	poll := time.NewTicker(endpointPoll)
	defer poll.Stop()
	var probe <-chan time.Time
	if s.c.probe > 0 {
		t := time.NewTicker(s.c.probe)
		defer t.Stop()
		probe = t.C
	}
	for {
		select {
		case <-ctx.Done():
			// Release explicitly so a waiting agent takes over at once.
			uctx, cancel := context.WithTimeout(context.Background(), time.Second)
			uerr := rpc.call(uctx, "unlock", []any{s.name}, nil)
			cancel()
			if uerr != nil {
				log.WithError(uerr).Debug("OVSDB unlock failed")
			} else {
				log.Info("OVSDB lock released")
			}
			return ctx.Err()
		case <-rpc.done:
			return rpc.closeErr()
		case n := <-rpc.notify:
			switch n.Method {
			case "locked":
				if !held {
					held = true
					log.Info("OVSDB lock acquired")
					s.report(true)
				}
			case "stolen":
				log.Warn("OVSDB lock stolen")
				return errStolen
			}
		case <-poll.C:
			if cur := s.c.CurrentEndpoint(); cur != "" && cur != ep {
				return fmt.Errorf("%w: %s", errMoved, cur)
			}
		case <-probe:
			pctx, cancel := context.WithTimeout(ctx, s.c.probe)
			err := rpc.call(pctx, "echo", []any{"lock-probe"}, nil)
			cancel()
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("%w: %w", errLockProbeOut, err)
			}
		}
	}
}

// isLeader asks the server's _Server database whether it leads our
// database; a standalone database is its own leader.
func (s *lockSession) isLeader(ctx context.Context, rpc *rpcConn) (bool, error) {
	var res []struct {
		Rows []struct {
			Model  string `json:"model"`
			Leader bool   `json:"leader"`
		} `json:"rows"`
		Error string `json:"error"`
	}
	cctx, cancel := context.WithTimeout(ctx, lockCallTimeout)
	defer cancel()
	err := rpc.call(cctx, "transact", []any{"_Server", map[string]any{
		"op":      "select",
		"table":   "Database",
		"where":   []any{[]any{"name", "==", s.c.db}},
		"columns": []string{"model", "leader"},
	}}, &res)
	if err != nil {
		return false, fmt.Errorf("leader check: %w", err)
	}
	if len(res) != 1 || res[0].Error != "" || len(res[0].Rows) != 1 {
		return false, fmt.Errorf("leader check: unexpected _Server reply %+v", res)
	}
	row := res[0].Rows[0]
	return row.Model != "clustered" || row.Leader, nil
}
