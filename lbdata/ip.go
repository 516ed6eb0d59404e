package lbdata

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ParseIP parses an IPv4 or IPv6 address as the provider stores it: no
// brackets, no zone, no prefix length. IPv4-mapped IPv6 addresses are IPv6,
// as for Python's netaddr.
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("IP address %q has a zone", s)
	}
	return a, nil
}

// IsIPv4 reports whether s is a valid IPv4 address.
func IsIPv4(s string) bool {
	a, err := ParseIP(s)
	return err == nil && a.Is4()
}

// IsIPv6 reports whether s is a valid, unbracketed IPv6 address.
func IsIPv6(s string) bool {
	a, err := ParseIP(s)
	return err == nil && !a.Is4()
}

// BracketIP returns "[ip]" for an IPv6 address and ip unchanged otherwise
// (IPv4, already bracketed, or not an address). Text is kept as supplied:
// the provider never re-formats addresses (§16).
func BracketIP(ip string) string {
	if IsIPv6(ip) {
		return "[" + ip + "]"
	}
	return ip
}

// UnbracketIP removes one pair of surrounding brackets.
func UnbracketIP(s string) string {
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		return s[1 : len(s)-1]
	}
	return s
}

// JoinIPPort returns "<ip>:<port>" for IPv4 and "[<ip>]:<port>" for IPv6.
func JoinIPPort(ip, port string) string {
	return BracketIP(ip) + ":" + port
}

// SplitIPPort splits "<ip>:<port>" or "[<ip6>]:<port>" at the last ":" and
// removes brackets from the address. Both parts must be non-empty.
func SplitIPPort(s string) (ip, port string, err error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", "", fmt.Errorf("%q is not <ip>:<port>", s)
	}
	return UnbracketIP(s[:i]), s[i+1:], nil
}

// validPort accepts the decimal text of a TCP/UDP port, 0–65535, without
// sign or leading zeros.
func validPort(p string) error {
	if p == "" {
		return errors.New("empty port")
	}
	if len(p) > 5 || (len(p) > 1 && p[0] == '0') {
		return fmt.Errorf("invalid port %q", p)
	}
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("invalid port %q", p)
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return fmt.Errorf("port %q out of range", p)
	}
	return nil
}

// Mapping is one ip_port_mappings value: the member's logical switch port
// and the health-check source address (nb-data-contract §12).
type Mapping struct {
	LSP      string // Logical_Switch_Port name (= Neutron port id)
	SourceIP string // unbracketed
}

// MappingKey returns the ip_port_mappings key of a member address: the
// address itself for IPv4, bracketed for IPv6.
func MappingKey(memberIP string) string {
	return BracketIP(memberIP)
}

// Value returns "<lsp>:<src>" (IPv4 source) or "<lsp>:[<src6>]".
func (m Mapping) Value() string {
	return m.LSP + ":" + BracketIP(m.SourceIP)
}

// ParseMappingValue parses an ip_port_mappings value. It accepts the
// bracketed IPv6 form written by current releases and the unbracketed form
// of releases from 2023 (the LSP name, a Neutron port id, has no ":").
func ParseMappingValue(v string) (Mapping, error) {
	var lsp, src string
	if strings.HasSuffix(v, "]") {
		i := strings.LastIndex(v, ":[")
		if i < 0 {
			return Mapping{}, fmt.Errorf("ip_port_mappings value %q: unbalanced brackets", v)
		}
		lsp, src = v[:i], v[i+2:len(v)-1]
		if !IsIPv6(src) {
			return Mapping{}, fmt.Errorf("ip_port_mappings value %q: bracketed source %q is not an IPv6 address", v, src)
		}
	} else {
		var ok bool
		lsp, src, ok = strings.Cut(v, ":")
		if !ok {
			return Mapping{}, fmt.Errorf("ip_port_mappings value %q is not <lsp>:<source ip>", v)
		}
		if _, err := ParseIP(src); err != nil {
			return Mapping{}, fmt.Errorf("ip_port_mappings value %q: source: %w", v, err)
		}
	}
	if lsp == "" {
		return Mapping{}, fmt.Errorf("ip_port_mappings value %q: empty logical port", v)
	}
	return Mapping{LSP: lsp, SourceIP: src}, nil
}

// MonitorMapping returns the ip_port_mappings key and value a SB
// Service_Monitor row must match (nb-data-contract §15,
// events-and-status §6 step 1): the member IP bracketed if IPv6, and
// "<logical_port>:<src_ip>" with the source bracketed if IPv6.
func MonitorMapping(ip, logicalPort, srcIP string) (key, value string) {
	return MappingKey(ip), Mapping{LSP: logicalPort, SourceIP: srcIP}.Value()
}

// MatchesMonitor reports whether an LB row with these ip_port_mappings and
// protocol is one a Service_Monitor (ip, protocol, logical_port, src_ip)
// reports on: protocols equal and the mapping present with exactly that
// value.
func MatchesMonitor(mappings map[string]string, rowProtocol, ip, smProtocol, logicalPort, srcIP string) bool {
	if rowProtocol != smProtocol {
		return false
	}
	k, v := MonitorMapping(ip, logicalPort, srcIP)
	got, ok := mappings[k]
	return ok && got == v
}

// NeedsBracketFix reports whether an ip_port_mappings key is an
// unbracketed IPv6 address, as written by releases from early 2023 to early
// 2024 (a maintenance task rewrites them, nb-data-contract §19).
func NeedsBracketFix(key string) bool {
	return IsIPv6(key)
}

// FindMemberByEndpoint finds the member a Service_Monitor (ip, port)
// reports on (events-and-status §6 worker step 1, exact-match
// Recommendation): pool-family keys of both forms in sorted order, the
// first entry whose address equals ip and whose port text equals port. It
// returns the member and the pool key holding it. Addresses are compared as
// parsed IPs, so a non-canonical IPv6 spelling in the entry still matches
// what ovn-northd reports; entries that do not parse are skipped.
func FindMemberByEndpoint(ext map[string]string, ip, port string) (Member, string, bool) {
	want, werr := ParseIP(UnbracketIP(ip))
	for _, k := range sortedKeys(ext) {
		if !IsPoolKey(k) {
			continue
		}
		for _, e := range PoolEntries(ext[k]) {
			m, err := ParseMemberEntry(e)
			if err != nil || m.Port != port {
				continue
			}
			if m.IP == ip {
				return m, k, true
			}
			if werr == nil {
				if got, err := ParseIP(m.IP); err == nil && got == want {
					return m, k, true
				}
			}
		}
	}
	return Member{}, "", false
}
