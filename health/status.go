package health

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// ErrUnknownLoadBalancer reports a roll-up for an LB Octavia does not know
// (the get socket answered {}). The reference crashes there and sends
// nothing; we send nothing too.
var ErrUnknownLoadBalancer = errors.New("load balancer unknown to Octavia")

// adminStates are the admin states of one LB tree, read once per roll-up.
type adminStates struct {
	lbUp      bool
	pools     map[string]bool
	listeners map[string]bool
}

// LBAdminUp, PoolAdminUp and ListenerAdminUp implement lbdata.AdminStates.
func (a *adminStates) LBAdminUp() bool                { return a.lbUp }
func (a *adminStates) PoolAdminUp(id string) bool     { return a.pools[id] }
func (a *adminStates) ListenerAdminUp(id string) bool { return a.listeners[id] }

// adminStatesFor reads the LB from the get socket, then each pool and
// listener of the row that is not in the LB's tree (events-and-status.md
// §7). Ids of disabled keys keep their ":D" suffix; Octavia never knows
// them, so they are down without asking.
func (m *Monitors) adminStatesFor(ctx context.Context, lbID string, ext map[string]string) (*adminStates, error) {
	if m.get == nil {
		return nil, errors.New("no get-socket client configured")
	}
	l, err := m.get.GetLoadBalancer(ctx, lbID)
	if err != nil {
		return nil, fmt.Errorf("get load balancer %s: %w", lbID, err)
	}
	if l == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownLoadBalancer, lbID)
	}
	a := &adminStates{lbUp: l.AdminStateUp.Or(true), pools: map[string]bool{}, listeners: map[string]bool{}}
	for _, p := range l.Pools.V {
		if id, ok := p.PoolID.Get(); ok {
			a.pools[id] = p.AdminStateUp.Or(true)
		}
	}
	for _, li := range l.Listeners.V {
		if id, ok := li.ListenerID.Get(); ok {
			a.listeners[id] = li.AdminStateUp.Or(true)
		}
	}
	if err := m.addFallbacks(ctx, a, ext); err != nil {
		return nil, err
	}
	return a, nil
}

// RollUp computes the status of one NB row (events-and-status.md §7): every
// member of neutron:member_status, every pool and listener of the row, and
// the LB, all ACTIVE, with admin states from one get-socket LB read (plus
// pool/listener reads for objects missing from the LB tree).
func (m *Monitors) RollUp(ctx context.Context, lb *nb.LoadBalancer) (octavia.Status, error) {
	a, err := m.adminStatesFor(ctx, lb.Name, lb.ExternalIDs)
	if err != nil {
		return octavia.Status{}, err
	}
	return lbdata.RollUp(lb.Name, lb.ExternalIDs, a), nil
}

// RollUpChange rolls up one row as it was before and after a change
// (events-and-status §7), with the admin states of one get-socket read (plus
// pool/listener reads for objects of either version missing from the LB
// tree): what an agent compares to tell which Octavia statuses a burst
// changed. A row's "before" is usually its "after" of the previous burst:
// that roll-up is remembered per row UUID and reused when the row's
// external_ids and the admin states are the same (the roll-up is a function
// of them), which saves a parse of a 5,000-member neutron:member_status per
// burst.
func (m *Monitors) RollUpChange(ctx context.Context, uuid, name string, before, after map[string]string) (b, a octavia.Status, err error) {
	admin, err := m.adminStatesFor(ctx, name, after)
	if err != nil {
		return b, a, err
	}
	if err := m.addFallbacks(ctx, admin, before); err != nil {
		return b, a, err
	}
	var ok bool
	if b, ok = m.rollups.get(uuid, name, before, admin); !ok {
		b = lbdata.RollUp(name, before, admin)
	}
	a = lbdata.RollUp(name, after, admin)
	m.rollups.put(uuid, name, after, admin, a)
	return b, a, nil
}

// rollupMemo is RollUpChange's memory: per row UUID, the last roll-up with
// the external_ids and admin states it was computed from. It is bounded:
// past maxRollupMemo rows it starts over.
type rollupMemo struct {
	mu   sync.Mutex
	rows map[string]rollupMemoEntry
}

type rollupMemoEntry struct {
	name   string
	ext    map[string]string
	admin  adminStates
	status octavia.Status
}

const maxRollupMemo = 256

func newRollupMemo() *rollupMemo { return &rollupMemo{rows: map[string]rollupMemoEntry{}} }

// get returns the remembered roll-up of the row when it was computed from
// the same name, external_ids and admin states. The memo keeps and hands
// out copies, so callers may change what they get.
func (r *rollupMemo) get(uuid, name string, ext map[string]string, admin *adminStates) (octavia.Status, bool) {
	if r == nil {
		return octavia.Status{}, false
	}
	r.mu.Lock()
	e, ok := r.rows[uuid]
	r.mu.Unlock()
	if !ok || e.name != name || e.admin.lbUp != admin.lbUp ||
		!maps.Equal(e.admin.pools, admin.pools) || !maps.Equal(e.admin.listeners, admin.listeners) ||
		!maps.Equal(e.ext, ext) {
		return octavia.Status{}, false
	}
	return e.status.Clone(), true
}

func (r *rollupMemo) put(uuid, name string, ext map[string]string, admin *adminStates, s octavia.Status) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.rows[uuid]; !ok && len(r.rows) >= maxRollupMemo {
		clear(r.rows)
	}
	r.rows[uuid] = rollupMemoEntry{name: name, ext: maps.Clone(ext), status: s.Clone(), admin: adminStates{
		lbUp: admin.lbUp, pools: maps.Clone(admin.pools), listeners: maps.Clone(admin.listeners)}}
}

// SMChange is one SB Service_Monitor event (E4): an update (Deleted false,
// Monitor the new row) or a deletion (Monitor the last known row).
type SMChange struct {
	Monitor *sb.ServiceMonitor
	Deleted bool
}

// MemberStatusFor maps a Service_Monitor event to the member status it
// writes (ProbeStatus).
func MemberStatusFor(c SMChange) string {
	return ProbeStatus(c.Monitor, c.Deleted)
}

// mappingOf returns the ip_port_mappings key and value a Service_Monitor
// row corresponds to (NB §15).
func mappingOf(sm *sb.ServiceMonitor) (key, value string) {
	return bracketIP(sm.IP), sm.LogicalPort + ":" + bracketIP(sm.SrcIP)
}

// bracketIP is lbdata.BracketIP without parsing text that has no ':' (no
// IPv6 address, left as is either way): it runs twice per event.
func bracketIP(ip string) string {
	if !strings.Contains(ip, ":") {
		return ip
	}
	return lbdata.BracketIP(ip)
}

func smProtocol(sm *sb.ServiceMonitor) string {
	if sm.Protocol == nil || *sm.Protocol == "" {
		return sb.ServiceMonitorProtocolTCP // ovn-northd's default
	}
	return *sm.Protocol
}

// ApplyServiceMonitors writes, inside t, the member statuses a batch of
// Service_Monitor events imply (events-and-status §6), with the engine the
// agent uses (Batch, ApplyServiceMonitor): each event matches the provider
// rows whose protocol equals the monitor's and whose ip_port_mappings hold
// exactly the monitor's key and value; in each such row the first member
// entry (pool keys in sorted order, both key forms) whose address and port
// equal the monitor's gets the new status in neutron:member_status. Events
// are applied in order, so the last event of a monitor wins, and each row
// is parsed and written once. It returns the UUIDs of every matched row,
// sorted: the rows to roll up once t has committed (RollUpRows). Events
// matching no row are ignored, as in the reference.
func (m *Monitors) ApplyServiceMonitors(ctx context.Context, t *nbtxn.Txn, changes []SMChange) ([]string, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	x := NewBatch(t, m.log)
	for _, c := range changes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if c.Monitor != nil {
			x.Apply(c.Monitor, c.Deleted)
		}
	}
	if err := x.Flush(); err != nil {
		return nil, err
	}
	return x.Matched(), nil
}

// RollUpRows rolls up the committed rows with these UUIDs and merges the
// results by concatenating their lists (events-and-status.md §6 step 4).
// The get socket is read once per LB even when the LB has several rows. A
// row that vanished or whose LB Octavia does not know is skipped (logged);
// the first other error is returned with the statuses gathered so far.
func (m *Monitors) RollUpRows(ctx context.Context, uuids []string) (octavia.Status, error) {
	var out octavia.Status
	cache := m.store.Client().Cache()
	if cache == nil {
		return out, errors.New("nb client has no cache")
	}
	tbl := cache.Table(nb.LoadBalancerTable)
	if tbl == nil {
		return out, errors.New("nb cache does not hold Load_Balancer")
	}
	admin := map[string]*adminStates{}
	for _, uuid := range uuids {
		lb, ok := tbl.Row(uuid).(*nb.LoadBalancer)
		if !ok || lb == nil {
			continue
		}
		a, ok := admin[lb.Name]
		if !ok {
			var err error
			// One read per LB; the pool/listener fallbacks of every row of
			// the LB are folded in below.
			a, err = m.adminStatesFor(ctx, lb.Name, lb.ExternalIDs)
			if errors.Is(err, ErrUnknownLoadBalancer) {
				m.log.WithField("lb_id", lb.Name).Warn("roll-up skipped: Octavia does not know the load balancer")
				admin[lb.Name] = nil
				continue
			}
			if err != nil {
				return out, err
			}
			admin[lb.Name] = a
		} else if a == nil {
			continue
		} else if err := m.addFallbacks(ctx, a, lb.ExternalIDs); err != nil {
			return out, err
		}
		out.Merge(lbdata.RollUp(lb.Name, lb.ExternalIDs, a))
	}
	return out, nil
}

// addFallbacks reads the pools and listeners of ext that a are missing.
func (m *Monitors) addFallbacks(ctx context.Context, a *adminStates, ext map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(ext)) {
		id := lbdata.IDFromKey(k)
		isL := lbdata.IsListenerKey(k)
		if !isL && !lbdata.IsPoolKey(k) {
			continue
		}
		known := a.pools
		if isL {
			known = a.listeners
		}
		if _, ok := known[id]; ok {
			continue
		}
		up := false
		if !lbdata.IsDisabledKey(id) {
			if isL {
				li, err := m.get.GetListener(ctx, id)
				if err != nil {
					return fmt.Errorf("get listener %s: %w", id, err)
				}
				up = li != nil && li.AdminStateUp.Or(true)
			} else {
				p, err := m.get.GetPool(ctx, id)
				if err != nil {
					return fmt.Errorf("get pool %s: %w", id, err)
				}
				up = p != nil && p.AdminStateUp.Or(true)
			}
		}
		known[id] = up
	}
	return nil
}
