// Package health implements Octavia health monitors on OVN and the status
// engine that turns OVN's health-check results into Octavia statuses.
//
// # Health monitors (operations.md §12, nb-data-contract.md §11, §12)
//
// An Octavia HM on pool P becomes, on the NB Load_Balancer row holding P:
//
//   - one Load_Balancer_Health_Check row per VIP, additional VIP and FIP,
//     with vip "<addr>:<listener port>" (IPv6 bracketed; empty until a
//     listener uses P), options interval/timeout/success_count/failure_count
//     and external_ids octavia:healthmonitor, octavia:pool_id, octavia:vip;
//   - the HM id in the row's octavia:healthmonitors JSON list;
//   - an ip_port_mappings entry per member: "<ip>" -> "<member LSP>:<src>",
//     IPv6 bracketed, where <src> is the address on the member subnet of the
//     Neutron port ovn-lb-hm-<subnet_id> (found or created; shared by every
//     pool with members on that subnet, deleted after the commit that
//     removes its last user);
//   - member statuses in neutron:member_status: ONLINE when mapped, ERROR
//     when the member's LSP is missing.
//
// Provider calls, each ONE nbtxn.Run and one status message:
//
//	m := health.New(health.Config{Store, Neutron, Get, Status, Log})
//	m.Create(ctx, hm)        // health_monitor_create
//	m.Update(ctx, old, new)  // health_monitor_update: options merged in place
//	m.Delete(ctx, hm)        // health_monitor_delete
//
// They return a *octavia.ProviderError for invalid input (V11-V13, missing
// ids, non-positive delay/timeout/max_retries/max_retries_down) and write
// nothing then; every other outcome, including an HM on a pool no row
// holds, is reported through the status socket and returns nil.
//
// Create and Delete are made of in-transaction halves, so that the CRUD
// front end can put an HM into a larger transaction (a fully populated LB
// create, a pool create or delete) and still send one status message:
//
//	if err := health.ValidateCreate(nbClient, hm); err != nil { ... } // before any write
//	err := store.Run(ctx, func(t *nbtxn.Txn) error {
//	    // ... the pool ...
//	    res, hmErr = m.CreateInTxn(ctx, t, hm) // an error leaves t unchanged
//	    // ... the pool's members, mapped because the row now has LBHCs ...
//	})
//	s := m.CreateStatus(ctx, res, hmErr)   // roll-up of the row as the HM left it + HM entry
//
//	res := m.DeleteInTxn(t, hm)            // inside the pool delete's Txn
//	s := health.DeleteStatus(res, runErr)
//
// Building blocks for the CRUD front end and the agent, used inside their
// own Txn:
//
//	MapMember(ctx, t, lk, lb, mem) (status, err) // member create / enable; lk: per-call Lookups
//	UnmapMember(t, lb, mem)                  // member delete / disable
//	UnmapPool(t, lb, poolID)                 // every member of a pool
//	CleanupHMPort(t, subnetID)               // AfterCommit: delete if unused
//	SetHealthCheckPort(t, lb, poolID, port)  // listener created on the pool
//	AddFIPHealthChecks(t, lb, vipIPs, fip)   // VIP FIP associated
//	RemoveFIPHealthChecks(t, lb, fip)        // VIP FIP disassociated
//
// # Status engine (events-and-status.md §6-§8)
//
// RollUp(ctx, lb) computes the full status of one row with admin states
// from one get-socket LB read (plus pool/listener reads for objects not in
// the LB's tree; ids of disabled keys are down without asking).
//
// An agent handling SB Service_Monitor events coalesces a burst like this:
//
//	var rows []string
//	err := store.Run(ctx, func(t *nbtxn.Txn) error {
//	    var err error
//	    rows, err = m.ApplyServiceMonitors(ctx, t, changes) // all events, one Txn
//	    return err
//	})
//	s, err := m.RollUpRows(ctx, rows)  // merged roll-up of the touched rows
//	s = tracker.Pending(s)             // only what changed since the last send
//	if !s.IsEmpty() && statusClient.Send(ctx, s) == nil {
//	    tracker.Sent(s)
//	}
//
// ApplyServiceMonitors matches each event to rows by protocol and exact
// ip_port_mappings key and value (NB §15) and writes, for the first member
// entry at the monitor's exact address and port, OFFLINE for a deleted
// monitor, ERROR for status offline, ONLINE otherwise. It is a Batch over
// the engine the agent uses (engine.go: IndexMonitoredRows, MemberIndex,
// RowStatuses, ApplyServiceMonitor over a RowCache): each row is indexed,
// parsed and written once per Txn however many events hit it. The
// reference sends the full roll-up on every event; RollUpChange gives the
// roll-ups before and after a burst, from which the agent's
// handlers.Reporter sends only the objects that changed.
//
// # Deliberate differences from the reference (spec recommendations)
//
//   - HM create and delete accept both pool key forms (pool_<id>[:D]).
//   - A disabled member (status OFFLINE) stays OFFLINE on HM create and is
//     not mapped; the reference writes ONLINE, which puts it back in vips.
//   - FIP LBHCs: all LBHCs of a disassociated FIP are removed.
//   - Listener-driven vip rewrite splits at the last ':' (IPv6 safe).
//   - SM events update the first member entry matching address and port
//     exactly (addresses in canonical form), not the first substring match.
//   - HM port cleanup compares mapping source addresses exactly instead of
//     as substrings.
package health
