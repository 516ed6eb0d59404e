package neutron

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sirupsen/logrus"
)

// Backoff is an exponential retry policy: waits of Initial, 2×Initial, 4×… each
// capped at Max (0: uncapped), stopping after MaxAttempts attempts (0: no limit)
// or once MaxElapsed has passed since the first attempt (0: no limit). With
// neither limit set the loop ends only with success, a non-retriable error, or
// the context.
type Backoff struct {
	Initial     time.Duration
	Max         time.Duration
	MaxAttempts int
	MaxElapsed  time.Duration
}

// DefaultListBackoff is the reference policy for port list/find: tenacity
// wait_exponential() + stop_after_delay(10) (events-and-status.md §12).
func DefaultListBackoff() Backoff {
	return Backoff{Initial: time.Second, Max: 10 * time.Second, MaxElapsed: 10 * time.Second}
}

// DefaultDeleteBackoff is the reference policy for port delete:
// wait_exponential(max=75) + stop_after_attempt(15).
func DefaultDeleteBackoff() Backoff {
	return Backoff{Initial: time.Second, Max: 75 * time.Second, MaxAttempts: 15}
}

// wait returns the sleep after the given failed attempt (1-based).
func (b Backoff) wait(attempt int) time.Duration {
	d := b.Initial
	if d <= 0 {
		return 0
	}
	for i := 1; i < attempt; i++ {
		if d > math.MaxInt64/2 {
			d = math.MaxInt64 // uncapped and about to overflow
			break
		}
		d *= 2
		if b.Max > 0 && d >= b.Max {
			return b.Max
		}
	}
	if b.Max > 0 && d > b.Max {
		return b.Max
	}
	return d
}

// retry runs fn until it succeeds, returns an error retriable rejects, or the
// policy or ctx stops it. The last error is returned as is, so callers can
// still inspect it with errors.Is/As.
func retry(ctx context.Context, b Backoff, log *logrus.Entry, op string, retriable func(error) bool, fn func() error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retriable(err) {
			return err
		}
		if b.MaxAttempts > 0 && attempt >= b.MaxAttempts {
			return err
		}
		elapsed := time.Since(start)
		if b.MaxElapsed > 0 && elapsed >= b.MaxElapsed {
			return err
		}
		d := b.wait(attempt)
		if b.MaxElapsed > 0 && d > b.MaxElapsed-elapsed {
			// One last attempt at the deadline rather than sleeping past it.
			d = b.MaxElapsed - elapsed
		}
		log.WithFields(logrus.Fields{"op": op, "attempt": attempt, "wait": d}).WithError(err).Warn("Neutron call failed, retrying")
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w (last error: %w)", op, ctx.Err(), err)
		case <-t.C:
		}
	}
}
