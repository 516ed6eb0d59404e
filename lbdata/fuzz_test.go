package lbdata

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParseValues feeds one string to every parser of the package. Beyond
// not panicking, whatever parses must format back to something that parses
// to the same value, and member entries must round-trip byte for byte.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{
		"member_a_10.0.0.1:80_s", "member_a_fd00::1:80", "member_a_10.0.0.1:80_s,member_b",
		`{"neutron-a": 1, "neutron-b": 2}`, `{"m1": "ONLINE"}`, `["hm1", "hm2"]`,
		"80:pool_x", "80:pool_x:D", "80:", "lsp:[fd00::2]", "lsp:10.0.0.2", "[fd00::1]:80",
		"neutron-r1, neutron-r2", "", "{", "_:_:_",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseMemberEntry(s); err == nil {
			if m.Entry() != s {
				t.Fatalf("ParseMemberEntry(%q).Entry() = %q", s, m.Entry())
			}
			if _, key, ok := FindMemberByEndpoint(map[string]string{"pool_p": s}, m.IP, m.Port); !ok || key != "pool_p" {
				t.Fatalf("member %q not found by its endpoint", s)
			}
		}
		if ms, err := ParsePoolValue(s); err == nil {
			if got := FormatPoolValue(ms); got != s {
				t.Fatalf("pool value %q formats back as %q", s, got)
			}
		}
		if lv, ok := ParseListenerValue(s); ok && lv.Port+":"+lv.PoolKey != s {
			t.Fatalf("listener value %q parsed as %+v", s, lv)
		}
		if r, err := ParseLSRefs(s); err == nil {
			r2, err := ParseLSRefs(r.String())
			if err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("ls_refs %q -> %q does not round-trip: %v", s, r.String(), err)
			}
		} else if r == nil || r.Len() != 0 {
			t.Fatalf("corrupt ls_refs %q did not give an empty map", s)
		}
		if ms, err := ParseMemberStatus(s); err == nil {
			ms2, err := ParseMemberStatus(ms.String())
			if err != nil || !reflect.DeepEqual(ms, ms2) {
				t.Fatalf("member status %q -> %q does not round-trip: %v", s, ms.String(), err)
			}
		} else if ms == nil || ms.Len() != 0 {
			t.Fatalf("corrupt member status %q did not give an empty map", s)
		}
		if ids, err := ParseHealthMonitors(s); err == nil {
			ids2, err := ParseHealthMonitors(FormatHealthMonitors(ids))
			if err != nil || !reflect.DeepEqual(ids, ids2) {
				t.Fatalf("health monitors %q do not round-trip: %v", s, err)
			}
		}
		if mp, err := ParseMappingValue(s); err == nil {
			if mp2, err := ParseMappingValue(mp.Value()); err != nil || mp2 != mp {
				t.Fatalf("mapping %q -> %q does not round-trip: %v", s, mp.Value(), err)
			}
		}
		if ip, port, err := SplitIPPort(s); err == nil && (port == "" || strings.HasSuffix(s, ":")) {
			t.Fatalf("SplitIPPort(%q) = %q, %q", s, ip, port)
		}
		rest, remains := LRRefRemove(s, "neutron-r1")
		if remains != (rest != "") {
			t.Fatalf("LRRefRemove(%q) = %q, %v", s, rest, remains)
		}
		_ = LRRefAdd(s, "neutron-r1")
		_ = IDFromKey(s)
		_, _ = MemberIDOfEntry(s)
		_ = BracketIP(s)
	})
}

// FuzzRow builds a row from fuzzed values and runs the whole-row functions
// on it: vips, roll-up, member lookup and the emptiness test.
func FuzzRow(f *testing.F) {
	f.Add("10.0.0.10", "fd00::10", "172.24.4.50", "80:pool_p", "member_a_10.0.0.20:8080_s,member_b_fd00::20:8080_s",
		`{"a": "ERROR", "b": "OFFLINE"}`, "pool_p:D", "True")
	f.Add("x", ",", "", "80:pool_p:D", "member_", `{"a": 1}`, "listener_q", "False")
	f.Fuzz(func(t *testing.T, vip, addVIPs, fip, listener, pool, status, extraKey, enabled string) {
		ext := map[string]string{
			KeyEnabled: enabled, KeyVIP: vip, KeyAdditionalVIPs: addVIPs, KeyVIPFIP: fip,
			KeyAdditionalVIPFIPs: fip + "," + vip,
			"listener_l":         listener, "listener_m:D": listener,
			"pool_p": pool, KeyMemberStatus: status, extraKey: pool,
		}
		vips, warns := ComputeVIPsChecked(ext)
		if vips == nil {
			t.Fatal("nil vips")
		}
		for k, v := range vips {
			if k == "" || v == "" {
				t.Fatalf("empty vips entry %q=%q", k, v)
			}
		}
		for _, w := range warns {
			if w.Error() == "" || ext[w.Key] != w.Value {
				t.Fatalf("bad warning %+v", w)
			}
		}
		st, _ := RollUpChecked("lb", ext, allUp{})
		if len(st.LoadBalancers) != 1 {
			t.Fatalf("roll-up has %d LB entries", len(st.LoadBalancers))
		}
		for _, e := range append(append(st.Listeners, st.Pools...), st.LoadBalancers...) {
			switch e.OperatingStatus {
			case "ONLINE", "OFFLINE", "DEGRADED", "ERROR":
			default:
				t.Fatalf("operating status %q", e.OperatingStatus)
			}
		}
		_, _, _ = FindMemberByEndpoint(ext, vip, listener)
		_ = RowEmpty(ext)
		_, _ = ListenerPortForPool(ext, "pool_p")
		_, _ = LSRefsFrom(map[string]string{KeyLSRefs: status})
	})
}
