package dbsync

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// treeAdmin answers the roll-up's admin-state questions from the tree read
// over the get socket (no further reads). Ids of disabled keys carry ":D"
// and are not found, i.e. down, as in the reference (events-and-status §7).
type treeAdmin struct {
	lbUp      bool
	pools     map[string]bool
	listeners map[string]bool
}

func (a treeAdmin) LBAdminUp() bool                { return a.lbUp }
func (a treeAdmin) PoolAdminUp(id string) bool     { return a.pools[id] }
func (a treeAdmin) ListenerAdminUp(id string) bool { return a.listeners[id] }

func adminOf(olb *octavia.LoadBalancer) treeAdmin {
	a := treeAdmin{lbUp: olb.AdminStateUp.Or(true), pools: map[string]bool{}, listeners: map[string]bool{}}
	for _, p := range olb.Pools.Or(nil) {
		a.pools[p.PoolID.Or("")] = p.AdminStateUp.Or(true)
	}
	for _, l := range olb.Listeners.Or(nil) {
		a.listeners[l.ListenerID.Or("")] = l.AdminStateUp.Or(true)
	}
	return a
}

// sendStatus sends the full roll-up of every row of the LB, one message per
// row (db-sync.md §3.1 Recommendation), with the row's health monitors
// ACTIVE; a row-less LB (cannot happen after a successful sync) sends
// nothing.
func (s *syncer) sendStatus(ctx context.Context, log *logrus.Entry, olb *octavia.LoadBalancer, rows []*nb.LoadBalancer) {
	if s.cfg.Status == nil {
		return
	}
	admin := adminOf(olb)
	for _, r := range rows {
		st := lbdata.RollUp(r.Name, r.ExternalIDs, admin)
		hms, _ := lbdata.HealthMonitorsFrom(r.ExternalIDs)
		for _, p := range olb.Pools.Or(nil) {
			hm, ok := p.HealthMonitor.Get()
			if !ok || !containsStr(hms, hm.HealthMonitorID.Or("")) {
				continue
			}
			oper := octavia.OperatingOnline
			if !hm.AdminStateUp.Or(true) {
				oper = octavia.OperatingOffline
			}
			st.Add(octavia.KindHealthMonitors, octavia.StatusEntry{ID: hm.HealthMonitorID.V,
				ProvisioningStatus: octavia.ProvisioningActive, OperatingStatus: oper})
		}
		if err := s.cfg.Status.Send(ctx, st); err != nil {
			log.WithError(err).Error("sending the roll-up status to Octavia failed")
		}
	}
}

func containsStr(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
