// Package driveragent is an in-process stand-in for Octavia's driver agent:
// real unix-socket servers for the status and get sockets speaking the
// octavia-lib framing. Tests and the demo use it to receive the statuses the
// provider sends and to serve the objects it reads.
//
// Unlike Octavia it applies nothing: every status message is recorded in
// arrival order and answered 200 (or 500 when told to fail).
package driveragent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// requestTimeout bounds how long a connection may take to deliver its
// request and take the reply, so a stuck client cannot pin a goroutine.
const requestTimeout = 30 * time.Second

// Received is one status message as it arrived.
type Received struct {
	Raw    []byte         // the JSON payload, byte for byte
	Status octavia.Status // decoded; zero if Raw did not decode
	Err    error          // decode error, if any
	Code   int            // the status_code answered
}

// Reply is the answer to one status message.
type Reply struct {
	StatusCode     int
	FaultString    string
	StatusObject   string
	StatusObjectID string
}

// Server serves a status socket and a get socket in a directory.
type Server struct {
	log        *logrus.Entry
	statusPath string
	getPath    string

	mu          sync.Mutex
	statusLn    net.Listener // nil while the status socket is stopped
	getLn       net.Listener
	received    []Received
	notify      chan struct{} // closed and replaced on every message
	failNext    int
	failReply   Reply
	objects     map[string]map[string][]byte // object kind -> id -> JSON
	getRequests int
	closed      bool
	wg          sync.WaitGroup
}

// Start creates status.sock and get.sock in dir and serves them until
// Close.
func Start(dir string, log *logrus.Entry) (*Server, error) {
	s := &Server{
		log:        log,
		statusPath: filepath.Join(dir, "status.sock"),
		getPath:    filepath.Join(dir, "get.sock"),
		notify:     make(chan struct{}),
		objects:    map[string]map[string][]byte{},
	}
	if err := s.StartStatus(); err != nil {
		return nil, err
	}
	ln, err := listen(s.getPath)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.mu.Lock()
	s.getLn = ln
	s.mu.Unlock()
	s.serve(ln, s.handleGet)
	return s, nil
}

func listen(path string) (net.Listener, error) {
	// A stale file from an earlier run would make bind fail.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	return ln, nil
}

// StatusPath is the status socket's path.
func (s *Server) StatusPath() string { return s.statusPath }

// GetPath is the get socket's path.
func (s *Server) GetPath() string { return s.getPath }

// StatusConfig returns a client configuration for the status socket.
func (s *Server) StatusConfig() octavia.ClientConfig { return octavia.ClientConfig{Path: s.statusPath} }

// GetConfig returns a client configuration for the get socket.
func (s *Server) GetConfig() octavia.ClientConfig { return octavia.ClientConfig{Path: s.getPath} }

// StopStatus closes the status listener and removes its socket file: the
// agent is absent and connections are refused until StartStatus.
func (s *Server) StopStatus() error {
	s.mu.Lock()
	ln := s.statusLn
	s.statusLn = nil
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	return ln.Close() // a unix listener unlinks its file on Close
}

// StartStatus (re)opens the status socket after StopStatus.
func (s *Server) StartStatus() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("driver agent server closed")
	}
	if s.statusLn != nil {
		return nil
	}
	ln, err := listen(s.statusPath)
	if err != nil {
		return err
	}
	s.statusLn = ln
	s.serve(ln, s.handleStatus)
	return nil
}

// serve accepts connections until ln is closed; called with or without mu
// held (it only starts a goroutine).
func (s *Server) serve(ln net.Listener, handle func(net.Conn)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.log.WithError(err).Warn("driver agent: accept failed")
				}
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(requestTimeout))
				handle(conn)
			}()
		}
	}()
}

// FailNext makes the next n status messages get reply instead of 200 (a
// zero StatusCode means 500). They are still recorded.
func (s *Server) FailNext(n int, reply Reply) {
	if reply.StatusCode == 0 {
		reply.StatusCode = 500
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = n
	s.failReply = reply
}

func (s *Server) handleStatus(conn net.Conn) {
	raw, err := octavia.ReadFrame(bufio.NewReader(conn))
	if err != nil {
		s.log.WithError(err).Warn("driver agent: bad status request")
		return
	}
	rec := Received{Raw: raw}
	if err := json.Unmarshal(raw, &rec.Status); err != nil {
		rec.Err = err
	}

	// Record before replying: once a client's Send returns, the message is
	// visible to the test.
	s.mu.Lock()
	reply := Reply{StatusCode: 200}
	if s.failNext > 0 {
		s.failNext--
		reply = s.failReply
	}
	rec.Code = reply.StatusCode
	s.received = append(s.received, rec)
	close(s.notify)
	s.notify = make(chan struct{})
	s.mu.Unlock()

	if err := octavia.WriteFrame(conn, encodeReply(reply)); err != nil {
		s.log.WithError(err).Warn("driver agent: status reply failed")
	}
}

// encodeReply renders the reply as Octavia's driver agent does (Python
// json.dumps separators).
func encodeReply(r Reply) []byte {
	out := fmt.Sprintf(`{"status_code": %d`, r.StatusCode)
	if r.StatusCode != 200 {
		out += `, "fault_string": ` + octavia.QuotePython(r.FaultString)
		if r.StatusObject != "" {
			out += `, "status_object": ` + octavia.QuotePython(r.StatusObject)
		}
		if r.StatusObjectID != "" {
			out += `, "status_object_id": ` + octavia.QuotePython(r.StatusObjectID)
		}
	}
	return []byte(out + "}")
}

// Received returns every status message received so far, in order,
// including those answered with an error.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Messages returns the decoded status messages received so far, in order,
// including those answered with an error.
func (s *Server) Messages() []octavia.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]octavia.Status, 0, len(s.received))
	for _, r := range s.received {
		out = append(out, r.Status)
	}
	return out
}

// Accepted returns the status messages answered 200, in order: what
// Octavia would have applied in full.
func (s *Server) Accepted() []octavia.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []octavia.Status
	for _, r := range s.received {
		if r.Code == 200 {
			out = append(out, r.Status)
		}
	}
	return out
}

// RawMessages returns the payloads of every status message received.
func (s *Server) RawMessages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, 0, len(s.received))
	for _, r := range s.received {
		out = append(out, r.Raw)
	}
	return out
}

// Count returns how many status messages were received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// Changed returns a channel closed at the next status message.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notify
}

// WaitCount waits until at least n status messages were received and
// returns them all.
func (s *Server) WaitCount(ctx context.Context, n int) ([]octavia.Status, error) {
	for {
		ch := s.Changed()
		if msgs := s.Messages(); len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("waiting for %d status messages (have %d): %w", n, s.Count(), ctx.Err())
		case <-ch:
		}
	}
}

// Reset forgets the received status messages.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = nil
}

// SetObject stores the JSON the get socket answers for (object, id).
func (s *Server) SetObject(object, id string, raw []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.objects[object]
	if m == nil {
		m = map[string][]byte{}
		s.objects[object] = m
	}
	m[id] = append([]byte(nil), raw...)
}

// DeleteObject makes the get socket answer {} for (object, id).
func (s *Server) DeleteObject(object, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects[object], id)
}

func (s *Server) setModel(object string, id octavia.Opt[string], v any) error {
	key, ok := id.Get()
	if !ok || key == "" {
		return fmt.Errorf("driver agent: %s object without id", object)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("driver agent: encode %s %s: %w", object, key, err)
	}
	s.SetObject(object, key, raw)
	return nil
}

// SetLoadBalancer serves lb under its loadbalancer_id.
func (s *Server) SetLoadBalancer(lb octavia.LoadBalancer) error {
	return s.setModel(octavia.ObjectLoadBalancers, lb.LoadBalancerID, lb)
}

// SetListener serves l under its listener_id.
func (s *Server) SetListener(l octavia.Listener) error {
	return s.setModel(octavia.ObjectListeners, l.ListenerID, l)
}

// SetPool serves p under its pool_id.
func (s *Server) SetPool(p octavia.Pool) error {
	return s.setModel(octavia.ObjectPools, p.PoolID, p)
}

// SetMember serves m under its member_id.
func (s *Server) SetMember(m octavia.Member) error {
	return s.setModel(octavia.ObjectMembers, m.MemberID, m)
}

// SetHealthMonitor serves hm under its healthmonitor_id.
func (s *Server) SetHealthMonitor(hm octavia.HealthMonitor) error {
	return s.setModel(octavia.ObjectHealthMonitors, hm.HealthMonitorID, hm)
}

// GetRequests returns how many get requests were answered.
func (s *Server) GetRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getRequests
}

func (s *Server) handleGet(conn net.Conn) {
	raw, err := octavia.ReadFrame(bufio.NewReader(conn))
	if err != nil {
		s.log.WithError(err).Warn("driver agent: bad get request")
		return
	}
	var req struct {
		Object string `json:"object"`
		ID     string `json:"id"`
	}
	reply := []byte("{}")
	if err := json.Unmarshal(raw, &req); err != nil {
		s.log.WithError(err).Warn("driver agent: undecodable get request")
	} else {
		s.mu.Lock()
		if obj, ok := s.objects[req.Object][req.ID]; ok {
			reply = obj
		}
		s.getRequests++
		s.mu.Unlock()
	}
	if err := octavia.WriteFrame(conn, reply); err != nil {
		s.log.WithError(err).Warn("driver agent: get reply failed")
	}
}

// Close stops both sockets, removes their files and waits for the
// connection handlers to finish.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	lns := []net.Listener{s.statusLn, s.getLn}
	s.statusLn, s.getLn = nil, nil
	s.mu.Unlock()
	var errs []error
	for _, ln := range lns {
		if ln != nil {
			if err := ln.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
