package lbdata

import (
	"reflect"
	"strings"
	"testing"
)

func TestLSRefs(t *testing.T) {
	r, err := ParseLSRefs(`{"neutron-ee97665d-69d0-4995-a275-27855359956a": 3, "neutron-12c42705-3e15-4e2d-8fc0-070d1b80b9ef": 1}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != `{"neutron-ee97665d-69d0-4995-a275-27855359956a": 3, "neutron-12c42705-3e15-4e2d-8fc0-070d1b80b9ef": 1}` {
		t.Errorf("round trip = %s", got)
	}

	r, err = ParseLSRefs(`{"neutron-b":2,"neutron-a":1}`) // compact, from another tool
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		op   func() bool
		want string
		ret  bool
	}{
		{func() bool { return r.Inc("neutron-a", 1) }, `{"neutron-b": 2, "neutron-a": 2}`, false},
		{func() bool { return r.Inc("neutron-c", 3) }, `{"neutron-b": 2, "neutron-a": 2, "neutron-c": 3}`, true},
		{func() bool { d, _ := r.Dec("neutron-b"); return d }, `{"neutron-b": 1, "neutron-a": 2, "neutron-c": 3}`, false},
		{func() bool { d, _ := r.Dec("neutron-b"); return d }, `{"neutron-a": 2, "neutron-c": 3}`, true},
		{func() bool { return r.Inc("neutron-b", 1) }, `{"neutron-a": 2, "neutron-c": 3, "neutron-b": 1}`, true},
	}
	for i, s := range steps {
		if got := s.op(); got != s.ret {
			t.Errorf("step %d returned %v, want %v", i, got, s.ret)
		}
		if got := r.String(); got != s.want {
			t.Errorf("step %d: %s, want %s", i, got, s.want)
		}
	}
	if deleted, found := r.Dec("neutron-x"); deleted || found {
		t.Errorf("Dec of absent key = %v, %v", deleted, found)
	}
	if n, ok := r.Count("neutron-c"); !ok || n != 3 {
		t.Errorf("Count = %d, %v", n, ok)
	}
	if !reflect.DeepEqual(r.Names(), []string{"neutron-a", "neutron-c", "neutron-b"}) || r.Len() != 3 {
		t.Errorf("Names = %v", r.Names())
	}
	for _, n := range r.Names() {
		for {
			if d, _ := r.Dec(n); d {
				break
			}
		}
	}
	ext := map[string]string{}
	r.Store(ext)
	if ext[KeyLSRefs] != "{}" {
		t.Errorf("empty ls_refs stored as %q, want {}", ext[KeyLSRefs])
	}

	var zero LSRefs
	if !zero.Inc("neutron-z", 1) || zero.String() != `{"neutron-z": 1}` {
		t.Errorf("zero LSRefs = %s", zero.String())
	}
}

func TestLSRefsCorrupt(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"neutron-a": 1`, "unexpected EOF"},
		{`not json`, "invalid character"},
		{`["neutron-a"]`, "not an object"},
		{`{"neutron-a": "1"}`, "is not a number"},
		{`{"neutron-a": 1.5}`, "is not an integer"},
		{`{"neutron-a": 99999999999999999999}`, "is not an integer"},
		{``, "unexpected EOF"},
	} {
		r, err := ParseLSRefs(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ls_refs: ") {
			t.Errorf("ParseLSRefs(%q) error = %v, want %q", tc.in, err, tc.want)
		}
		if r == nil || r.Len() != 0 || r.String() != "{}" {
			t.Errorf("ParseLSRefs(%q) did not return an empty map", tc.in)
		}
	}

	r, cerr := LSRefsFrom(map[string]string{KeyLSRefs: "{bad"})
	if cerr == nil || cerr.Key != KeyLSRefs || cerr.Value != "{bad" || r.Len() != 0 {
		t.Errorf("LSRefsFrom corrupt = %v, %v", r, cerr)
	}
	r, cerr = LSRefsFrom(map[string]string{})
	if cerr != nil || r.Len() != 0 {
		t.Errorf("LSRefsFrom absent = %v, %v", r, cerr)
	}
}

func TestLRRef(t *testing.T) {
	v := LRRefAdd("", "neutron-r1")
	v = LRRefAdd(v, "neutron-r2")
	v = LRRefAdd(v, "neutron-r1")
	if v != "neutron-r1,neutron-r2" {
		t.Fatalf("LRRefAdd = %q", v)
	}
	// The reference tests substrings: a name contained in another is not
	// appended.
	if got := LRRefAdd("neutron-r10", "neutron-r1"); got != "neutron-r10" {
		t.Errorf("substring add = %q", got)
	}
	for _, tc := range []struct {
		cur, router, want string
		remains           bool
	}{
		{"neutron-r1,neutron-r2", "neutron-r1", "neutron-r2", true},
		{"neutron-r1, neutron-r2 ", "neutron-r2", "neutron-r1", true},
		{"neutron-r1", "neutron-r1", "", false},
		{"neutron-r1", "neutron-r9", "neutron-r1", true},
		{"", "neutron-r1", "", false},
		{"neutron-r1,neutron-r1", "neutron-r1", "neutron-r1", true},
	} {
		got, remains := LRRefRemove(tc.cur, tc.router)
		if got != tc.want || remains != tc.remains {
			t.Errorf("LRRefRemove(%q, %q) = %q, %v; want %q, %v", tc.cur, tc.router, got, remains, tc.want, tc.remains)
		}
	}
	if got := LRRefs(" neutron-a ,,neutron-b"); !reflect.DeepEqual(got, []string{"neutron-a", "neutron-b"}) {
		t.Errorf("LRRefs = %q", got)
	}
}
