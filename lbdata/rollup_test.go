package lbdata

import (
	"reflect"
	"slices"
	"testing"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// admin is an AdminStates backed by maps; absent ids are down (as a
// get-socket read that finds nothing), and every question is recorded.
type admin struct {
	lbDown bool
	up     map[string]bool
	asked  []string
}

func (a *admin) LBAdminUp() bool { a.asked = append(a.asked, "lb"); return !a.lbDown }
func (a *admin) PoolAdminUp(id string) bool {
	a.asked = append(a.asked, "pool:"+id)
	return a.up[id]
}
func (a *admin) ListenerAdminUp(id string) bool {
	a.asked = append(a.asked, "listener:"+id)
	return a.up[id]
}

func entries(kv ...string) []octavia.StatusEntry {
	out := []octavia.StatusEntry{}
	for i := 0; i < len(kv); i += 2 {
		out = append(out, octavia.StatusEntry{ID: kv[i], ProvisioningStatus: "ACTIVE", OperatingStatus: kv[i+1]})
	}
	return out
}

func TestRollUp(t *testing.T) {
	const lb = "lb1"
	allEnabled := func() *admin {
		return &admin{up: map[string]bool{"L": true, "L2": true, "P": true, "Q": true}}
	}
	for _, tc := range []struct {
		name                      string
		ext                       map[string]string
		admin                     *admin
		lb                        string
		listeners, pools, members []octavia.StatusEntry
		asked                     []string
	}{
		{
			name: "spec example: one ERROR member degrades pool, listener, LB",
			ext: map[string]string{
				"listener_L":    "80:pool_P",
				"pool_P":        "member_a_10.0.0.1:80_s,member_b_10.0.0.2:80_s",
				KeyMemberStatus: `{"a": "ERROR", "b": "ONLINE"}`,
			},
			admin: allEnabled(), lb: "DEGRADED",
			listeners: entries("L", "DEGRADED"), pools: entries("P", "DEGRADED"),
			members: entries("a", "ERROR", "b", "ONLINE"),
			asked:   []string{"pool:P", "listener:L", "lb"},
		},
		{
			name: "all members ERROR: ERROR propagates",
			ext: map[string]string{
				"listener_L": "80:pool_P", "listener_L2": "81:",
				"pool_P":        "member_a_10.0.0.1:80_s,member_b_10.0.0.2:80_s",
				KeyMemberStatus: `{"b": "ERROR", "a": "ERROR"}`,
			},
			admin: allEnabled(), lb: "ERROR",
			listeners: entries("L", "ERROR", "L2", "ONLINE"), pools: entries("P", "ERROR"),
			members: entries("b", "ERROR", "a", "ERROR"),
		},
		{
			name: "ERROR beats DEGRADED at the LB",
			ext: map[string]string{
				"listener_L": "80:pool_P", "listener_L2": "81:pool_Q",
				"pool_P":        "member_a_10.0.0.1:80_s",
				"pool_Q":        "member_b_10.0.0.2:80_s,member_c_10.0.0.3:80_s",
				KeyMemberStatus: `{"a": "ERROR", "b": "ERROR", "c": "ONLINE"}`,
			},
			admin: allEnabled(), lb: "ERROR",
			listeners: entries("L", "ERROR", "L2", "DEGRADED"), pools: entries("P", "ERROR", "Q", "DEGRADED"),
			members: entries("a", "ERROR", "b", "ERROR", "c", "ONLINE"),
		},
		{
			name: "empty member status: pools OFFLINE, listeners ONLINE",
			ext: map[string]string{
				"listener_L": "80:pool_P",
				"pool_P":     "member_a_10.0.0.1:80_s",
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries("L", "ONLINE"), pools: entries("P", "OFFLINE"), members: entries(),
		},
		{
			name: "member status {} is empty too",
			ext: map[string]string{
				"pool_P": "", KeyMemberStatus: `{}`,
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries(), pools: entries("P", "OFFLINE"), members: entries(),
		},
		{
			name: "empty pool, OFFLINE and NO_MONITOR members do not degrade; absent status is ONLINE",
			ext: map[string]string{
				"listener_L": "80:pool_P", "listener_L2": "81:pool_Q",
				"pool_P":        "member_a_10.0.0.1:80_s,member_b_10.0.0.2:80_s,member_c_10.0.0.3:80_s",
				"pool_Q":        "",
				KeyMemberStatus: `{"a": "OFFLINE", "b": "NO_MONITOR"}`,
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries("L", "ONLINE", "L2", "ONLINE"), pools: entries("P", "ONLINE", "Q", "ONLINE"),
			members: entries("a", "OFFLINE", "b", "NO_MONITOR"),
		},
		{
			name: "admin-down pool and listener are OFFLINE and do not propagate",
			ext: map[string]string{
				"listener_L": "80:pool_P",
				"pool_P":     "member_a_10.0.0.1:80_s",
				"listener_X": "81:pool_Q", "pool_Q": "member_b_10.0.0.2:80_s",
				KeyMemberStatus: `{"a": "ERROR", "b": "ERROR"}`,
			},
			admin: &admin{up: map[string]bool{"L": true, "P": false, "X": false, "Q": true}}, lb: "ONLINE",
			listeners: entries("L", "ONLINE", "X", "OFFLINE"), pools: entries("P", "OFFLINE", "Q", "ERROR"),
			members: entries("a", "ERROR", "b", "ERROR"),
		},
		{
			name: "LB admin down",
			ext: map[string]string{
				"listener_L": "80:pool_P", "pool_P": "member_a_10.0.0.1:80_s", KeyMemberStatus: `{"a": "ERROR"}`,
			},
			admin: &admin{lbDown: true, up: map[string]bool{"L": true, "P": true}}, lb: "OFFLINE",
			listeners: entries("L", "ERROR"), pools: entries("P", "ERROR"), members: entries("a", "ERROR"),
		},
		{
			name: "disabled keys keep :D, are looked up with it and reported OFFLINE",
			ext: map[string]string{
				"listener_L:D":  "80:pool_P",
				"pool_P:D":      "member_a_10.0.0.1:80_s",
				KeyMemberStatus: `{"a": "ONLINE"}`,
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries("L:D", "OFFLINE"), pools: entries("P:D", "OFFLINE"), members: entries("a", "ONLINE"),
			asked: []string{"pool:P:D", "listener:L:D", "lb"},
		},
		{
			name: "quirk value 80:pool_P:D links the disabled pool's status",
			ext: map[string]string{
				"listener_L":    "80:pool_P:D",
				"pool_P:D":      "member_a_10.0.0.1:80_s",
				KeyMemberStatus: `{"a": "ERROR"}`,
			},
			admin: &admin{up: map[string]bool{"L": true, "P:D": true}}, lb: "ERROR",
			listeners: entries("L", "ERROR"), pools: entries("P:D", "ERROR"), members: entries("a", "ERROR"),
		},
		{
			name: "listener on unknown pool (pool_None) is ONLINE",
			ext: map[string]string{
				"listener_L": "80:pool_None", KeyMemberStatus: `{"a": "ERROR"}`,
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries("L", "ONLINE"), pools: entries(), members: entries("a", "ERROR"),
		},
		{
			name: "pools and listeners in sorted key order, members in JSON order",
			ext: map[string]string{
				"pool_Q": "member_z_10.0.0.1:80_s", "pool_P": "member_y_10.0.0.2:80_s",
				"listener_L2": "81:pool_Q", "listener_L": "80:pool_P",
				KeyMemberStatus: `{"z": "ONLINE", "y": "ONLINE"}`,
			},
			admin: allEnabled(), lb: "ONLINE",
			listeners: entries("L", "ONLINE", "L2", "ONLINE"), pools: entries("P", "ONLINE", "Q", "ONLINE"),
			members: entries("z", "ONLINE", "y", "ONLINE"),
			asked:   []string{"pool:P", "pool:Q", "listener:L", "listener:L2", "lb"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, warns := RollUpChecked(lb, tc.ext, tc.admin)
			if len(warns) != 0 {
				t.Errorf("warnings: %v", warns)
			}
			want := octavia.Status{
				LoadBalancers: entries(lb, tc.lb),
				Listeners:     tc.listeners,
				Pools:         tc.pools,
				Members:       tc.members,
			}
			if !reflect.DeepEqual(st, want) {
				t.Errorf("roll-up\n got %+v\nwant %+v", st, want)
			}
			if tc.asked != nil && !slices.Equal(tc.admin.asked, tc.asked) {
				t.Errorf("admin questions = %v, want %v", tc.admin.asked, tc.asked)
			}
		})
	}
}

func TestRollUpCorruptMemberStatus(t *testing.T) {
	ext := map[string]string{
		"listener_L": "80:pool_P", "pool_P": "member_a_10.0.0.1:80_s",
		KeyMemberStatus: `{"a": "ERROR"`,
	}
	a := &admin{up: map[string]bool{"L": true, "P": true}}
	st, warns := RollUpChecked("lb", ext, a)
	if len(warns) != 1 || warns[0].Key != KeyMemberStatus {
		t.Fatalf("warnings = %v, want one for %s", warns, KeyMemberStatus)
	}
	want := octavia.Status{
		LoadBalancers: entries("lb", "ONLINE"),
		Listeners:     entries("L", "ONLINE"),
		Pools:         entries("P", "OFFLINE"),
		Members:       entries(),
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("roll-up\n got %+v\nwant %+v", st, want)
	}
	if plain := RollUp("lb", ext, &admin{up: a.up}); !reflect.DeepEqual(plain, want) {
		t.Errorf("RollUp = %+v", plain)
	}
}
