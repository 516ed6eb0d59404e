package agent

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/maintenance"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

// Environment variables read by Main. A flag given on the command line wins
// over its variable.
const (
	EnvNBConnection   = "OVN_NB_CONNECTION"  // --nb
	EnvSBConnection   = "OVN_SB_CONNECTION"  // --sb
	EnvNBPrivateKey   = "OVN_NB_PRIVATE_KEY" // --nb-private-key
	EnvNBCertificate  = "OVN_NB_CERTIFICATE" // --nb-certificate
	EnvNBCACert       = "OVN_NB_CA_CERT"     // --nb-ca-cert
	EnvSBPrivateKey   = "OVN_SB_PRIVATE_KEY" // --sb-private-key
	EnvSBCertificate  = "OVN_SB_CERTIFICATE" // --sb-certificate
	EnvSBCACert       = "OVN_SB_CA_CERT"     // --sb-ca-cert
	EnvNeutronURL     = "NEUTRON_URL"        // --neutron-url
	EnvOSToken        = "OS_TOKEN"           // --os-token
	EnvOSCloud        = "OS_CLOUD"           // clouds.yaml cloud (when no --neutron-url)
	EnvStatusSocket   = "OCTAVIA_STATUS_SOCKET"
	EnvGetSocket      = "OCTAVIA_GET_SOCKET"
	EnvLogLevel       = "OVN_OCTAVIA_LOG_LEVEL"
	EnvProbeInterval  = "OVSDB_PROBE_INTERVAL" // milliseconds
	defaultNB         = "tcp:127.0.0.1:6641"
	defaultSB         = "tcp:127.0.0.1:6642"
	exitOK            = 0
	exitFailure       = 1
	exitUsage         = 2
	shutdownDeadline  = 10 * time.Second
	defaultLogLevel   = "info"
	defaultProbeMilli = 60000
)

const usageText = `Usage: ovn-octavia agent [flags]

Runs the OVN provider agent: watches OVN NB/SB, keeps load balancer
associations right as router interfaces and floating IPs change, and reports
member health to Octavia. Stdout carries only JSON lines:
{"event":"ready"}, {"event":"active"}, {"event":"standby"}, {"event":"synced"}.
Logs go to stderr. SIGTERM/SIGINT: finish the current burst, release the
OVSDB lock and exit 0.

Neutron: --neutron-url with --os-token, else the clouds.yaml cloud named by
OS_CLOUD, else none (VIP port IPs are then read from NB).

Environment (a flag wins over its variable):
  OVN_NB_CONNECTION, OVN_SB_CONNECTION       --nb, --sb
  OVN_NB_PRIVATE_KEY, OVN_NB_CERTIFICATE, OVN_NB_CA_CERT (and OVN_SB_*)
  NEUTRON_URL, OS_TOKEN, OS_CLOUD
  OCTAVIA_STATUS_SOCKET, OCTAVIA_GET_SOCKET
  OVN_OCTAVIA_LOG_LEVEL, OVSDB_PROBE_INTERVAL (ms)

Flags:
`

type options struct {
	nb, sb                       string
	nbKey, nbCert, nbCA          string
	sbKey, sbCert, sbCA          string
	neutronURL, osToken, osCloud string
	statusSocket, getSocket      string
	logLevel                     string
	probeMillis                  int
	disableLock                  bool
	maintenanceInterval          time.Duration
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("ovn-octavia agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.nb, "nb", envOr(getenv, EnvNBConnection, defaultNB), "NB OVSDB remote(s): tcp:IP:PORT, ssl:IP:PORT or unix:PATH, comma-separated for a cluster")
	fs.StringVar(&o.sb, "sb", envOr(getenv, EnvSBConnection, defaultSB), "SB OVSDB remote(s)")
	fs.StringVar(&o.nbKey, "nb-private-key", getenv(EnvNBPrivateKey), "PEM private key for ssl: NB remotes")
	fs.StringVar(&o.nbCert, "nb-certificate", getenv(EnvNBCertificate), "PEM certificate for ssl: NB remotes")
	fs.StringVar(&o.nbCA, "nb-ca-cert", getenv(EnvNBCACert), "PEM CA certificate for ssl: NB remotes")
	fs.StringVar(&o.sbKey, "sb-private-key", getenv(EnvSBPrivateKey), "PEM private key for ssl: SB remotes")
	fs.StringVar(&o.sbCert, "sb-certificate", getenv(EnvSBCertificate), "PEM certificate for ssl: SB remotes")
	fs.StringVar(&o.sbCA, "sb-ca-cert", getenv(EnvSBCACert), "PEM CA certificate for ssl: SB remotes")
	fs.StringVar(&o.neutronURL, "neutron-url", getenv(EnvNeutronURL), "Neutron API endpoint (token auth, no Keystone)")
	fs.StringVar(&o.osToken, "os-token", getenv(EnvOSToken), "token sent to --neutron-url")
	fs.StringVar(&o.statusSocket, "status-socket", envOr(getenv, EnvStatusSocket, octavia.DefaultStatusSocket), "Octavia driver-agent status socket")
	fs.StringVar(&o.getSocket, "get-socket", envOr(getenv, EnvGetSocket, octavia.DefaultGetSocket), "Octavia driver-agent get socket")
	fs.StringVar(&o.logLevel, "log-level", envOr(getenv, EnvLogLevel, defaultLogLevel), "log level: panic, fatal, error, warn, info, debug, trace")
	probe := defaultProbeMilli
	if v := getenv(EnvProbeInterval); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s=%q: not a non-negative number of milliseconds", EnvProbeInterval, v)
		}
		probe = n
	}
	fs.IntVar(&o.probeMillis, "probe-interval", probe, "OVSDB inactivity probe in ms (0 disables; values under 1000 are raised to 1000)")
	fs.DurationVar(&o.maintenanceInterval, "maintenance-interval", maintenance.DefaultInterval, "period of the maintenance tasks until each has finished")
	fs.BoolVar(&o.disableLock, "disable-lock", false, "do not take the OVSDB lock (single agent; servers without lock support)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.maintenanceInterval <= 0 {
		return nil, fmt.Errorf("--maintenance-interval %s: must be positive", o.maintenanceInterval)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	o.osCloud = getenv(EnvOSCloud)
	if o.neutronURL != "" && o.osToken == "" {
		return nil, errors.New("--neutron-url needs --os-token (or OS_TOKEN)")
	}
	if _, err := watcher.ParseRemotes(o.nb); err != nil {
		return nil, fmt.Errorf("--nb: %w", err)
	}
	if _, err := watcher.ParseRemotes(o.sb); err != nil {
		return nil, fmt.Errorf("--sb: %w", err)
	}
	return o, nil
}

// Main is `ovn-octavia agent`. It returns the process exit code: 0 after a
// clean shutdown on SIGTERM/SIGINT (or ctx's end), 2 for bad usage, 1 when
// the agent cannot start or fails.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "ovn-octavia agent: %v\n", err)
		return exitUsage
	}
	logger := logrus.New()
	logger.SetOutput(stderr)
	level, err := logrus.ParseLevel(o.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "ovn-octavia agent: --log-level: %v\n", err)
		return exitUsage
	}
	logger.SetLevel(level)
	log := logrus.NewEntry(logger).WithField("cmd", "agent")

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var nc neutron.Client
	switch {
	case o.neutronURL != "":
		c, err := neutron.NewFromToken(o.neutronURL, o.osToken, neutron.WithLogger(log))
		if err != nil {
			log.WithError(err).Error("cannot build the Neutron client")
			return exitFailure
		}
		nc = c
	case o.osCloud != "":
		c, err := neutron.NewFromCloudsYAML(ctx, o.osCloud, neutron.WithLogger(log))
		if err != nil {
			log.WithError(err).Error("cannot build the Neutron client from clouds.yaml")
			return exitFailure
		}
		nc = c
	default:
		log.Info("no Neutron configured: VIP port addresses are read from NB")
	}

	probe := time.Duration(o.probeMillis) * time.Millisecond
	if o.probeMillis == 0 {
		probe = -1 // disabled
	}
	cfg := Config{
		Watcher: watcher.Config{
			NB: watcher.ConnConfig{Remote: o.nb, TLS: watcher.TLSFiles{PrivateKey: o.nbKey, Certificate: o.nbCert, CACert: o.nbCA},
				ProbeInterval: probe},
			SB: watcher.ConnConfig{Remote: o.sb, TLS: watcher.TLSFiles{PrivateKey: o.sbKey, Certificate: o.sbCert, CACert: o.sbCA},
				ProbeInterval: probe},
			DisableLock: o.disableLock,
			Log:         log,
		},
		Neutron: nc,
		Status:  octavia.NewStatusClient(octavia.ClientConfig{Path: o.statusSocket}, octavia.DefaultRetryPolicy(), log),
		Get:     octavia.NewGetClient(octavia.ClientConfig{Path: o.getSocket}, log),
		Events:  stdout,
		Log:     log,

		MaintenanceInterval: o.maintenanceInterval,
	}
	a := New(cfg)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Run finishes the burst at hand and releases the lock; the hard
		// deadline guarantees the 10 s exit even if NB hangs.
		select {
		case err = <-done:
		case <-time.After(shutdownDeadline - 500*time.Millisecond):
			log.Error("shutdown took too long; exiting")
			return exitFailure
		}
	}
	if err != nil {
		log.WithError(err).Error("agent failed")
		return exitFailure
	}
	return exitOK
}
