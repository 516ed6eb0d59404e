package provider

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

// LoadBalancerCreate is loadbalancer_create (operations.md §4, §4.1).
//
// A fully populated LB (listeners, pools with their health monitors and
// members) is written in the same single transaction as the LB row, in the
// reference's order (operations.md §4.1): listeners, then per pool the pool,
// its HM (health.Monitors.CreateInTxn) and its members, which are mapped
// for the HM as a member create on a monitored pool would. The reference
// sends one status message per internal request (LB, each listener, each
// pool, HM, members); we send ONE message holding what that sequence ends
// with: every object's last reported state, the HMs as their create
// reports them, the members and pools as the final roll-up reports them
// (see finishChildren).
func (d *Driver) LoadBalancerCreate(ctx context.Context, lb *octavia.LoadBalancer) error {
	lb, err := d.prepareLBCreate(lb)
	if err != nil {
		return err
	}
	lbID := lb.LoadBalancerID.V
	log := d.log.WithFields(logrus.Fields{"call": "loadbalancer_create", "lb_id": lbID})
	up := lb.AdminStateUp.Or(true)

	var (
		vs       *vipSubnet
		addPorts []string
		st       octavia.Status
		children *childResults
	)
	// An error after the commit (HM port cleanup) leaves a created LB: it
	// must not be reported ERROR nor lose its VIP port.
	err = d.runLogged(ctx, log, func(t *nbtxn.Txn) error {
		st, children = octavia.Status{}, nil
		// A repeated create (Octavia retry, replay of `apply`) keeps the
		// existing rows: creating a second row would break the one-row-
		// per-protocol model.
		if len(rowsOf(t, lbID)) == 0 {
			var err error
			_, vs, addPorts, err = d.newLBRow(ctx, t, lb, nil)
			if err != nil {
				return err
			}
		}
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, onlineIf(up)))
		if lb.Listeners.Valid() || lb.Pools.Valid() {
			var err error
			children, err = d.createChildren(ctx, t, lb)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.WithError(err).Error("load balancer create failed")
		d.cleanupFailedCreate(ctx, log, vs, addPorts)
		st = octavia.Status{}
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, octavia.OperatingError))
		d.send(ctx, "loadbalancer_create", st)
		return nil
	}
	if children != nil {
		st = d.finishChildren(ctx, st, children)
	}
	d.send(ctx, "loadbalancer_create", st)
	return nil
}

// newLBRow creates the first row of a new LB (operations.md §4 steps 1–5):
// VIP port and subnet from Neutron, the additional VIP ports, the LB-level
// external_ids (plus extra, which db-sync uses to seed the floating IP
// keys before the children copy them), and the router and VIP switch
// associations. It returns the VIP lookup and the additional VIP port ids
// for the caller's failure cleanup (also when it fails part way).
func (d *Driver) newLBRow(ctx context.Context, t *nbtxn.Txn, lb *octavia.LoadBalancer, extra map[string]string) (*nb.LoadBalancer, *vipSubnet, []string, error) {
	vs, err := d.lookupVIP(ctx, lb.VIPPortID.Or(""), lb.VIPNetworkID.Or(""), lb.VIPAddress.V)
	if err != nil {
		return nil, nil, nil, err
	}
	ext := map[string]string{
		lbdata.KeyVIP:       lb.VIPAddress.V,
		lbdata.KeyVIPPortID: vs.portID,
		lbdata.KeyEnabled:   lbdata.FormatBool(lb.AdminStateUp.Or(true)),
	}
	var addIPs, addPorts []string
	for _, av := range lb.AdditionalVIPs.Or(nil) {
		p, err := d.neutron.GetPort(ctx, av.PortID.Or(""))
		if err != nil {
			return nil, vs, addPorts, fmt.Errorf("get additional VIP port %s: %w", av.PortID.Or(""), err)
		}
		addIPs = append(addIPs, av.IPAddress.Or(""))
		addPorts = append(addPorts, p.ID)
	}
	if len(addIPs) > 0 {
		ext[lbdata.KeyAdditionalVIPs] = strings.Join(addIPs, ",")
		ext[lbdata.KeyAdditionalVIPPortIDs] = strings.Join(addPorts, ",")
	}
	maps.Copy(ext, extra)
	row := t.CreateLB(&nb.LoadBalancer{
		Name:            lb.LoadBalancerID.V,
		ExternalIDs:     ext,
		SelectionFields: append([]string(nil), sourceIPPortFields...),
	})
	if err := associateNewRow(t, row, vs, len(addIPs), nil); err != nil {
		return nil, vs, addPorts, err
	}
	recomputeVIPs(row)
	return row, vs, addPorts, nil
}

// prepareLBCreate is the synchronous part of loadbalancer_create: it fills
// the parent ids nested objects may leave Unset (a copy) and validates it.
func (d *Driver) prepareLBCreate(lb *octavia.LoadBalancer) (*octavia.LoadBalancer, error) {
	if lb == nil {
		return nil, octavia.NewDriverError("missing loadbalancer")
	}
	lb = normalizeChildren(lb)
	if err := d.validateLBCreate(lb); err != nil {
		return nil, err
	}
	return lb, nil
}

// validateLBCreate checks the LB and, for a fully populated create, every
// child, before anything is written (the reference queues the LB before
// validating its children — a quirk we do not reproduce).
func (d *Driver) validateLBCreate(lb *octavia.LoadBalancer) error {
	if err := octavia.ValidateLoadBalancer(lb); err != nil {
		return err
	}
	if _, err := octavia.CheckIP("vip_address", lb.VIPAddress); err != nil {
		return err
	}
	if err := octavia.CheckUUID("vip_network_id", lb.VIPNetworkID); err != nil {
		return err
	}
	var vips []string
	vips = append(vips, lb.VIPAddress.V)
	for i, av := range lb.AdditionalVIPs.Or(nil) {
		if _, err := octavia.CheckIP("additional VIP ip_address", av.IPAddress); err != nil {
			return err
		}
		if err := octavia.CheckUUID(fmt.Sprintf("additional VIP %d port_id", i+1), av.PortID); err != nil {
			return err
		}
		vips = append(vips, av.IPAddress.V)
	}
	for _, l := range lb.Listeners.Or(nil) {
		if err := octavia.ValidateListenerCreate(&l); err != nil {
			return err
		}
		if l.LoadBalancerID.V != lb.LoadBalancerID.V {
			return octavia.NewDriverError(fmt.Sprintf("listener %s belongs to load balancer %s", l.ListenerID.V, l.LoadBalancerID.V))
		}
	}
	for _, p := range lb.Pools.Or(nil) {
		if err := octavia.ValidatePoolCreate(&p); err != nil {
			return err
		}
		if p.LoadBalancerID.V != lb.LoadBalancerID.V {
			return octavia.NewDriverError(fmt.Sprintf("pool %s belongs to load balancer %s", p.PoolID.V, p.LoadBalancerID.V))
		}
		if hm, ok := p.HealthMonitor.Get(); ok {
			if err := d.validateHMCreate(&hm); err != nil {
				return err
			}
		}
		for _, m := range p.Members.Or(nil) {
			if err := octavia.ValidateMemberCreate(&m); err != nil {
				return err
			}
			// The reference has no NB row to test V7 against here and
			// accepts; mixing families with the new VIPs is refused, as a
			// later member create on the same LB would be.
			if err := checkFamily(vips, m.Address.V); err != nil {
				return err
			}
			if m.SubnetID.Or("") == "" && lb.VIPSubnetID.Or("") == "" {
				return octavia.ErrSubnetRequiredCreate()
			}
		}
	}
	return nil
}

// cleanupFailedCreate deletes the ports a failed create was given
// (operations.md §4 step 7): the VIP port only when it is ours by name.
func (d *Driver) cleanupFailedCreate(ctx context.Context, log *logrus.Entry, vs *vipSubnet, addPorts []string) {
	if d.neutron == nil {
		return
	}
	if vs != nil && strings.HasPrefix(vs.portName, lbdata.VIPPortPrefix) {
		if err := d.neutron.DeletePort(ctx, vs.portID); err != nil {
			log.WithError(err).WithField("port_id", vs.portID).Warn("deleting VIP port of failed create")
		}
	}
	for _, id := range addPorts {
		if err := d.neutron.DeletePort(ctx, id); err != nil {
			log.WithError(err).WithField("port_id", id).Warn("deleting additional VIP port of failed create")
		}
	}
}

// LoadBalancerUpdate is loadbalancer_update (operations.md §5): only
// admin_state_up is propagated.
func (d *Driver) LoadBalancerUpdate(ctx context.Context, old, new *octavia.LoadBalancer) error {
	if err := d.ValidateLoadBalancerUpdate(ctx, old, new); err != nil {
		return err
	}
	lbID := new.LoadBalancerID.V
	if !new.LoadBalancerID.Set {
		lbID = old.LoadBalancerID.V
	}
	var st octavia.Status
	up, supplied := new.AdminStateUp.Get()
	if !supplied {
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
		d.send(ctx, "loadbalancer_update", st)
		return nil
	}
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		rows := rowsOf(t, lbID)
		if len(rows) == 0 {
			return fmt.Errorf("load balancer %s has no NB row", lbID)
		}
		want := lbdata.FormatBool(up)
		for _, r := range rows {
			// A missing `enabled` is written rather than failed on (the
			// reference raises a KeyError there).
			if r.ExternalIDs[lbdata.KeyEnabled] != want {
				r.ExternalIDs[lbdata.KeyEnabled] = want
				recomputeVIPs(r)
			}
		}
		return nil
	})
	if err != nil {
		d.log.WithError(err).WithField("lb_id", lbID).Error("load balancer update failed")
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, octavia.OperatingError))
	} else {
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, onlineIf(up)))
	}
	d.send(ctx, "loadbalancer_update", st)
	return nil
}

// LoadBalancerDelete is loadbalancer_delete (operations.md §6).
func (d *Driver) LoadBalancerDelete(ctx context.Context, lb *octavia.LoadBalancer, cascade bool) error {
	if err := d.ValidateLoadBalancerDelete(ctx, lb); err != nil {
		return err
	}
	lbID := lb.LoadBalancerID.V
	log := d.log.WithFields(logrus.Fields{"call": "loadbalancer_delete", "lb_id": lbID, "cascade": cascade})

	var (
		st    octavia.Status
		found bool
	)
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		st, found = octavia.Status{}, false
		rows := rowsOf(t, lbID)
		if len(rows) == 0 {
			return nil
		}
		found = true
		var listeners, pools, members []octavia.StatusEntry
		subnets := map[string]bool{}
		withHC := false
		for _, r := range rows {
			if cascade {
				for _, k := range slices.Sorted(maps.Keys(r.ExternalIDs)) {
					switch {
					case strings.Contains(k, lbdata.PrefixListener):
						listeners = append(listeners, entry(lbdata.IDFromKey(k), octavia.ProvisioningDeleted, octavia.OperatingOffline))
					case strings.Contains(k, lbdata.PrefixPool):
						ms, err := lbdata.ParsePoolValue(r.ExternalIDs[k])
						if err != nil {
							log.WithError(err).WithField("key", k).Warn("unparseable pool value; its members are not reported")
						}
						for _, m := range ms {
							if hasHealthChecks(r) && d.health != nil {
								d.health.UnmapMember(t, r, m)
							}
							if m.SubnetID != "" {
								subnets[m.SubnetID] = true
							}
							members = append(members, entry(m.ID, octavia.ProvisioningDeleted, ""))
						}
						pools = append(pools, entry(lbdata.IDFromKey(k), octavia.ProvisioningDeleted, ""))
					}
				}
			}
			if hasHealthChecks(r) {
				withHC = true
				r.HealthCheck = nil
			}
			// Deleting the row drops it from every switch and router
			// (weak references), which is the reference's explicit removal.
			t.DeleteLB(r)
		}
		if cascade && withHC && d.health != nil {
			for _, s := range slices.Sorted(maps.Keys(subnets)) {
				d.health.CleanupHMPort(t, s)
			}
		}
		first := rows[0]
		vipPort := first.ExternalIDs[lbdata.KeyVIPPortID]
		addPorts := lbdata.SplitList(first.ExternalIDs[lbdata.KeyAdditionalVIPPortIDs])
		t.AfterCommit(func(ctx context.Context) error {
			return d.deleteVIPPorts(ctx, vipPort, addPorts)
		})
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningDeleted, octavia.OperatingOffline))
		if len(listeners) > 0 {
			st.Add(octavia.KindListeners, listeners...)
		}
		if len(pools) > 0 {
			st.Add(octavia.KindPools, pools...)
		}
		if len(members) > 0 {
			st.Add(octavia.KindMembers, members...)
		}
		return nil
	})
	if err == nil && !found {
		// No row: clean Neutron leftovers through Octavia's view of the LB.
		st = octavia.Status{}
		err = d.cleanupOrphanPorts(ctx, lbID)
		if err == nil {
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningDeleted, octavia.OperatingOffline))
		} else {
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, octavia.OperatingError))
		}
		st.Touch(octavia.KindListeners)
		st.Touch(octavia.KindPools)
		st.Touch(octavia.KindMembers)
		if err != nil {
			log.WithError(err).Error("cleaning ports of a load balancer without NB row")
		}
		d.send(ctx, "loadbalancer_delete", st)
		return nil
	}
	if err != nil {
		log.WithError(err).Error("load balancer delete failed")
		var fail octavia.Status
		fail.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, octavia.OperatingError))
		if !errors.Is(err, nbtxn.ErrConflict) && len(st.LoadBalancers) > 0 && st.LoadBalancers[0].ProvisioningStatus == octavia.ProvisioningDeleted {
			// The NB rows are gone; only a port delete failed after the
			// commit. The LB is deleted as far as OVN is concerned, but the
			// reference reports any failure as ERROR.
			st.LoadBalancers = fail.LoadBalancers
			d.send(ctx, "loadbalancer_delete", st)
			return nil
		}
		d.send(ctx, "loadbalancer_delete", fail)
		return nil
	}
	d.send(ctx, "loadbalancer_delete", st)
	return nil
}

// deleteVIPPorts deletes the VIP port when its name marks it as ours (a
// user-supplied port survives) and every additional VIP port.
func (d *Driver) deleteVIPPorts(ctx context.Context, vipPort string, additional []string) error {
	if d.neutron == nil {
		return nil
	}
	var errs []error
	if vipPort != "" {
		p, err := d.neutron.GetPort(ctx, vipPort)
		switch {
		case errors.Is(err, neutron.ErrNotFound):
		case err != nil:
			errs = append(errs, fmt.Errorf("get VIP port %s: %w", vipPort, err))
		case strings.HasPrefix(p.Name, lbdata.VIPPortPrefix):
			if err := d.neutron.DeletePort(ctx, vipPort); err != nil {
				errs = append(errs, fmt.Errorf("delete VIP port %s: %w", vipPort, err))
			}
		}
	}
	for _, id := range additional {
		if err := d.neutron.DeletePort(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("delete additional VIP port %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// cleanupOrphanPorts deletes the VIP ports of an LB that has no NB row,
// found through the get socket (operations.md §6 "No row found").
func (d *Driver) cleanupOrphanPorts(ctx context.Context, lbID string) error {
	if d.get == nil {
		return nil
	}
	olb, err := d.get.GetLoadBalancer(ctx, lbID)
	if err != nil {
		return fmt.Errorf("get load balancer %s from Octavia: %w", lbID, err)
	}
	if olb == nil {
		return nil
	}
	var add []string
	for _, av := range olb.AdditionalVIPs.Or(nil) {
		if id := av.PortID.Or(""); id != "" {
			add = append(add, id)
		}
	}
	return d.deleteVIPPorts(ctx, olb.VIPPortID.Or(""), add)
}

// LoadBalancerFailover is V14: never supported.
func (d *Driver) LoadBalancerFailover(_ context.Context, lbID string) error {
	return octavia.ValidateFailover(lbID)
}

// CreateVIPPort is create_vip_port (operations.md §3), synchronous.
func (d *Driver) CreateVIPPort(ctx context.Context, lbID, projectID string, vip *octavia.VIP,
	additional []octavia.AdditionalVIP) (*octavia.VIP, []octavia.AdditionalVIP, error) {
	if vip == nil {
		vip = &octavia.VIP{}
	}
	if err := octavia.ValidateVIP(lbID, vip, additional); err != nil {
		return nil, nil, err
	}
	if vip.VIPPortID.Or("") == "" {
		if err := octavia.CheckUUID("vip_network_id", vip.VIPNetworkID); err != nil {
			return nil, nil, err
		}
	}
	for i, av := range additional {
		if err := octavia.CheckUUID(fmt.Sprintf("additional VIP %d network_id", i+1), av.NetworkID); err != nil {
			return nil, nil, err
		}
	}
	if d.neutron == nil {
		return nil, nil, octavia.NewDriverError("no Neutron client configured")
	}
	log := d.log.WithFields(logrus.Fields{"call": "create_vip_port", "lb_id": lbID})

	var created []string // ports this call created, deleted on failure
	fail := func(err error) (*octavia.VIP, []octavia.AdditionalVIP, error) {
		for _, id := range created {
			if derr := d.neutron.DeletePort(ctx, id); derr != nil {
				log.WithError(derr).WithField("port_id", id).Warn("deleting port after create_vip_port failure")
			}
		}
		log.WithError(err).Error("create_vip_port failed")
		return nil, nil, octavia.NewDriverError(faultText(err))
	}

	var vipPort *neutron.Port
	if id := vip.VIPPortID.Or(""); id != "" {
		p, err := d.neutron.GetPort(ctx, id)
		if err != nil {
			return fail(err)
		}
		vipPort = p
	} else {
		p, isNew, err := d.createPort(ctx, lbdata.VIPPortPrefix+lbID, vip.VIPNetworkID.V, vip.VIPSubnetID.Or(""),
			vip.VIPAddress.Or(""), projectID, lbID)
		if err != nil {
			return fail(err)
		}
		if isNew {
			created = append(created, p.ID)
		}
		vipPort = p
	}
	var outAdd []octavia.AdditionalVIP
	for i, av := range additional {
		name := fmt.Sprintf("%sadditional-%d-%s", lbdata.VIPPortPrefix, i+1, lbID)
		p, isNew, err := d.createPort(ctx, name, av.NetworkID.V, av.SubnetID.Or(""), av.IPAddress.Or(""), projectID, lbID)
		if err != nil {
			return fail(err)
		}
		if isNew {
			created = append(created, p.ID)
		}
		out := octavia.AdditionalVIP{PortID: octavia.Some(p.ID), NetworkID: octavia.Some(p.NetworkID)}
		if len(p.FixedIPs) > 0 {
			out.SubnetID = octavia.Some(p.FixedIPs[0].SubnetID)
			out.IPAddress = octavia.Some(p.FixedIPs[0].IPAddress)
		}
		outAdd = append(outAdd, out)
	}
	out := *vip
	out.VIPPortID = octavia.Some(vipPort.ID)
	if len(vipPort.FixedIPs) > 0 {
		out.VIPAddress = octavia.Some(vipPort.FixedIPs[0].IPAddress)
	}
	return &out, outAdd, nil
}

// createPort POSTs a VIP port; on 409 Conflict it looks the port up by name
// on the network and uses it (operations.md §3 step 2). isNew reports a port
// this call created.
func (d *Driver) createPort(ctx context.Context, name, networkID, subnetID, address, projectID, lbID string) (*neutron.Port, bool, error) {
	fixed := neutron.FixedIP{SubnetID: subnetID, IPAddress: address}
	req := neutron.PortCreate{
		Name:         name,
		NetworkID:    networkID,
		ProjectID:    projectID,
		AdminStateUp: true,
		DeviceOwner:  "ovn-lb:vip",
		DeviceID:     "lb-" + lbID,
	}
	if subnetID != "" || address != "" {
		req.FixedIPs = []neutron.FixedIP{fixed}
	}
	p, err := d.neutron.CreatePort(ctx, req)
	if err == nil {
		return p, true, nil
	}
	if !errors.Is(err, neutron.ErrConflict) {
		return nil, false, fmt.Errorf("create port %s: %w", name, err)
	}
	found, ferr := d.neutron.FindPort(ctx, name, networkID)
	if ferr != nil || found == nil {
		return nil, false, fmt.Errorf("create port %s: %w", name, err)
	}
	return found, false, nil
}

// faultText is the DriverError text of a failed Neutron call: the Neutron
// fault's details, else its message, else octavia-lib's default text.
func faultText(err error) string {
	var he *neutron.HTTPError
	if errors.As(err, &he) {
		return he.FaultText()
	}
	return ""
}
