// Package neutron is the provider's view of the OpenStack Networking (Neutron)
// API: the few calls listed in operations.md §13, behind the Client interface so
// that the CRUD layer and the agent can be tested against the fake REST server
// in package fakeneutron over real HTTP.
//
// The implementation (GopherClient) is built on gophercloud v2. Errors returned
// for HTTP failures are *HTTPError values; use errors.Is with ErrNotFound or
// ErrConflict, and errors.As to read the Neutron fault texts that the CRUD layer
// reports to Octavia.
package neutron

import "context"

// Client is the set of Neutron calls the provider makes. Every call honours ctx
// for cancellation, including the sleeps between retries.
type Client interface {
	// GetPort returns the port; errors.Is(err, ErrNotFound) when it does not exist.
	GetPort(ctx context.Context, id string) (*Port, error)
	// ListPorts lists ports matching every non-empty field of f. HTTP errors are
	// retried with exponential back-off (10 s budget by default).
	ListPorts(ctx context.Context, f PortFilter) ([]Port, error)
	// FindPort behaves like openstacksdk find_port: a GET by id (404, 400 and 403
	// mean "not an id"), then a list filtered by name and networkID (networkID
	// may be empty). It returns nil, nil when nothing matches and an error
	// wrapping ErrMultipleMatches when several ports carry the name. HTTP errors
	// are retried like ListPorts.
	FindPort(ctx context.Context, nameOrID, networkID string) (*Port, error)
	// CreatePort POSTs a port; errors.Is(err, ErrConflict) on HTTP 409.
	CreatePort(ctx context.Context, p PortCreate) (*Port, error)
	// UpdatePort PUTs the set fields of u.
	UpdatePort(ctx context.Context, id string, u PortUpdate) (*Port, error)
	// DeletePort deletes a port. A 404 is success; other HTTP errors are retried
	// with bounded exponential back-off (15 attempts, waits capped at 75 s by
	// default).
	DeletePort(ctx context.Context, id string) error
	// GetSubnet returns the subnet; errors.Is(err, ErrNotFound) when it does not exist.
	GetSubnet(ctx context.Context, id string) (*Subnet, error)
	// GetNetwork returns the network including provider:physical_network.
	GetNetwork(ctx context.Context, id string) (*Network, error)
	// GetFloatingIP returns the floating IP; errors.Is(err, ErrNotFound) when missing.
	GetFloatingIP(ctx context.Context, id string) (*FloatingIP, error)
	// ListFloatingIPs lists the floating IPs associated with portID.
	ListFloatingIPs(ctx context.Context, portID string) ([]FloatingIP, error)
	// UpdateFloatingIPDescription PUTs {"floatingip": {"description": ...}}. The
	// provider sends the current description back unchanged: a no-op update that
	// makes Neutron recompute the floating IP's NAT row (operations.md §11).
	UpdateFloatingIPDescription(ctx context.Context, id, description string) error
}

// FixedIP is one entry of a port's fixed_ips.
type FixedIP struct {
	SubnetID  string
	IPAddress string
}

// Port is the subset of a Neutron port the provider reads.
type Port struct {
	ID           string
	Name         string
	NetworkID    string
	ProjectID    string
	DeviceOwner  string
	DeviceID     string
	FixedIPs     []FixedIP
	AdminStateUp bool
}

// IPOnSubnet returns the first fixed IP of the port on subnetID, or "" if none.
func (p *Port) IPOnSubnet(subnetID string) string {
	for _, ip := range p.FixedIPs {
		if ip.SubnetID == subnetID {
			return ip.IPAddress
		}
	}
	return ""
}

// PortFilter selects ports in ListPorts; empty fields do not filter.
type PortFilter struct {
	NetworkID   string
	Name        string
	DeviceOwner string
	ID          string
}

// PortCreate is the body of a port POST. Empty strings are omitted from the
// request; AdminStateUp is always sent (the provider always sends true);
// PortSecurityEnabled is sent only when non-nil (HM ports send false).
type PortCreate struct {
	Name      string
	NetworkID string
	ProjectID string
	// FixedIPs: an entry with an empty IPAddress asks Neutron to allocate an
	// address on that subnet.
	FixedIPs            []FixedIP
	AdminStateUp        bool
	DeviceOwner         string
	DeviceID            string
	PortSecurityEnabled *bool
}

// PortUpdate is the body of a port PUT; only non-nil fields are sent.
type PortUpdate struct {
	DeviceOwner *string
	DeviceID    *string
}

// Subnet is the subset of a Neutron subnet the provider reads.
type Subnet struct {
	ID        string
	Name      string
	NetworkID string
	CIDR      string
	IPVersion int
	GatewayIP string
}

// Network is the subset of a Neutron network the provider reads.
type Network struct {
	ID   string
	Name string
	// PhysicalNetwork is provider:physical_network; non-empty for provider
	// networks, on which the VIP is not attached to the switch (operations.md §4).
	PhysicalNetwork string
	NetworkType     string
}

// FloatingIP is the subset of a Neutron floating IP the provider reads.
type FloatingIP struct {
	ID                string
	Description       string
	FloatingIPAddress string
	FloatingNetworkID string
	FixedIPAddress    string
	PortID            string
	RouterID          string
	ProjectID         string
	Status            string
}
