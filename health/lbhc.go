package health

import (
	"maps"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// Load_Balancer_Health_Check options keys (NB §11).
const (
	OptInterval     = "interval"
	OptTimeout      = "timeout"
	OptSuccessCount = "success_count"
	OptFailureCount = "failure_count"
)

// hcAddress returns the unbracketed address an LBHC checks: octavia:vip,
// else the text of vip before its last ':'.
func hcAddress(hc *nb.LoadBalancerHealthCheck) string {
	if a := hc.ExternalIDs[lbdata.KeyHCVIP]; a != "" {
		return a
	}
	if i := strings.LastIndex(hc.Vip, ":"); i > 0 {
		return lbdata.UnbracketIP(hc.Vip[:i])
	}
	return ""
}

// healthChecksOf returns the row's LBHCs of one HM.
func healthChecksOf(t *nbtxn.Txn, lb *nb.LoadBalancer, hmID string) []*nb.LoadBalancerHealthCheck {
	var out []*nb.LoadBalancerHealthCheck
	for _, hc := range t.HealthChecksOf(lb) {
		if hc.ExternalIDs[lbdata.KeyHCHealthMonitor] == hmID {
			out = append(out, hc)
		}
	}
	return out
}

// ensureHealthChecks creates one LBHC per VIP, additional VIP and FIP of the
// row for the HM (NB §11) and returns how many it created; addresses that
// already have an LBHC of this HM are left alone, so a repeated create does
// not duplicate rows.
func ensureHealthChecks(t *nbtxn.Txn, lb *nb.LoadBalancer, hmID, poolID string, opts map[string]string) int {
	have := map[string]bool{}
	for _, hc := range healthChecksOf(t, lb, hmID) {
		have[hcAddress(hc)] = true
	}
	port := listenerPort(lb.ExternalIDs, poolID)
	n := 0
	for _, addr := range vipAddresses(lb.ExternalIDs) {
		if have[addr] {
			continue
		}
		have[addr] = true
		vip := ""
		if port != "" {
			vip = lbdata.JoinIPPort(addr, port)
		}
		t.CreateHealthCheck(lb, &nb.LoadBalancerHealthCheck{
			Vip:     vip,
			Options: maps.Clone(opts),
			ExternalIDs: map[string]string{
				lbdata.KeyHCHealthMonitor: hmID,
				lbdata.KeyHCPoolID:        poolID,
				lbdata.KeyHCVIP:           addr,
			},
		})
		n++
	}
	return n
}

// SetHealthCheckPort rewrites the vip of every LBHC of the row that checks
// poolID to <address>:<port> (NB §11): called when a listener is created
// with poolID as its default pool. The address is the text of vip before its
// last ':' (the reference takes the first ':', which breaks IPv6; the spec
// recommends the last), or octavia:vip (bracketed if IPv6) when vip is
// empty. It returns how many LBHCs changed.
func SetHealthCheckPort(t *nbtxn.Txn, lb *nb.LoadBalancer, poolID, port string) int {
	n := 0
	for _, hc := range t.HealthChecksOf(lb) {
		if hc.ExternalIDs[lbdata.KeyHCPoolID] != poolID {
			continue
		}
		var addr string
		if i := strings.LastIndex(hc.Vip, ":"); hc.Vip != "" && i > 0 {
			addr = hc.Vip[:i]
		} else if a := hc.ExternalIDs[lbdata.KeyHCVIP]; a != "" {
			addr = lbdata.BracketIP(a)
		} else {
			continue
		}
		if v := addr + ":" + port; hc.Vip != v {
			hc.Vip = v
			n++
		}
	}
	return n
}

// AddFIPHealthChecks is for the agent's VIP floating IP handler (NB §11):
// for each LBHC of the row whose address is one of vipIPs (the fixed IPs of
// the VIP port), it creates an LBHC for fip copying options and
// external_ids (octavia:vip = fip), with vip = <fip>:<port> when the
// original vip is <x>:<digits>, else empty. An HM that already has an LBHC
// for fip gets no second one. It returns how many LBHCs it created.
func AddFIPHealthChecks(t *nbtxn.Txn, lb *nb.LoadBalancer, vipIPs []string, fip string) int {
	isVIP := func(a string) bool {
		for _, v := range vipIPs {
			if sameIP(v, a) {
				return true
			}
		}
		return false
	}
	hcs := t.HealthChecksOf(lb)
	hasFIP := map[string]bool{} // HM id -> has an LBHC for fip
	for _, hc := range hcs {
		if sameIP(hcAddress(hc), fip) {
			hasFIP[hc.ExternalIDs[lbdata.KeyHCHealthMonitor]] = true
		}
	}
	n := 0
	for _, hc := range hcs {
		hm := hc.ExternalIDs[lbdata.KeyHCHealthMonitor]
		if hasFIP[hm] || !isVIP(hcAddress(hc)) {
			continue
		}
		hasFIP[hm] = true
		vip := ""
		if i := strings.LastIndex(hc.Vip, ":"); i > 0 && isDigits(hc.Vip[i+1:]) {
			vip = lbdata.JoinIPPort(fip, hc.Vip[i+1:])
		}
		ext := maps.Clone(hc.ExternalIDs)
		if ext == nil {
			ext = map[string]string{}
		}
		ext[lbdata.KeyHCVIP] = fip
		t.CreateHealthCheck(lb, &nb.LoadBalancerHealthCheck{
			Vip:         vip,
			Options:     maps.Clone(hc.Options),
			ExternalIDs: ext,
		})
		n++
	}
	return n
}

// RemoveFIPHealthChecks removes every LBHC of the row whose address is fip
// (the reference removes only the first; the spec recommends all) and
// returns how many it removed.
func RemoveFIPHealthChecks(t *nbtxn.Txn, lb *nb.LoadBalancer, fip string) int {
	n := 0
	for _, hc := range t.HealthChecksOf(lb) {
		if sameIP(hcAddress(hc), fip) {
			t.RemoveHealthCheck(lb, hc)
			n++
		}
	}
	return n
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
