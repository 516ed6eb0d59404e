package health

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// HM port conventions (operations.md §12.4).
const (
	HMPortPrefix      = "ovn-lb-hm-"
	HMPortDeviceOwner = "ovn-lb-hm:distributed"
)

// HMPortName returns the name (and device_id) of the HM port of a subnet.
func HMPortName(subnetID string) string { return HMPortPrefix + subnetID }

// ErrHMPortUnavailable reports that the HM port of a member subnet could not
// be found or created, or has no address on that subnet. HM create treats
// it as a failure of the whole call; member operations report the member
// ERROR.
var ErrHMPortUnavailable = errors.New("health monitor port unavailable")

// Lookups memoizes the Neutron reads of one provider call: subnets, and
// HM ports by subnet. An HM create, or a member batch, over 100 members on
// one subnet then reads the subnet and finds the HM port once. The reads
// are idempotent, so a Lookups may survive an nbtxn retry. The CRUD front
// end uses one per call for its own subnet reads too. Not safe for
// concurrent use.
type Lookups struct {
	subnets map[string]*neutron.Subnet
	ports   map[string]*neutron.Port // HM port by subnet id
}

// NewLookups returns an empty Lookups.
func NewLookups() *Lookups {
	return &Lookups{subnets: map[string]*neutron.Subnet{}, ports: map[string]*neutron.Port{}}
}

// Subnet returns the subnet through c, reading it once per Lookups.
// Errors are c's (neutron.ErrNotFound for a missing subnet).
func (lk *Lookups) Subnet(ctx context.Context, c neutron.Client, id string) (*neutron.Subnet, error) {
	if s, ok := lk.subnets[id]; ok {
		return s, nil
	}
	s, err := c.GetSubnet(ctx, id)
	if err != nil {
		return nil, err
	}
	lk.subnets[id] = s
	return s, nil
}

// memberLSP returns the LSP on the member subnet's switch whose addresses
// hold ip, or nil when the subnet, the switch or the port is missing.
func (m *Monitors) memberLSP(ctx context.Context, t *nbtxn.Txn, lk *Lookups, ip, subnetID string) (*nb.LogicalSwitchPort, error) {
	if subnetID == "" {
		return nil, nil
	}
	sn, err := lk.Subnet(ctx, m.neutron, subnetID)
	if errors.Is(err, neutron.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get member subnet %s: %w", subnetID, err)
	}
	ls := t.SwitchByName(lbdata.NeutronName(sn.NetworkID))
	if ls == nil {
		return nil, nil
	}
	for _, uuid := range ls.Ports {
		if lsp := t.LSP(uuid); lsp != nil && lspHasIP(lsp, ip) {
			return lsp, nil
		}
	}
	return nil, nil
}

// ensureHMPort finds or creates the HM port of subnetID (operations.md
// §12.4). Find-or-create is repeatable, as nbtxn.Run requires.
func (m *Monitors) ensureHMPort(ctx context.Context, t *nbtxn.Txn, lk *Lookups, netID, subnetID, projectID string) (*neutron.Port, error) {
	if p, ok := lk.ports[subnetID]; ok {
		return p, nil
	}
	name := HMPortName(subnetID)
	log := m.log.WithFields(logrus.Fields{"port_name": name, "network_id": netID})
	p, err := m.neutron.FindPort(ctx, name, netID)
	if err != nil {
		return nil, fmt.Errorf("%w: find %s: %w", ErrHMPortUnavailable, name, err)
	}
	if p == nil {
		no := false
		p, err = m.neutron.CreatePort(ctx, neutron.PortCreate{
			Name:                name,
			NetworkID:           netID,
			ProjectID:           projectID,
			FixedIPs:            []neutron.FixedIP{{SubnetID: subnetID}},
			AdminStateUp:        true,
			DeviceOwner:         HMPortDeviceOwner,
			DeviceID:            name,
			PortSecurityEnabled: &no,
		})
		if errors.Is(err, neutron.ErrConflict) {
			// Another writer created it meanwhile.
			p, err = m.neutron.FindPort(ctx, name, netID)
		}
		if err != nil || p == nil {
			log.WithError(err).Error("cannot create the health monitor port")
			m.CleanupHMPort(t, subnetID)
			return nil, fmt.Errorf("%w: create %s: %v", ErrHMPortUnavailable, name, err)
		}
		log.WithField("port_id", p.ID).Info("created health monitor port")
	}
	lk.ports[subnetID] = p
	return p, nil
}

// MapMember adds the ip_port_mappings entry of one member (operations.md
// §12.3): <ip> -> <member LSP>:<HM port IP on the member subnet>, IPv6
// bracketed (NB §12). It finds or creates the subnet's HM port in Neutron,
// through lk (the caller's per-call Lookups; nil reads afresh).
//
// The returned status is the member's operating status: ONLINE when mapped,
// ERROR when the member's subnet, switch or LSP is missing. When the HM port
// cannot be obtained it returns ERROR and an error wrapping
// ErrHMPortUnavailable; other errors are Neutron failures (also ERROR).
func (m *Monitors) MapMember(ctx context.Context, t *nbtxn.Txn, lk *Lookups, lb *nb.LoadBalancer, mem Member) (string, error) {
	if lk == nil {
		lk = NewLookups()
	}
	return m.mapMember(ctx, t, lk, lb, mem)
}

func (m *Monitors) mapMember(ctx context.Context, t *nbtxn.Txn, lk *Lookups, lb *nb.LoadBalancer, mem Member) (string, error) {
	log := m.log.WithFields(logrus.Fields{"lb_id": lb.Name, "member_id": mem.ID, "member_ip": mem.IP})
	lsp, err := m.memberLSP(ctx, t, lk, mem.IP, mem.SubnetID)
	if err != nil {
		return octavia.OperatingError, err
	}
	if lsp == nil {
		log.WithField("subnet_id", mem.SubnetID).Warn("member port not found in NB; member cannot be health checked")
		return octavia.OperatingError, nil
	}
	netID := lbdata.StripNeutron(lsp.ExternalIDs[lbdata.KeyNetworkName])
	if netID == "" {
		netID = lk.subnets[mem.SubnetID].NetworkID
	}
	port, err := m.ensureHMPort(ctx, t, lk, netID, mem.SubnetID, lsp.ExternalIDs[lbdata.KeyProjectID])
	if err != nil {
		return octavia.OperatingError, err
	}
	src := port.IPOnSubnet(mem.SubnetID)
	if src == "" {
		return octavia.OperatingError, fmt.Errorf("%w: port %s has no address on subnet %s",
			ErrHMPortUnavailable, port.ID, mem.SubnetID)
	}
	if lb.IPPortMappings == nil {
		lb.IPPortMappings = map[string]string{}
	}
	lb.IPPortMappings[lbdata.BracketIP(mem.IP)] = lsp.Name + ":" + lbdata.BracketIP(src)
	return octavia.OperatingOnline, nil
}

// UnmapMember removes the ip_port_mappings entry of a member's IP unless
// another pool of the row still has a monitored member with that IP (a
// member whose neutron:member_status is anything but NO_MONITOR, NB §12).
// The member's own pool is the one whose entry carries mem.ID; when the
// entry was already removed, every remaining entry counts.
func (m *Monitors) UnmapMember(t *nbtxn.Txn, lb *nb.LoadBalancer, mem Member) {
	exclude := ""
	for _, k := range slices.Sorted(maps.Keys(lb.ExternalIDs)) {
		if !lbdata.IsPoolKey(k) {
			continue
		}
		members := parseMembers(lb.ExternalIDs[k])
		for _, e := range members {
			if e.ID == mem.ID {
				exclude = k
			}
		}
	}
	unmapIP(lb, mem.IP, exclude)
}

// UnmapPool removes the mappings of every member of the pool (HM delete),
// with the same sharing rule as UnmapMember.
func (m *Monitors) UnmapPool(t *nbtxn.Txn, lb *nb.LoadBalancer, poolID string) {
	key, ok := poolKeyOf(lb.ExternalIDs, poolID)
	if !ok {
		return
	}
	members := parseMembers(lb.ExternalIDs[key])
	for _, e := range members {
		unmapIP(lb, e.IP, key)
	}
}

func unmapIP(lb *nb.LoadBalancer, ip, excludePoolKey string) {
	key := lbdata.BracketIP(ip)
	if _, ok := lb.IPPortMappings[key]; !ok {
		return
	}
	ms := memberStatuses(lb.ExternalIDs)
	for _, k := range slices.Sorted(maps.Keys(lb.ExternalIDs)) {
		if !lbdata.IsPoolKey(k) || k == excludePoolKey {
			continue
		}
		members := parseMembers(lb.ExternalIDs[k])
		for _, e := range members {
			if sameIP(e.IP, ip) && statusOf(ms, e.ID) != octavia.OperatingNoMonitor {
				return // still monitored through another pool
			}
		}
	}
	delete(lb.IPPortMappings, key)
}

// CleanupHMPort deletes the HM port of subnetID after the Txn committed,
// unless a row with health checks still maps a member through its address
// (operations.md §12.4). The check runs on the committed NB state, so it
// sees what this Txn removed.
func (m *Monitors) CleanupHMPort(t *nbtxn.Txn, subnetID string) {
	if subnetID == "" {
		return
	}
	t.AfterCommit(func(ctx context.Context) error { return m.cleanupHMPort(ctx, subnetID) })
}

func (m *Monitors) cleanupHMPort(ctx context.Context, subnetID string) error {
	name := HMPortName(subnetID)
	ports, err := m.neutron.ListPorts(ctx, neutron.PortFilter{Name: name})
	if err != nil {
		return fmt.Errorf("list health monitor ports %s: %w", name, err)
	}
	for _, p := range ports {
		ip := p.IPOnSubnet(subnetID)
		if ip == "" {
			continue
		}
		inUse, err := m.sourceIPInUse(ctx, ip)
		if err != nil {
			return err
		}
		if inUse {
			return nil
		}
		if err := m.neutron.DeletePort(ctx, p.ID); err != nil {
			return fmt.Errorf("delete health monitor port %s (%s): %w", p.ID, name, err)
		}
		m.log.WithFields(logrus.Fields{"port_id": p.ID, "port_name": name}).Info("deleted unused health monitor port")
	}
	return nil
}

// sourceIPInUse reports whether a row with health checks has a mapping
// whose source address is ip. It reads the committed cache.
func (m *Monitors) sourceIPInUse(ctx context.Context, ip string) (bool, error) {
	var rows []nb.LoadBalancer
	if err := m.store.Client().List(ctx, &rows); err != nil {
		return false, fmt.Errorf("read Load_Balancer rows: %w", err)
	}
	for i := range rows {
		if len(rows[i].HealthCheck) == 0 {
			continue
		}
		for _, v := range rows[i].IPPortMappings {
			// <lsp name>:<src>; LSP names are UUIDs, so the first ':' ends it.
			if _, src, ok := strings.Cut(v, ":"); ok && sameIP(src, ip) {
				return true, nil
			}
		}
	}
	return false, nil
}
