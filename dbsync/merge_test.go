package dbsync

import "testing"

func TestMergeLSRefs(t *testing.T) {
	for _, c := range []struct{ cur, want, out string }{
		// Same content in another spelling: kept byte for byte.
		{`{"neutron-a":2,"neutron-b":1}`, `{"neutron-a": 2, "neutron-b": 1}`, `{"neutron-a":2,"neutron-b":1}`},
		// Counts from want, current key order kept, new keys appended, stale keys dropped.
		{`{"neutron-b": 7, "neutron-a": 1, "neutron-x": 1}`, `{"neutron-a": 2, "neutron-b": 1, "neutron-c": 1}`,
			`{"neutron-b": 1, "neutron-a": 2, "neutron-c": 1}`},
		// Absent or corrupt current value: want as written.
		{``, `{"neutron-a": 1}`, `{"neutron-a": 1}`},
		{`{not json`, `{"neutron-a": 1}`, `{"neutron-a": 1}`},
	} {
		if got := mergeLSRefs(c.cur, c.want); got != c.out {
			t.Errorf("mergeLSRefs(%q, %q) = %q, want %q", c.cur, c.want, got, c.out)
		}
	}
}

func TestMergeMemberStatus(t *testing.T) {
	for _, c := range []struct{ cur, want, out string }{
		// Health results of monitored members survive; disabled and
		// unmonitored members take the computed value; extras go.
		{`{"m2": "ERROR", "m1": "ONLINE", "x": "ONLINE", "m3": "ONLINE"}`,
			`{"m1": "ONLINE", "m2": "ONLINE", "m3": "OFFLINE", "m4": "NO_MONITOR"}`,
			`{"m2": "ERROR", "m1": "ONLINE", "m3": "OFFLINE", "m4": "NO_MONITOR"}`},
		// A monitored member recorded OFFLINE (SM row deleted) goes back to ONLINE, as in the reference.
		{`{"m1": "OFFLINE"}`, `{"m1": "ONLINE"}`, `{"m1": "ONLINE"}`},
		{`{"m1":"ERROR"}`, `{"m1": "ONLINE"}`, `{"m1":"ERROR"}`},
	} {
		if got := mergeMemberStatus(c.cur, c.want); got != c.out {
			t.Errorf("mergeMemberStatus(%q, %q) = %q, want %q", c.cur, c.want, got, c.out)
		}
	}
}

func TestMergePoolValue(t *testing.T) {
	for _, c := range []struct{ cur, want, out string }{
		{"b,a", "a,b", "b,a"},
		{"b,x,a", "a,b,c", "b,a,c"},
		{"", "a", "a"},
		{"a", "", ""},
		{"a,a", "a", "a"},
	} {
		if got := mergePoolValue(c.cur, c.want); got != c.out {
			t.Errorf("mergePoolValue(%q, %q) = %q, want %q", c.cur, c.want, got, c.out)
		}
	}
}
