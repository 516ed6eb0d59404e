package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runServeArgs(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"serve"}, args...),
		stdio{in: strings.NewReader(""), out: &out, err: &errOut, getenv: func(k string) string { return env[k] }})
	return code, out.String(), errOut.String()
}

func TestServeHelpShowsDaemonDefaults(t *testing.T) {
	code, out, _ := runServeArgs(map[string]string{"OVN_OCTAVIA_SOCKET": "/run/x/p.sock"}, "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		`(default "/run/x/p.sock")`,                // --listen from $OVN_OCTAVIA_SOCKET
		`(default "/var/run/octavia/status.sock")`, // driver-agent sockets, as the agent
		`(default "/var/run/octavia/get.sock")`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %s:\n%s", want, out)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	creds := []string{"--neutron-url", "http://127.0.0.1:1", "--os-token", "t"}
	for name, args := range map[string][]string{
		"positional":     append([]string{"extra"}, creds...),
		"no credentials": {"--listen", "/tmp/p.sock"},
		"bad queue size": append([]string{"--queue-size", "0"}, creds...),
		"empty listen":   append([]string{"--listen", ""}, creds...),
		"bad nb":         append([]string{"--nb", "http:x"}, creds...),
	} {
		code, out, _ := runServeArgs(nil, args...)
		if code != exitUsage || out != "" {
			t.Errorf("%s: exit %d, stdout %q", name, code, out)
		}
	}
}
