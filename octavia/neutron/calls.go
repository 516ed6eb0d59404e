package neutron

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/floatingips"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/portsecurity"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/sirupsen/logrus"
)

// errEmptyID guards calls whose URL would otherwise address the collection
// (GET /v2.0/ports/ lists every port).
var errEmptyID = errors.New("empty id")

// pathID escapes an id for use as one path segment: find-by-name passes names
// through the GET-by-id step, and a name may hold any character.
func pathID(id string) string { return url.PathEscape(id) }

func fromPort(p *ports.Port) Port {
	out := Port{
		ID:           p.ID,
		Name:         p.Name,
		NetworkID:    p.NetworkID,
		ProjectID:    p.ProjectID,
		DeviceOwner:  p.DeviceOwner,
		DeviceID:     p.DeviceID,
		AdminStateUp: p.AdminStateUp,
	}
	if out.ProjectID == "" {
		out.ProjectID = p.TenantID
	}
	for _, ip := range p.FixedIPs {
		out.FixedIPs = append(out.FixedIPs, FixedIP{SubnetID: ip.SubnetID, IPAddress: ip.IPAddress})
	}
	return out
}

// GetPort implements Client.
func (c *GopherClient) GetPort(ctx context.Context, id string) (*Port, error) {
	op := "get port " + id
	if id == "" {
		return nil, fmt.Errorf("get port: %w", errEmptyID)
	}
	p, err := ports.Get(ctx, c.sc, pathID(id)).Extract()
	if err != nil {
		return nil, translate(op, err)
	}
	out := fromPort(p)
	return &out, nil
}

// listPortsOnce is one list request without retries.
func (c *GopherClient) listPortsOnce(ctx context.Context, f PortFilter) ([]Port, error) {
	opts := ports.ListOpts{NetworkID: f.NetworkID, Name: f.Name, DeviceOwner: f.DeviceOwner, ID: f.ID}
	pages, err := ports.List(c.sc, opts).AllPages(ctx)
	if err != nil {
		return nil, translate("list ports", err)
	}
	ps, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, fmt.Errorf("list ports: decode: %w", err)
	}
	out := make([]Port, 0, len(ps))
	for i := range ps {
		out = append(out, fromPort(&ps[i]))
	}
	return out, nil
}

// ListPorts implements Client.
func (c *GopherClient) ListPorts(ctx context.Context, f PortFilter) ([]Port, error) {
	var out []Port
	err := retry(ctx, c.listRetry, c.log, "list ports", isHTTPError, func() error {
		var err error
		out, err = c.listPortsOnce(ctx, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindPort implements Client.
func (c *GopherClient) FindPort(ctx context.Context, nameOrID, networkID string) (*Port, error) {
	if nameOrID == "" {
		return nil, fmt.Errorf("find port: %w", errEmptyID)
	}
	var found *Port
	err := retry(ctx, c.listRetry, c.log, "find port "+nameOrID, isHTTPError, func() error {
		var err error
		found, err = c.findPortOnce(ctx, nameOrID, networkID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

func (c *GopherClient) findPortOnce(ctx context.Context, nameOrID, networkID string) (*Port, error) {
	op := "find port " + nameOrID
	p, err := ports.Get(ctx, c.sc, pathID(nameOrID)).Extract()
	if err == nil {
		out := fromPort(p)
		return &out, nil
	}
	err = translate(op, err)
	// openstacksdk treats these as "not an id" and goes on to list by name.
	switch StatusCode(err) {
	case http.StatusNotFound, http.StatusBadRequest, http.StatusForbidden:
	default:
		return nil, err
	}
	list, err := c.listPortsOnce(ctx, PortFilter{Name: nameOrID, NetworkID: networkID})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Match again on our side, like openstacksdk's _get_one_match, so that a
	// server ignoring a filter cannot hand back an unrelated port.
	var match *Port
	for i := range list {
		if list[i].ID != nameOrID && list[i].Name != nameOrID {
			continue
		}
		if networkID != "" && list[i].NetworkID != networkID {
			continue
		}
		if match != nil {
			return nil, fmt.Errorf("%s: %w: more than one Port exists with the name '%s'", op, ErrMultipleMatches, nameOrID)
		}
		match = &list[i]
	}
	return match, nil
}

// fixedIPBody is one fixed_ips entry of a POST; ip_address is omitted to let
// Neutron allocate.
type fixedIPBody struct {
	SubnetID  string `json:"subnet_id,omitempty"`
	IPAddress string `json:"ip_address,omitempty"`
}

// CreatePort implements Client.
func (c *GopherClient) CreatePort(ctx context.Context, p PortCreate) (*Port, error) {
	op := fmt.Sprintf("create port %q on network %s", p.Name, p.NetworkID)
	adminUp := p.AdminStateUp
	base := ports.CreateOpts{
		NetworkID:    p.NetworkID,
		Name:         p.Name,
		AdminStateUp: &adminUp,
		DeviceID:     p.DeviceID,
		DeviceOwner:  p.DeviceOwner,
		ProjectID:    p.ProjectID,
	}
	if len(p.FixedIPs) > 0 {
		fixed := make([]fixedIPBody, 0, len(p.FixedIPs))
		for _, ip := range p.FixedIPs {
			fixed = append(fixed, fixedIPBody{SubnetID: ip.SubnetID, IPAddress: ip.IPAddress})
		}
		base.FixedIPs = fixed
	}
	var opts ports.CreateOptsBuilder = base
	if p.PortSecurityEnabled != nil {
		enabled := *p.PortSecurityEnabled
		opts = portsecurity.PortCreateOptsExt{CreateOptsBuilder: base, PortSecurityEnabled: &enabled}
	}
	created, err := ports.Create(ctx, c.sc, opts).Extract()
	if err != nil {
		return nil, translate(op, err)
	}
	out := fromPort(created)
	c.log.WithFields(logrus.Fields{"port_id": out.ID, "port_name": out.Name, "network_id": out.NetworkID}).Debug("Created Neutron port")
	return &out, nil
}

// UpdatePort implements Client.
func (c *GopherClient) UpdatePort(ctx context.Context, id string, u PortUpdate) (*Port, error) {
	op := "update port " + id
	if id == "" {
		return nil, fmt.Errorf("update port: %w", errEmptyID)
	}
	if u.DeviceOwner == nil && u.DeviceID == nil {
		return nil, fmt.Errorf("%s: no field to update", op)
	}
	updated, err := ports.Update(ctx, c.sc, pathID(id), ports.UpdateOpts{DeviceOwner: u.DeviceOwner, DeviceID: u.DeviceID}).Extract()
	if err != nil {
		return nil, translate(op, err)
	}
	out := fromPort(updated)
	return &out, nil
}

// DeletePort implements Client.
func (c *GopherClient) DeletePort(ctx context.Context, id string) error {
	op := "delete port " + id
	if id == "" {
		return fmt.Errorf("delete port: %w", errEmptyID)
	}
	return retry(ctx, c.deleteRetry, c.log, op, isHTTPError, func() error {
		err := translate(op, ports.Delete(ctx, c.sc, pathID(id)).ExtractErr())
		if errors.Is(err, ErrNotFound) {
			c.log.WithField("port_id", id).Debug("Neutron port already gone")
			return nil
		}
		if err == nil {
			c.log.WithField("port_id", id).Debug("Deleted Neutron port")
		}
		return err
	})
}

// GetSubnet implements Client.
func (c *GopherClient) GetSubnet(ctx context.Context, id string) (*Subnet, error) {
	op := "get subnet " + id
	if id == "" {
		return nil, fmt.Errorf("get subnet: %w", errEmptyID)
	}
	s, err := subnets.Get(ctx, c.sc, pathID(id)).Extract()
	if err != nil {
		return nil, translate(op, err)
	}
	return &Subnet{ID: s.ID, Name: s.Name, NetworkID: s.NetworkID, CIDR: s.CIDR, IPVersion: s.IPVersion, GatewayIP: s.GatewayIP}, nil
}

// networkBody decodes the fields we need. gophercloud's networks.Network and
// provider.NetworkProviderExt both define UnmarshalJSON, which makes embedding
// them together fragile; a flat struct is explicit.
type networkBody struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	PhysicalNetwork string `json:"provider:physical_network"`
	NetworkType     string `json:"provider:network_type"`
}

// GetNetwork implements Client.
func (c *GopherClient) GetNetwork(ctx context.Context, id string) (*Network, error) {
	op := "get network " + id
	if id == "" {
		return nil, fmt.Errorf("get network: %w", errEmptyID)
	}
	var n networkBody
	if err := networks.Get(ctx, c.sc, pathID(id)).ExtractInto(&n); err != nil {
		return nil, translate(op, err)
	}
	return &Network{ID: n.ID, Name: n.Name, PhysicalNetwork: n.PhysicalNetwork, NetworkType: n.NetworkType}, nil
}

func fromFloatingIP(f *floatingips.FloatingIP) FloatingIP {
	out := FloatingIP{
		ID:                f.ID,
		Description:       f.Description,
		FloatingIPAddress: f.FloatingIP,
		FloatingNetworkID: f.FloatingNetworkID,
		FixedIPAddress:    f.FixedIP,
		PortID:            f.PortID,
		RouterID:          f.RouterID,
		ProjectID:         f.ProjectID,
		Status:            f.Status,
	}
	if out.ProjectID == "" {
		out.ProjectID = f.TenantID
	}
	return out
}

// GetFloatingIP implements Client.
func (c *GopherClient) GetFloatingIP(ctx context.Context, id string) (*FloatingIP, error) {
	op := "get floating IP " + id
	if id == "" {
		return nil, fmt.Errorf("get floating IP: %w", errEmptyID)
	}
	f, err := floatingips.Get(ctx, c.sc, pathID(id)).Extract()
	if err != nil {
		return nil, translate(op, err)
	}
	out := fromFloatingIP(f)
	return &out, nil
}

// ListFloatingIPs implements Client.
func (c *GopherClient) ListFloatingIPs(ctx context.Context, portID string) ([]FloatingIP, error) {
	op := "list floating IPs of port " + portID
	if portID == "" {
		// Without the filter Neutron would return every floating IP.
		return nil, fmt.Errorf("list floating IPs: empty port id")
	}
	pages, err := floatingips.List(c.sc, floatingips.ListOpts{PortID: portID}).AllPages(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	fs, err := floatingips.ExtractFloatingIPs(pages)
	if err != nil {
		return nil, fmt.Errorf("%s: decode: %w", op, err)
	}
	out := make([]FloatingIP, 0, len(fs))
	for i := range fs {
		out = append(out, fromFloatingIP(&fs[i]))
	}
	return out, nil
}

// UpdateFloatingIPDescription implements Client.
func (c *GopherClient) UpdateFloatingIPDescription(ctx context.Context, id, description string) error {
	op := "update floating IP " + id
	if id == "" {
		return fmt.Errorf("update floating IP: %w", errEmptyID)
	}
	d := description
	_, err := floatingips.Update(ctx, c.sc, pathID(id), floatingips.UpdateOpts{Description: &d}).Extract()
	return translate(op, err)
}
