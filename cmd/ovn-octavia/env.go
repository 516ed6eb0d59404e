package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/provider"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// connFlags are the flags of every command that talks to OVN, Neutron and
// Octavia's driver agent (apply and the CRUD subcommands).
type connFlags struct {
	nb, sb      string
	nbTLS       watcher.TLSFiles
	connTimeout time.Duration

	neutronURL string
	osToken    string
	osCloud    string

	statusSocket string
	getSocket    string

	logLevel string

	// dryRun makes Neutron writes no-ops (db-sync --dry-run): the run reads
	// everything it needs and changes nothing outside this process.
	dryRun bool
}

// The defaults of these flags come from the same environment variables as
// the agent's (see `ovn-octavia agent --help`), so one environment serves
// every subcommand; a flag on the command line wins.
func (c *connFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	c.registerNB(fs, getenv)
	c.registerRest(fs, getenv)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// registerNB registers the flags needed to read the NB.
func (c *connFlags) registerNB(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.nb, "nb", envOr(getenv, agent.EnvNBConnection, "tcp:127.0.0.1:6641"),
		"OVN NB `remote`: unix:PATH, tcp:IP:PORT or ssl:IP:PORT; comma-separated for a clustered DB ($"+agent.EnvNBConnection+")")
	fs.StringVar(&c.nbTLS.PrivateKey, "nb-private-key", getenv(agent.EnvNBPrivateKey),
		"PEM private key `file` for ssl: NB remotes ($"+agent.EnvNBPrivateKey+")")
	fs.StringVar(&c.nbTLS.Certificate, "nb-certificate", getenv(agent.EnvNBCertificate),
		"PEM certificate `file` for ssl: NB remotes ($"+agent.EnvNBCertificate+")")
	fs.StringVar(&c.nbTLS.CACert, "nb-ca-cert", getenv(agent.EnvNBCACert),
		"PEM CA certificate `file` for ssl: NB remotes ($"+agent.EnvNBCACert+")")
	fs.DurationVar(&c.connTimeout, "connect-timeout", 60*time.Second,
		"give up when the NB (or Keystone) cannot be reached within this `duration`")
	fs.StringVar(&c.logLevel, "log-level", envOr(getenv, agent.EnvLogLevel, "info"),
		"log `level` on stderr: error, warn, info, debug or trace ($"+agent.EnvLogLevel+")")
}

// registerRest registers the SB, Neutron and driver-agent flags.
func (c *connFlags) registerRest(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.sb, "sb", envOr(getenv, agent.EnvSBConnection, "tcp:127.0.0.1:6642"),
		"OVN SB `remote` (same syntax); validated, but provider calls only write the NB, so it is not connected")
	fs.StringVar(&c.neutronURL, "neutron-url", getenv(agent.EnvNeutronURL),
		"Neutron endpoint `URL` (with --os-token; with a clouds.yaml cloud it overrides the catalog) ($"+agent.EnvNeutronURL+")")
	fs.StringVar(&c.osToken, "os-token", getenv(agent.EnvOSToken),
		"Keystone `token` sent as X-Auth-Token to --neutron-url ($"+agent.EnvOSToken+")")
	fs.StringVar(&c.osCloud, "os-cloud", getenv(agent.EnvOSCloud),
		"`cloud` of clouds.yaml to authenticate with when no --os-token is given (default $OS_CLOUD)")
	fs.StringVar(&c.statusSocket, "status-socket", getenv(agent.EnvStatusSocket),
		"Octavia driver-agent status socket `path` (e.g. /var/run/octavia/status.sock); "+
			"when empty, status messages are written to stderr instead ($"+agent.EnvStatusSocket+")")
	fs.StringVar(&c.getSocket, "get-socket", getenv(agent.EnvGetSocket),
		"Octavia driver-agent get socket `path` (e.g. /var/run/octavia/get.sock); "+
			"when empty, every Octavia object lookup answers \"not found\" ($"+agent.EnvGetSocket+")")
}

// checkNB validates the NB flags without I/O.
func (c *connFlags) checkNB() error {
	if _, err := watcher.ParseRemotes(c.nb); err != nil {
		return fmt.Errorf("--nb: %w", err)
	}
	if c.connTimeout <= 0 {
		return errors.New("--connect-timeout must be positive")
	}
	return nil
}

// check validates all flags that can be checked without I/O.
func (c *connFlags) check() error {
	if err := c.checkNB(); err != nil {
		return err
	}
	if _, err := watcher.ParseRemotes(c.sb); err != nil {
		return fmt.Errorf("--sb: %w", err)
	}
	switch {
	case c.osToken != "" && c.neutronURL == "":
		return errors.New("--os-token needs --neutron-url")
	case c.osToken == "" && c.osCloud == "":
		return errors.New("no Neutron credentials: give --neutron-url and --os-token, or --os-cloud (or $OS_CLOUD) naming a clouds.yaml cloud")
	}
	return nil
}

// env is everything a provider call needs, opened from connFlags.
type env struct {
	nb     client.Client
	store  *nbtxn.Store
	driver *provider.Driver
	log    *logrus.Entry

	// The parts the driver was built from (db-sync uses them too).
	neutron neutron.Client
	get     provider.Getter
	status  provider.StatusSender
	health  *health.Monitors
}

func (e *env) Close() {
	if e.nb != nil {
		e.nb.Close()
	}
}

// openNB connects to the NB (bounded by --connect-timeout).
func (c *connFlags) openNB(ctx context.Context, log *logrus.Entry) (client.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, c.connTimeout)
	defer cancel()
	nb, err := watcher.ConnectNB(cctx, watcher.ConnConfig{Remote: c.nb, TLS: c.nbTLS, Log: log}, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the OVN NB %s: %w", c.nb, err)
	}
	return nb, nil
}

// openNeutron builds the Neutron client: a fixed token against
// --neutron-url, or Keystone authentication from clouds.yaml.
func (c *connFlags) openNeutron(ctx context.Context, log *logrus.Entry) (neutron.Client, error) {
	if c.osToken != "" {
		n, err := neutron.NewFromToken(c.neutronURL, c.osToken, neutron.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("neutron client for %s: %w", c.neutronURL, err)
		}
		return n, nil
	}
	opts := []neutron.Option{neutron.WithLogger(log)}
	if c.neutronURL != "" {
		opts = append(opts, neutron.WithEndpointOverride(c.neutronURL))
	}
	cctx, cancel := context.WithTimeout(ctx, c.connTimeout)
	defer cancel()
	n, err := neutron.NewFromCloudsYAML(cctx, c.osCloud, opts...)
	if err != nil {
		return nil, fmt.Errorf("neutron client for cloud %q: %w", c.osCloud, err)
	}
	return n, nil
}

// open connects everything and builds the provider driver.
func (c *connFlags) open(ctx context.Context, log *logrus.Entry, stderr io.Writer) (*env, error) {
	nb, err := c.openNB(ctx, log)
	if err != nil {
		return nil, err
	}
	neu, err := c.openNeutron(ctx, log)
	if err != nil {
		nb.Close()
		return nil, err
	}
	if c.dryRun {
		neu = neutron.DryRun(neu, log)
	}
	var status provider.StatusSender
	if c.statusSocket != "" {
		status = octavia.NewStatusClient(octavia.ClientConfig{Path: c.statusSocket}, octavia.DefaultRetryPolicy(), log)
	} else {
		status = &statusPrinter{w: stderr}
	}
	var get provider.Getter = notFoundGetter{}
	if c.getSocket != "" {
		get = octavia.NewGetClient(octavia.ClientConfig{Path: c.getSocket}, log)
	}
	store := nbtxn.New(nb, log)
	hm := health.New(health.Config{Store: store, Neutron: neu, Get: get, Status: status, Log: log})
	d := provider.New(provider.Config{Store: store, Neutron: neu, Status: status, Get: get, Health: provider.FromMonitors(hm), Log: log})
	return &env{nb: nb, store: store, driver: d, log: log, neutron: neu, get: get, status: status, health: hm}, nil
}

// statusPrinter writes each status message as one line
// "status: <json>" to w; used when no status socket is configured.
type statusPrinter struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *statusPrinter) Send(_ context.Context, s octavia.Status) error {
	b, err := s.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode status message: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = fmt.Fprintf(p.w, "status: %s\n", b)
	return err
}

// notFoundGetter stands in for the get socket when there is none: Octavia
// answers {} for an object it does not know, which the provider treats as
// "not found".
type notFoundGetter struct{}

func (notFoundGetter) GetLoadBalancer(context.Context, string) (*octavia.LoadBalancer, error) {
	return nil, nil
}
func (notFoundGetter) GetListener(context.Context, string) (*octavia.Listener, error) {
	return nil, nil
}
func (notFoundGetter) GetPool(context.Context, string) (*octavia.Pool, error) { return nil, nil }
func (notFoundGetter) GetMember(context.Context, string) (*octavia.Member, error) {
	return nil, nil
}
func (notFoundGetter) GetHealthMonitor(context.Context, string) (*octavia.HealthMonitor, error) {
	return nil, nil
}
