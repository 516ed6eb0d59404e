package octavia

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/sirupsen/logrus"
)

// Default socket paths of Octavia's driver agent ([driver_agent]
// status_socket_path, stats_socket_path, get_socket_path).
const (
	DefaultStatusSocket = "/var/run/octavia/status.sock"
	DefaultStatsSocket  = "/var/run/octavia/stats.sock"
	DefaultGetSocket    = "/var/run/octavia/get.sock"
)

// Timeouts of octavia-lib's DriverLibrary.
const (
	DefaultIOTimeout       = 5 * time.Second  // SOCKET_TIMEOUT: connect and send
	DefaultResponseTimeout = 30 * time.Second // DRIVER_AGENT_TIMEOUT: each read phase
)

// ErrAgentTimeout reports that the driver agent did not answer within the
// response timeout (octavia-lib's DriverAgentTimeout).
var ErrAgentTimeout = errors.New("the driver agent did not respond in time")

// ClientConfig configures one driver-agent socket client.
type ClientConfig struct {
	Path            string        // socket path
	IOTimeout       time.Duration // connect and send; 0 means DefaultIOTimeout
	ResponseTimeout time.Duration // each of the two read phases; 0 means DefaultResponseTimeout
}

func (c ClientConfig) ioTimeout() time.Duration {
	if c.IOTimeout > 0 {
		return c.IOTimeout
	}
	return DefaultIOTimeout
}

func (c ClientConfig) responseTimeout() time.Duration {
	if c.ResponseTimeout > 0 {
		return c.ResponseTimeout
	}
	return DefaultResponseTimeout
}

// roundTrip sends one request frame on a new connection and returns the
// reply payload. ctx cancels the exchange at any point.
func (c ClientConfig) roundTrip(ctx context.Context, payload []byte) ([]byte, error) {
	d := net.Dialer{Timeout: c.ioTimeout()}
	conn, err := d.DialContext(ctx, "unix", c.Path)
	if err != nil {
		return nil, fmt.Errorf("connect to driver agent socket %s: %w", c.Path, err)
	}
	defer conn.Close()

	// Cancelling ctx moves the deadline into the past, which unblocks any
	// pending read or write. The mutex orders it against setDeadline so a
	// later phase cannot push the deadline out again after cancellation.
	var mu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		_ = conn.SetDeadline(time.Unix(1, 0))
	})
	defer stop()
	setDeadline := func(set func(time.Time) error, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
		t := time.Now().Add(d)
		if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
			t = dl
		}
		return set(t)
	}
	fail := func(phase string, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("driver agent socket %s: %s: %w", c.Path, phase, cerr)
		}
		// The socket deadline may fire just before ctx's own timer when it
		// was taken from ctx's deadline: report the context then.
		if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
			return fmt.Errorf("driver agent socket %s: %s: %w", c.Path, phase, context.DeadlineExceeded)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && phase != "send" {
			return fmt.Errorf("driver agent socket %s: %s: %w (%s): %w", c.Path, phase, ErrAgentTimeout, c.responseTimeout(), err)
		}
		return fmt.Errorf("driver agent socket %s: %s: %w", c.Path, phase, err)
	}

	if err := setDeadline(conn.SetWriteDeadline, c.ioTimeout()); err != nil {
		return nil, fail("send", err)
	}
	if err := WriteFrame(conn, payload); err != nil {
		return nil, fail("send", err)
	}
	br := bufio.NewReader(conn)
	if err := setDeadline(conn.SetReadDeadline, c.responseTimeout()); err != nil {
		return nil, fail("read reply length", err)
	}
	n, err := ReadFrameHeader(br)
	if err != nil {
		return nil, fail("read reply length", err)
	}
	if err := setDeadline(conn.SetReadDeadline, c.responseTimeout()); err != nil {
		return nil, fail("read reply", err)
	}
	reply, err := ReadFramePayload(br, n)
	if err != nil {
		return nil, fail("read reply", err)
	}
	return reply, nil
}

// UpdateStatusError is octavia-lib's UpdateStatusError: the driver agent
// answered a status message with a non-200 code (Octavia stopped at the
// record named by StatusObject/StatusObjectID; the records before it were
// applied), or the exchange itself failed (Err set, FaultString its text).
type UpdateStatusError struct {
	StatusCode     int // 0 when the exchange failed
	FaultString    string
	StatusObject   string
	StatusObjectID string
	StatusRecord   json.RawMessage
	Err            error
}

func (e *UpdateStatusError) Error() string {
	msg := "status update failed"
	if e.StatusCode != 0 {
		msg += fmt.Sprintf(" with code %d", e.StatusCode)
	}
	if e.FaultString != "" {
		msg += ": " + e.FaultString
	}
	if e.StatusObject != "" || e.StatusObjectID != "" {
		msg += fmt.Sprintf(" (status_object %q, status_object_id %q)", e.StatusObject, e.StatusObjectID)
	}
	return msg
}

func (e *UpdateStatusError) Unwrap() error { return e.Err }

// RetryPolicy is the exponential back-off of status sends: InitialInterval
// doubling up to MaxInterval, at most MaxAttempts attempts in total.
type RetryPolicy struct {
	InitialInterval time.Duration
	MaxInterval     time.Duration
	MaxAttempts     int
}

// DefaultRetryPolicy is the reference's: 1 s doubling, capped at 75 s, 15
// attempts.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{InitialInterval: time.Second, MaxInterval: 75 * time.Second, MaxAttempts: 15}
}

func (p RetryPolicy) backOff(ctx context.Context) backoff.BackOff {
	eb := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.InitialInterval),
		backoff.WithMaxInterval(p.MaxInterval),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0), // tenacity's wait_exponential has no jitter
		backoff.WithMaxElapsedTime(0),      // bounded by attempts, never by elapsed time
	)
	attempts := p.MaxAttempts
	if attempts < 1 {
		attempts = 1
	}
	return backoff.WithContext(backoff.WithMaxRetries(eb, uint64(attempts-1)), ctx)
}

// StatusClient sends status dicts to the driver agent's status socket.
type StatusClient struct {
	cfg   ClientConfig
	retry RetryPolicy
	log   *logrus.Entry
}

// NewStatusClient returns a client for the status socket at cfg.Path
// (DefaultStatusSocket when empty).
func NewStatusClient(cfg ClientConfig, retry RetryPolicy, log *logrus.Entry) *StatusClient {
	if cfg.Path == "" {
		cfg.Path = DefaultStatusSocket
	}
	return &StatusClient{cfg: cfg, retry: retry, log: log.WithField("socket", cfg.Path)}
}

// Send delivers one status message, retrying with the client's back-off on
// any UpdateStatusError. The whole message is re-sent on a retry: Octavia
// applies each record in its own transaction, so re-applying the records
// before a failed one is harmless. It returns the last *UpdateStatusError
// when the attempts are used up, or ctx's error (joined with the last
// attempt's) when ctx ends first.
func (c *StatusClient) Send(ctx context.Context, s Status) error {
	payload := s.Encode()
	var last error
	attempt := 0
	op := func() error {
		attempt++
		last = c.sendPayload(ctx, payload)
		return last
	}
	notify := func(err error, wait time.Duration) {
		c.log.WithFields(logrus.Fields{"attempt": attempt, "retry_in": wait, "status": string(payload)}).
			WithError(err).Warn("status update failed, retrying")
	}
	err := backoff.RetryNotify(op, c.retry.backOff(ctx), notify)
	if err == nil {
		if attempt > 1 {
			c.log.WithField("attempts", attempt).Info("status update delivered after retries")
		}
		return nil
	}
	if cerr := ctx.Err(); cerr != nil && last != nil && !errors.Is(last, cerr) {
		return fmt.Errorf("status update abandoned after %d attempts: %w; last attempt: %w", attempt, cerr, last)
	}
	return fmt.Errorf("status update failed after %d attempts: %w", attempt, err)
}

// SendOnce makes a single attempt, without retry.
func (c *StatusClient) SendOnce(ctx context.Context, s Status) error {
	return c.sendPayload(ctx, s.Encode())
}

func (c *StatusClient) sendPayload(ctx context.Context, payload []byte) error {
	reply, err := c.cfg.roundTrip(ctx, payload)
	if err != nil {
		return &UpdateStatusError{FaultString: err.Error(), Err: err}
	}
	return parseStatusReply(reply)
}

// parseStatusReply turns the agent's answer into nil (status_code 200) or
// an *UpdateStatusError.
func parseStatusReply(reply []byte) error {
	var r map[string]json.RawMessage
	if err := json.Unmarshal(reply, &r); err != nil || r == nil {
		return &UpdateStatusError{FaultString: fmt.Sprintf("invalid reply from the driver agent: %q", reply)}
	}
	var code int
	if err := json.Unmarshal(r["status_code"], &code); err != nil {
		return &UpdateStatusError{FaultString: fmt.Sprintf("reply without a valid status_code: %q", reply)}
	}
	if code == 200 {
		return nil
	}
	return &UpdateStatusError{
		StatusCode:     code,
		FaultString:    rawString(r["fault_string"]),
		StatusObject:   rawString(r["status_object"]),
		StatusObjectID: rawString(r["status_object_id"]),
		StatusRecord:   r["status_record"],
	}
}

// rawString returns a JSON string's value, "" for absent/null, and the raw
// JSON text for any other value.
func rawString(raw json.RawMessage) string {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// Object names of the get socket.
const (
	ObjectLoadBalancers  = "loadbalancers"
	ObjectListeners      = "listeners"
	ObjectPools          = "pools"
	ObjectMembers        = "members"
	ObjectHealthMonitors = "healthmonitors"
	ObjectL7Policies     = "l7policies"
	ObjectL7Rules        = "l7rules"
)

// GetClient reads provider objects from the driver agent's get socket. It
// does not retry: the reference's reads fail the operation at hand.
type GetClient struct {
	cfg ClientConfig
	log *logrus.Entry
}

// NewGetClient returns a client for the get socket at cfg.Path
// (DefaultGetSocket when empty).
func NewGetClient(cfg ClientConfig, log *logrus.Entry) *GetClient {
	if cfg.Path == "" {
		cfg.Path = DefaultGetSocket
	}
	return &GetClient{cfg: cfg, log: log.WithField("socket", cfg.Path)}
}

// EncodeGetRequest returns the get-socket request for one object, in Python
// json.dumps style.
func EncodeGetRequest(object, id string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"object": `)
	writePyString(&b, object)
	b.WriteString(`, "id": `)
	writePyString(&b, id)
	b.WriteByte('}')
	return b.Bytes()
}

// get fetches one object into v; false when the agent answered an empty
// object or null (not found).
func (c *GetClient) get(ctx context.Context, object, id string, v any) (bool, error) {
	reply, err := c.cfg.roundTrip(ctx, EncodeGetRequest(object, id))
	if err != nil {
		return false, fmt.Errorf("get %s %s: %w", object, id, err)
	}
	trimmed := bytes.TrimSpace(reply)
	if bytes.Equal(trimmed, []byte("null")) || isEmptyObject(trimmed) {
		return false, nil
	}
	if err := Unmarshal(trimmed, v); err != nil {
		return false, fmt.Errorf("get %s %s: decode reply: %w", object, id, err)
	}
	return true, nil
}

func isEmptyObject(b []byte) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	return len(bytes.TrimSpace(b[1:len(b)-1])) == 0
}

// getTyped is get for one model type; (nil, nil) when not found.
func getTyped[T any](ctx context.Context, c *GetClient, object, id string) (*T, error) {
	var v T
	found, err := c.get(ctx, object, id, &v)
	if err != nil || !found {
		return nil, err
	}
	return &v, nil
}

// GetLoadBalancer returns the load balancer, or (nil, nil) if Octavia does
// not know it.
func (c *GetClient) GetLoadBalancer(ctx context.Context, id string) (*LoadBalancer, error) {
	return getTyped[LoadBalancer](ctx, c, ObjectLoadBalancers, id)
}

// GetListener returns the listener, or (nil, nil) if unknown.
func (c *GetClient) GetListener(ctx context.Context, id string) (*Listener, error) {
	return getTyped[Listener](ctx, c, ObjectListeners, id)
}

// GetPool returns the pool, or (nil, nil) if unknown.
func (c *GetClient) GetPool(ctx context.Context, id string) (*Pool, error) {
	return getTyped[Pool](ctx, c, ObjectPools, id)
}

// GetMember returns the member, or (nil, nil) if unknown.
func (c *GetClient) GetMember(ctx context.Context, id string) (*Member, error) {
	return getTyped[Member](ctx, c, ObjectMembers, id)
}

// GetHealthMonitor returns the health monitor, or (nil, nil) if unknown.
func (c *GetClient) GetHealthMonitor(ctx context.Context, id string) (*HealthMonitor, error) {
	return getTyped[HealthMonitor](ctx, c, ObjectHealthMonitors, id)
}
