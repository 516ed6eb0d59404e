package lbdata

import (
	"reflect"
	"strings"
	"testing"
)

func TestMemberStatus(t *testing.T) {
	ms, err := ParseMemberStatus(`{"m1":"ONLINE","m2":"ERROR"}`)
	if err != nil {
		t.Fatal(err)
	}
	if ms.String() != `{"m1": "ONLINE", "m2": "ERROR"}` {
		t.Errorf("String = %s", ms.String())
	}
	ms.Set("m1", "OFFLINE") // keeps its position
	ms.Set("m3", "NO_MONITOR")
	if ms.String() != `{"m1": "OFFLINE", "m2": "ERROR", "m3": "NO_MONITOR"}` {
		t.Errorf("after Set: %s", ms.String())
	}
	if !ms.IsOffline("m1") || ms.IsOffline("m2") || ms.IsOffline("zz") {
		t.Error("IsOffline wrong")
	}
	ms.Delete("m2")
	ms.Delete("absent")
	if ms.String() != `{"m1": "OFFLINE", "m3": "NO_MONITOR"}` || !reflect.DeepEqual(ms.IDs(), []string{"m1", "m3"}) {
		t.Errorf("after Delete: %s %v", ms.String(), ms.IDs())
	}
	ext := map[string]string{}
	ms.Store(ext)
	if ext[KeyMemberStatus] != `{"m1": "OFFLINE", "m3": "NO_MONITOR"}` {
		t.Errorf("stored %q", ext[KeyMemberStatus])
	}
	ms.Delete("m1")
	ms.Delete("m3")
	ms.Store(ext)
	if _, ok := ext[KeyMemberStatus]; ok {
		t.Error("empty member status not removed")
	}

	// Non-ASCII ids are escaped like Python does.
	var z MemberStatus
	z.Set("é", "ONLINE")
	if z.String() != `{"\u00e9": "ONLINE"}` {
		t.Errorf("non-ASCII: %s", z.String())
	}

	for _, bad := range []string{`{"m1": 1}`, `{"m1": null}`, `{"m1"`, `[]`, ``} {
		ms, err := ParseMemberStatus(bad)
		if err == nil || ms == nil || ms.Len() != 0 || !strings.HasPrefix(err.Error(), "member status") {
			t.Errorf("ParseMemberStatus(%q) = %v, %v", bad, ms, err)
		}
	}
	ms, cerr := MemberStatusFrom(map[string]string{KeyMemberStatus: `{"m1": 1}`})
	if cerr == nil || cerr.Key != KeyMemberStatus || ms.Len() != 0 {
		t.Errorf("MemberStatusFrom corrupt = %v, %v", ms, cerr)
	}
	ms, cerr = MemberStatusFrom(nil)
	if cerr != nil || ms.Len() != 0 {
		t.Errorf("MemberStatusFrom(nil) = %v, %v", ms, cerr)
	}
}

func TestHealthMonitors(t *testing.T) {
	ext := map[string]string{}
	for _, id := range []string{"hm1", "hm2", "hm1"} {
		if _, err := AddHealthMonitor(ext, id); err != nil {
			t.Fatal(err)
		}
	}
	if ext[KeyHealthMonitors] != `["hm1", "hm2"]` {
		t.Errorf("list = %s", ext[KeyHealthMonitors])
	}
	if !HasHealthMonitorText(ext, "hm2") || HasHealthMonitorText(ext, "hm3") {
		t.Error("HasHealthMonitorText wrong")
	}
	if changed, err := RemoveHealthMonitor(ext, "hm9"); changed || err != nil {
		t.Errorf("remove absent = %v, %v", changed, err)
	}
	if changed, _ := RemoveHealthMonitor(ext, "hm1"); !changed || ext[KeyHealthMonitors] != `["hm2"]` {
		t.Errorf("after remove: %q", ext[KeyHealthMonitors])
	}
	if changed, _ := RemoveHealthMonitor(ext, "hm2"); !changed {
		t.Error("remove last reported no change")
	}
	if _, ok := ext[KeyHealthMonitors]; ok {
		t.Error("empty list not removed")
	}
	if changed, err := RemoveHealthMonitor(ext, "hm2"); changed || err != nil {
		t.Errorf("remove from absent = %v, %v", changed, err)
	}

	// Compact input from another tool is re-written in the Python style.
	ext[KeyHealthMonitors] = `["a","b"]`
	if _, err := AddHealthMonitor(ext, "c"); err != nil || ext[KeyHealthMonitors] != `["a", "b", "c"]` {
		t.Errorf("add to compact = %q, %v", ext[KeyHealthMonitors], err)
	}
	if FormatHealthMonitors(nil) != "[]" {
		t.Error("FormatHealthMonitors(nil)")
	}

	// A corrupt list is an error and nothing changes.
	for _, bad := range []string{`["a"`, `{"a": 1}`, `[1]`, `"a"`} {
		ext := map[string]string{KeyHealthMonitors: bad}
		if _, err := AddHealthMonitor(ext, "x"); err == nil || !strings.Contains(err.Error(), KeyHealthMonitors) {
			t.Errorf("AddHealthMonitor on %q: %v", bad, err)
		}
		if _, err := RemoveHealthMonitor(ext, "a"); err == nil {
			t.Errorf("RemoveHealthMonitor on %q succeeded", bad)
		}
		if ext[KeyHealthMonitors] != bad {
			t.Errorf("corrupt value changed to %q", ext[KeyHealthMonitors])
		}
	}
}
