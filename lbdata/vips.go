package lbdata

import (
	"errors"
	"fmt"
	"strings"
)

// ComputeVIPs returns the vips column of a row, computed from its
// external_ids alone (nb-data-contract §8). Corrupt values are tolerated as
// ComputeVIPsChecked describes; use that variant to log them.
func ComputeVIPs(ext map[string]string) map[string]string {
	vips, _ := ComputeVIPsChecked(ext)
	return vips
}

// ComputeVIPsChecked computes the vips column (§8) and reports the corrupt
// values it tolerated:
//
//   - a corrupt neutron:member_status is treated as {} (no member is
//     OFFLINE), as by the reference;
//   - a VIP, additional VIP or FIP that is not an IP address is skipped;
//   - a member entry that does not parse is skipped (the reference fails the
//     whole update on it).
//
// The map is never nil; it is empty for a disabled LB. Listener keys are
// visited in sorted order so the warnings come out in a stable order.
func ComputeVIPsChecked(ext map[string]string) (map[string]string, []*CorruptValueError) {
	vips := map[string]string{}
	if !Enabled(ext) {
		return vips, nil
	}
	var warns []*CorruptValueError

	// VIP list: neutron:vip, then the additional VIPs. Addresses are
	// classified once; invalid ones are reported and left out.
	type vip struct {
		text string
		v6   bool
	}
	addrs := func(key string, list bool, v4only bool) []vip {
		raw, ok := ext[key]
		if !ok {
			return nil
		}
		var parts []string
		if list {
			parts = SplitList(raw)
		} else {
			parts = []string{raw}
		}
		var out []vip
		for _, p := range parts {
			a, err := ParseIP(p)
			if err != nil {
				warns = append(warns, corrupt(key, raw, fmt.Errorf("address %q: %w", p, err)))
				continue
			}
			if v4only && !a.Is4() {
				continue // FIPs never map IPv6 members
			}
			out = append(out, vip{text: p, v6: !a.Is4()})
		}
		return out
	}
	vipList := append(addrs(KeyVIP, false, false), addrs(KeyAdditionalVIPs, true, false)...)
	fips := append(addrs(KeyVIPFIP, false, true), addrs(KeyAdditionalVIPFIPs, true, true)...)

	ms, w := MemberStatusFrom(ext)
	if w != nil {
		warns = append(warns, w)
	}

	// A pool shared by several listeners is split once (and reported once).
	type backends struct{ v4, v6 []string }
	pools := map[string]backends{}
	for _, k := range sortedKeys(ext) {
		if !IsListenerKey(k) || IsDisabledKey(k) {
			continue
		}
		lv, ok := ParseListenerValue(ext[k])
		if !ok || lv.Port == "" || lv.PoolKey == "" {
			continue
		}
		pool, ok := ext[lv.PoolKey]
		if !ok || pool == "" {
			continue
		}
		be, seen := pools[lv.PoolKey]
		if !seen {
			for _, e := range PoolEntries(pool) {
				m, err := ParseMemberEntry(e)
				if err != nil {
					warns = append(warns, corrupt(lv.PoolKey, pool, err))
					continue
				}
				if ms.IsOffline(m.ID) {
					continue
				}
				if IsIPv6(m.IP) {
					be.v6 = append(be.v6, "["+m.IP+"]:"+m.Port)
				} else {
					be.v4 = append(be.v4, m.IP+":"+m.Port)
				}
			}
			pools[lv.PoolKey] = be
		}
		v4, v6 := be.v4, be.v6
		v4s, v6s := strings.Join(v4, ","), strings.Join(v6, ",")
		for _, v := range vipList {
			switch {
			case v.v6 && len(v6) > 0:
				vips["["+v.text+"]:"+lv.Port] = v6s
			case !v.v6 && len(v4) > 0:
				vips[v.text+":"+lv.Port] = v4s
			}
		}
		if len(v4) > 0 {
			for _, f := range fips {
				vips[f.text+":"+lv.Port] = v4s
			}
		}
	}
	return vips, warns
}

// WarningsError joins warnings into one error (nil when there are none),
// for callers that log a single error field.
func WarningsError(warns []*CorruptValueError) error {
	errs := make([]error, len(warns))
	for i, w := range warns {
		errs[i] = w
	}
	return errors.Join(errs...)
}
