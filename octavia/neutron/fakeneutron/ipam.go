package fakeneutron

import (
	"fmt"
	"net/http"
	"net/netip"
)

// usedLocked is the set of addresses held on subnetID by any port.
func (s *Server) usedLocked(subnetID string) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for _, p := range s.ports {
		for _, ip := range p.FixedIPs {
			if ip.SubnetID != subnetID {
				continue
			}
			if a, err := netip.ParseAddr(ip.IPAddress); err == nil {
				used[a] = true
			}
		}
	}
	return used
}

func invalidInput(format string, args ...any) *Fault {
	return &Fault{Status: http.StatusBadRequest, Type: "InvalidInput",
		Message: "Invalid input for operation: " + fmt.Sprintf(format, args...) + "."}
}

// allocateLocked resolves the fixed IPs of a new port like Neutron's IPAM:
// explicit addresses are validated and must be free on their subnet (else
// 409 IpAddressAlreadyAllocated); entries without an address get the lowest
// free host address of the subnet (skipping the network and, for IPv4, the
// broadcast address and the gateway). When the request had no fixed_ips at
// all (explicit false), one address is allocated on the network's first
// subnet, if it has one.
func (s *Server) allocateLocked(networkID string, req []FixedIP, explicit bool) ([]FixedIP, *Fault) {
	if !explicit {
		for _, id := range s.subnetOrder {
			if s.subnets[id].NetworkID == networkID {
				req = []FixedIP{{SubnetID: id}}
				break
			}
		}
	}
	out := make([]FixedIP, 0, len(req))
	// Addresses picked earlier in this same request, per subnet.
	picked := map[string]map[netip.Addr]bool{}
	for _, r := range req {
		var sub *Subnet
		if r.SubnetID != "" {
			sub = s.subnets[r.SubnetID]
			if sub == nil || sub.NetworkID != networkID {
				return nil, invalidInput("Failed to create port on network %s, because fixed_ips included invalid subnet %s", networkID, r.SubnetID)
			}
		}
		var want netip.Addr
		if r.IPAddress != "" {
			a, err := netip.ParseAddr(r.IPAddress)
			if err != nil {
				return nil, invalidInput("'%s' is not a valid IP address", r.IPAddress)
			}
			want = a
			if sub == nil {
				for _, id := range s.subnetOrder {
					c := s.subnets[id]
					if c.NetworkID == networkID && netip.MustParsePrefix(c.CIDR).Contains(a) {
						sub = c
						break
					}
				}
				if sub == nil {
					return nil, &Fault{Status: http.StatusBadRequest, Type: "InvalidIpForNetwork",
						Message: fmt.Sprintf("IP address %s is not a valid IP for any of the subnets on the specified network.", r.IPAddress)}
				}
			}
		}
		if sub == nil {
			return nil, invalidInput("IP allocation requires subnet_id or ip_address")
		}
		prefix := netip.MustParsePrefix(sub.CIDR) // validated by AddSubnet
		used := s.usedLocked(sub.ID)
		for a := range picked[sub.ID] {
			used[a] = true
		}
		if want.IsValid() {
			if !prefix.Contains(want) {
				return nil, &Fault{Status: http.StatusBadRequest, Type: "InvalidIpForSubnet",
					Message: fmt.Sprintf("IP address %s is not a valid IP for the specified subnet.", r.IPAddress)}
			}
			if used[want] {
				return nil, &Fault{Status: http.StatusConflict, Type: "IpAddressAlreadyAllocated",
					Message: fmt.Sprintf("IP address %s already allocated in subnet %s", want, sub.ID)}
			}
		} else {
			a, ok := freeAddr(prefix, sub.GatewayIP, used)
			if !ok {
				return nil, &Fault{Status: http.StatusConflict, Type: "IpAddressGenerationFailure",
					Message: fmt.Sprintf("No more IP addresses available on network %s.", networkID)}
			}
			want = a
		}
		if picked[sub.ID] == nil {
			picked[sub.ID] = map[netip.Addr]bool{}
		}
		picked[sub.ID][want] = true
		out = append(out, FixedIP{SubnetID: sub.ID, IPAddress: want.String()})
	}
	return out, nil
}

// freeAddr returns the lowest usable free address of prefix.
func freeAddr(prefix netip.Prefix, gateway string, used map[netip.Addr]bool) (netip.Addr, bool) {
	gw, _ := netip.ParseAddr(gateway) // "" → invalid, matches nothing
	var broadcast netip.Addr
	if prefix.Addr().Is4() && prefix.Bits() < 31 {
		b := prefix.Addr().As4()
		hostBits := 32 - prefix.Bits()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		v |= (1 << hostBits) - 1
		broadcast = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	for a := prefix.Addr().Next(); a.IsValid() && prefix.Contains(a); a = a.Next() {
		if a == broadcast {
			break
		}
		if a != gw && !used[a] {
			return a, true
		}
	}
	return netip.Addr{}, false
}
