package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// errNoRow reports an LB without NB row where one is needed.
var errNoRow = errors.New("load balancer has no NB row")

// ListenerCreate is listener_create (operations.md §8.1).
func (d *Driver) ListenerCreate(ctx context.Context, l *octavia.Listener) error {
	if err := d.ValidateListenerCreate(ctx, l); err != nil {
		return err
	}
	lbID, lid := l.LoadBalancerID.V, l.ListenerID.V
	up := l.AdminStateUp.Or(true)
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		return d.createListener(ctx, t, l)
	})
	var st octavia.Status
	if err != nil {
		// The reference sends nothing when the LB has no row (quirk); a
		// status is better than a listener left in PENDING_CREATE.
		d.log.WithError(err).WithFields(logrus.Fields{"lb_id": lbID, "listener_id": lid}).Error("listener create failed")
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningError, octavia.OperatingError))
	} else {
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningActive, onlineIf(up)))
	}
	st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	d.send(ctx, "listener_create", st)
	return nil
}

// createListener writes the listener into its protocol row.
func (d *Driver) createListener(ctx context.Context, t *nbtxn.Txn, l *octavia.Listener) error {
	row, err := d.protocolRow(ctx, t, l.LoadBalancerID.V, l.Protocol.V, "")
	if err != nil {
		return err
	}
	if row == nil {
		return fmt.Errorf("listener %s: %w", l.ListenerID.V, errNoRow)
	}
	lid, up := l.ListenerID.V, l.AdminStateUp.Or(true)
	poolKey := ""
	if p := l.DefaultPoolID.Or(""); p != "" {
		poolKey = lbdata.PoolKey(p, true)
	}
	// A repeated create replaces the other key form rather than adding a
	// second key for the same listener.
	delete(row.ExternalIDs, lbdata.ListenerKey(lid, !up))
	row.ExternalIDs[lbdata.ListenerKey(lid, up)] = lbdata.FormatListenerValue(l.ProtocolPort.V, poolKey)
	recomputeVIPs(row)
	if poolKey != "" {
		// The pool's LBHCs now check this port (NB §11; the address is
		// taken before the LAST ':', the spec's recommendation).
		health.SetHealthCheckPort(t, row, l.DefaultPoolID.V, strconv.Itoa(l.ProtocolPort.V))
	}
	return nil
}

// ListenerUpdate is listener_update (operations.md §8.2).
func (d *Driver) ListenerUpdate(ctx context.Context, old, new *octavia.Listener) error {
	if err := d.ValidateListenerUpdate(ctx, old, new); err != nil {
		return err
	}
	lid := new.ListenerID.Or(old.ListenerID.V)
	lbID := old.LoadBalancerID.V
	up, upSet := new.AdminStateUp.Get()
	var st octavia.Status
	if !upSet && !new.DefaultPoolID.Set {
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningActive, ""))
		st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
		st.Touch(octavia.KindPools)
		d.send(ctx, "listener_update", st)
		return nil
	}
	var newPool string
	notFound := false
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		newPool, notFound = "", false
		row := rowByProtocol(t, lbID, old.Protocol.Or(""))
		if row == nil {
			notFound = true
			return fmt.Errorf("listener %s: %w", lid, errNoRow)
		}
		key := listenerKeyOf(row, lid)
		if key == "" {
			return nil // nothing to update; reported ACTIVE
		}
		value := row.ExternalIDs[key]
		if new.DefaultPoolID.Set {
			lv, ok := lbdata.ParseListenerValue(value)
			port := lv.Port
			if !ok {
				port = strings.SplitN(value, ":", 2)[0]
			}
			// Quirk avoided (nb-data-contract §6): an unset default pool is
			// written `<port>:`, not `<port>:pool_None`.
			pk := ""
			if p := new.DefaultPoolID.Or(""); p != "" {
				pk = lbdata.PoolKey(p, true)
				newPool = p
			}
			value = port + ":" + pk
		}
		newKey := key
		if upSet {
			newKey = lbdata.ListenerKey(lid, up)
		}
		delete(row.ExternalIDs, key)
		row.ExternalIDs[newKey] = value
		recomputeVIPs(row)
		return nil
	})
	if err != nil {
		d.log.WithError(err).WithFields(logrus.Fields{"lb_id": lbID, "listener_id": lid}).Error("listener update failed")
		if notFound {
			st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningError, ""))
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningError, ""))
		} else {
			st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningError, ""))
			st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
		}
		d.send(ctx, "listener_update", st)
		return nil
	}
	oper := ""
	if upSet {
		oper = onlineIf(up)
	}
	st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningActive, oper))
	st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	st.Touch(octavia.KindPools)
	if newPool != "" {
		st.Add(octavia.KindPools, entry(newPool, octavia.ProvisioningActive, ""))
	}
	d.send(ctx, "listener_update", st)
	return nil
}

// ListenerDelete is listener_delete (operations.md §8.3).
func (d *Driver) ListenerDelete(ctx context.Context, l *octavia.Listener) error {
	if err := d.ValidateListenerDelete(ctx, l); err != nil {
		return err
	}
	lbID, lid := l.LoadBalancerID.V, l.ListenerID.V
	err := d.store.Run(ctx, func(t *nbtxn.Txn) error {
		row := rowByProtocol(t, lbID, l.Protocol.Or(""))
		if row == nil {
			return nil
		}
		// Quirk avoided (operations.md §8.3): whichever key form exists is
		// removed, so a disabled listener does not linger.
		key := listenerKeyOf(row, lid)
		if key == "" {
			return nil
		}
		delete(row.ExternalIDs, key)
		if !dropIfEmpty(t, row) {
			recomputeVIPs(row)
		}
		return nil
	})
	var st octavia.Status
	if err != nil {
		d.log.WithError(err).WithFields(logrus.Fields{"lb_id": lbID, "listener_id": lid}).Error("listener delete failed")
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningError, octavia.OperatingError))
	} else {
		st.Add(octavia.KindListeners, entry(lid, octavia.ProvisioningDeleted, octavia.OperatingOffline))
	}
	st.Add(octavia.KindLoadBalancers, entry(lbID, octavia.ProvisioningActive, ""))
	d.send(ctx, "listener_delete", st)
	return nil
}
