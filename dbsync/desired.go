package dbsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// rowSpec is one Load_Balancer row as the provider would write it for the
// Octavia tree: every column db-sync manages, the health checks, and the
// names of the switches and routers that list the row.
type rowSpec struct {
	protocol        string // "" for a row without protocol
	externalIDs     map[string]string
	options         map[string]string
	selectionFields []string
	ipPortMappings  map[string]string
	healthChecks    []hcSpec
	switches        []string // sorted
	routers         []string // sorted
}

// hcSpec is one Load_Balancer_Health_Check row.
type hcSpec struct {
	vip         string
	options     map[string]string
	externalIDs map[string]string
}

func (h hcSpec) equal(hc *nb.LoadBalancerHealthCheck) bool {
	return h.vip == hc.Vip && maps.Equal(h.options, hc.Options) && maps.Equal(h.externalIDs, hc.ExternalIDs)
}

// errScratch aborts the scratch transaction: it only computes.
var errScratch = errors.New("db-sync scratch transaction (never committed)")

// desiredState is what one load balancer's NB rows should be.
type desiredState struct {
	rows     []rowSpec
	warnings []string
}

// desired computes the rows of olb by letting the provider write a fully
// populated create of the tree into a transaction in which the LB's current
// rows are deleted, and capturing the result; the transaction is then
// aborted. Using the provider's own code makes "what the provider would have
// written" the definition of in-sync (nb-data-contract formats, ls_refs
// counted from scratch: VIP switch 1 + additional VIPs, +1 per member;
// every listener and pool only on the row of its protocol).
//
// The floating IP keys are not something a create writes: fipExtra decides
// them (db-sync.md §4) and they are seeded into the LB row before its
// children, so protocol rows, vips and FIP health checks follow.
func (s *syncer) desired(ctx context.Context, olb *octavia.LoadBalancer) (*desiredState, error) {
	var out *desiredState
	err := s.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		out = &desiredState{}
		lbID := olb.LoadBalancerID.V
		existing := t.LBsByName(lbID)
		extra, warns := s.fipExtra(ctx, t, olb, existing)
		out.warnings = append(out.warnings, warns...)
		for _, r := range existing {
			t.DeleteLB(r)
		}
		problems, err := s.cfg.Driver.BuildLoadBalancer(ctx, t, olb, extra)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			// A member that could not be associated or an HM that could not
			// be written (Neutron unreachable, a subnet gone) would make the
			// computed rows miss switch references or mappings the real rows
			// rightly have: applying them would break a working LB.
			return fmt.Errorf("the provider could not build every object: %s", strings.Join(problems, "; "))
		}
		for _, r := range t.LBsByName(lbID) {
			out.rows = append(out.rows, captureRow(t, r))
		}
		return errScratch
	})
	if !errors.Is(err, errScratch) {
		if err == nil {
			err = errors.New("scratch transaction ended without computing rows")
		}
		return nil, err
	}
	return out, nil
}

func captureRow(t *nbtxn.Txn, r *nb.LoadBalancer) rowSpec {
	spec := rowSpec{
		externalIDs:     maps.Clone(r.ExternalIDs),
		options:         maps.Clone(r.Options),
		selectionFields: slices.Sorted(slices.Values(r.SelectionFields)),
		ipPortMappings:  maps.Clone(r.IPPortMappings),
	}
	if r.Protocol != nil {
		spec.protocol = strings.ToLower(*r.Protocol)
	}
	for _, hc := range t.HealthChecksOf(r) {
		spec.healthChecks = append(spec.healthChecks, hcSpec{vip: hc.Vip, options: maps.Clone(hc.Options), externalIDs: maps.Clone(hc.ExternalIDs)})
	}
	for _, ls := range t.SwitchesOf(r) {
		spec.switches = append(spec.switches, ls.Name)
	}
	for _, lr := range t.RoutersOf(r) {
		spec.routers = append(spec.routers, lr.Name)
	}
	slices.Sort(spec.switches)
	slices.Sort(spec.routers)
	return spec
}

// fipExtra is the FIP sync of db-sync.md §4, decided before the rows are
// computed. It returns the floating IP keys the LB rows should carry:
// those of the current rows (a stale neutron:vip_fip is not removed, as in
// the reference, and FIPs of additional VIPs are not synchronized), with
// neutron:vip_fip set to the VIP port's floating IP when Neutron and the
// VIP port's LSP agree on it.
func (s *syncer) fipExtra(ctx context.Context, t *nbtxn.Txn, olb *octavia.LoadBalancer, existing []*nb.LoadBalancer) (map[string]string, []string) {
	extra := map[string]string{}
	if len(existing) > 0 {
		for _, k := range []string{lbdata.KeyVIPFIP, lbdata.KeyAdditionalVIPFIPs} {
			if v, ok := existing[0].ExternalIDs[k]; ok {
				extra[k] = v
			}
		}
	}
	lbID := olb.LoadBalancerID.V
	portID, netID := olb.VIPPortID.Or(""), olb.VIPNetworkID.Or("")
	if portID == "" || netID == "" {
		return extra, nil
	}
	var warns []string
	fips, err := s.cfg.Neutron.ListFloatingIPs(ctx, portID)
	if err != nil {
		warns = append(warns, fmt.Sprintf("listing floating IPs of VIP port %s failed (treated as none): %v", portID, err))
		fips = nil
	}
	portFIP, lspFound := "", false
	if ls := t.SwitchByName(lbdata.NeutronName(netID)); ls != nil {
		for _, uuid := range ls.Ports {
			if lsp := t.LSP(uuid); lsp != nil && strings.Contains(lsp.Name, portID) {
				portFIP, lspFound = lsp.ExternalIDs[lbdata.KeyPortFIP], true
				break
			}
		}
	}
	switch {
	case len(fips) == 0:
		warns = append(warns, fmt.Sprintf("Floating IP not found for loadbalancer %s", lbID))
		if portFIP != "" {
			warns = append(warns, fmt.Sprintf("VIP port %s still carries %s=%s in OVN but Neutron has no floating IP for it", portID, lbdata.KeyPortFIP, portFIP))
		}
	case !lspFound:
		warns = append(warns, fmt.Sprintf("VIP port %s of loadbalancer %s has no Logical_Switch_Port on %s; floating IP %s not synchronized. Please run command neutron-ovn-db-sync-util first to synchronize OVN DB with Neutron DB",
			portID, lbID, lbdata.NeutronName(netID), fips[0].FloatingIPAddress))
	case portFIP != fips[0].FloatingIPAddress:
		warns = append(warns, fmt.Sprintf("floating IP %s of VIP port %s differs from the LSP's %s %q; not synchronized",
			fips[0].FloatingIPAddress, portID, lbdata.KeyPortFIP, portFIP))
	default:
		extra[lbdata.KeyVIPFIP] = fips[0].FloatingIPAddress
	}
	return extra, warns
}
