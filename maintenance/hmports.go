package maintenance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
)

const (
	// deviceOwnerDistributed is the owner HM ports had before
	// ovn-lb-hm:distributed (Neutron's metadata/DHCP localport owner).
	deviceOwnerDistributed = "network:distributed"
	// hmPortNamePrefix is matched without the dash, as the reference does.
	hmPortNamePrefix = "ovn-lb-hm"
	lspTypeLocalport = "localport"
)

// FixHMPortOwners is one run of the HM port device owner task: every
// Neutron port owned by network:distributed whose name starts with
// "ovn-lb-hm" gets device_owner ovn-lb-hm:distributed and device_id = its
// name. After the first update the port's LSP must become a localport; if
// it exists and does not within LocalportWait, Neutron does not know the new
// owner (too old, or being upgraded): that port is rolled back and the run
// stops unfinished. It is finished when it completes without a rollback.
func (r *Runner) FixHMPortOwners(ctx context.Context) (bool, error) {
	nc := r.cfg.Neutron
	if nc == nil {
		return false, fmt.Errorf("%s: no Neutron client", TaskHMPortOwner)
	}
	ports, err := nc.ListPorts(ctx, neutron.PortFilter{DeviceOwner: deviceOwnerDistributed})
	if err != nil {
		return false, fmt.Errorf("listing %s ports: %w", deviceOwnerDistributed, err)
	}
	checked := false
	for _, p := range ports {
		if !strings.HasPrefix(p.Name, hmPortNamePrefix) {
			continue
		}
		log := r.log.WithFields(logrus.Fields{"task": TaskHMPortOwner, "port_id": p.ID, "port_name": p.Name})
		owner, id := lbdata.DeviceOwnerHMPort, p.Name
		if _, err := nc.UpdatePort(ctx, p.ID, neutron.PortUpdate{DeviceOwner: &owner, DeviceID: &id}); err != nil {
			return false, fmt.Errorf("setting device_owner %s on HM port %s: %w", owner, p.ID, err)
		}
		log.Info("HM port device_owner updated")
		if checked {
			continue
		}
		checked = true
		typ, found, err := r.waitLocalport(ctx, p.ID)
		if err != nil {
			return false, fmt.Errorf("reading the LSP of HM port %s: %w", p.ID, err)
		}
		if !found {
			// As the reference: without an LSP there is nothing to
			// contradict the update.
			log.Debug("HM port has no LSP in NB; not checking Neutron's support of the new device_owner")
			continue
		}
		if typ == lspTypeLocalport {
			continue
		}
		old, empty := deviceOwnerDistributed, ""
		if _, err := nc.UpdatePort(ctx, p.ID, neutron.PortUpdate{DeviceOwner: &old, DeviceID: &empty}); err != nil {
			return false, fmt.Errorf("rolling HM port %s back to %s after its LSP stayed of type %q: %w", p.ID, old, typ, err)
		}
		log.WithField("lsp_type", typ).Warn("Neutron did not make the HM port a localport with device_owner " +
			lbdata.DeviceOwnerHMPort + " (too old, or being upgraded?): rolled the port back, trying again later")
		return false, nil
	}
	return true, nil
}

// waitLocalport reads the type of the LSP named portID until it is a
// localport or LocalportWait has passed. It returns the last type seen and
// whether the LSP exists.
func (r *Runner) waitLocalport(ctx context.Context, portID string) (string, bool, error) {
	deadline := time.Now().Add(r.cfg.LocalportWait)
	for {
		var typ string
		var found bool
		err := r.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
			if lsp := t.LSPByName(portID); lsp != nil {
				typ, found = lsp.Type, true
			}
			return nil
		})
		if err != nil {
			return "", false, err
		}
		if (found && typ == lspTypeLocalport) || !time.Now().Before(deadline) {
			return typ, found, nil
		}
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(localportPoll):
		}
	}
}
