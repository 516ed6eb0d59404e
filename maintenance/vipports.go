package maintenance

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

// DeviceOwnerVIPPort is the device_owner of provider-created VIP ports
// (operations.md §3).
const DeviceOwnerVIPPort = "ovn-lb:vip"

// vipPortRef is a VIP port named by a Load_Balancer row of LB lbID.
type vipPortRef struct {
	portID, lbID string
}

// ProtectVIPPorts is one run of the VIP port protection task: every VIP and
// additional VIP port named by an NB Load_Balancer row with a non-empty
// name gets device_owner ovn-lb:vip and device_id lb-<row name>, unless it
// is gone, already set, user-supplied (name not starting with
// "ovn-lb-vip-"; never touched) or claimed by another device (left for the
// operator, with a warning). Rows without VIP port keys (Neutron's port
// forwarding rows) name no port. A port that cannot be read or updated is
// an error and the task runs again later; the others are still processed.
func (r *Runner) ProtectVIPPorts(ctx context.Context) (bool, error) {
	nc := r.cfg.Neutron
	if nc == nil {
		return false, fmt.Errorf("%s: no Neutron client", TaskVIPPorts)
	}
	var refs []vipPortRef
	if err := r.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		refs = refs[:0]
		t.ScanLBs(func(lb *nb.LoadBalancer) bool {
			refs = append(refs, vipPortsOf(lb)...)
			return true
		})
		return nil
	}); err != nil {
		return false, fmt.Errorf("reading Load_Balancer rows: %w", err)
	}

	var errs []error
	seen := map[vipPortRef]bool{} // an LB has one row per protocol
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if err := r.protectVIPPort(ctx, nc, ref); err != nil {
			errs = append(errs, err)
		}
	}
	return len(errs) == 0, errors.Join(errs...)
}

// vipPortsOf returns the VIP port ids of a row: neutron:vip_port_id, then
// the entries of neutron:additional_vip_port_ids.
func vipPortsOf(lb *nb.LoadBalancer) []vipPortRef {
	if lb.Name == "" {
		return nil
	}
	var out []vipPortRef
	if id := lb.ExternalIDs[lbdata.KeyVIPPortID]; id != "" {
		out = append(out, vipPortRef{portID: id, lbID: lb.Name})
	}
	for _, id := range strings.Split(lb.ExternalIDs[lbdata.KeyAdditionalVIPPortIDs], ",") {
		if id != "" {
			out = append(out, vipPortRef{portID: id, lbID: lb.Name})
		}
	}
	return out
}

func (r *Runner) protectVIPPort(ctx context.Context, nc neutron.Client, ref vipPortRef) error {
	log := r.log.WithFields(logrus.Fields{"task": TaskVIPPorts, "port_id": ref.portID, "lb_id": ref.lbID})
	p, err := nc.GetPort(ctx, ref.portID)
	if errors.Is(err, neutron.ErrNotFound) {
		log.Debug("VIP port no longer exists, skipping")
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading VIP port %s of LB %s: %w", ref.portID, ref.lbID, err)
	}
	owner, id := DeviceOwnerVIPPort, "lb-"+ref.lbID
	switch {
	case p.DeviceOwner == owner && p.DeviceID == id:
		return nil
	case !strings.HasPrefix(p.Name, lbdata.VIPPortPrefix):
		log.WithField("port_name", p.Name).Debug("VIP port is user-provided, not backfilling")
		return nil
	case p.DeviceID != "" && p.DeviceID != id:
		log.WithField("device_id", p.DeviceID).Warn("VIP port has an unexpected device_id, not backfilling")
		return nil
	}
	if _, err := nc.UpdatePort(ctx, p.ID, neutron.PortUpdate{DeviceOwner: &owner, DeviceID: &id}); err != nil {
		return fmt.Errorf("protecting VIP port %s of LB %s: %w", p.ID, ref.lbID, err)
	}
	log.WithFields(logrus.Fields{"device_owner": owner, "device_id": id}).Info("VIP port protected")
	return nil
}
