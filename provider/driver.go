// Package provider is the CRUD front end of ovn-octavia: one method per
// octavia-lib ProviderDriver call (operations.md §3–§11), each turning the
// call into the NB Load_Balancer rows of nb-data-contract.md and reporting
// the outcome to Octavia's status socket.
//
// Every call follows the same shape:
//
//  1. Validation, all-or-nothing, before anything is written: the
//     reference's V-errors (operations.md §1) and generic bad input (missing
//     or malformed ids, addresses, ports). A refused call returns a
//     *octavia.ProviderError; NB and Neutron are untouched and no status is
//     sent.
//  2. The NB work in ONE nbtxn.Run: rows, external_ids, vips, switch and
//     router membership change together or not at all. Neutron reads inside
//     the Run are idempotent lookups (Run repeats the function on a write
//     conflict); destructive Neutron calls (port deletes) are registered with
//     AfterCommit.
//  3. One status message built the way the reference's sequence of messages
//     would end, sent before the method returns. Processing failures after
//     validation are reported through the status (ERROR entries), as the
//     reference does; the method then returns nil, like the reference's
//     asynchronous call.
//
// Where the reference has a documented quirk the spec recommends against,
// the recommendation is applied and the place says so in a comment.
package provider

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// StatusSender delivers one status message to Octavia (the driver agent's
// status socket; *octavia.StatusClient). The health engine sends through
// the same interface.
type StatusSender = health.StatusSender

// Getter reads Octavia's view of objects over the driver agent's get socket
// (*octavia.GetClient). A nil object with a nil error means "not found".
type Getter = health.Getter

// Health is what the CRUD layer needs from the health-monitor engine
// (*health.Monitors, through FromMonitors): the three HM provider calls,
// the in-transaction HM create and delete that let a fully populated LB
// create and a pool delete stay ONE transaction, and the per-member
// `ip_port_mappings` and HM-port work that member calls do inside their
// transaction.
type Health interface {
	Create(ctx context.Context, hm *octavia.HealthMonitor) error
	Update(ctx context.Context, old, new *octavia.HealthMonitor) error
	Delete(ctx context.Context, hm *octavia.HealthMonitor) error
	// CreateInTxn writes an HM (validated with health.ValidateCreate) into
	// the caller's Txn; an error leaves the Txn unchanged. CreateStatus is
	// the HM create's status message (a roll-up of the row as the HM
	// create left it), computed after the commit.
	CreateInTxn(ctx context.Context, t *nbtxn.Txn, hm *octavia.HealthMonitor) (health.CreateResult, error)
	CreateStatus(ctx context.Context, res health.CreateResult, err error) octavia.Status
	// DeleteInTxn removes an HM in the caller's Txn; health.DeleteStatus is
	// its status message.
	DeleteInTxn(t *nbtxn.Txn, hm *octavia.HealthMonitor) health.DeleteResult
	// MapMember adds the member's ip_port_mappings entry (operations.md
	// §12.3), ensuring its HM port through lk (the call's Neutron reads;
	// nil reads afresh); it returns the member's operating status (ONLINE
	// when mapped, ERROR otherwise).
	MapMember(ctx context.Context, t *nbtxn.Txn, lk *health.Lookups, lb *nb.LoadBalancer, mem lbdata.Member) (string, error)
	// UnmapMember removes the member's mapping unless another monitored
	// member of the row shares its IP (nb-data-contract §12).
	UnmapMember(t *nbtxn.Txn, lb *nb.LoadBalancer, mem lbdata.Member)
	// CleanupHMPort deletes the HM port of the subnet after the commit when
	// no monitored mapping uses it any more (operations.md §12.4).
	CleanupHMPort(t *nbtxn.Txn, subnetID string)
	// RollUp is the status roll-up of a row (events-and-status §7), admin
	// states read from the get socket.
	RollUp(ctx context.Context, lb *nb.LoadBalancer) (octavia.Status, error)
}

// Config wires a Driver.
type Config struct {
	Store   *nbtxn.Store
	Neutron neutron.Client
	Status  StatusSender
	Get     Getter
	// Health may be nil: health-monitor calls are then refused with a
	// DriverError and members are never mapped.
	Health Health
	Log    *logrus.Entry
}

// Driver implements the provider calls. It holds no per-LB state: every
// call reads NB through its transaction, so several Drivers (or the agent)
// may work on the same NB concurrently; nbtxn's guards serialize conflicts.
type Driver struct {
	store   *nbtxn.Store
	neutron neutron.Client
	status  StatusSender
	get     Getter
	health  Health
	log     *logrus.Entry
}

// New returns a Driver for cfg.
func New(cfg Config) *Driver {
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Driver{
		store:   cfg.Store,
		neutron: cfg.Neutron,
		status:  cfg.Status,
		get:     cfg.Get,
		health:  cfg.Health,
		log:     log.WithField("component", "provider"),
	}
}

// runLogged is Store.Run for calls whose outcome is the NB change: an error
// after the commit (AfterCommit work such as a Neutron port cleanup) does
// not undo it, so it is logged and dropped; callers then neither report the
// call as failed nor clean up as if nothing had been written.
func (d *Driver) runLogged(ctx context.Context, log *logrus.Entry, fn func(t *nbtxn.Txn) error) error {
	err := d.store.Run(ctx, fn)
	if nbtxn.OnlyAfterCommitFailed(err) {
		log.WithError(err).Warn("NB change committed; work after the commit failed")
		return nil
	}
	return err
}

// send reports st to Octavia. A delivery failure (after the sender's own
// retries) is logged: the NB work stands and the call itself succeeded, as
// in the reference, whose helper logs and drops an undeliverable status.
func (d *Driver) send(ctx context.Context, call string, st octavia.Status) {
	if st.IsEmpty() {
		return
	}
	log := d.log.WithFields(logrus.Fields{"call": call, "status": st.String()})
	if d.status == nil {
		log.Warn("no status sender configured; status dropped")
		return
	}
	if err := d.status.Send(ctx, st); err != nil {
		log.WithError(err).Error("sending status to Octavia failed")
		return
	}
	log.Debug("status sent")
}

// entry builds a status record.
func entry(id, prov, oper string) octavia.StatusEntry {
	return octavia.StatusEntry{ID: id, ProvisioningStatus: prov, OperatingStatus: oper}
}

// onlineIf returns ONLINE or OFFLINE.
func onlineIf(up bool) string {
	if up {
		return octavia.OperatingOnline
	}
	return octavia.OperatingOffline
}
