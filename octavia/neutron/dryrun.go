package neutron

import (
	"context"

	"github.com/sirupsen/logrus"
)

// DryRunAddress stands for the address Neutron would allocate to a port a
// dry run did not create; it shows up in the computed NB changes (e.g. as
// the source address of an ip_port_mappings value).
const DryRunAddress = "<allocated-on-create>"

// DryRun wraps c for runs that must not change anything (db-sync
// --dry-run): reads go to Neutron, writes are logged and not sent. A port
// create answers with the port that would exist, its id and unset
// addresses marked as such, so the caller can still compute and report the
// NB state it would write.
func DryRun(c Client, log *logrus.Entry) Client {
	return dryRun{Client: c, log: log.WithField("dry_run", true)}
}

type dryRun struct {
	Client
	log *logrus.Entry
}

func (d dryRun) CreatePort(_ context.Context, p PortCreate) (*Port, error) {
	d.log.WithFields(logrus.Fields{"port_name": p.Name, "network_id": p.NetworkID}).Info("would create Neutron port")
	port := &Port{
		ID: "dry-run:" + p.Name, Name: p.Name, NetworkID: p.NetworkID, ProjectID: p.ProjectID,
		DeviceOwner: p.DeviceOwner, DeviceID: p.DeviceID, AdminStateUp: p.AdminStateUp,
	}
	for _, ip := range p.FixedIPs {
		if ip.IPAddress == "" {
			ip.IPAddress = DryRunAddress
		}
		port.FixedIPs = append(port.FixedIPs, ip)
	}
	return port, nil
}

func (d dryRun) UpdatePort(ctx context.Context, id string, u PortUpdate) (*Port, error) {
	d.log.WithField("port_id", id).Info("would update Neutron port")
	p, err := d.Client.GetPort(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.DeviceOwner != nil {
		p.DeviceOwner = *u.DeviceOwner
	}
	if u.DeviceID != nil {
		p.DeviceID = *u.DeviceID
	}
	return p, nil
}

func (d dryRun) DeletePort(_ context.Context, id string) error {
	d.log.WithField("port_id", id).Info("would delete Neutron port")
	return nil
}

func (d dryRun) UpdateFloatingIPDescription(_ context.Context, id, _ string) error {
	d.log.WithField("floatingip_id", id).Info("would update Neutron floating IP")
	return nil
}
