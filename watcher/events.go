package watcher

import (
	"fmt"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// Event is one typed agent event (events-and-status.md §3). The concrete
// types are LRPCreated, LRPDeleted, VIPPortFIPChanged,
// ServiceMonitorUpdated, ServiceMonitorDeleted and Resync. Rows in events
// are copies; consumers may keep and modify them.
type Event interface {
	fmt.Stringer
	event()
}

// LRPCreated is E1: a Logical_Router_Port row was created (gateway ports
// included). Rows of the initial dump or of a re-dump after a reconnect are
// state, not creations: they produce Resync instead.
type LRPCreated struct{ LRP nb.LogicalRouterPort }

// LRPDeleted is E2: a Logical_Router_Port row was deleted; LRP is the row
// as it was.
type LRPDeleted struct{ LRP nb.LogicalRouterPort }

// VIPPortFIPChanged is E3: an update of a Logical_Switch_Port whose new
// external_ids:neutron:port_name starts with "ovn-lb-vip-" changed
// external_ids:neutron:port_fip. An empty FIP means the key is absent.
type VIPPortFIPChanged struct {
	LSP      string // Logical_Switch_Port name (the Neutron port id)
	PortName string // external_ids:neutron:port_name
	OldFIP   string
	NewFIP   string
}

// ServiceMonitorUpdated is E4: an SB Service_Monitor row changed (any
// column); SM is the new row. A newer update of the same row replaces an
// older one still queued.
type ServiceMonitorUpdated struct{ SM sb.ServiceMonitor }

// ServiceMonitorDeleted is E4: an SB Service_Monitor row was deleted; SM is
// the row as it was. It replaces a queued update of the same row.
type ServiceMonitorDeleted struct{ SM sb.ServiceMonitor }

// Resync asks for a full reconciliation from the cache: after the initial
// dump, after every reconnect (rows may have changed unseen, deletions are
// not reported after a re-dump) and on becoming the lock holder.
type Resync struct{ Reason string }

func (LRPCreated) event()            {}
func (LRPDeleted) event()            {}
func (VIPPortFIPChanged) event()     {}
func (ServiceMonitorUpdated) event() {}
func (ServiceMonitorDeleted) event() {}
func (Resync) event()                {}

func (e LRPCreated) String() string { return fmt.Sprintf("LRPCreated(%s %s)", e.LRP.Name, e.LRP.UUID) }
func (e LRPDeleted) String() string { return fmt.Sprintf("LRPDeleted(%s %s)", e.LRP.Name, e.LRP.UUID) }
func (e VIPPortFIPChanged) String() string {
	return fmt.Sprintf("VIPPortFIPChanged(%s %s: %q -> %q)", e.LSP, e.PortName, e.OldFIP, e.NewFIP)
}
func (e ServiceMonitorUpdated) String() string {
	return fmt.Sprintf("ServiceMonitorUpdated(%s %s:%d %s)", e.SM.UUID, e.SM.IP, e.SM.Port, deref(e.SM.Status))
}
func (e ServiceMonitorDeleted) String() string {
	return fmt.Sprintf("ServiceMonitorDeleted(%s %s:%d)", e.SM.UUID, e.SM.IP, e.SM.Port)
}
func (e Resync) String() string { return "Resync(" + e.Reason + ")" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
