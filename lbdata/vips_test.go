package lbdata

import (
	"reflect"
	"strings"
	"testing"
)

const (
	lid  = "l1"
	lid2 = "l2"
	pid  = "p1"
	m4   = "member_m4_10.0.0.20:8080_s4"
	m6   = "member_m6_fd00::20:8080_s6"
)

// row returns a minimal enabled row with listener l1 on port 80 → pool p1
// holding an IPv4 and an IPv6 member, plus the given overrides ("" value =
// delete the key).
func row(over map[string]string) map[string]string {
	ext := map[string]string{
		KeyEnabled:          "True",
		KeyVIP:              "10.0.0.10",
		"listener_" + lid:   "80:pool_" + pid,
		"pool_" + pid:       m4 + "," + m6,
		KeyVIPPortID:        "vport",
		KeyLRRef:            "neutron-r1",
		KeyLSRefs:           `{"neutron-n1": 1}`,
		"neutron:something": "x",
	}
	for k, v := range over {
		if v == "\x00" {
			delete(ext, k)
		} else {
			ext[k] = v
		}
	}
	return ext
}

func TestComputeVIPs(t *testing.T) {
	for _, tc := range []struct {
		name string
		ext  map[string]string
		want map[string]string
	}{
		{"IPv4 VIP only", row(nil),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}},
		{"IPv6 VIP only", row(map[string]string{KeyVIP: "fd00::10"}),
			map[string]string{"[fd00::10]:80": "[fd00::20]:8080"}},
		{"IPv4 VIP + additional IPv6", row(map[string]string{KeyAdditionalVIPs: "fd00::10"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "[fd00::10]:80": "[fd00::20]:8080"}},
		{"+ vip_fip", row(map[string]string{KeyAdditionalVIPs: "fd00::10", KeyVIPFIP: "172.24.4.50"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "[fd00::10]:80": "[fd00::20]:8080", "172.24.4.50:80": "10.0.0.20:8080"}},
		{"IPv6 FIP never maps", row(map[string]string{KeyVIPFIP: "2001:db8::50", KeyAdditionalVIPFIPs: "172.24.4.51,2001:db8::51"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "172.24.4.51:80": "10.0.0.20:8080"}},
		{"FIP needs IPv4 members", row(map[string]string{KeyVIP: "fd00::10", KeyVIPFIP: "172.24.4.50", "pool_" + pid: m6}),
			map[string]string{"[fd00::10]:80": "[fd00::20]:8080"}},
		{"several additional VIPs and FIPs", row(map[string]string{KeyAdditionalVIPs: "10.0.1.20,fd00::20", KeyAdditionalVIPFIPs: "172.24.4.51,172.24.4.52"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "10.0.1.20:80": "10.0.0.20:8080", "[fd00::20]:80": "[fd00::20]:8080",
				"172.24.4.51:80": "10.0.0.20:8080", "172.24.4.52:80": "10.0.0.20:8080"}},
		{"LB disabled", row(map[string]string{KeyEnabled: "False"}), map[string]string{}},
		{"enabled spelled otherwise counts as enabled", row(map[string]string{KeyEnabled: "false"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}},
		{"enabled key absent", row(map[string]string{KeyEnabled: "\x00"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}},
		{"listener disabled", row(map[string]string{"listener_" + lid: "\x00", "listener_" + lid + ":D": "80:pool_" + pid}),
			map[string]string{}},
		{"pool disabled", row(map[string]string{"pool_" + pid: "\x00", "pool_" + pid + ":D": m4}),
			map[string]string{}},
		{"pool empty", row(map[string]string{"pool_" + pid: ""}), map[string]string{}},
		{"listener without pool", row(map[string]string{"listener_" + lid: "80:"}), map[string]string{}},
		{"unusable quirk value", row(map[string]string{"listener_" + lid: "80:pool_" + pid + ":D", "pool_" + pid + ":D": m4}),
			map[string]string{}},
		{"pool_None quirk", row(map[string]string{"listener_" + lid: "80:pool_None"}), map[string]string{}},
		{"empty port", row(map[string]string{"listener_" + lid: ":pool_" + pid}), map[string]string{}},
		{"member OFFLINE excluded", row(map[string]string{KeyMemberStatus: `{"m4": "OFFLINE", "m6": "ERROR"}`}),
			map[string]string{}},
		{"ERROR, ONLINE, NO_MONITOR included", row(map[string]string{
			"pool_" + pid:   "member_a_10.0.0.1:1_s,member_b_10.0.0.2:2_s,member_c_10.0.0.3:3_s,member_d_10.0.0.4:4_s",
			KeyMemberStatus: `{"a": "ERROR", "b": "ONLINE", "c": "NO_MONITOR"}`}),
			map[string]string{"10.0.0.10:80": "10.0.0.1:1,10.0.0.2:2,10.0.0.3:3,10.0.0.4:4"}},
		{"member order kept", row(map[string]string{"pool_" + pid: "member_z_10.0.0.9:1_s,member_a_10.0.0.1:2_s"}),
			map[string]string{"10.0.0.10:80": "10.0.0.9:1,10.0.0.1:2"}},
		{"two listeners on one pool", row(map[string]string{"listener_" + lid2: "443:pool_" + pid}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "10.0.0.10:443": "10.0.0.20:8080"}},
		{"legacy member entry", row(map[string]string{"pool_" + pid: "member_old_10.0.0.30:80,member_new_10.0.0.31:80_s"}),
			map[string]string{"10.0.0.10:80": "10.0.0.30:80,10.0.0.31:80"}},
		{"listener family is a substring test", row(map[string]string{"xlistener_" + lid2: "81:pool_" + pid}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "10.0.0.10:81": "10.0.0.20:8080"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warns := ComputeVIPsChecked(tc.ext)
			if len(warns) != 0 {
				t.Errorf("unexpected warnings: %v", warns)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("vips = %v\nwant %v", got, tc.want)
			}
			if plain := ComputeVIPs(tc.ext); !reflect.DeepEqual(plain, got) {
				t.Errorf("ComputeVIPs = %v differs from ComputeVIPsChecked", plain)
			}
		})
	}
}

func TestComputeVIPsCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ext      map[string]string
		want     map[string]string
		warnKeys []string
		warnText string
	}{
		{"corrupt member status treated as {}", row(map[string]string{KeyMemberStatus: `{"m4": "OFFLINE"`}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}, []string{KeyMemberStatus}, "unexpected EOF"},
		{"member status not an object", row(map[string]string{KeyMemberStatus: `["m4"]`}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}, []string{KeyMemberStatus}, "not an object"},
		{"member status with a non-string status", row(map[string]string{KeyMemberStatus: `{"m4": "OFFLINE", "x": 1}`}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080"}, []string{KeyMemberStatus}, "not a string"},
		{"corrupt member entry skipped", row(map[string]string{"pool_" + pid: "member_bad,member_ok_10.0.0.5:80_s"}),
			map[string]string{"10.0.0.10:80": "10.0.0.5:80"}, []string{"pool_" + pid}, "member entry"},
		{"corrupt entry in a shared pool reported once", row(map[string]string{"pool_" + pid: "garbage", "listener_" + lid2: "81:pool_" + pid}),
			map[string]string{}, []string{"pool_" + pid}, "garbage"},
		{"invalid VIP skipped", row(map[string]string{KeyVIP: "not-an-ip", KeyAdditionalVIPs: "10.0.1.1"}),
			map[string]string{"10.0.1.1:80": "10.0.0.20:8080"}, []string{KeyVIP}, "not-an-ip"},
		{"invalid FIP skipped", row(map[string]string{KeyAdditionalVIPFIPs: "1.2.3.4,,x"}),
			map[string]string{"10.0.0.10:80": "10.0.0.20:8080", "1.2.3.4:80": "10.0.0.20:8080"},
			[]string{KeyAdditionalVIPFIPs, KeyAdditionalVIPFIPs}, "address"},
		{"bracketed VIP is invalid", row(map[string]string{KeyVIP: "[fd00::10]"}),
			map[string]string{}, []string{KeyVIP}, "[fd00::10]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, warns := ComputeVIPsChecked(tc.ext)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("vips = %v\nwant %v", got, tc.want)
			}
			var keys []string
			for _, w := range warns {
				keys = append(keys, w.Key)
				if w.Value != tc.ext[w.Key] {
					t.Errorf("warning value %q, want the raw value %q", w.Value, tc.ext[w.Key])
				}
				if !strings.Contains(w.Error(), tc.warnText) || !strings.HasPrefix(w.Error(), "corrupt value of external_ids:"+w.Key) {
					t.Errorf("warning %q lacks %q", w.Error(), tc.warnText)
				}
			}
			if !reflect.DeepEqual(keys, tc.warnKeys) {
				t.Errorf("warning keys = %v, want %v", keys, tc.warnKeys)
			}
			if err := WarningsError(warns); err == nil {
				t.Error("WarningsError = nil")
			}
		})
	}
	if WarningsError(nil) != nil {
		t.Error("WarningsError(nil) != nil")
	}
}
