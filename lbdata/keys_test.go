package lbdata

import (
	"testing"
)

func TestKeys(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{ListenerKey("L", true), "listener_L"},
		{ListenerKey("L", false), "listener_L:D"},
		{PoolKey("P", true), "pool_P"},
		{PoolKey("P", false), "pool_P:D"},
		{IDFromKey("pool_P:D"), "P:D"},
		{IDFromKey("listener_L"), "L"},
		{IDFromKey("80:pool_P"), "P"},
		{IDFromKey("member_m_1.2.3.4:80_s"), "m"},
		{IDFromKey("listener_"), ""},
		{IDFromKey("nounderscore"), ""},
		{StripDisabled("P:D"), "P"},
		{StripDisabled("P:D:D"), "P:D"},
		{StripDisabled("P"), "P"},
		{NeutronName("abc"), "neutron-abc"},
		{NeutronName("neutron-abc"), "neutron-abc"},
		{StripNeutron("neutron-abc"), "abc"},
		{StripNeutron("neutron-neutron-abc-neutron-"), "abc-"},
		{FormatBool(true), "True"},
		{FormatBool(false), "False"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestKeyFamilies(t *testing.T) {
	for _, tc := range []struct {
		key                      string
		listener, pool, disabled bool
	}{
		{"listener_L", true, false, false},
		{"listener_L:D", true, false, true},
		{"pool_P", false, true, false},
		{"pool_P:D", false, true, true},
		{"listener_pool_x", true, false, false}, // the listener test comes first
		{"xpool_P", false, true, false},         // substring, not prefix
		{"neutron:member_status", false, false, false},
		{"neutron:additional_vip_port_ids", false, false, false},
		{"pool", false, false, false},
		{"ls_refs", false, false, false},
	} {
		if got := IsListenerKey(tc.key); got != tc.listener {
			t.Errorf("IsListenerKey(%q) = %v", tc.key, got)
		}
		if got := IsPoolKey(tc.key); got != tc.pool {
			t.Errorf("IsPoolKey(%q) = %v", tc.key, got)
		}
		if got := IsDisabledKey(tc.key); got != tc.disabled {
			t.Errorf("IsDisabledKey(%q) = %v", tc.key, got)
		}
	}
}

func TestRowEmpty(t *testing.T) {
	base := map[string]string{KeyVIP: "1.2.3.4", KeyEnabled: "True", KeyLSRefs: "{}", KeyMemberStatus: "{}"}
	if !RowEmpty(base) {
		t.Error("row without listener/pool is not empty")
	}
	for _, k := range []string{"listener_L", "pool_P:D", "poolside", "listenerX"} {
		ext := map[string]string{k: ""}
		for kk, v := range base {
			ext[kk] = v
		}
		if RowEmpty(ext) {
			t.Errorf("row with %q is empty", k)
		}
	}
	// "contains" is not "starts with": a key merely containing pool_ does
	// not keep the row.
	if !RowEmpty(map[string]string{"xpool_P": ""}) {
		t.Error("xpool_P keeps the row")
	}
}

func TestEnabledAndBools(t *testing.T) {
	for v, want := range map[string]bool{"False": false, "True": true, "false": true, "": true, "0": true} {
		if got := Enabled(map[string]string{KeyEnabled: v}); got != want {
			t.Errorf("Enabled(%q) = %v", v, got)
		}
	}
	if !Enabled(map[string]string{}) || !Enabled(nil) {
		t.Error("absent enabled key means disabled")
	}
	for v, want := range map[string]bool{"True": true, "true": true, " YES ": true, "1": true, "on": true, "t": true, "y": true,
		"False": false, "0": false, "": false, "no": false, "truthy": false} {
		if got := TrueLike(v); got != want {
			t.Errorf("TrueLike(%q) = %v", v, got)
		}
	}
}

func TestIsForeignRow(t *testing.T) {
	if !IsForeignRow(map[string]string{KeyDeviceOwner: "port_forwarding_plugin"}) {
		t.Error("port forwarding row not foreign")
	}
	if IsForeignRow(map[string]string{KeyVIP: "1.2.3.4"}) {
		t.Error("LB row foreign")
	}
}

func TestSplitList(t *testing.T) {
	if SplitList("") != nil {
		t.Error(`SplitList("") != nil`)
	}
	if got := SplitList("a,b,,c"); len(got) != 4 || got[2] != "" {
		t.Errorf("SplitList = %q", got)
	}
}
