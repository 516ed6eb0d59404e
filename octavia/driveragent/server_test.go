package driveragent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

func start(t *testing.T) *Server {
	t.Helper()
	dir, err := os.MkdirTemp("", "da")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, _ := logtest.NewNullLogger()
	s, err := Start(dir, logrus.NewEntry(l))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exchange(t *testing.T, path, request string) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	if uc, ok := c.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(reply)
}

// frame builds a request frame with the right length line.
func frame(payload string) string {
	return fmt.Sprintf("%d\n%s", len(payload), payload)
}

func TestStatusRecordingAndReplies(t *testing.T) {
	s := start(t)
	changed := s.Changed()
	if got := exchange(t, s.StatusPath(), frame(`{"pools": [{}]}`)); got != "20\n{\"status_code\": 200}" {
		t.Errorf("reply %q", got)
	}
	select {
	case <-changed:
	default:
		t.Errorf("Changed channel not closed after a message")
	}
	s.FailNext(1, Reply{FaultString: "bad \"record\"", StatusObject: "pools", StatusObjectID: "p1"})
	want := `{"status_code": 500, "fault_string": "bad \"record\"", "status_object": "pools", "status_object_id": "p1"}`
	if got := exchange(t, s.StatusPath(), "2\n{}"); got != "106\n"+want {
		t.Errorf("reply %q", got)
	}
	// Undecodable JSON is recorded with its error and still answered.
	if got := exchange(t, s.StatusPath(), "3\nabc"); got != "20\n{\"status_code\": 200}" {
		t.Errorf("reply %q", got)
	}
	rec := s.Received()
	if len(rec) != 3 || rec[0].Code != 200 || rec[1].Code != 500 || rec[2].Err == nil || string(rec[2].Raw) != "abc" {
		t.Fatalf("received %+v", rec)
	}
	if p := rec[0].Status.Pools; len(p) != 1 || p[0].ID != "" {
		t.Errorf("decoded %+v", rec[0].Status)
	}
	if len(s.Accepted()) != 2 || len(s.Messages()) != 3 || s.Count() != 3 {
		t.Errorf("accepted %d messages %d", len(s.Accepted()), len(s.Messages()))
	}
	// A malformed frame gets no reply and is not recorded.
	if got := exchange(t, s.StatusPath(), "zz\n"); got != "" {
		t.Errorf("reply to a bad frame %q", got)
	}
	if s.Count() != 3 {
		t.Errorf("bad frame recorded")
	}
	s.Reset()
	if s.Count() != 0 {
		t.Errorf("Reset kept messages")
	}
}

func TestWaitCount(t *testing.T) {
	s := start(t)
	go func() {
		for i := 0; i < 2; i++ {
			c, err := net.Dial("unix", s.StatusPath())
			if err != nil {
				return
			}
			_ = octavia.WriteFrame(c, []byte(`{"members": []}`))
			_, _ = io.ReadAll(c)
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := s.WaitCount(ctx, 2)
	if err != nil || len(msgs) != 2 || msgs[1].Members == nil {
		t.Fatalf("WaitCount: %v %+v", err, msgs)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := s.WaitCount(short, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitCount beyond what arrives: %v", err)
	}
}

func TestStopStartAndClose(t *testing.T) {
	s := start(t)
	if err := s.StopStatus(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.StatusPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stopped status socket still exists: %v", err)
	}
	if _, err := net.Dial("unix", s.StatusPath()); err == nil {
		t.Errorf("stopped status socket accepts connections")
	}
	if err := s.StartStatus(); err != nil {
		t.Fatal(err)
	}
	if got := exchange(t, s.StatusPath(), "2\n{}"); got != "20\n{\"status_code\": 200}" {
		t.Errorf("reply after restart %q", got)
	}
	// get: unknown object, bad request.
	if got := exchange(t, s.GetPath(), frame(`{"object": "pools", "id": "x"}`)); got != "2\n{}" {
		t.Errorf("get unknown %q", got)
	}
	if got := exchange(t, s.GetPath(), "3\n[1]"); got != "2\n{}" {
		t.Errorf("get bad request %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.StatusPath(), s.GetPath()} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
	if err := s.StartStatus(); err == nil {
		t.Errorf("StartStatus after Close must fail")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStaleSocketFileReplaced(t *testing.T) {
	dir, err := os.MkdirTemp("", "da")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(dir+"/status.sock", []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, _ := logtest.NewNullLogger()
	s, err := Start(dir, logrus.NewEntry(l))
	if err != nil {
		t.Fatalf("start over a stale file: %v", err)
	}
	defer s.Close()
	if got := exchange(t, s.StatusPath(), "2\n{}"); got != "20\n{\"status_code\": 200}" {
		t.Errorf("reply %q", got)
	}
}
