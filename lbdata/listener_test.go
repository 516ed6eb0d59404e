package lbdata

import "testing"

func TestParseListenerValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ListenerValue
		ok   bool
	}{
		{"80:pool_898be8a2-5185-4f3b-8658-a56457f595a9", ListenerValue{"80", "pool_898be8a2-5185-4f3b-8658-a56457f595a9"}, true},
		{"8080:", ListenerValue{"8080", ""}, true},
		{"80:pool_None", ListenerValue{"80", "pool_None"}, true},
		{"80:pool_x:D", ListenerValue{}, false},
		{"80", ListenerValue{}, false},
		{"", ListenerValue{}, false},
		{":", ListenerValue{"", ""}, true},
	} {
		got, ok := ParseListenerValue(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseListenerValue(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatListenerValue(t *testing.T) {
	for _, tc := range []struct {
		port int
		pool string
		want string
	}{
		{80, "pool_p", "80:pool_p"},
		{80, "pool_p:D", "80:pool_p"}, // always the enabled form
		{8080, "", "8080:"},
	} {
		if got := FormatListenerValue(tc.port, tc.pool); got != tc.want {
			t.Errorf("FormatListenerValue(%d, %q) = %q, want %q", tc.port, tc.pool, got, tc.want)
		}
	}
}

func TestListenerPortForPool(t *testing.T) {
	ext := map[string]string{
		"listener_b":   "443:pool_p",
		"listener_a":   "80:pool_q",
		"listener_c:D": "8443:pool_p",
		"listener_d":   "81:pool_p:D",
		"pool_p":       "",
	}
	if port, ok := ListenerPortForPool(ext, "pool_p"); !ok || port != "443" {
		t.Errorf("first listener of pool_p = %q, %v", port, ok)
	}
	delete(ext, "listener_b")
	if port, ok := ListenerPortForPool(ext, "pool_p"); !ok || port != "8443" {
		t.Errorf("disabled listener of pool_p = %q, %v", port, ok)
	}
	if port, ok := ListenerPortForPool(ext, "pool_z"); ok {
		t.Errorf("pool_z port = %q", port)
	}
}
