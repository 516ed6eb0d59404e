package lbdata

import (
	"strings"
	"testing"
)

func TestIPHelpers(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{BracketIP("10.0.0.1"), "10.0.0.1"},
		{BracketIP("fd00::1"), "[fd00::1]"},
		{BracketIP("::ffff:10.0.0.1"), "[::ffff:10.0.0.1]"},
		{BracketIP("[fd00::1]"), "[fd00::1]"},
		{BracketIP("FD00:0::1"), "[FD00:0::1]"}, // text kept as supplied
		{BracketIP("host"), "host"},
		{UnbracketIP("[fd00::1]"), "fd00::1"},
		{UnbracketIP("fd00::1"), "fd00::1"},
		{UnbracketIP("["), "["},
		{JoinIPPort("10.0.0.1", "80"), "10.0.0.1:80"},
		{JoinIPPort("fd00::1", "80"), "[fd00::1]:80"},
		{MappingKey("fd00::5"), "[fd00::5]"},
		{MappingKey("10.0.0.10"), "10.0.0.10"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	for s, want := range map[string][2]bool{
		"10.0.0.1": {true, false}, "fd00::1": {false, true}, "::ffff:1.2.3.4": {false, true},
		"[fd00::1]": {false, false}, "fe80::1%eth0": {false, false}, "10.0.0.0/24": {false, false}, "": {false, false},
	} {
		if IsIPv4(s) != want[0] || IsIPv6(s) != want[1] {
			t.Errorf("IsIPv4/IsIPv6(%q) = %v/%v", s, IsIPv4(s), IsIPv6(s))
		}
	}
	if !NeedsBracketFix("fd00::5") || NeedsBracketFix("[fd00::5]") || NeedsBracketFix("10.0.0.5") {
		t.Error("NeedsBracketFix wrong")
	}
}

func TestSplitIPPort(t *testing.T) {
	for in, want := range map[string][2]string{
		"10.0.0.1:80":      {"10.0.0.1", "80"},
		"[fd00::1]:8080":   {"fd00::1", "8080"},
		"172.24.4.9:64015": {"172.24.4.9", "64015"},
	} {
		ip, port, err := SplitIPPort(in)
		if err != nil || ip != want[0] || port != want[1] {
			t.Errorf("SplitIPPort(%q) = %q, %q, %v", in, ip, port, err)
		}
	}
	for _, bad := range []string{"", "10.0.0.1", ":80", "10.0.0.1:"} {
		if _, _, err := SplitIPPort(bad); err == nil {
			t.Errorf("SplitIPPort(%q) succeeded", bad)
		}
	}
}

func TestMappings(t *testing.T) {
	k, v := MonitorMapping("10.0.0.10", "5e6f-port", "10.0.0.2")
	if k != "10.0.0.10" || v != "5e6f-port:10.0.0.2" {
		t.Errorf("IPv4 mapping %q=%q", k, v)
	}
	k, v = MonitorMapping("fd00::5", "a1b2", "fd00::2")
	if k != "[fd00::5]" || v != "a1b2:[fd00::2]" {
		t.Errorf("IPv6 mapping %q=%q", k, v)
	}

	for in, want := range map[string]Mapping{
		"5e6f-port:10.0.0.2": {LSP: "5e6f-port", SourceIP: "10.0.0.2"},
		"a1b2:[fd00::2]":     {LSP: "a1b2", SourceIP: "fd00::2"},
		"a1b2:fd00::2":       {LSP: "a1b2", SourceIP: "fd00::2"}, // unbracketed (2023 releases)
	} {
		got, err := ParseMappingValue(in)
		if err != nil || got != want {
			t.Errorf("ParseMappingValue(%q) = %+v, %v", in, got, err)
		}
	}
	if got := (Mapping{LSP: "a1b2", SourceIP: "fd00::2"}).Value(); got != "a1b2:[fd00::2]" {
		t.Errorf("Value = %q", got)
	}
	for in, want := range map[string]string{
		"":                "is not <lsp>:<source ip>",
		"lsp":             "is not <lsp>:<source ip>",
		":10.0.0.2":       "empty logical port",
		"lsp:[10.0.0.2]":  "is not an IPv6 address",
		"lsp:nope":        "source",
		"lspfd00::2]":     "unbalanced brackets",
		":[fd00::2]":      "empty logical port",
		"lsp:10.0.0.2:az": "source",
	} {
		if _, err := ParseMappingValue(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMappingValue(%q) error %v, want %q", in, err, want)
		}
	}

	mappings := map[string]string{"10.0.0.10": "lsp1:10.0.0.2", "[fd00::5]": "lsp2:[fd00::2]"}
	for _, tc := range []struct {
		rowProto, ip, smProto, lsp, src string
		want                            bool
	}{
		{"tcp", "10.0.0.10", "tcp", "lsp1", "10.0.0.2", true},
		{"tcp", "fd00::5", "tcp", "lsp2", "fd00::2", true},
		{"udp", "10.0.0.10", "tcp", "lsp1", "10.0.0.2", false},
		{"tcp", "10.0.0.10", "tcp", "lsp9", "10.0.0.2", false},
		{"tcp", "10.0.0.10", "tcp", "lsp1", "10.0.0.3", false},
		{"tcp", "10.0.0.1", "tcp", "lsp1", "10.0.0.2", false},
	} {
		if got := MatchesMonitor(mappings, tc.rowProto, tc.ip, tc.smProto, tc.lsp, tc.src); got != tc.want {
			t.Errorf("MatchesMonitor(%+v) = %v", tc, got)
		}
	}
}

func TestFindMemberByEndpoint(t *testing.T) {
	ext := map[string]string{
		"listener_l":    "80:pool_b",
		"pool_a:D":      "member_m10_10.0.0.10:8080_s",
		"pool_b":        "garbage,member_m1_10.0.0.1:80_s,member_m6_fd00:0::5:80_s",
		"pool_c":        "member_m1dup_10.0.0.1:80_s",
		KeyMemberStatus: "{}",
	}
	for _, tc := range []struct {
		ip, port, id, key string
		ok                bool
	}{
		// The reference's substring match would pick m10 for 10.0.0.1/80;
		// the exact match does not.
		{"10.0.0.1", "80", "m1", "pool_b", true},
		{"10.0.0.10", "8080", "m10", "pool_a:D", true},
		{"10.0.0.1", "8080", "", "", false},
		{"10.0.0.1", "8", "", "", false},
		{"fd00::5", "80", "m6", "pool_b", true},   // non-canonical text in the entry
		{"[fd00::5]", "80", "m6", "pool_b", true}, // bracketed input
		{"fd00::6", "80", "", "", false},
	} {
		m, key, ok := FindMemberByEndpoint(ext, tc.ip, tc.port)
		if ok != tc.ok || m.ID != tc.id || key != tc.key {
			t.Errorf("FindMemberByEndpoint(%s, %s) = %q, %q, %v; want %q, %q, %v", tc.ip, tc.port, m.ID, key, ok, tc.id, tc.key, tc.ok)
		}
	}
}
