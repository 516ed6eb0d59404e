package serve

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/calls"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// fakeDriver records the listener creates it runs, in order; a create
// blocks while gate is set and not closed. Validation refuses listener
// ids listed in refuse. Methods not overridden panic (nil embedded
// interfaces): the tests only send the calls below.
type fakeDriver struct {
	calls.Driver
	calls.Validator

	mu      sync.Mutex
	ran     []string
	gate    chan struct{}
	refuse  map[string]*octavia.ProviderError
	started chan string
}

func (f *fakeDriver) ValidateListenerCreate(_ context.Context, l *octavia.Listener) error {
	if pe := f.refuse[l.ListenerID.V]; pe != nil {
		return pe
	}
	return nil
}

func (f *fakeDriver) ListenerCreate(ctx context.Context, l *octavia.Listener) error {
	if f.started != nil {
		f.started <- l.ListenerID.V
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ran = append(f.ran, l.ListenerID.V)
	return nil
}

func (f *fakeDriver) CreateVIPPort(_ context.Context, lbID, _ string, vip *octavia.VIP, add []octavia.AdditionalVIP) (*octavia.VIP, []octavia.AdditionalVIP, error) {
	out := *vip
	out.VIPPortID = octavia.Some("port-" + lbID)
	return &out, add, nil
}

func (f *fakeDriver) LoadBalancerFailover(context.Context, string) error {
	return octavia.ErrFailover()
}

func (f *fakeDriver) ranCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ran...)
}

type running struct {
	path   string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, d Driver, cfg Config) *running {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	l := logrus.New()
	l.SetOutput(io.Discard)
	cfg.Driver, cfg.Log = d, logrus.NewEntry(l)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{path: path, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- New(cfg).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func request(t *testing.T, path, payload string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := Request(ctx, path, []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func listenerCreate(id string) string {
	return `{"call": "listener_create", "listener": {"listener_id": "` + id + `", "loadbalancer_id": "lb1", "protocol": "TCP", "protocol_port": 80}}`
}

func TestRepliesBeforeRunning(t *testing.T) {
	d := &fakeDriver{gate: make(chan struct{}), started: make(chan string, 1)}
	r := start(t, d, Config{})
	if got := request(t, r.path, listenerCreate("l1")); got != `{"ok":true}` {
		t.Fatalf("reply %s", got)
	}
	// The reply came while the call had not finished (it is gated).
	if got := <-d.started; got != "l1" {
		t.Fatalf("started %s", got)
	}
	if ran := d.ranCalls(); len(ran) != 0 {
		t.Fatalf("ran before the gate opened: %v", ran)
	}
	close(d.gate)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if ran := d.ranCalls(); len(ran) != 1 || ran[0] != "l1" {
		t.Fatalf("ran %v", ran)
	}
}

func TestRefusedCallsReplyTheErrorAndDoNotRun(t *testing.T) {
	d := &fakeDriver{refuse: map[string]*octavia.ProviderError{"bad": octavia.ErrAllowedCIDRs()}}
	r := start(t, d, Config{})
	for payload, want := range map[string]string{
		listenerCreate("bad"):         `{"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"OVN provider does not support allowed_cidrs option","operator_fault_string":"OVN provider does not support allowed_cidrs option"}}`,
		`{"call": "listener_create"}`: `{"ok":false,"error":{"type":"DriverError","user_fault_string":"listener_create: missing argument \"listener\"","operator_fault_string":"listener_create: missing argument \"listener\""}}`,
		`{"call": "nope"}`:            `{"ok":false,"error":{"type":"DriverError","user_fault_string":"unknown provider call \"nope\"","operator_fault_string":"unknown provider call \"nope\""}}`,
		`[1]`:                         `{"ok":false,"error":{"type":"DriverError","user_fault_string":"bad request: expected a JSON object {\"call\": ..., <arguments>}","operator_fault_string":"bad request: expected a JSON object {\"call\": ..., <arguments>}"}}`,
		`{"listener": {}}`:            `{"ok":false,"error":{"type":"DriverError","user_fault_string":"bad request: missing \"call\"","operator_fault_string":"bad request: missing \"call\""}}`,
		`{"call": "loadbalancer_failover", "loadbalancer_id": "x"}`: `{"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"OVN provider does not support loadbalancer failover","operator_fault_string":"OVN provider does not support loadbalancer failover"}}`,
	} {
		if got := request(t, r.path, payload); got != want {
			t.Errorf("%s:\n got %s\nwant %s", payload, got, want)
		}
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if ran := d.ranCalls(); len(ran) != 0 {
		t.Fatalf("ran %v", ran)
	}
}

func TestCreateVIPPortRepliesItsResult(t *testing.T) {
	r := start(t, &fakeDriver{}, Config{})
	got := request(t, r.path, `{"call": "create_vip_port", "loadbalancer_id": "lb1", "project_id": "p1",
		"vip_dictionary": {"vip_network_id": "n1", "vip_address": "10.0.0.9"}, "additional_vip_dicts": []}`)
	want := `{"ok":true,"result":[{"vip_address":"10.0.0.9","vip_network_id":"n1","vip_port_id":"port-lb1"},[]]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestCallsRunInAcceptanceOrder(t *testing.T) {
	d := &fakeDriver{gate: make(chan struct{})}
	r := start(t, d, Config{})
	want := []string{"a", "b", "c", "d", "e", "f"}
	for _, id := range want { // one connection each, each after the previous reply
		if got := request(t, r.path, listenerCreate(id)); got != `{"ok":true}` {
			t.Fatalf("%s: %s", id, got)
		}
	}
	close(d.gate)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	got := d.ranCalls()
	if len(got) != len(want) {
		t.Fatalf("ran %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
}

func TestFullQueueRefuses(t *testing.T) {
	d := &fakeDriver{gate: make(chan struct{}), started: make(chan string, 4)}
	r := start(t, d, Config{QueueSize: 1})
	request(t, r.path, listenerCreate("running"))
	<-d.started // off the queue, on the worker
	request(t, r.path, listenerCreate("queued"))
	got := request(t, r.path, listenerCreate("refused"))
	want := `{"ok":false,"error":{"type":"DriverError","user_fault_string":"ovn-octavia: 1 calls are waiting to run; try again later","operator_fault_string":"ovn-octavia: 1 calls are waiting to run; try again later"}}`
	if got != want {
		t.Fatalf("got %s", got)
	}
	close(d.gate)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if ran := d.ranCalls(); len(ran) != 2 || ran[0] != "running" || ran[1] != "queued" {
		t.Fatalf("ran %v", ran)
	}
}

func TestShutdownStopsAcceptingAndDrains(t *testing.T) {
	d := &fakeDriver{gate: make(chan struct{}), started: make(chan string, 4)}
	r := start(t, d, Config{})
	request(t, r.path, listenerCreate("x"))
	request(t, r.path, listenerCreate("y"))
	<-d.started
	r.cancel()
	// Not accepting any more: the socket file is gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", r.path)
		if err != nil {
			break
		}
		// A dial that beat the listener's close is a connection the server
		// must finish before Serve returns: hang up, as a liveness probe does.
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(d.gate)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if ran := d.ranCalls(); len(ran) != 2 || ran[0] != "x" || ran[1] != "y" {
		t.Fatalf("ran %v", ran)
	}
}

func TestDrainTimeoutDropsTheRest(t *testing.T) {
	d := &fakeDriver{gate: make(chan struct{}), started: make(chan string, 4)}
	r := start(t, d, Config{DrainTimeout: 100 * time.Millisecond})
	request(t, r.path, listenerCreate("stuck"))
	request(t, r.path, listenerCreate("never"))
	<-d.started
	err := r.stop(t)
	if !errors.Is(err, ErrDrainTimeout) || err.Error() != "queue not drained before the drain timeout (100ms): 2 calls not finished" {
		t.Fatalf("got %v", err)
	}
	if ran := d.ranCalls(); len(ran) != 0 {
		t.Fatalf("ran %v", ran)
	}
}

func TestListenRefusesALiveServerAndReplacesAStaleSocket(t *testing.T) {
	r := start(t, &fakeDriver{}, Config{})
	if _, err := Listen(r.path); err == nil {
		t.Fatal("second Listen on a live socket succeeded")
	}
	stale := filepath.Join(t.TempDir(), "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ln, err = Listen(stale)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	ln.Close()
}

func TestMalformedFrameGetsAnErrorReply(t *testing.T) {
	r := start(t, &fakeDriver{}, Config{})
	c, err := net.Dial("unix", r.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("12x\n{}")); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ok":false,"error":{"type":"DriverError","user_fault_string":"bad request frame: malformed driver-agent frame: length line \"12x\" is not a decimal number","operator_fault_string":"bad request frame: malformed driver-agent frame: length line \"12x\" is not a decimal number"}}`
	if got := string(b); got != strconv.Itoa(len(want))+"\n"+want {
		t.Fatalf("got %q (want len %d)", got, len(want))
	}
}
