package lbdata

import (
	"reflect"
	"testing"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// The worked example of nb-data-contract §18, value for value.
const (
	exLB       = "94e7c431-912b-496c-a247-d52875d44ac7"
	exListener = "21e77cde-854f-4c3e-bd8c-9536ae0443bc"
	exPool     = "898be8a2-5185-4f3b-8658-a56457f595a9"
	exMember   = "adf55e70-3d50-4e62-99fd-dd77eababb1c"
	exSubnet   = "3eed0c05-6527-400e-bb80-df6e59d248f1"
	exHM       = "0b5f1e0e-1c4b-4f53-9c3c-1e0d6c1d2a3b"
	exRouter   = "3d2a873b-b5b4-4d14-ac24-47a835fd47b2"
	exNet      = "ee97665d-69d0-4995-a275-27855359956a"
)

func workedExample() map[string]string {
	return map[string]string{
		"enabled":             "True",
		"lr_ref":              "neutron-3d2a873b-b5b4-4d14-ac24-47a835fd47b2",
		"ls_refs":             `{"neutron-ee97665d-69d0-4995-a275-27855359956a": 2}`,
		"neutron:vip":         "172.24.4.9",
		"neutron:vip_port_id": "c98e52d0-5965-4b22-8a17-a374f4399193",
		"listener_21e77cde-854f-4c3e-bd8c-9536ae0443bc": "64015:pool_898be8a2-5185-4f3b-8658-a56457f595a9",
		"pool_898be8a2-5185-4f3b-8658-a56457f595a9":     "member_adf55e70-3d50-4e62-99fd-dd77eababb1c_10.10.10.10:63015_3eed0c05-6527-400e-bb80-df6e59d248f1",
		"neutron:member_status":                         `{"adf55e70-3d50-4e62-99fd-dd77eababb1c": "ONLINE"}`,
		"octavia:healthmonitors":                        `["0b5f1e0e-1c4b-4f53-9c3c-1e0d6c1d2a3b"]`,
	}
}

// TestWorkedExampleBuild writes every external_ids value of §18 with this
// package's functions and compares the whole map byte for byte.
func TestWorkedExampleBuild(t *testing.T) {
	ext := map[string]string{}
	ext[KeyEnabled] = FormatBool(true)
	ext[KeyLRRef] = LRRefAdd("", NeutronName(exRouter))
	ext[KeyLRRef] = LRRefAdd(ext[KeyLRRef], NeutronName(exRouter)) // no duplicate
	refs := &LSRefs{}
	if !refs.Inc(NeutronName(exNet), 1) { // VIP switch at LB create
		t.Fatal("first Inc did not create the key")
	}
	if refs.Inc(NeutronName(exNet), 1) { // member on the VIP network
		t.Fatal("second Inc created the key again")
	}
	refs.Store(ext)
	ext[KeyVIP] = "172.24.4.9"
	ext[KeyVIPPortID] = "c98e52d0-5965-4b22-8a17-a374f4399193"
	ext[ListenerKey(exListener, true)] = FormatListenerValue(64015, PoolKey(exPool, true))
	m, err := NewMember(exMember, "10.10.10.10", 63015, exSubnet)
	if err != nil {
		t.Fatal(err)
	}
	pool, added := PoolAddEntry("", m.Entry())
	if !added {
		t.Fatal("PoolAddEntry did not add")
	}
	ext[PoolKey(exPool, true)] = pool
	ms := &MemberStatus{}
	ms.Set(exMember, octavia.OperatingOnline)
	ms.Store(ext)
	if changed, err := AddHealthMonitor(ext, exHM); err != nil || !changed {
		t.Fatalf("AddHealthMonitor = %v, %v", changed, err)
	}
	if changed, err := AddHealthMonitor(ext, exHM); err != nil || changed {
		t.Fatalf("second AddHealthMonitor = %v, %v; want no change", changed, err)
	}

	if want := workedExample(); !reflect.DeepEqual(ext, want) {
		for k := range want {
			if ext[k] != want[k] {
				t.Errorf("%s = %q, want %q", k, ext[k], want[k])
			}
		}
		for k := range ext {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected key %s = %q", k, ext[k])
			}
		}
	}
}

func TestWorkedExampleRead(t *testing.T) {
	ext := workedExample()
	vips, warns := ComputeVIPsChecked(ext)
	if len(warns) != 0 {
		t.Fatalf("warnings: %v", warns)
	}
	if want := map[string]string{"172.24.4.9:64015": "10.10.10.10:63015"}; !reflect.DeepEqual(vips, want) {
		t.Errorf("vips = %v, want %v", vips, want)
	}

	refs, err := LSRefsFrom(ext)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := refs.Count(NeutronName(exNet)); !ok || n != 2 {
		t.Errorf("ls_refs count = %d, %v; want 2", n, ok)
	}
	if got := refs.String(); got != ext[KeyLSRefs] {
		t.Errorf("ls_refs round trip = %s, want %s", got, ext[KeyLSRefs])
	}

	port, ok := ListenerPortForPool(ext, PoolKey(exPool, true))
	if !ok || port != "64015" {
		t.Errorf("ListenerPortForPool = %q, %v", port, ok)
	}
	if got := JoinIPPort(ext[KeyVIP], port); got != "172.24.4.9:64015" {
		t.Errorf("LBHC vip = %q", got)
	}

	st, warns := RollUpChecked(exLB, ext, allUp{})
	if len(warns) != 0 {
		t.Fatalf("roll-up warnings: %v", warns)
	}
	want := octavia.Status{
		LoadBalancers: []octavia.StatusEntry{{ID: exLB, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
		Listeners:     []octavia.StatusEntry{{ID: exListener, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
		Pools:         []octavia.StatusEntry{{ID: exPool, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
		Members:       []octavia.StatusEntry{{ID: exMember, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("roll-up = %+v\nwant %+v", st, want)
	}

	m, key, ok := FindMemberByEndpoint(ext, "10.10.10.10", "63015")
	if !ok || m.ID != exMember || key != PoolKey(exPool, true) {
		t.Errorf("FindMemberByEndpoint = %+v, %q, %v", m, key, ok)
	}
}

// allUp answers every admin-state question with "up", except for ids of
// disabled keys, which Octavia never knows.
type allUp struct{}

func (allUp) LBAdminUp() bool                { return true }
func (allUp) PoolAdminUp(id string) bool     { return !IsDisabledKey(id) }
func (allUp) ListenerAdminUp(id string) bool { return !IsDisabledKey(id) }
