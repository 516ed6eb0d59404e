// Package dbsync repairs the OVN Northbound rows of the OVN provider's load
// balancers from Octavia (db-sync.md; the reference's
// octavia-ovn-db-sync-util). Direction is strictly Octavia -> NB: nothing
// is written to Octavia except status updates.
//
// For every Octavia load balancer of provider "ovn" (Octavia API), db-sync
// reads the full tree over the driver agent's get socket and computes the
// rows the provider would write for it: the provider's own fully populated
// create runs in a transaction that is never committed, in which the LB's
// current rows are deleted (see desired). The LB's real rows are then
// brought to that state in ONE transaction, changing only what differs, so
// a second run on a synced NB writes nothing. Differences from the
// reference, all following the spec's recommendations:
//
//   - a failing LB is reported and the others are still synced;
//   - every listener and pool is synced only into the row of its protocol;
//   - ls_refs is recomputed (VIP switch 1 + additional VIPs, +1 per member);
//   - member entries Octavia does not list are deleted for real: their
//     member status, ip_port_mappings and switch counts go with them, and
//     their subnet's HM port is cleaned up when unused;
//   - the status roll-up of every protocol row is sent in full;
//   - a dry run computes and reports the same changes without writing.
//
// Kept from the reference: health results already recorded for monitored
// members (ONLINE/ERROR) are not overwritten, lr_ref and router
// associations are only added, selection_fields are kept when set, a stale
// neutron:vip_fip is not removed, and NB rows of load balancers Octavia
// does not know (orphans) are reported, never deleted.
package dbsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi"
	"github.com/ovn-octavia/ovn-octavia/provider"
)

// Getter reads a load balancer tree over the get socket (nil, nil: not
// found).
type Getter interface {
	GetLoadBalancer(ctx context.Context, id string) (*octavia.LoadBalancer, error)
}

// StatusSender sends one status message to Octavia.
type StatusSender interface {
	Send(ctx context.Context, s octavia.Status) error
}

// HMPortCleaner deletes the HM port of a subnet after the commit when no
// monitored mapping uses it any more (*health.Monitors).
type HMPortCleaner interface {
	CleanupHMPort(t *nbtxn.Txn, subnetID string)
}

// Config wires a sync run.
type Config struct {
	Store   *nbtxn.Store
	Driver  *provider.Driver // computes the rows (BuildLoadBalancer)
	Neutron neutron.Client
	Octavia octaviaapi.Lister
	Get     Getter
	Status  StatusSender  // nil: no status is sent
	Health  HMPortCleaner // nil: HM ports of deleted members are kept
	Log     *logrus.Entry

	// DryRun computes and reports the changes without writing NB or
	// sending statuses. (Neutron lookups still run; finding the HM port of
	// a monitored member creates it when missing, as a provider call would.)
	DryRun bool
	// LBs limits the run to these Octavia load balancer ids; orphans are
	// then not looked for.
	LBs []string
}

// Outcome is the result for one load balancer.
type Outcome string

// Outcomes.
const (
	OutcomeInSync   Outcome = "ok"       // nothing to change
	OutcomeRepaired Outcome = "repaired" // changed (or, in a dry run, would change)
	OutcomeFailed   Outcome = "failed"   // not synced; Error says why
	OutcomeOrphan   Outcome = "orphan"   // NB rows of a load balancer Octavia does not list
)

// LBReport is the result for one load balancer.
type LBReport struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Outcome  Outcome  `json:"outcome"`
	Changes  []string `json:"changes,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Report is the result of a run, load balancers in Octavia's order, then
// orphans sorted by id.
type Report struct {
	DryRun bool       `json:"dry_run"`
	LBs    []LBReport `json:"loadbalancers"`
}

// Failed reports whether any load balancer failed.
func (r Report) Failed() bool {
	return slices.ContainsFunc(r.LBs, func(l LBReport) bool { return l.Outcome == OutcomeFailed })
}

// Count returns how many load balancers had outcome o.
func (r Report) Count(o Outcome) int {
	n := 0
	for _, l := range r.LBs {
		if l.Outcome == o {
			n++
		}
	}
	return n
}

type syncer struct {
	cfg Config
	log *logrus.Entry
}

// Sync runs db-sync. The error is for the run as a whole (Octavia's API
// could not be listed); per-LB failures are in the report.
func Sync(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Store == nil || cfg.Driver == nil || cfg.Neutron == nil || cfg.Octavia == nil || cfg.Get == nil {
		return Report{}, errors.New("db-sync: Store, Driver, Neutron, Octavia and Get are required")
	}
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	s := &syncer{cfg: cfg, log: log.WithField("component", "db-sync")}
	rep := Report{DryRun: cfg.DryRun}

	s.log.Info("OVN Octavia DB sync start.")
	listed, err := cfg.Octavia.ListLoadBalancers(ctx, octaviaapi.ProviderOVN)
	if err != nil {
		return rep, fmt.Errorf("db-sync: %w", err)
	}
	known := map[string]bool{}
	for _, lb := range listed {
		known[lb.ID] = true
	}
	// With --lb, the report follows the order the ids were given in.
	todo := make([]*octaviaapi.LoadBalancer, 0, len(listed))
	for i := range listed {
		todo = append(todo, &listed[i])
	}
	if len(cfg.LBs) > 0 {
		byID := map[string]*octaviaapi.LoadBalancer{}
		for i := range listed {
			byID[listed[i].ID] = &listed[i]
		}
		todo = todo[:0]
		for _, id := range cfg.LBs {
			todo = append(todo, byID[id]) // nil: not an OVN LB of Octavia
		}
	}
	for i, lb := range todo {
		switch {
		case lb == nil:
			rep.LBs = append(rep.LBs, LBReport{ID: cfg.LBs[i], Outcome: OutcomeFailed,
				Error: "Octavia lists no load balancer with this id and provider ovn"})
		case ctx.Err() != nil:
			rep.LBs = append(rep.LBs, LBReport{ID: lb.ID, Name: lb.Name, Outcome: OutcomeFailed, Error: ctx.Err().Error()})
		default:
			rep.LBs = append(rep.LBs, s.syncOne(ctx, *lb))
		}
	}
	if len(cfg.LBs) == 0 {
		rep.LBs = append(rep.LBs, s.orphans(ctx, known)...)
	}
	s.log.WithFields(logrus.Fields{"in_sync": rep.Count(OutcomeInSync), "repaired": rep.Count(OutcomeRepaired),
		"failed": rep.Count(OutcomeFailed), "orphans": rep.Count(OutcomeOrphan), "dry_run": cfg.DryRun}).
		Info("OVN Octavia DB sync finish.")
	return rep, nil
}

// errDryRun aborts the transaction of a dry run after the changes were
// computed.
var errDryRun = errors.New("dry run: not committed")

// syncOne syncs one load balancer; nothing it meets stops the run.
func (s *syncer) syncOne(ctx context.Context, lb octaviaapi.LoadBalancer) LBReport {
	rep := LBReport{ID: lb.ID, Name: lb.Name}
	log := s.log.WithField("lb_id", lb.ID)
	log.Infof("Starting sync OVN DB with Loadbalancer %s", lb.Name)
	fail := func(err error) LBReport {
		rep.Outcome, rep.Error = OutcomeFailed, err.Error()
		log.WithError(err).Error("load balancer not synced")
		return rep
	}

	olb, err := s.cfg.Get.GetLoadBalancer(ctx, lb.ID)
	if err != nil {
		return fail(fmt.Errorf("read the load balancer tree over the get socket: %w", err))
	}
	if olb == nil {
		return fail(errors.New("the get socket does not know the load balancer"))
	}
	if id := olb.LoadBalancerID.Or(""); id != "" && id != lb.ID {
		return fail(fmt.Errorf("the get socket answered load balancer %s", id))
	}
	olb.LoadBalancerID = octavia.Some(lb.ID)

	want, err := s.desired(ctx, olb)
	if err != nil {
		return fail(fmt.Errorf("compute the NB rows: %w", err))
	}
	rep.Warnings = want.warnings
	for _, w := range want.warnings {
		log.Warn(w)
	}

	var rows []*nb.LoadBalancer
	var changes []string
	err = s.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		a := &applier{t: t, lbID: lb.ID, hmSubnets: map[string]bool{}}
		rows = a.apply(want.rows)
		changes = a.changes
		if s.cfg.DryRun {
			return errDryRun
		}
		if s.cfg.Health != nil {
			for _, sub := range slices.Sorted(maps.Keys(a.hmSubnets)) {
				if !subnetInUse(rows, sub) {
					s.cfg.Health.CleanupHMPort(t, sub)
				}
			}
		}
		// Snapshot what will be committed: the roll-ups are computed from it.
		for i, r := range rows {
			rows[i] = &nb.LoadBalancer{Name: r.Name, ExternalIDs: maps.Clone(r.ExternalIDs)}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return fail(fmt.Errorf("write the NB rows: %w", err))
	}
	rep.Changes = changes
	rep.Outcome = OutcomeInSync
	if len(changes) > 0 {
		rep.Outcome = OutcomeRepaired
		for _, c := range changes {
			log.WithField("dry_run", s.cfg.DryRun).Info(c)
		}
	}
	if !s.cfg.DryRun {
		s.sendStatus(ctx, log, olb, rows)
	}
	return rep
}

func subnetInUse(rows []*nb.LoadBalancer, subnetID string) bool {
	for _, r := range rows {
		for k, v := range r.ExternalIDs {
			if !lbdata.IsPoolKey(k) {
				continue
			}
			ms, _ := lbdata.ParsePoolValue(v)
			for _, m := range ms {
				if m.SubnetID == subnetID {
					return true
				}
			}
		}
	}
	return false
}

// orphans reports the LB rows whose name no Octavia load balancer has
// (Neutron's port-forwarding rows are not ours and are skipped).
func (s *syncer) orphans(ctx context.Context, known map[string]bool) []LBReport {
	names := map[string]int{}
	err := s.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		t.ScanLBs(func(lb *nb.LoadBalancer) bool {
			if !lbdata.IsForeignRow(lb.ExternalIDs) && !known[lb.Name] {
				names[lb.Name]++
			}
			return true
		})
		return nil
	})
	if err != nil {
		s.log.WithError(err).Warn("looking for orphan rows failed")
		return nil
	}
	var out []LBReport
	for _, n := range slices.Sorted(maps.Keys(names)) {
		msg := fmt.Sprintf("%d NB row(s) of a load balancer Octavia does not list as provider ovn; not deleted", names[n])
		s.log.WithField("lb_id", n).Warn(msg)
		out = append(out, LBReport{ID: n, Outcome: OutcomeOrphan, Warnings: []string{msg}})
	}
	return out
}
