package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo is the README's main job: it must run to completion on a machine
// without OVN and tell the story it promises.
func TestDemoRunsToCompletion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		`agent  {"event":"ready"}`,
		`agent  {"event":"synced"}`,
		"loadbalancer: lb1 ACTIVE/ONLINE",
		"nothing changed, so nothing is sent to Octavia",  // unchanged results are not reported
		"member: web-1 ACTIVE/ERROR",                      // web-1 probed offline
		"loadbalancer: lb1 ACTIVE/DEGRADED",               // rolled up
		"is on router router1, switch net1, switch net2;", // after the net2 interface is added
		"is on router router1, switch net1;",              // after it is removed
		"172.24.4.50:80",                                  // FIP in vips
		"loadbalancer: lb1 DELETED/OFFLINE",
		"Load_Balancer rows left in NB: 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q\n%s", want, out.String())
		}
	}
}
