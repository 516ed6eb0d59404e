package health

import (
	"net/netip"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
)

// Member is one entry of a pool value (nb-data-contract §5).
type Member = lbdata.Member

// parseMembers returns the parseable entries of a pool value. Corrupt
// entries are skipped, never fatal: NB data from other writers must not stop
// the health engine.
func parseMembers(v string) []Member {
	members, _ := lbdata.ParsePoolValue(v)
	return members
}

// poolKeyOf returns the key holding pool id on the row ("pool_<id>" first,
// else "pool_<id>:D") and whether one exists.
func poolKeyOf(ext map[string]string, poolID string) (string, bool) {
	for _, enabled := range []bool{true, false} {
		k := lbdata.PoolKey(poolID, enabled)
		if _, ok := ext[k]; ok {
			return k, true
		}
	}
	return "", false
}

// listenerPort returns the protocol_port of the first listener (in key
// order) linking pool_<poolID>, or "" (NB §11).
func listenerPort(ext map[string]string, poolID string) string {
	p, _ := lbdata.ListenerPortForPool(ext, lbdata.PoolKey(poolID, true))
	return p
}

// vipAddresses returns the addresses an HM gets one LBHC for, in the
// reference's order: VIP, additional VIPs, VIP FIP, additional VIP FIPs.
func vipAddresses(ext map[string]string) []string {
	var out []string
	for _, v := range [][]string{
		{ext[lbdata.KeyVIP]},
		lbdata.SplitList(ext[lbdata.KeyAdditionalVIPs]),
		{ext[lbdata.KeyVIPFIP]},
		lbdata.SplitList(ext[lbdata.KeyAdditionalVIPFIPs]),
	} {
		for _, a := range v {
			if a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// sameIP compares two address strings as IPs (so that differently written
// IPv6 forms match), falling back to string equality.
func sameIP(a, b string) bool {
	if a == b {
		return true
	}
	x, err1 := netip.ParseAddr(lbdata.UnbracketIP(a))
	y, err2 := netip.ParseAddr(lbdata.UnbracketIP(b))
	return err1 == nil && err2 == nil && x == y
}

// lspHasIP reports whether a token of the LSP's addresses is ip (NB §14:
// every token that is a valid IP counts).
func lspHasIP(lsp *nb.LogicalSwitchPort, ip string) bool {
	for _, a := range lsp.Addresses {
		for _, tok := range strings.Fields(a) {
			if sameIP(tok, ip) {
				return true
			}
		}
	}
	return false
}

// memberStatuses reads neutron:member_status; a corrupt value reads as {}
// (as in the reference's roll-up) and is overwritten by the next write.
func memberStatuses(ext map[string]string) *lbdata.MemberStatus {
	ms, _ := lbdata.MemberStatusFrom(ext)
	return ms
}

// statusOf returns the member's recorded status ("" when absent).
func statusOf(ms *lbdata.MemberStatus, id string) string {
	s, _ := ms.Get(id)
	return s
}
