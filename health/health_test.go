package health

import (
	"slices"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

func TestMemberStatusFor(t *testing.T) {
	st := func(s string) *string { return &s }
	cases := []struct {
		name    string
		status  *string
		deleted bool
		want    string
	}{
		{"deleted", st(sb.ServiceMonitorStatusOnline), true, octavia.OperatingOffline},
		{"offline", st(sb.ServiceMonitorStatusOffline), false, octavia.OperatingError},
		{"online", st(sb.ServiceMonitorStatusOnline), false, octavia.OperatingOnline},
		{"error", st(sb.ServiceMonitorStatusError), false, octavia.OperatingOnline},
		{"empty", nil, false, octavia.OperatingOnline},
	}
	for _, c := range cases {
		got := MemberStatusFor(SMChange{Monitor: &sb.ServiceMonitor{Status: c.status}, Deleted: c.deleted})
		if got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

func TestMappingOf(t *testing.T) {
	k, v := mappingOf(&sb.ServiceMonitor{IP: "fd00::5", LogicalPort: "p1", SrcIP: "fd00::2"})
	if k != "[fd00::5]" || v != "p1:[fd00::2]" {
		t.Errorf("IPv6: got %q %q", k, v)
	}
	k, v = mappingOf(&sb.ServiceMonitor{IP: "10.0.0.5", LogicalPort: "p1", SrcIP: "10.0.0.2"})
	if k != "10.0.0.5" || v != "p1:10.0.0.2" {
		t.Errorf("IPv4: got %q %q", k, v)
	}
}

func TestMemberIndexFirstExactMatch(t *testing.T) {
	lb := &nb.LoadBalancer{Name: "lb", ExternalIDs: map[string]string{
		"pool_a":     "member_m1_10.0.0.10:8080_s,member_m2_10.0.0.1:80_s,member_m4_10.0.0.1:80_s",
		"pool_b:D":   "member_m3_10.0.0.1:80_s",
		"listener_l": "80:pool_a",
	}}
	idx := MemberIndex(lb, logrus.NewEntry(logrus.New()))
	// The reference's substring test would select m1 for 10.0.0.1/80; the
	// exact match picks the first entry at that address and port, in
	// sorted key order then pool order (events-and-status §6
	// Recommendation): m2, not m3 or m4.
	if got := idx[Endpoint("10.0.0.1", "80")]; got != "m2" {
		t.Errorf("10.0.0.1:80: got %q, want m2", got)
	}
	if got, ok := idx[Endpoint("10.0.0.1", "8080")]; ok {
		t.Errorf("10.0.0.1:8080: got %q, want no member", got)
	}
	if len(idx) != 2 {
		t.Errorf("index %v, want 2 endpoints", idx)
	}
	lb6 := &nb.LoadBalancer{ExternalIDs: map[string]string{"pool_a": "member_m1_fd00::5:80_s"}}
	if got := MemberIndex(lb6, logrus.NewEntry(logrus.New()))[Endpoint("fd00:0::5", "80")]; got != "m1" {
		t.Errorf("IPv6 forms: got %q, want m1", got)
	}
}

func TestRowStatusesWritesOnlyChanges(t *testing.T) {
	log := logrus.NewEntry(logrus.New())
	lb := &nb.LoadBalancer{ExternalIDs: map[string]string{"neutron:member_status": `{"m1": "ONLINE", "m2": "ERROR"}`}}
	rs := LoadRowStatuses(lb, log)
	if rs.Set("m1", octavia.OperatingOnline) || rs.Changed() {
		t.Fatal("setting the current status counts as a change")
	}
	if err := rs.WriteTo(lb); err != nil || lb.ExternalIDs["neutron:member_status"] != `{"m1": "ONLINE", "m2": "ERROR"}` {
		t.Fatalf("unchanged write: %v %q", err, lb.ExternalIDs["neutron:member_status"])
	}
	if !rs.Set("m1", octavia.OperatingError) || !rs.Set("m3", octavia.OperatingOnline) {
		t.Fatal("a new status is not a change")
	}
	if err := rs.WriteTo(lb); err != nil {
		t.Fatal(err)
	}
	if got := lb.ExternalIDs["neutron:member_status"]; got != `{"m1": "ERROR", "m2": "ERROR", "m3": "ONLINE"}` {
		t.Errorf("got %s", got)
	}
	if got := rs.Before()["neutron:member_status"]; got != `{"m1": "ONLINE", "m2": "ERROR"}` {
		t.Errorf("before: got %s", got)
	}
	corrupt := &nb.LoadBalancer{ExternalIDs: map[string]string{"neutron:member_status": `{"m1": `}}
	if LoadRowStatuses(corrupt, log) != nil {
		t.Error("a corrupt value loaded")
	}
}

func TestHCAddress(t *testing.T) {
	cases := []struct {
		hc   nb.LoadBalancerHealthCheck
		want string
	}{
		{nb.LoadBalancerHealthCheck{Vip: "10.0.0.1:80", ExternalIDs: map[string]string{"octavia:vip": "10.0.0.1"}}, "10.0.0.1"},
		{nb.LoadBalancerHealthCheck{Vip: "[fd00::1]:80"}, "fd00::1"},
		{nb.LoadBalancerHealthCheck{Vip: "10.0.0.1:80"}, "10.0.0.1"},
		{nb.LoadBalancerHealthCheck{}, ""},
	}
	for _, c := range cases {
		if got := hcAddress(&c.hc); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.hc, got, c.want)
		}
	}
}

func TestListenersOfPool(t *testing.T) {
	ext := map[string]string{
		"listener_b":   "81:pool_p",
		"listener_a:D": "80:pool_p",
		"listener_c":   "82:pool_q",
		"listener_d":   "83:",
		"listener_e":   "84:pool_q,pool_p", // a second pool linked by pool_create
		"pool_p":       "",
	}
	if got := ListenersOfPool(ext, "p"); !slices.Equal(got, []string{"a:D", "b", "e"}) {
		t.Errorf("got %v", got)
	}
	if got := listenerPort(ext, "p"); got != "80" {
		t.Errorf("listener port: got %q", got)
	}
}

func TestHMOptions(t *testing.T) {
	hm := &octavia.HealthMonitor{
		Delay: octavia.Some(10), Timeout: octavia.Some(5), MaxRetries: octavia.Some(3),
	}
	opts, err := hmOptions(hm, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"interval": "10", "timeout": "5", "success_count": "3", "failure_count": "3"}
	for k, v := range want {
		if opts[k] != v {
			t.Errorf("%s: got %q, want %q", k, opts[k], v)
		}
	}
	if len(opts) != len(want) {
		t.Errorf("got %v", opts)
	}
	// Update: only supplied fields; null means not supplied.
	opts, err = hmOptions(&octavia.HealthMonitor{Timeout: octavia.Some(7), Delay: octavia.Null[int]()}, false)
	if err != nil || len(opts) != 1 || opts["timeout"] != "7" {
		t.Errorf("update: got %v %v", opts, err)
	}
	if _, err := hmOptions(&octavia.HealthMonitor{Delay: octavia.Some(-1)}, false); err == nil {
		t.Error("negative delay accepted")
	}
}

func TestVIPAddresses(t *testing.T) {
	ext := map[string]string{
		"neutron:vip":                 "10.0.0.10",
		"neutron:additional_vips":     "fd00::10,10.0.1.10",
		"neutron:vip_fip":             "172.24.4.5",
		"neutron:additional_vip_fips": "172.24.4.6",
	}
	want := []string{"10.0.0.10", "fd00::10", "10.0.1.10", "172.24.4.5", "172.24.4.6"}
	if got := vipAddresses(ext); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
