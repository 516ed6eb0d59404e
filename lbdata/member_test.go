package lbdata

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMemberEntry(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Member
	}{
		{"member_94ceacd8-1a81-4de9-ac0e-18b8e41cf80f_192.168.100.194:80_b97280a1-b19f-4989-a56c-2eb341c23171",
			Member{ID: "94ceacd8-1a81-4de9-ac0e-18b8e41cf80f", IP: "192.168.100.194", Port: "80", SubnetID: "b97280a1-b19f-4989-a56c-2eb341c23171"}},
		{"member_6a_fd00::5:80_4c", Member{ID: "6a", IP: "fd00::5", Port: "80", SubnetID: "4c"}},
		{"member_6a_::ffff:10.0.0.1:443_s", Member{ID: "6a", IP: "::ffff:10.0.0.1", Port: "443", SubnetID: "s"}},
		{"member_x_10.0.0.1:65535_", Member{ID: "x", IP: "10.0.0.1", Port: "65535", SubnetID: ""}},
		{"member_old_10.0.0.1:80", Member{ID: "old", IP: "10.0.0.1", Port: "80", Legacy: true}},
		{"member_old_fd00::1:80", Member{ID: "old", IP: "fd00::1", Port: "80", Legacy: true}},
	} {
		got, err := ParseMemberEntry(tc.in)
		if err != nil {
			t.Errorf("ParseMemberEntry(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseMemberEntry(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if got.Entry() != tc.in {
			t.Errorf("Entry() = %q, want the original %q", got.Entry(), tc.in)
		}
	}
}

func TestParseMemberEntryErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "want member_<id>_<ip>:<port>_<subnet>"},
		{"member_a", "want member_<id>_<ip>:<port>_<subnet>"},
		{"member_a_1.2.3.4:80_s_x", "want member_<id>_<ip>:<port>_<subnet>"},
		{"pool_a_1.2.3.4:80_s", `does not start with "member_"`},
		{"member__1.2.3.4:80_s", "empty member id"},
		{"member_a_1.2.3.4_s", `is not <ip>:<port>`},
		{"member_a_host:80_s", "member address"},
		{"member_a_[fd00::1]:80_s", "member address"},
		{"member_a_fe80::1%eth0:80_s", "zone"},
		{"member_a_1.2.3.4:_s", "empty port"},
		{"member_a_1.2.3.4:http_s", "invalid port"},
		{"member_a_1.2.3.4:080_s", "invalid port"},
		{"member_a_1.2.3.4:65536_s", "out of range"},
		{"member_a_1.2.3.4:80_s,member_b_1.2.3.5:80_s", "want member"},
		{"member_a_1.2.3.4:80_s,x", "contains ','"},
	} {
		_, err := ParseMemberEntry(tc.in)
		if err == nil {
			t.Errorf("ParseMemberEntry(%q) succeeded", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMemberEntry(%q) error %q, want %q", tc.in, err, tc.want)
		}
	}
}

func TestNewMember(t *testing.T) {
	m, err := NewMember("m1", "fd00::20", 8080, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Entry() != "member_m1_fd00::20:8080_s1" || m.Endpoint() != "[fd00::20]:8080" {
		t.Errorf("Entry %q Endpoint %q", m.Entry(), m.Endpoint())
	}
	if m, _ := NewMember("m1", "10.0.0.1", 80, ""); m.Entry() != "member_m1_10.0.0.1:80_" {
		t.Errorf("empty subnet entry %q, want trailing _", m.Entry())
	}
	for _, bad := range []struct {
		id, ip, subnet string
		port           int
	}{
		{"m_1", "10.0.0.1", "s", 80},
		{"m1", "10.0.0.1", "s_2", 80},
		{"m1", "10.0.0.1", "s,2", 80},
		{"m1", "nope", "s", 80},
		{"m1", "10.0.0.1", "s", 0},
		{"m1", "10.0.0.1", "s", 70000},
		{"", "10.0.0.1", "s", 80},
	} {
		if m, err := NewMember(bad.id, bad.ip, bad.port, bad.subnet); err == nil {
			t.Errorf("NewMember(%+v) = %+v, want error", bad, m)
		}
	}
}

func TestParsePoolValue(t *testing.T) {
	ms, err := ParsePoolValue("")
	if ms != nil || err != nil {
		t.Errorf(`ParsePoolValue("") = %v, %v`, ms, err)
	}
	v := "member_a_10.0.0.1:80_s,member_b_fd00::2:81_s,member_c_10.0.0.3:82"
	ms, err = ParsePoolValue(v)
	if err != nil {
		t.Fatal(err)
	}
	want := []Member{
		{ID: "a", IP: "10.0.0.1", Port: "80", SubnetID: "s"},
		{ID: "b", IP: "fd00::2", Port: "81", SubnetID: "s"},
		{ID: "c", IP: "10.0.0.3", Port: "82", Legacy: true},
	}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("ParsePoolValue = %+v", ms)
	}
	if got := FormatPoolValue(ms); got != v {
		t.Errorf("FormatPoolValue = %q, want %q", got, v)
	}
	if FormatPoolValue(nil) != "" {
		t.Error("FormatPoolValue(nil) != \"\"")
	}

	// Corrupt entries are skipped and reported; good ones survive.
	ms, err = ParsePoolValue("member_a_10.0.0.1:80_s,,bogus,member_b_10.0.0.2:80_s")
	if err == nil || !strings.Contains(err.Error(), `"bogus"`) || !strings.Contains(err.Error(), `""`) {
		t.Errorf("error = %v", err)
	}
	if len(ms) != 2 || ms[0].ID != "a" || ms[1].ID != "b" {
		t.Errorf("members = %+v", ms)
	}
}

func TestPoolEntryEdits(t *testing.T) {
	e1, e2, e3 := "member_a_10.0.0.1:80_s", "member_b_10.0.0.2:80_s", "member_c_10.0.0.3:80_s"
	v, added := PoolAddEntry("", e1)
	if !added || v != e1 {
		t.Fatalf("add to empty = %q, %v", v, added)
	}
	v, _ = PoolAddEntry(v, e2)
	v, _ = PoolAddEntry(v, e3)
	if v != e1+","+e2+","+e3 {
		t.Fatalf("appended = %q", v)
	}
	if v2, added := PoolAddEntry(v, e2); added || v2 != v {
		t.Errorf("re-adding identical entry = %q, %v", v2, added)
	}
	// Same member, other subnet: a different string, so it is added.
	if v2, added := PoolAddEntry(v, "member_b_10.0.0.2:80_t"); !added || !strings.HasSuffix(v2, ",member_b_10.0.0.2:80_t") {
		t.Errorf("other subnet = %q, %v", v2, added)
	}
	if !PoolHasEntry(v, e2) || PoolHasEntry(v, "member_b_10.0.0.2:80_") || PoolHasEntry(v, "member_b") {
		t.Error("PoolHasEntry is not an exact-string test")
	}
	// Removal needs the identical string.
	if v2, removed := PoolRemoveEntry(v, "member_b_10.0.0.2:80_t"); removed || v2 != v {
		t.Errorf("removing a non-identical entry = %q, %v", v2, removed)
	}
	v, removed := PoolRemoveEntry(v, e2)
	if !removed || v != e1+","+e3 {
		t.Errorf("remove middle = %q, %v", v, removed)
	}
	v, _ = PoolRemoveEntry(v, e1)
	v, removed = PoolRemoveEntry(v, e3)
	if !removed || v != "" {
		t.Errorf("remove last = %q, %v", v, removed)
	}
	// Only the first of duplicated entries goes (Python list.remove).
	if v, _ := PoolRemoveEntry(e1+","+e1, e1); v != e1 {
		t.Errorf("remove duplicate = %q", v)
	}
}

func TestMemberIDOfEntry(t *testing.T) {
	for in, want := range map[string]string{"member_a_x": "a", "member_b": "b", "member_a_10.0.0.1:80_s": "a"} {
		if got, ok := MemberIDOfEntry(in); !ok || got != want {
			t.Errorf("MemberIDOfEntry(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "member", "member_"} {
		if got, ok := MemberIDOfEntry(in); ok {
			t.Errorf("MemberIDOfEntry(%q) = %q", in, got)
		}
	}
}
