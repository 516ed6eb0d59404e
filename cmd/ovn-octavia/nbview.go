package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ovn-kubernetes/libovsdb/client"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// The operator's view of what NB holds for Octavia, rebuilt from the
// Load_Balancer rows' external_ids (nb-data-contract §4–§6) and the
// Load_Balancer_Health_Check rows (§11). It is what list/show print and
// what delete uses to fill in the objects a provider call needs.

type lbView struct {
	ID             string         `json:"id"`
	VIPAddress     string         `json:"vip_address"`
	VIPPortID      string         `json:"vip_port_id"`
	AdditionalVIPs []string       `json:"additional_vips"`
	Enabled        bool           `json:"enabled"`
	Protocols      []string       `json:"protocols"`
	Routers        []string       `json:"routers"`
	Listeners      []listenerView `json:"listeners"`
	Pools          []poolView     `json:"pools"`
	HealthMonitors []hmView       `json:"healthmonitors"`
}

type listenerView struct {
	ID             string `json:"id"`
	LoadBalancerID string `json:"loadbalancer_id"`
	Protocol       string `json:"protocol"`
	ProtocolPort   int    `json:"protocol_port"`
	DefaultPoolID  string `json:"default_pool_id"`
	Enabled        bool   `json:"enabled"`
}

type poolView struct {
	ID              string       `json:"id"`
	LoadBalancerID  string       `json:"loadbalancer_id"`
	Protocol        string       `json:"protocol"`
	Enabled         bool         `json:"enabled"`
	ListenerIDs     []string     `json:"listener_ids"`
	HealthMonitorID string       `json:"healthmonitor_id"`
	Members         []memberView `json:"members"`
}

type memberView struct {
	ID              string `json:"id"`
	PoolID          string `json:"pool_id"`
	LoadBalancerID  string `json:"loadbalancer_id"`
	Address         string `json:"address"`
	ProtocolPort    int    `json:"protocol_port"`
	SubnetID        string `json:"subnet_id"`
	OperatingStatus string `json:"operating_status"`
}

type hmView struct {
	ID             string            `json:"id"`
	PoolID         string            `json:"pool_id"`
	LoadBalancerID string            `json:"loadbalancer_id"`
	Protocol       string            `json:"protocol"`
	VIPs           []string          `json:"vips"`
	Options        map[string]string `json:"options"`
}

// readView lists the NB cache of c (Load_Balancer and
// Load_Balancer_Health_Check monitored) and builds the view, LBs sorted by
// id. Rows that are not Octavia's (no neutron:vip, e.g. Neutron port
// forwarding) are skipped; values that do not parse are shown as they can
// be and reported in problems rather than failing the whole listing.
func readView(ctx context.Context, c client.Client) (lbs []*lbView, problems []string, err error) {
	var rows []nb.LoadBalancer
	if err := c.List(ctx, &rows); err != nil {
		return nil, nil, fmt.Errorf("list NB Load_Balancer rows: %w", err)
	}
	var hcs []nb.LoadBalancerHealthCheck
	if err := c.List(ctx, &hcs); err != nil {
		return nil, nil, fmt.Errorf("list NB Load_Balancer_Health_Check rows: %w", err)
	}
	hcByUUID := make(map[string]*nb.LoadBalancerHealthCheck, len(hcs))
	for i := range hcs {
		hcByUUID[hcs[i].UUID] = &hcs[i]
	}
	// Rows of one LB in a stable order: by protocol, then UUID.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		pi, pj := rowProtocol(&rows[i]), rowProtocol(&rows[j])
		if pi != pj {
			return pi < pj
		}
		return rows[i].UUID < rows[j].UUID
	})
	byID := map[string]*lbView{}
	for i := range rows {
		row := &rows[i]
		ext := row.ExternalIDs
		if _, ok := ext[lbdata.KeyVIP]; !ok || lbdata.IsForeignRow(ext) {
			continue
		}
		v := byID[row.Name]
		if v == nil {
			v = &lbView{
				ID:             row.Name,
				VIPAddress:     ext[lbdata.KeyVIP],
				VIPPortID:      ext[lbdata.KeyVIPPortID],
				AdditionalVIPs: listOrEmpty(lbdata.SplitList(ext[lbdata.KeyAdditionalVIPs])),
				Enabled:        lbdata.Enabled(ext),
				Routers:        listOrEmpty(lbdata.SplitList(ext[lbdata.KeyLRRef])),
				Protocols:      []string{},
				Listeners:      []listenerView{},
				Pools:          []poolView{},
				HealthMonitors: []hmView{},
			}
			byID[row.Name] = v
			lbs = append(lbs, v)
		}
		problems = append(problems, addRow(v, row, hcByUUID)...)
	}
	return lbs, problems, nil
}

// rowProtocol is the row's protocol in Octavia's spelling ("" when unset).
func rowProtocol(row *nb.LoadBalancer) string {
	if row.Protocol == nil {
		return ""
	}
	return strings.ToUpper(*row.Protocol)
}

// addRow adds the listeners, pools, members and HMs of one protocol row.
func addRow(v *lbView, row *nb.LoadBalancer, hcs map[string]*nb.LoadBalancerHealthCheck) (problems []string) {
	ext := row.ExternalIDs
	proto := rowProtocol(row)
	if proto != "" {
		v.Protocols = append(v.Protocols, proto)
	}
	status, cerr := lbdata.MemberStatusFrom(ext)
	if cerr != nil {
		problems = append(problems, fmt.Sprintf("LB %s: %v", row.Name, cerr))
	}
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the order the Python IDL hands maps out in
	poolListeners := map[string][]string{}
	for _, k := range keys {
		id, enabled, ok := idOfKey(k, lbdata.PrefixListener)
		if !ok {
			continue
		}
		l := listenerView{ID: id, LoadBalancerID: row.Name, Protocol: proto, Enabled: enabled}
		lv, ok := lbdata.ParseListenerValue(ext[k])
		if !ok {
			problems = append(problems, fmt.Sprintf("LB %s: listener %s: unusable value %q", row.Name, id, ext[k]))
		} else {
			l.ProtocolPort, _ = strconv.Atoi(lv.Port)
			if pid, _, ok := idOfKey(lv.PoolKey, lbdata.PrefixPool); ok {
				l.DefaultPoolID = pid
				poolListeners[pid] = append(poolListeners[pid], id)
			}
		}
		v.Listeners = append(v.Listeners, l)
	}
	hmOfPool := map[string]string{}
	for _, u := range row.HealthCheck {
		hc := hcs[u]
		if hc == nil {
			continue
		}
		hmID, poolID := hc.ExternalIDs[lbdata.KeyHCHealthMonitor], hc.ExternalIDs[lbdata.KeyHCPoolID]
		if hmID == "" {
			continue
		}
		hmOfPool[poolID] = hmID
		found := false
		for i := range v.HealthMonitors {
			if h := &v.HealthMonitors[i]; h.ID == hmID && h.LoadBalancerID == row.Name && h.Protocol == proto {
				h.VIPs = append(h.VIPs, hc.Vip)
				found = true
			}
		}
		if !found {
			v.HealthMonitors = append(v.HealthMonitors, hmView{ID: hmID, PoolID: poolID, LoadBalancerID: row.Name,
				Protocol: proto, VIPs: []string{hc.Vip}, Options: hc.Options})
		}
	}
	for _, k := range keys {
		id, enabled, ok := idOfKey(k, lbdata.PrefixPool)
		if !ok {
			continue
		}
		p := poolView{ID: id, LoadBalancerID: row.Name, Protocol: proto, Enabled: enabled,
			ListenerIDs: poolListeners[id], HealthMonitorID: hmOfPool[id], Members: []memberView{}}
		if p.ListenerIDs == nil {
			p.ListenerIDs = []string{}
		}
		members, err := lbdata.ParsePoolValue(ext[k])
		if err != nil {
			problems = append(problems, fmt.Sprintf("LB %s: pool %s: %v", row.Name, id, err))
		}
		for _, m := range members {
			port, _ := strconv.Atoi(m.Port)
			mv := memberView{ID: m.ID, PoolID: id, LoadBalancerID: row.Name, Address: m.IP,
				ProtocolPort: port, SubnetID: m.SubnetID}
			mv.OperatingStatus, _ = status.Get(m.ID)
			p.Members = append(p.Members, mv)
		}
		v.Pools = append(v.Pools, p)
	}
	return problems
}

// idOfKey returns the id of a "listener_<id>[:D]" / "pool_<id>[:D]" key
// and whether it is enabled.
func idOfKey(k, prefix string) (id string, enabled bool, ok bool) {
	rest, ok := strings.CutPrefix(k, prefix)
	if !ok || rest == "" {
		return "", false, false
	}
	if id, disabled := strings.CutSuffix(rest, lbdata.SuffixDisabled); disabled {
		return id, false, id != ""
	}
	return rest, true, true
}

// listOrEmpty makes --json print [] rather than null.
func listOrEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// Lookups used by delete.

func (v *lbView) listener(id string) *listenerView {
	for i := range v.Listeners {
		if v.Listeners[i].ID == id {
			return &v.Listeners[i]
		}
	}
	return nil
}

func findListener(lbs []*lbView, id string) *listenerView {
	for _, v := range lbs {
		if l := v.listener(id); l != nil {
			return l
		}
	}
	return nil
}

func findPool(lbs []*lbView, id string) *poolView {
	for _, v := range lbs {
		for i := range v.Pools {
			if v.Pools[i].ID == id {
				return &v.Pools[i]
			}
		}
	}
	return nil
}

func findMember(lbs []*lbView, id string) *memberView {
	for _, v := range lbs {
		for i := range v.Pools {
			for j := range v.Pools[i].Members {
				if m := &v.Pools[i].Members[j]; m.ID == id {
					return m
				}
			}
		}
	}
	return nil
}

func findHM(lbs []*lbView, id string) *hmView {
	for _, v := range lbs {
		for i := range v.HealthMonitors {
			if v.HealthMonitors[i].ID == id {
				return &v.HealthMonitors[i]
			}
		}
	}
	return nil
}

func findLB(lbs []*lbView, id string) *lbView {
	for _, v := range lbs {
		if v.ID == id {
			return v
		}
	}
	return nil
}
