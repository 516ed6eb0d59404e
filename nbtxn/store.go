// Package nbtxn is the single place where ovn-octavia writes to the OVN
// Northbound database.
//
// Callers (the CRUD front end, health monitors, agent handlers) never build
// OVSDB operations themselves. They run a function against a Txn: a working
// view of the libovsdb cache in which they read rows, mutate copies of
// Load_Balancer rows in place, attach or detach load balancers to switches and
// routers, and create or delete health checks. When the function returns, the
// Txn diffs its working copies against the rows it read and commits only the
// difference, in one OVSDB transaction.
//
// Every rewritten Load_Balancer column is guarded by a `wait` on the value the
// caller read (the reference verifies external_ids the same way), so a
// concurrent writer - another agent, the Python provider - is never
// overwritten: the transaction fails, and Run re-runs the function on a fresh
// view once the cache has caught up. A function that changes nothing produces
// no transaction at all, which makes handlers idempotent by construction.
package nbtxn

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"
)

// ErrConflict reports that a guarded column changed between read and commit
// on every attempt Run made.
var ErrConflict = errors.New("nb transaction kept conflicting with concurrent writers")

// Stats are counters of the work a Store has committed. Benchmarks print them
// as machine-independent figures.
type Stats struct {
	Transactions int64 // committed transactions
	Operations   int64 // operations in committed transactions (waits included)
	Conflicts    int64 // transactions rejected by a wait guard and retried
}

// Store commits Txns to one NB connection.
type Store struct {
	c   client.Client
	log *logrus.Entry

	// maxAttempts bounds the conflict retries of one Run.
	maxAttempts int

	// mu serializes commits of this process: the cache must have absorbed our
	// own previous transaction before the next Txn reads it, or it would
	// compute its diff from stale rows and conflict with itself.
	mu sync.Mutex

	named        atomic.Uint64
	transactions atomic.Int64
	operations   atomic.Int64
	conflicts    atomic.Int64
}

// New returns a Store committing through c, whose cache must monitor the NB
// tables the callers read.
func New(c client.Client, log *logrus.Entry) *Store {
	return &Store{c: c, log: log, maxAttempts: 10}
}

// Client returns the NB client the Store writes through.
func (s *Store) Client() client.Client { return s.c }

// Stats returns the counters so far.
func (s *Store) Stats() Stats {
	return Stats{
		Transactions: s.transactions.Load(),
		Operations:   s.operations.Load(),
		Conflicts:    s.conflicts.Load(),
	}
}

// Run calls fn with a fresh Txn and commits what it changed in one
// transaction. If a guard fails because another writer changed a row
// meanwhile, fn runs again on a fresh view (fn must therefore be repeatable:
// Neutron calls inside it must be idempotent lookups or find-or-create). An
// error from fn aborts without writing anything. Functions registered with
// AfterCommit run once, after the successful commit; their errors are
// returned joined (the NB change stands).
func (s *Store) Run(ctx context.Context, fn func(t *Txn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		t := newTxn(s)
		if err := fn(t); err != nil {
			return err
		}
		ops, err := t.operations()
		if err != nil {
			return fmt.Errorf("building nb operations: %w", err)
		}
		if len(ops) > 0 {
			err = s.commit(ctx, ops)
			if errors.Is(err, errGuard) {
				s.conflicts.Add(1)
				if attempt >= s.maxAttempts {
					return fmt.Errorf("%w (%d attempts)", ErrConflict, attempt)
				}
				s.log.WithField("attempt", attempt).Debug("nb guard failed, re-reading and retrying")
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(delay):
				}
				if delay < time.Second {
					delay *= 2
				}
				continue
			}
			if err != nil {
				return err
			}
			if err := t.waitCacheCaughtUp(ctx); err != nil {
				return err
			}
		}
		return t.runAfterCommit(ctx)
	}
}

// errGuard marks a transaction rejected by one of our wait operations.
var errGuard = errors.New("nb wait guard failed")

// commit transacts ops and checks every result. It is the only Transact on NB
// in the code base.
func (s *Store) commit(ctx context.Context, ops []ovsdb.Operation) error {
	results, err := s.c.Transact(ctx, ops...)
	if err != nil {
		return fmt.Errorf("nb transaction (%d ops): %w", len(ops), err)
	}
	opErrs, err := ovsdb.CheckOperationResults(results, ops)
	if err != nil {
		for _, oe := range opErrs {
			var to *ovsdb.TimedOut
			if errors.As(oe, &to) && oe.Operation() != nil && oe.Operation().Op == ovsdb.OperationWait {
				return errGuard
			}
		}
		return fmt.Errorf("nb transaction (%d ops): %w", len(ops), errors.Join(append([]error{err}, opErrors(opErrs)...)...))
	}
	s.transactions.Add(1)
	s.operations.Add(int64(len(ops)))
	s.log.WithField("txn_ops", len(ops)).Debug("nb transaction committed")
	return nil
}

func opErrors(errs []ovsdb.OperationError) []error {
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		if op := e.Operation(); op != nil {
			out = append(out, fmt.Errorf("%s %s: %w", op.Op, op.Table, e))
		} else {
			out = append(out, e)
		}
	}
	return out
}
