// Package maintenance runs the agent's periodic upgrade tasks
// (events-and-status §10): data written by older provider releases is
// brought to the current format, once.
//
//   - HM port device owner: Neutron HM source ports still owned by
//     `network:distributed` get `ovn-lb-hm:distributed` and a device_id, unless
//     Neutron turns out too old to treat that owner as a localport (then the
//     port is rolled back and the task tries again later).
//   - VIP port protection: provider-created VIP ports without
//     `ovn-lb:vip` / `lb-<id>` get them, so Nova cannot attach them to a VM.
//   - IPv6 mapping brackets: `ip_port_mappings` keys written unbracketed by
//     releases of 2023 are rewritten in the bracketed form OVN expects.
//
// Each task runs when Run starts, then every interval until it reports
// itself finished; an error is logged and the task runs again at the next
// interval. The tasks run in every agent, whether it holds the OVSDB lock or
// not, as in the reference. NB writes go through nbtxn; NB reads use the
// same Store's view, and no Neutron call is ever made inside a Store.Run.
package maintenance

import (
	"context"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// Reference values (config.md §6).
const (
	// DefaultInterval is the time between two runs of an unfinished task.
	DefaultInterval = 600 * time.Second
	// DefaultLocalportWait bounds how long the HM port task waits for
	// Neutron to turn the first updated port's LSP into a localport.
	DefaultLocalportWait = 5 * time.Second
	// localportPoll is the polling period of that wait.
	localportPoll = 50 * time.Millisecond
)

// Task names, used in logs and in Status.
const (
	TaskHMPortOwner  = "hm-port-device-owner"
	TaskVIPPorts     = "vip-port-protection"
	TaskIPv6Mappings = "ipv6-mapping-brackets"
)

// Config configures a Runner.
type Config struct {
	// Store is the NB write layer; its client's cache must monitor
	// Load_Balancer and Logical_Switch_Port.
	Store *nbtxn.Store
	// Neutron is optional: without it the two Neutron tasks do not run.
	Neutron neutron.Client
	// Interval between runs of an unfinished task; 0 means DefaultInterval.
	Interval time.Duration
	// LocalportWait: 0 means DefaultLocalportWait. The reference reads the
	// LSP right after the port update, from a cache that may not have seen
	// Neutron's NB write yet; waiting a little avoids needless rollbacks.
	LocalportWait time.Duration
	Log           *logrus.Entry
}

// TaskStatus is what a task did so far.
type TaskStatus struct {
	Runs     int   // runs started and completed (with or without error)
	Finished bool  // the task will not run again
	LastErr  error // error of the last run, nil if it succeeded
}

// Runner runs the maintenance tasks. Create it with New and start it with
// Run; the task methods can also be called directly (one run each).
type Runner struct {
	cfg Config
	log *logrus.Entry

	mu     sync.Mutex
	status map[string]*TaskStatus
}

// New returns a Runner.
func New(cfg Config) *Runner {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.LocalportWait <= 0 {
		cfg.LocalportWait = DefaultLocalportWait
	}
	if cfg.Log == nil {
		cfg.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Runner{cfg: cfg, log: cfg.Log, status: map[string]*TaskStatus{}}
}

// task is one periodic task: run returns finished = true when it need not
// run again.
type task struct {
	name string
	run  func(ctx context.Context) (finished bool, err error)
}

func (r *Runner) tasks() []task {
	var ts []task
	if r.cfg.Neutron != nil {
		ts = append(ts,
			task{TaskHMPortOwner, r.FixHMPortOwners},
			task{TaskVIPPorts, r.ProtectVIPPorts})
	} else {
		r.log.Info("no Neutron configured: the HM port and VIP port maintenance tasks do not run")
	}
	return append(ts, task{TaskIPv6Mappings, r.BracketIPv6Mappings})
}

// Run runs every task at once and then every interval until each has
// finished or ctx ends. It returns when all tasks are finished or ctx has
// ended (a task's Neutron calls honour ctx).
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, t := range r.tasks() {
		r.mu.Lock()
		r.status[t.name] = &TaskStatus{}
		r.mu.Unlock()
		wg.Add(1)
		// One goroutine per task: a hung Neutron must not hold back the
		// NB-only task, and vice versa.
		go func() {
			defer wg.Done()
			r.loop(ctx, t)
		}()
	}
	wg.Wait()
}

func (r *Runner) loop(ctx context.Context, t task) {
	log := r.log.WithField("task", t.name)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		log.Debug("maintenance task running")
		finished, err := t.run(ctx)
		if ctx.Err() != nil {
			return // interrupted: neither a failure nor a completion
		}
		r.record(t.name, finished, err)
		switch {
		case err != nil:
			log.WithError(err).WithField("retry_in", r.cfg.Interval).Error("maintenance task failed, retrying at the next interval")
		case finished:
			log.Info("maintenance task finished")
			return
		default:
			log.WithField("retry_in", r.cfg.Interval).Info("maintenance task not done yet, retrying at the next interval")
		}
		timer.Reset(r.cfg.Interval)
	}
}

func (r *Runner) record(name string, finished bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status[name]
	if st == nil {
		st = &TaskStatus{}
		r.status[name] = st
	}
	st.Runs++
	st.Finished = finished && err == nil
	st.LastErr = err
}

// Status returns the state of the tasks Run started, by task name.
func (r *Runner) Status() map[string]TaskStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]TaskStatus, len(r.status))
	for k, v := range r.status {
		out[k] = *v
	}
	return out
}
