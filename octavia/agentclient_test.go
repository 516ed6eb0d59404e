package octavia_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/driveragent"
)

// shortDir returns a temp dir with a short path: unix socket paths are
// limited to 108 bytes, which t.TempDir() can exceed.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "da")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func newLog() (*logrus.Entry, *logtest.Hook) {
	l, hook := logtest.NewNullLogger()
	l.SetLevel(logrus.DebugLevel)
	return logrus.NewEntry(l), hook
}

func startAgent(t *testing.T) *driveragent.Server {
	t.Helper()
	log, _ := newLog()
	srv, err := driveragent.Start(shortDir(t), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv
}

// fastRetry keeps retry tests short; the production default is 1 s..75 s.
func fastRetry(attempts int) octavia.RetryPolicy {
	return octavia.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxAttempts: attempts}
}

var lbActive = octavia.Status{LoadBalancers: []octavia.StatusEntry{
	{ID: "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f", ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"},
}}

const lbActiveWire = `{"loadbalancers": [{"id": "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f", "provisioning_status": "ACTIVE", "operating_status": "ONLINE"}]}`

func TestStatusSendDelivers(t *testing.T) {
	srv := startAgent(t)
	log, _ := newLog()
	c := octavia.NewStatusClient(srv.StatusConfig(), fastRetry(3), log)

	if err := c.Send(context.Background(), lbActive); err != nil {
		t.Fatal(err)
	}
	raw := srv.RawMessages()
	if len(raw) != 1 || string(raw[0]) != lbActiveWire {
		t.Fatalf("received %q", raw)
	}
	msgs := srv.Accepted()
	if len(msgs) != 1 || msgs[0].LoadBalancers[0].OperatingStatus != "ONLINE" {
		t.Errorf("accepted %#v", msgs)
	}
	// Disabled keys' ids arrive without ":D".
	if err := c.Send(context.Background(), octavia.Status{Pools: []octavia.StatusEntry{{ID: "p:D", ProvisioningStatus: "DELETED"}}, Members: []octavia.StatusEntry{}}); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.RawMessages()[1]); got != `{"pools": [{"id": "p", "provisioning_status": "DELETED"}], "members": []}` {
		t.Errorf("second message %s", got)
	}
}

// A hand-written client checks the server's framing byte for byte (the
// exchange of events-and-status.md §11.2).
func TestDriverAgentRawExchange(t *testing.T) {
	srv := startAgent(t)
	conn, err := net.Dial("unix", srv.StatusPath())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "130\n"+lbActiveWire); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply) != "20\n{\"status_code\": 200}" {
		t.Errorf("reply %q", reply)
	}
	if len(lbActiveWire) != 130 {
		t.Fatalf("test payload is %d bytes", len(lbActiveWire))
	}
}

func TestStatusSendRetriesOn500(t *testing.T) {
	srv := startAgent(t)
	srv.FailNext(2, driveragent.Reply{FaultString: "boom", StatusObject: "members", StatusObjectID: "m1"})
	log, hook := newLog()
	c := octavia.NewStatusClient(srv.StatusConfig(), fastRetry(5), log)

	if err := c.Send(context.Background(), lbActive); err != nil {
		t.Fatalf("send: %v", err)
	}
	rec := srv.Received()
	if len(rec) != 3 {
		t.Fatalf("received %d messages, want 3", len(rec))
	}
	for i, want := range []int{500, 500, 200} {
		if rec[i].Code != want || string(rec[i].Raw) != lbActiveWire {
			t.Errorf("message %d: code %d payload %s", i, rec[i].Code, rec[i].Raw)
		}
	}
	if n := len(srv.Accepted()); n != 1 {
		t.Errorf("accepted %d", n)
	}
	warnings := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && e.Message == "status update failed, retrying" {
			warnings++
		}
	}
	if warnings != 2 {
		t.Errorf("logged %d retry warnings, want 2", warnings)
	}
}

func TestStatusSendGivesUp(t *testing.T) {
	srv := startAgent(t)
	srv.FailNext(10, driveragent.Reply{FaultString: "record failed", StatusObject: "members", StatusObjectID: "m1"})
	log, _ := newLog()
	c := octavia.NewStatusClient(srv.StatusConfig(), fastRetry(3), log)

	err := c.Send(context.Background(), lbActive)
	var ue *octavia.UpdateStatusError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not an UpdateStatusError", err)
	}
	if ue.StatusCode != 500 || ue.FaultString != "record failed" || ue.StatusObject != "members" || ue.StatusObjectID != "m1" || ue.Err != nil {
		t.Errorf("UpdateStatusError %+v", ue)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error text %q", err)
	}
	if n := srv.Count(); n != 3 {
		t.Errorf("agent saw %d attempts, want 3", n)
	}
}

func TestStatusSendAgentAbsentThenAppears(t *testing.T) {
	srv := startAgent(t)
	if err := srv.StopStatus(); err != nil {
		t.Fatal(err)
	}
	log, hook := newLog()
	c := octavia.NewStatusClient(srv.StatusConfig(), octavia.RetryPolicy{
		InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxAttempts: 1000,
	}, log)

	// One attempt alone fails with the connect error inside.
	err := c.SendOnce(context.Background(), lbActive)
	var ue *octavia.UpdateStatusError
	if !errors.As(err, &ue) || ue.Err == nil || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("absent agent: %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- c.Send(context.Background(), lbActive) }()
	// Wait until the client has failed at least twice, then bring the
	// agent back.
	deadline := time.After(10 * time.Second)
	for retries := 0; retries < 2; {
		select {
		case <-deadline:
			t.Fatal("client never retried")
		case err := <-done:
			t.Fatalf("Send returned early: %v", err)
		case <-time.After(time.Millisecond):
		}
		retries = 0
		for _, e := range hook.AllEntries() {
			if e.Message == "status update failed, retrying" {
				retries++
			}
		}
	}
	if srv.Count() != 0 {
		t.Fatalf("stopped agent received a message")
	}
	if err := srv.StartStatus(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("send after the agent came back: %v", err)
	}
	if raw := srv.RawMessages(); len(raw) != 1 || string(raw[0]) != lbActiveWire {
		t.Errorf("received %q", raw)
	}
}

func TestStatusSendContextBoundsRetry(t *testing.T) {
	srv := startAgent(t)
	if err := srv.StopStatus(); err != nil {
		t.Fatal(err)
	}
	log, _ := newLog()
	// The reference policy would keep trying for about ten minutes.
	c := octavia.NewStatusClient(srv.StatusConfig(), octavia.DefaultRetryPolicy(), log)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, lbActive)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v does not report the context", err)
	}
	var ue *octavia.UpdateStatusError
	if !errors.As(err, &ue) || !errors.Is(ue, syscall.ENOENT) {
		t.Errorf("error %v does not carry the last attempt", err)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := c.Send(cctx, lbActive); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// silentAgent accepts connections, reads the request and never answers.
func silentAgent(t *testing.T) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "silent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() { _, _ = octavia.ReadFrame(bufio.NewReader(c)) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return path
}

func TestRoundTripTimeouts(t *testing.T) {
	path := silentAgent(t)
	log, _ := newLog()

	c := octavia.NewStatusClient(octavia.ClientConfig{Path: path, ResponseTimeout: 20 * time.Millisecond}, fastRetry(1), log)
	err := c.Send(context.Background(), lbActive)
	if !errors.Is(err, octavia.ErrAgentTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("response timeout: %v", err)
	}

	// ctx ends a read that the (long) response timeout would not.
	g := octavia.NewGetClient(octavia.ClientConfig{Path: path}, log)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = g.GetPool(ctx, "p")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("get with expiring context: %v", err)
	}
}

func TestMalformedReplies(t *testing.T) {
	cases := map[string]string{
		"not json":       "3\nabc",
		"no status_code": "2\n{}",
		"bad length":     "x\n{}",
		"short payload":  "10\n{}",
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "bad.sock")
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = octavia.ReadFrame(bufio.NewReader(c))
				_, _ = io.WriteString(c, reply)
			}()
			log, _ := newLog()
			err = octavia.NewStatusClient(octavia.ClientConfig{Path: path}, fastRetry(1), log).SendOnce(context.Background(), lbActive)
			var ue *octavia.UpdateStatusError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestGetClient(t *testing.T) {
	srv := startAgent(t)
	log, _ := newLog()
	g := octavia.NewGetClient(srv.GetConfig(), log)
	ctx := context.Background()

	lbID := "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f"
	if err := srv.SetLoadBalancer(octavia.LoadBalancer{
		LoadBalancerID: octavia.Some(lbID), VIPSubnetID: octavia.Some("s1"), AdminStateUp: octavia.Some(true),
		AdditionalVIPs: octavia.Some([]octavia.AdditionalVIP{{IPAddress: octavia.Some("fd00::1"), PortID: octavia.Some("p2")}}),
	}); err != nil {
		t.Fatal(err)
	}
	lb, err := g.GetLoadBalancer(ctx, lbID)
	if err != nil || lb == nil {
		t.Fatalf("get lb: %v %v", lb, err)
	}
	if lb.VIPSubnetID.V != "s1" || !lb.AdminStateUp.V || lb.AdditionalVIPs.V[0].PortID.V != "p2" || lb.VIPPortID.Set {
		t.Errorf("lb %+v", lb)
	}

	missing, err := g.GetLoadBalancer(ctx, "nope")
	if err != nil || missing != nil {
		t.Errorf("unknown lb: %v %v", missing, err)
	}

	// Octavia renders Unset as null (render_unsets=True).
	srv.SetObject(octavia.ObjectPools, "p1", []byte(`{"pool_id": "p1", "loadbalancer_id": "lb", "listener_id": null, "session_persistence": null, "members": [{"member_id": "m1", "address": "10.0.0.4", "subnet_id": null}], "healthmonitor": null, "future": 1}`))
	pool, err := g.GetPool(ctx, "p1")
	if err != nil || pool == nil {
		t.Fatalf("get pool: %v %v", pool, err)
	}
	if !pool.ListenerID.Null || !pool.HealthMonitor.Null || pool.Members.V[0].Address.V != "10.0.0.4" || !pool.Members.V[0].SubnetID.Null {
		t.Errorf("pool %+v", pool)
	}

	if err := srv.SetMember(octavia.Member{MemberID: octavia.Some("m1"), ProtocolPort: octavia.Some(80)}); err != nil {
		t.Fatal(err)
	}
	if m, err := g.GetMember(ctx, "m1"); err != nil || m.ProtocolPort.V != 80 {
		t.Errorf("member %v %v", m, err)
	}
	if err := srv.SetListener(octavia.Listener{ListenerID: octavia.Some("l1"), Protocol: octavia.Some("UDP")}); err != nil {
		t.Fatal(err)
	}
	if l, err := g.GetListener(ctx, "l1"); err != nil || l.Protocol.V != "UDP" {
		t.Errorf("listener %v %v", l, err)
	}
	if err := srv.SetHealthMonitor(octavia.HealthMonitor{HealthMonitorID: octavia.Some("h1"), Delay: octavia.Some(3)}); err != nil {
		t.Fatal(err)
	}
	if hm, err := g.GetHealthMonitor(ctx, "h1"); err != nil || hm.Delay.V != 3 {
		t.Errorf("hm %v %v", hm, err)
	}
	// Kinds are separate namespaces.
	if m, err := g.GetMember(ctx, "h1"); err != nil || m != nil {
		t.Errorf("member h1: %v %v", m, err)
	}
	srv.DeleteObject(octavia.ObjectMembers, "m1")
	if m, err := g.GetMember(ctx, "m1"); err != nil || m != nil {
		t.Errorf("deleted member: %v %v", m, err)
	}

	srv.SetObject(octavia.ObjectMembers, "bad", []byte(`{"member_id": "bad", "protocol_port": "80"}`))
	_, err = g.GetMember(ctx, "bad")
	var fe *octavia.FieldError
	if !errors.As(err, &fe) || fe.Field != "protocol_port" {
		t.Errorf("wrong type in reply: %v", err)
	}
	srv.SetObject(octavia.ObjectMembers, "null", []byte(`null`))
	if m, err := g.GetMember(ctx, "null"); err != nil || m != nil {
		t.Errorf("null reply: %v %v", m, err)
	}
	if n := srv.GetRequests(); n != 10 {
		t.Errorf("get requests %d, want 10", n)
	}
	if err := srv.SetPool(octavia.Pool{}); err == nil {
		t.Errorf("an object without id must be refused")
	}
}

func TestEncodeGetRequest(t *testing.T) {
	got := string(octavia.EncodeGetRequest(octavia.ObjectLoadBalancers, "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f"))
	if got != `{"object": "loadbalancers", "id": "94e7c5d2-3b1a-4f0e-9c1d-2a3b4c5d6e7f"}` {
		t.Errorf("got %s", got)
	}
}

func TestGetAgentAbsent(t *testing.T) {
	log, _ := newLog()
	g := octavia.NewGetClient(octavia.ClientConfig{Path: filepath.Join(shortDir(t), "none.sock")}, log)
	if _, err := g.GetLoadBalancer(context.Background(), "x"); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("absent agent: %v", err)
	}
}
