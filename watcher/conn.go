package watcher

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ovn-kubernetes/libovsdb/cache"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// Connection defaults (config.md §1 and the OVS IDL's own defaults).
const (
	// DefaultProbeInterval is ovsdb_probe_interval's default (60000 ms).
	DefaultProbeInterval = 60 * time.Second
	// DefaultRetryMaxInterval is ovsdb_retry_max_interval's default: the
	// cap of the back-off between connection attempts at start-up.
	DefaultRetryMaxInterval = 180 * time.Second
	// reconnectMaxInterval caps the back-off between reconnect attempts of
	// an established connection; 8 s is the OVS IDL's max_backoff.
	reconnectMaxInterval = 8 * time.Second
	// maxAttemptTimeout bounds one connection attempt (all endpoints,
	// schema, monitor dump).
	maxAttemptTimeout = 30 * time.Second
	minProbeInterval  = time.Second
)

// TLSFiles are the PEM files used for ssl: remotes. All three are required
// when the remote has an ssl: endpoint.
type TLSFiles struct {
	PrivateKey  string
	Certificate string
	CACert      string
}

// ConnConfig is the connection policy of one database connection.
type ConnConfig struct {
	// Remote is one OVSDB remote or a comma-separated list of them
	// (clustered database): tcp:IP:PORT, ssl:IP:PORT or unix:PATH.
	Remote string
	// TLS is used for ssl: endpoints.
	TLS TLSFiles
	// DisableLeaderOnly connects to any cluster member instead of only to
	// the leader. Needed for servers without a _Server database (the
	// in-memory libovsdb server of `demo`).
	DisableLeaderOnly bool
	// ProbeInterval is the inactivity probe: 0 means DefaultProbeInterval,
	// a negative value disables probing, values under 1 s are raised to 1 s
	// (as ovsdb_probe_interval).
	ProbeInterval time.Duration
	// RetryMaxInterval caps the back-off between connection attempts at
	// start-up; 0 means DefaultRetryMaxInterval.
	RetryMaxInterval time.Duration
	// Log receives libovsdb's messages (connection life cycle at debug).
	Log *logrus.Entry
}

// ParseRemotes validates a remote string and returns its endpoints in
// order. Each endpoint is tcp:HOST:PORT, ssl:HOST:PORT (IPv6 hosts in
// brackets) or unix:PATH; entries are separated by commas, surrounding
// blanks are ignored.
func ParseRemotes(remote string) ([]string, error) {
	if strings.TrimSpace(remote) == "" {
		return nil, errors.New("empty OVSDB remote")
	}
	var eps []string
	for _, part := range strings.Split(remote, ",") {
		ep := strings.TrimSpace(part)
		if err := validateEndpoint(ep); err != nil {
			return nil, fmt.Errorf("invalid OVSDB remote %q: %w", remote, err)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

func validateEndpoint(ep string) error {
	if ep == "" {
		return errors.New("empty endpoint in list")
	}
	scheme, rest, ok := strings.Cut(ep, ":")
	if !ok {
		return fmt.Errorf("endpoint %q: expected tcp:HOST:PORT, ssl:HOST:PORT or unix:PATH", ep)
	}
	switch scheme {
	case "unix":
		if rest == "" {
			return fmt.Errorf("endpoint %q: empty socket path", ep)
		}
		return nil
	case "tcp", "ssl":
		host, port, err := net.SplitHostPort(rest)
		if err != nil {
			return fmt.Errorf("endpoint %q: %w", ep, err)
		}
		if host == "" {
			return fmt.Errorf("endpoint %q: empty host", ep)
		}
		if strings.Contains(host, ":") && net.ParseIP(host) == nil {
			return fmt.Errorf("endpoint %q: invalid IPv6 address %q", ep, host)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("endpoint %q: invalid port %q", ep, port)
		}
		return nil
	default:
		return fmt.Errorf("endpoint %q: unknown scheme %q (want tcp, ssl or unix)", ep, scheme)
	}
}

// dbSpec is what we need from one database: the tables we model (and so
// the tables the server's schema must have) and the client indexes.
type dbSpec struct {
	name    string
	tables  map[string]model.Model
	indexes map[string][]model.ClientIndex
}

// The NB tables the provider reads and writes (nb-data-contract §1, §14).
// Whole rows are monitored: the write layer updates rows read from this
// cache, so a column left out of the monitor would read as empty and could
// be written back empty. These tables are small next to the LB table.
func nbSpec() dbSpec {
	return dbSpec{
		name: "OVN_Northbound",
		tables: map[string]model.Model{
			nb.LoadBalancerTable:            &nb.LoadBalancer{},
			nb.LoadBalancerHealthCheckTable: &nb.LoadBalancerHealthCheck{},
			nb.LogicalSwitchTable:           &nb.LogicalSwitch{},
			nb.LogicalSwitchPortTable:       &nb.LogicalSwitchPort{},
			nb.LogicalRouterTable:           &nb.LogicalRouter{},
			nb.LogicalRouterPortTable:       &nb.LogicalRouterPort{},
			nb.NATTable:                     &nb.NAT{},
			nb.GatewayChassisTable:          &nb.GatewayChassis{},
			nb.HAChassisGroupTable:          &nb.HAChassisGroup{},
		},
		indexes: map[string][]model.ClientIndex{
			nb.LoadBalancerTable:  {{Columns: []model.ColumnKey{{Column: "name"}}}},
			nb.LogicalSwitchTable: {{Columns: []model.ColumnKey{{Column: "name"}}}},
			nb.LogicalRouterTable: {{Columns: []model.ColumnKey{{Column: "name"}}}},
		},
	}
}

// The SB table of health results (nb-data-contract §15). The reference
// also registers SB Load_Balancer but never reads it.
func sbSpec() dbSpec {
	return dbSpec{
		name: "OVN_Southbound",
		tables: map[string]model.Model{
			sb.ServiceMonitorTable: &sb.ServiceMonitor{},
		},
	}
}

// conn is a connected, monitoring libovsdb client plus what the lock
// connection needs to reach the same server.
type conn struct {
	client.Client
	db     string
	tls    *tls.Config
	leader bool
	probe  time.Duration

	// reconnects counts libovsdb's "reconnected" messages; reconnected is
	// signalled (capacity 1) on each.
	reconnects  atomic.Uint64
	reconnected chan struct{}
}

// libovsdb v0.8.1 logs this (V(3)) inside its reconnect, holding the
// connection mutex until the monitors are re-established.
const reconnectedMsg = "reconnected - restarting monitors"

// ConnectNB connects to the NB database with the package's connection
// policy and monitors the provider's tables. handler (may be nil) is
// registered before the monitor starts, so it sees the initial dump. The
// connection is retried with back-off until ctx ends; a malformed remote,
// a missing database or a schema without a needed table fails at once.
// Close the client with Close().
func ConnectNB(ctx context.Context, cfg ConnConfig, handler cache.EventHandler) (client.Client, error) {
	c, err := connect(ctx, nbSpec(), cfg, handler)
	if err != nil {
		return nil, err
	}
	return c.Client, nil
}

// ConnectSB is ConnectNB for the SB database (table Service_Monitor).
func ConnectSB(ctx context.Context, cfg ConnConfig, handler cache.EventHandler) (client.Client, error) {
	c, err := connect(ctx, sbSpec(), cfg, handler)
	if err != nil {
		return nil, err
	}
	return c.Client, nil
}

// connect is the single place holding the connection policy.
func connect(ctx context.Context, spec dbSpec, cfg ConnConfig, handler cache.EventHandler) (*conn, error) {
	log := cfg.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	log = log.WithField("db", spec.name)
	eps, err := ParseRemotes(cfg.Remote)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.name, err)
	}
	c := &conn{db: spec.name, leader: !cfg.DisableLeaderOnly, reconnected: make(chan struct{}, 1)}
	for _, ep := range eps {
		if strings.HasPrefix(ep, "ssl:") {
			if c.tls, err = loadTLS(cfg.TLS); err != nil {
				return nil, fmt.Errorf("%s: remote %q: %w", spec.name, cfg.Remote, err)
			}
			break
		}
	}

	dbModel, err := model.NewClientDBModel(spec.name, spec.tables)
	if err != nil {
		return nil, fmt.Errorf("%s: client model: %w", spec.name, err)
	}
	dbModel.SetIndexes(spec.indexes)

	// Reconnect back-off: MaxElapsedTime must be 0, libovsdb panics when
	// its reconnect loop gives up.
	rb := backoff.NewExponentialBackOff()
	rb.InitialInterval = 200 * time.Millisecond
	rb.MaxInterval = reconnectMaxInterval
	rb.MaxElapsedTime = 0

	probe := cfg.ProbeInterval
	switch {
	case probe == 0:
		probe = DefaultProbeInterval
	case probe < 0:
		probe = 0
	case probe < minProbeInterval:
		probe = minProbeInterval
	}
	c.probe = probe
	attempt := maxAttemptTimeout
	logger := newHookedLogger(log, func(msg string) {
		if msg == reconnectedMsg {
			c.reconnects.Add(1)
			select {
			case c.reconnected <- struct{}{}:
			default:
			}
		}
	})
	opts := []client.Option{
		client.WithLeaderOnly(c.leader),
		client.WithLogger(&logger),
	}
	for _, ep := range eps {
		opts = append(opts, client.WithEndpoint(ep))
	}
	if c.tls != nil {
		opts = append(opts, client.WithTLSConfig(c.tls))
	}
	if probe > 0 {
		// libovsdb wants the per-attempt timeout below the probe interval.
		if attempt >= probe {
			attempt = probe / 2
		}
		opts = append(opts, client.WithInactivityCheck(probe, attempt, rb))
	} else {
		opts = append(opts, client.WithReconnect(attempt, rb))
	}
	cl, err := client.NewOVSDBClient(dbModel, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: new client: %w", spec.name, err)
	}
	c.Client = cl

	if err := connectRetry(ctx, cl, spec.name, cfg, attempt, log); err != nil {
		cl.Close()
		return nil, err
	}
	// Registration order matters: handler first, then the monitor, so the
	// handler sees every row of the initial dump.
	if handler != nil {
		cl.Cache().AddEventHandler(handler)
	}
	var tables []client.MonitorOption
	for _, m := range spec.tables {
		tables = append(tables, client.WithTable(m))
	}
	if _, err := cl.Monitor(ctx, cl.NewMonitor(tables...)); err != nil {
		cl.Close()
		return nil, fmt.Errorf("%s: monitor: %w", spec.name, err)
	}
	log.WithField("endpoint", cl.CurrentEndpoint()).Info("OVSDB connected and monitoring")
	return c, nil
}

// connectRetry calls Connect until it succeeds, fails permanently, or ctx
// ends. The reference retries the start-up connection forever; a caller
// wanting a bound passes a ctx with a deadline.
func connectRetry(ctx context.Context, cl client.Client, db string, cfg ConnConfig, attempt time.Duration, log *logrus.Entry) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 200 * time.Millisecond
	b.MaxInterval = cfg.RetryMaxInterval
	if b.MaxInterval <= 0 {
		b.MaxInterval = DefaultRetryMaxInterval
	}
	b.MaxElapsedTime = 0
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := cl.Connect(actx)
		cancel()
		if err == nil {
			return nil
		}
		if permanent(err) {
			if strings.Contains(err.Error(), "_Server not found") {
				return fmt.Errorf("%s at %s: %w (leader-only needs the _Server database; disable it for servers without one)", db, cfg.Remote, err)
			}
			return fmt.Errorf("%s at %s: %w", db, cfg.Remote, err)
		}
		wait := b.NextBackOff()
		log.WithError(err).WithFields(logrus.Fields{"attempt": n, "retry_in": wait}).Warn("OVSDB connection failed")
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %s: not connected before %w: last error: %w", db, cfg.Remote, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// permanent reports errors that no retry can fix: the server has no such
// database (ours, or _Server for leader-only), or its schema lacks a table
// or column we model. libovsdb returns these as plain fmt errors, so the
// text is all there is.
func permanent(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "validation error") ||
		(strings.Contains(msg, "target database") && strings.Contains(msg, "not found"))
}

// loadTLS builds the per-connection TLS configuration of an ssl: remote.
// Like OVS (lib/stream-ssl.c), the server certificate is checked against
// the CA only, never against a host name: ovs-pki certificates carry no
// address in their subject.
func loadTLS(f TLSFiles) (*tls.Config, error) {
	if f.PrivateKey == "" || f.Certificate == "" || f.CACert == "" {
		return nil, errors.New("ssl: needs private key, certificate and CA certificate files")
	}
	cert, err := tls.LoadX509KeyPair(f.Certificate, f.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s / key %s: %w", f.Certificate, f.PrivateKey, err)
	}
	caPEM, err := os.ReadFile(f.CACert)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA certificate %s: no PEM certificate found", f.CACert)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// Chain verification without host name check is done below.
		InsecureSkipVerify: true, //nolint:gosec // verified against the CA in VerifyPeerCertificate
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("server sent no certificate")
			}
			certs := make([]*x509.Certificate, 0, len(raw))
			for _, r := range raw {
				c, err := x509.ParseCertificate(r)
				if err != nil {
					return fmt.Errorf("parse server certificate: %w", err)
				}
				certs = append(certs, c)
			}
			inter := x509.NewCertPool()
			for _, c := range certs[1:] {
				inter.AddCert(c)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter})
			return err
		},
	}, nil
}

// dial opens a raw connection to one endpoint of c (for the lock session).
func (c *conn) dial(ctx context.Context, ep string) (net.Conn, error) {
	scheme, addr, _ := strings.Cut(ep, ":")
	switch scheme {
	case "unix":
		var d net.Dialer
		return d.DialContext(ctx, "unix", addr)
	case "tcp":
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	case "ssl":
		d := tls.Dialer{Config: c.tls}
		return d.DialContext(ctx, "tcp", addr)
	}
	return nil, fmt.Errorf("unknown endpoint %q", ep)
}
