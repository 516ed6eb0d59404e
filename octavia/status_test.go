package octavia

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func marshal(t *testing.T, s Status) string {
	t.Helper()
	b := s.Encode()
	// encoding/json must see the same document (compacted).
	viaJSON, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		t.Fatalf("Encode output is not JSON: %v", err)
	}
	if compact.String() != string(viaJSON) {
		t.Errorf("json.Marshal %s differs from Encode %s", viaJSON, b)
	}
	return string(b)
}

func TestStatusWireBytes(t *testing.T) {
	cases := []struct {
		name string
		s    Status
		want string
	}{
		{"lb create", Status{LoadBalancers: []StatusEntry{{ID: "x", ProvisioningStatus: ProvisioningActive, OperatingStatus: OperatingOnline}}},
			`{"loadbalancers": [{"id": "x", "provisioning_status": "ACTIVE", "operating_status": "ONLINE"}]}`},
		{"empty", Status{}, `{}`},
		{"lb delete not found: present-but-empty lists",
			Status{
				LoadBalancers: []StatusEntry{{ID: "lb", ProvisioningStatus: ProvisioningDeleted, OperatingStatus: OperatingOffline}},
				Listeners:     []StatusEntry{}, Pools: []StatusEntry{}, Members: []StatusEntry{},
			},
			`{"loadbalancers": [{"id": "lb", "provisioning_status": "DELETED", "operating_status": "OFFLINE"}], "listeners": [], "pools": [], "members": []}`},
		{"omitted statuses and fixed key order",
			Status{
				HealthMonitors: []StatusEntry{{ID: "h", OperatingStatus: OperatingNoMonitor, ProvisioningStatus: ProvisioningError}},
				Members:        []StatusEntry{{ID: "m1", ProvisioningStatus: ProvisioningDeleted}, {ID: "m2", OperatingStatus: OperatingError}},
				Listeners:      []StatusEntry{{ID: "l", ProvisioningStatus: ProvisioningActive}},
				LoadBalancers:  []StatusEntry{{ID: "lb", ProvisioningStatus: ProvisioningActive}},
				L7Rules:        []StatusEntry{{ID: "r"}},
				L7Policies:     []StatusEntry{},
			},
			`{"loadbalancers": [{"id": "lb", "provisioning_status": "ACTIVE"}], "listeners": [{"id": "l", "provisioning_status": "ACTIVE"}], ` +
				`"members": [{"id": "m1", "provisioning_status": "DELETED"}, {"id": "m2", "operating_status": "ERROR"}], ` +
				`"healthmonitors": [{"id": "h", "provisioning_status": "ERROR", "operating_status": "NO_MONITOR"}], "l7policies": [], "l7rules": [{"id": "r"}]}`},
		{"disabled suffix stripped",
			Status{Pools: []StatusEntry{{ID: "p1:D", ProvisioningStatus: "ACTIVE:D", OperatingStatus: "OFFLINE"}}, Listeners: []StatusEntry{{ID: "l:D:D"}}},
			`{"listeners": [{"id": "l:D"}], "pools": [{"id": "p1", "provisioning_status": "ACTIVE", "operating_status": "OFFLINE"}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := marshal(t, c.s); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestStatusStripDoesNotMutate(t *testing.T) {
	s := Status{Pools: []StatusEntry{{ID: "p:D"}}}
	_ = marshal(t, s)
	stripped := s.StripDisabledSuffix()
	if s.Pools[0].ID != "p:D" || stripped.Pools[0].ID != "p" {
		t.Errorf("original %q stripped %q", s.Pools[0].ID, stripped.Pools[0].ID)
	}
}

func TestPythonStringEscaping(t *testing.T) {
	cases := map[string]string{
		"plain":         `"plain"`,
		`q"b\`:          `"q\"b\\"`,
		"a\nb\r\tc\b\f": `"a\nb\r\tc\b\f"`,
		"\x01\x1f\x7f":  `"\u0001\u001f\u007f"`,
		"</script>&":    `"</script>&"`,
		"é€":            `"\u00e9\u20ac"`,
		"😀":             `"\ud83d\ude00"`,
		"bad\xffbyte":   `"bad\ufffdbyte"`,
		"~ space":       `"~ space"`,
	}
	for in, want := range cases {
		var b bytes.Buffer
		writePyString(&b, in)
		if b.String() != want {
			t.Errorf("%q: got %s want %s", in, b.String(), want)
		}
		// Whatever we write must be JSON that decodes back (modulo U+FFFD).
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Errorf("%q: output does not decode: %v", in, err)
		}
	}
}

func TestStatusUnmarshalRoundTrip(t *testing.T) {
	in := Status{
		LoadBalancers: []StatusEntry{{ID: "lb", ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
		Listeners:     []StatusEntry{},
		Members:       []StatusEntry{{ID: "m", OperatingStatus: "NO_MONITOR"}},
	}
	var out Status
	if err := json.Unmarshal([]byte(marshal(t, in)), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip\n got  %#v\n want %#v", out, in)
	}
	if out.Pools != nil || out.Listeners == nil {
		t.Errorf("presence lost: pools %v listeners %v", out.Pools, out.Listeners)
	}
	var bad Status
	if err := json.Unmarshal([]byte(`{"pools": {"id": "x"}}`), &bad); err == nil {
		t.Errorf("a non-list must be rejected")
	}
	if err := json.Unmarshal([]byte(`{"pools": null, "other": 1}`), &bad); err != nil || bad.Pools != nil || !bad.IsEmpty() {
		t.Errorf("null list / unknown key: %v %#v", err, bad)
	}
}

func TestStatusHelpers(t *testing.T) {
	var s Status
	if !s.IsEmpty() || s.Len() != 0 {
		t.Fatal("zero Status must be empty")
	}
	s.Touch(KindPools)
	if s.IsEmpty() || s.Pools == nil || len(s.Pools) != 0 {
		t.Errorf("Touch must make the list present: %#v", s)
	}
	s.Add(KindMembers, StatusEntry{ID: "m1"}, StatusEntry{ID: "m2"})
	s.Add(Kind("bogus"), StatusEntry{ID: "z"})
	if s.Len() != 2 || len(s.List(KindMembers)) != 2 || s.List(Kind("bogus")) != nil {
		t.Errorf("Add: %#v", s)
	}
	c := s.Clone()
	c.Members[0].ID = "changed"
	if s.Members[0].ID != "m1" || c.Pools == nil {
		t.Errorf("Clone must be deep and keep presence")
	}
}

func TestStatusMerge(t *testing.T) {
	a := Status{LoadBalancers: []StatusEntry{{ID: "lb", ProvisioningStatus: "ACTIVE"}}, Pools: []StatusEntry{}}
	b := Status{LoadBalancers: []StatusEntry{{ID: "lb", OperatingStatus: "ONLINE"}}, Members: []StatusEntry{{ID: "m"}}, Listeners: []StatusEntry{}}
	a.Merge(b)
	want := `{"loadbalancers": [{"id": "lb", "provisioning_status": "ACTIVE"}, {"id": "lb", "operating_status": "ONLINE"}], ` +
		`"listeners": [], "pools": [], "members": [{"id": "m"}]}`
	if got := marshal(t, a); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestStatusMergeLatest(t *testing.T) {
	pending := Status{
		Members: []StatusEntry{
			{ID: "m1", ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"},
			{ID: "m2", ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"},
		},
		Pools:         []StatusEntry{{ID: "p", ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}},
		LoadBalancers: []StatusEntry{{ID: "lb", ProvisioningStatus: "ACTIVE"}},
	}
	newer := Status{
		Members:       []StatusEntry{{ID: "m2", OperatingStatus: "ERROR"}, {ID: "m3", OperatingStatus: "ONLINE"}, {ID: "m3", ProvisioningStatus: "DELETED"}},
		Pools:         []StatusEntry{{ID: "p", ProvisioningStatus: "ACTIVE", OperatingStatus: "DEGRADED"}},
		LoadBalancers: []StatusEntry{{ID: "lb", ProvisioningStatus: "ACTIVE", OperatingStatus: "DEGRADED"}},
		Listeners:     []StatusEntry{},
	}
	pending.MergeLatest(newer)
	want := `{"loadbalancers": [{"id": "lb", "provisioning_status": "ACTIVE", "operating_status": "DEGRADED"}], "listeners": [], ` +
		`"pools": [{"id": "p", "provisioning_status": "ACTIVE", "operating_status": "DEGRADED"}], ` +
		`"members": [{"id": "m1", "provisioning_status": "ACTIVE", "operating_status": "ONLINE"}, ` +
		`{"id": "m2", "provisioning_status": "ACTIVE", "operating_status": "ERROR"}, ` +
		`{"id": "m3", "provisioning_status": "DELETED", "operating_status": "ONLINE"}]}`
	if got := marshal(t, pending); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Same id under different kinds stays separate.
	s := Status{Pools: []StatusEntry{{ID: "x", ProvisioningStatus: "ACTIVE"}}}
	s.MergeLatest(Status{Members: []StatusEntry{{ID: "x", ProvisioningStatus: "DELETED"}}})
	if len(s.Pools) != 1 || len(s.Members) != 1 || s.Pools[0].ProvisioningStatus != "ACTIVE" {
		t.Errorf("kinds mixed: %#v", s)
	}
}
