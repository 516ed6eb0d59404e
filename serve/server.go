// Package serve is the socket front end Octavia's API reaches the provider
// through: the Python shim (shim/ovn_octavia_shim) forwards every
// ProviderDriver call to a unix socket, and Server answers it.
//
// Wire format: octavia-lib's driver-agent framing in both directions (the
// JSON's byte length in ASCII decimal, "\n", the JSON), one request and one
// reply per connection. A request is one `apply` step,
// {"call": "<ProviderDriver method>", <argument name>: <value>, ...}; the
// reply is {"ok": true}, {"ok": true, "result": ...} (create_vip_port) or
// {"ok": false, "error": {"type", "user_fault_string",
// "operator_fault_string"}}.
//
// Octavia's API must not block on the NB work, so Server does what the
// reference provider does in the API process: it validates the call
// synchronously, answers, and runs the call later on ONE worker, in the
// order the calls were accepted (the reference's helper queue). The work's
// outcome reaches Octavia through the status socket. Calls whose answer is
// their work (create_vip_port returns the port; failover, L7, flavor and
// availability-zone calls only answer an error) are run before answering.
package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/calls"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// Driver is what Server runs calls on (*provider.Driver).
type Driver interface {
	calls.Driver
	calls.Validator
}

// Defaults of Config's zero values.
const (
	DefaultQueueSize      = 4096
	DefaultRequestTimeout = 30 * time.Second // octavia-lib's DRIVER_AGENT_TIMEOUT
	DefaultCallTimeout    = 5 * time.Minute
	DefaultDrainTimeout   = 50 * time.Second // under octavia-driver-agent's 60 s shutdown timeout
)

// Config wires a Server.
type Config struct {
	Driver Driver
	Log    *logrus.Entry
	// QueueSize bounds the calls accepted and not yet run; a call arriving
	// at a full queue is refused with a DriverError rather than blocking
	// Octavia's API.
	QueueSize int
	// RequestTimeout bounds one connection: reading the request, validating
	// (or running an immediate call) and writing the reply.
	RequestTimeout time.Duration
	// CallTimeout bounds one queued call on the worker, so that a wedged
	// call cannot hold up every call behind it.
	CallTimeout time.Duration
	// DrainTimeout bounds how long shutdown waits for the queue to empty;
	// calls still queued then are dropped (and logged).
	DrainTimeout time.Duration
}

// Server answers provider calls on a listener; see the package doc.
type Server struct {
	driver Driver
	log    *logrus.Entry
	cfg    Config

	queue   chan *job
	pending atomic.Int64 // queued and not finished, for logs
	connSeq atomic.Uint64
}

// job is an accepted call waiting for the worker. ready carries whether
// its "ok" reply was delivered: a call whose acceptance Octavia never
// heard of must not run (Octavia rolls the API request back).
type job struct {
	call  *calls.Call
	conn  uint64
	ready chan bool
}

// New returns a Server for cfg, zero values replaced by the defaults.
func New(cfg Config) *Server {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Server{
		driver: cfg.Driver,
		log:    log.WithField("component", "serve"),
		cfg:    cfg,
		queue:  make(chan *job, cfg.QueueSize),
	}
}

// ErrDrainTimeout reports calls left in the queue at shutdown.
var ErrDrainTimeout = errors.New("queue not drained before the drain timeout")

// Serve accepts connections on ln until ctx ends, then shuts down: it
// closes ln (no new calls), lets the connections in progress finish, runs
// every accepted call (bounded by DrainTimeout) and returns. It returns nil
// after a complete drain, an error wrapping ErrDrainTimeout when calls were
// dropped, or the accept error that stopped it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// The worker's context outlives ctx: accepted calls still run during the
	// drain, and are cancelled only when the drain times out.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		s.work(workCtx)
	}()

	stopAccept := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stopAccept()
	var conns sync.WaitGroup
	var acceptErr error
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				acceptErr = fmt.Errorf("accept on %s: %w", ln.Addr(), err)
				break
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does, rather than stop serving Octavia.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.WithError(err).WithField("retry_in", delay.String()).Error("accept failed")
			select {
			case <-time.After(delay):
			case <-ctx.Done():
			}
			continue
		}
		delay = 0
		id := s.connSeq.Add(1)
		conns.Go(func() { s.handle(workCtx, c, id) })
	}
	_ = ln.Close()
	s.log.WithField("queued", s.pending.Load()).Info("not accepting calls any more; draining the queue")

	// Connections in progress finish within RequestTimeout; their calls
	// join the queue before it is closed.
	conns.Wait()
	close(s.queue)
	timer := time.NewTimer(s.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-workerDone:
		s.log.Info("queue drained")
		return acceptErr
	case <-timer.C:
	}
	dropped := s.pending.Load()
	cancelWork()
	<-workerDone
	err := fmt.Errorf("%w (%s): %d calls not finished", ErrDrainTimeout, s.cfg.DrainTimeout, dropped)
	return errors.Join(acceptErr, err)
}

// work runs the queued calls one at a time, in order, until the queue is
// closed and empty; after ctx ends the remaining calls are dropped.
func (s *Server) work(ctx context.Context) {
	for j := range s.queue {
		delivered := <-j.ready
		log := s.log.WithFields(logrus.Fields{"call": j.call.Name(), "conn": j.conn})
		switch {
		case !delivered:
			log.Warn("call dropped: its acceptance was not delivered to Octavia")
		case ctx.Err() != nil:
			log.Error("call dropped: shutting down before it ran")
		default:
			s.run(ctx, log, j)
		}
		s.pending.Add(-1)
	}
}

func (s *Server) run(ctx context.Context, log *logrus.Entry, j *job) {
	cctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	start := time.Now()
	if _, err := j.call.Run(cctx, s.driver); err != nil {
		// Validation passed when the call was accepted; the call re-checks
		// against the NB it finds now and refused. Octavia was already told
		// "ok", so this is only visible here.
		log.WithError(err).Error("accepted call refused when run")
		return
	}
	log.WithField("duration", time.Since(start).String()).Debug("call done")
}

// handle answers one connection: one request, one reply.
func (s *Server) handle(ctx context.Context, c net.Conn, id uint64) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	_ = c.SetDeadline(time.Now().Add(s.cfg.RequestTimeout))
	log := s.log.WithField("conn", id)

	payload, err := octavia.ReadFrame(bufio.NewReader(c))
	if errors.Is(err, io.EOF) {
		// Closed without a byte: a liveness probe, nothing to answer.
		log.Debug("connection closed without a request")
		return
	}
	if err != nil {
		log.WithError(err).Warn("reading request failed")
		// Answer a readable but malformed frame; on a broken connection the
		// write fails too and nothing is lost.
		s.reply(log, c, errorReply(octavia.NewDriverError("bad request frame: "+err.Error())))
		return
	}
	call, args, err := parseRequest(payload)
	if err != nil {
		log.WithError(err).Warn("bad request")
		s.reply(log, c, errorReply(octavia.AsProviderError(err)))
		return
	}
	log = log.WithField("call", call)
	prepared, err := calls.Prepare(call, args)
	if err != nil {
		log.WithError(err).Info("call refused")
		s.reply(log, c, errorReply(octavia.AsProviderError(err)))
		return
	}
	if prepared.Immediate() {
		res, err := prepared.Run(ctx, s.driver)
		if err != nil {
			log.WithError(err).Info("call refused")
			s.reply(log, c, errorReply(octavia.AsProviderError(err)))
			return
		}
		log.Info("call done")
		s.reply(log, c, reply{OK: true, Result: res})
		return
	}
	if err := prepared.Validate(ctx, s.driver); err != nil {
		log.WithError(err).Info("call refused")
		s.reply(log, c, errorReply(octavia.AsProviderError(err)))
		return
	}
	// Take the call's place in the queue before answering, so that calls are
	// run in the order Octavia saw them accepted; the worker waits for the
	// outcome of the reply before running it.
	j := &job{call: prepared, conn: id, ready: make(chan bool, 1)}
	s.pending.Add(1)
	select {
	case s.queue <- j:
	default:
		s.pending.Add(-1)
		err := octavia.NewDriverError(fmt.Sprintf("ovn-octavia: %d calls are waiting to run; try again later", s.cfg.QueueSize))
		log.WithError(err).Error("call refused: queue full")
		s.reply(log, c, errorReply(err))
		return
	}
	log.WithField("queued", s.pending.Load()).Info("call accepted")
	j.ready <- s.reply(log, c, reply{OK: true})
}

// reply writes r as one frame and reports whether it was written.
func (s *Server) reply(log *logrus.Entry, c net.Conn, r reply) bool {
	b, err := r.encode()
	if err == nil {
		err = octavia.WriteFrame(c, b)
	}
	if err != nil {
		log.WithError(err).Warn("writing reply failed")
		return false
	}
	return true
}

// parseRequest splits a request into the call name and its arguments.
func parseRequest(payload []byte) (string, map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil || obj == nil {
		return "", nil, octavia.NewDriverError(`bad request: expected a JSON object {"call": ..., <arguments>}`)
	}
	raw, ok := obj["call"]
	if !ok {
		return "", nil, octavia.NewDriverError(`bad request: missing "call"`)
	}
	var call string
	if err := json.Unmarshal(raw, &call); err != nil || call == "" {
		return "", nil, octavia.NewDriverError(`bad request: "call" must be a non-empty string`)
	}
	delete(obj, "call")
	return call, obj, nil
}

// Error is the "error" member of a reply: the octavia-lib exception the
// shim raises.
type Error struct {
	Type                string `json:"type"`
	UserFaultString     string `json:"user_fault_string"`
	OperatorFaultString string `json:"operator_fault_string"`
}

// reply is what the server writes.
type reply struct {
	OK     bool   `json:"ok"`
	Result any    `json:"result,omitempty"`
	Error  *Error `json:"error,omitempty"`
}

func errorReply(pe *octavia.ProviderError) reply {
	return reply{Error: &Error{Type: pe.Type, UserFaultString: pe.UserFault, OperatorFaultString: pe.OperatorFault}}
}

// encode renders r as compact JSON without HTML escaping (fault strings may
// hold '<' and '>') and without a trailing newline.
func (r reply) encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode reply: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
