package watcher

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

func str(s string) *string { return &s }

func TestQueueCoalescesAndKeepsOrder(t *testing.T) {
	q := newQueue()
	q.setActive(true, "initial")
	lrpA := nb.LogicalRouterPort{UUID: "a", Name: "lrp-a"}
	q.push(LRPCreated{LRP: lrpA})
	q.push(ServiceMonitorUpdated{SM: sb.ServiceMonitor{UUID: "sm1", Status: str("online")}})
	q.push(LRPDeleted{LRP: lrpA})
	q.push(ServiceMonitorUpdated{SM: sb.ServiceMonitor{UUID: "sm2", Status: str("online")}})
	q.push(ServiceMonitorUpdated{SM: sb.ServiceMonitor{UUID: "sm1", Status: str("offline")}})
	q.push(Resync{Reason: "reconnect"})
	q.push(ServiceMonitorDeleted{SM: sb.ServiceMonitor{UUID: "sm2"}})
	q.push(Resync{Reason: "initial"})

	got := q.take()
	want := []Event{
		Resync{Reason: "initial; reconnect"},
		LRPCreated{LRP: lrpA},
		ServiceMonitorUpdated{SM: sb.ServiceMonitor{UUID: "sm1", Status: str("offline")}},
		LRPDeleted{LRP: lrpA},
		ServiceMonitorDeleted{SM: sb.ServiceMonitor{UUID: "sm2"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("event %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if q.take() != nil {
		t.Error("queue not empty after take")
	}
	// Keys are forgotten after take: a new update is queued anew.
	q.push(ServiceMonitorUpdated{SM: sb.ServiceMonitor{UUID: "sm1"}})
	if got := q.take(); len(got) != 1 {
		t.Errorf("after take: %v", got)
	}
}

func TestQueueGate(t *testing.T) {
	q := newQueue()
	if q.push(LRPCreated{}) {
		t.Error("push accepted while inactive")
	}
	q.setActive(true, "lock acquired")
	q.push(LRPCreated{LRP: nb.LogicalRouterPort{Name: "x"}})
	q.setActive(false, "")
	if got := q.take(); got != nil {
		t.Errorf("inactive queue delivered %v", got)
	}
	q.setActive(true, "lock acquired again")
	got := q.take()
	if len(got) != 1 || got[0] != (Resync{Reason: "lock acquired again"}) {
		t.Errorf("after reactivation: %v", got)
	}
	// Next blocks while empty, returns on push, and ErrClosed after close.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := q.next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("next on empty queue: %v", err)
	}
	cancel()
	go func() {
		time.Sleep(10 * time.Millisecond)
		q.push(Resync{Reason: "later"})
	}()
	evs, err := q.next(context.Background())
	if err != nil || len(evs) != 1 {
		t.Errorf("next after push: %v %v", evs, err)
	}
	q.close()
	if _, err := q.next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("next after close: %v", err)
	}
	if q.push(Resync{Reason: "after close"}) {
		t.Error("push accepted after close")
	}
}

func TestParseRemotes(t *testing.T) {
	good := map[string][]string{
		"tcp:127.0.0.1:6641":                        {"tcp:127.0.0.1:6641"},
		"unix:/var/run/ovn/ovnnb_db.sock":           {"unix:/var/run/ovn/ovnnb_db.sock"},
		"ssl:[fd00::1]:6641":                        {"ssl:[fd00::1]:6641"},
		"tcp:10.0.0.1:6641, tcp:10.0.0.2:6641 ":     {"tcp:10.0.0.1:6641", "tcp:10.0.0.2:6641"},
		"tcp:ovn-nb.example.org:6641,unix:/tmp/x.s": {"tcp:ovn-nb.example.org:6641", "unix:/tmp/x.s"},
	}
	for in, want := range good {
		got, err := ParseRemotes(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("ParseRemotes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                        "empty OVSDB remote",
		"tcp:127.0.0.1":           "missing port",
		"tcp:127.0.0.1:x":         `invalid port "x"`,
		"tcp:127.0.0.1:70000":     `invalid port "70000"`,
		"tcp::6641":               "empty host",
		"udp:127.0.0.1:6641":      `unknown scheme "udp"`,
		"unix:":                   "empty socket path",
		"tcp:1.2.3.4:1,,unix:/x":  "empty endpoint",
		"/var/run/ovn/nb.sock":    "expected tcp:HOST:PORT",
		"ssl:[fe80::zz]:6641":     "invalid IPv6 address",
		"tcp:127.0.0.1:6641/path": "invalid port",
	}
	for in, want := range bad {
		_, err := ParseRemotes(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRemotes(%q) error = %v; want it to contain %q", in, err, want)
		}
	}
}

func TestLogSinkLevels(t *testing.T) {
	var buf bytes.Buffer
	l := logrus.New()
	l.SetOutput(&buf)
	l.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	l.SetLevel(logrus.DebugLevel)
	var hooked []string
	lg := newHookedLogger(logrus.NewEntry(l), func(m string) { hooked = append(hooked, m) }).WithValues("database", "OVN_Northbound")
	lg.Info("zero", "k", 1)
	lg.V(3).Info("reconnected - restarting monitors")
	lg.V(4).Info("transacting operations")
	lg.Error(errors.New("boom"), "failed", "odd")
	out := buf.String()
	for _, want := range []string{
		`level=info msg=zero database=OVN_Northbound k=1`,
		`level=debug msg="reconnected - restarting monitors" database=OVN_Northbound`,
		`level=error msg=failed database=OVN_Northbound error=boom odd="(missing)"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "transacting") {
		t.Errorf("V(4) logged at debug level:\n%s", out)
	}
	// The hook sees V(0)-V(3) messages whatever the level, never V(4)+
	// (libovsdb formats whole transactions when V(4) is enabled).
	if strings.Join(hooked, "|") != "zero|reconnected - restarting monitors" {
		t.Errorf("hook saw %q", hooked)
	}
	l.SetLevel(logrus.InfoLevel)
	buf.Reset()
	hooked = nil
	lg.V(3).Info("reconnected - restarting monitors")
	if buf.Len() != 0 || len(hooked) != 1 {
		t.Errorf("at info level: output %q, hook %q", buf.String(), hooked)
	}
	if !NewLogger(logrus.NewEntry(l)).V(0).Enabled() || NewLogger(logrus.NewEntry(l)).V(1).Enabled() {
		t.Error("plain logger: V(0) should be enabled and V(1) not at info level")
	}
}

// The producer side runs on libovsdb's single event goroutine: a push must
// stay cheap, also with many distinct Service_Monitor keys queued.
func BenchmarkQueuePushTake(b *testing.B) {
	q := newQueue()
	q.setActive(true, "bench")
	sms := make([]sb.ServiceMonitor, 1024)
	for i := range sms {
		sms[i] = sb.ServiceMonitor{UUID: "sm-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q.push(ServiceMonitorUpdated{SM: sms[i%len(sms)]})
		if i%4096 == 4095 {
			q.take()
		}
	}
}
