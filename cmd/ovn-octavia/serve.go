package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/octavia"
	"github.com/ovn-octavia/ovn-octavia/serve"
)

const serveSynopsis = `ovn-octavia serve --listen <socket> --nb <remote> --sb <remote> --neutron-url <url> --os-token <token>
                   [--status-socket <path>] [--get-socket <path>] [flags]`

const serveDescription = `
Serves provider calls for Octavia's API on a unix socket: the Python shim
(ovn_octavia_shim, provider "ovn-go") forwards every ProviderDriver call to it.
Framing as octavia-lib's driver agent: "<byte length>\n<JSON>", one request and
one reply per connection. A request is one apply step,
  {"call": "<ProviderDriver method>", <argument name>: <value>, ...}
and the reply
  {"ok":true}   {"ok":true,"result":[vip_dict, additional_vip_dicts]}   (create_vip_port)
  {"ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"...","operator_fault_string":"..."}}
A call is validated before the reply; its NB work and status report run
afterwards, one call at a time in the order they were accepted.
create_vip_port (and calls that only answer an error) run before the reply.

The status and get sockets default to Octavia's driver-agent paths.
SIGTERM/SIGINT: stop accepting, run the calls already accepted (at most
--drain-timeout), exit 0 (1 when calls had to be dropped).`

func runServe(ctx context.Context, args []string, std stdio) int {
	var (
		cf     connFlags
		listen string
		cfg    serve.Config
	)
	fs := newFlagSet("serve", serveSynopsis, serveDescription, std.err)
	cf.register(fs, std.getenv)
	// A daemon under Octavia reports to the driver agent, like the agent.
	setDefault(fs, "status-socket", envOr(std.getenv, agent.EnvStatusSocket, octavia.DefaultStatusSocket))
	setDefault(fs, "get-socket", envOr(std.getenv, agent.EnvGetSocket, octavia.DefaultGetSocket))
	fs.StringVar(&listen, "listen", envOr(std.getenv, serve.EnvSocket, serve.DefaultSocket),
		"unix socket `path` to serve on ($"+serve.EnvSocket+", which the shim reads too)")
	fs.IntVar(&cfg.QueueSize, "queue-size", serve.DefaultQueueSize,
		"accepted calls waiting to run beyond which new calls are refused")
	fs.DurationVar(&cfg.CallTimeout, "call-timeout", serve.DefaultCallTimeout, "bound on one queued call's work")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", serve.DefaultDrainTimeout,
		"on SIGTERM, how long to run the calls already accepted before dropping them")
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(std.err, "serve: unexpected arguments %q\n", pos)
		fs.Usage()
		return exitUsage
	}
	if err := cf.check(); err != nil {
		fmt.Fprintf(std.err, "serve: %v\n", err)
		return exitUsage
	}
	if listen == "" || cfg.QueueSize <= 0 || cfg.CallTimeout <= 0 || cfg.DrainTimeout <= 0 {
		fmt.Fprintln(std.err, "serve: --listen must be set; --queue-size, --call-timeout and --drain-timeout must be positive")
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "serve: %v\n", err)
		return exitUsage
	}
	e, err := cf.open(ctx, log, std.err)
	if err != nil {
		log.WithError(err).Error("serve: setup failed")
		return exitError
	}
	defer e.Close()
	ln, err := serve.Listen(listen)
	if err != nil {
		log.WithError(err).Error("serve: setup failed")
		return exitError
	}
	cfg.Driver = e.driver
	cfg.Log = log
	start := time.Now()
	log.WithField("socket", listen).Info("serve: accepting provider calls")
	if err := serve.New(cfg).Serve(ctx, ln); err != nil {
		log.WithError(err).Error("serve: stopped")
		return exitError
	}
	log.WithField("uptime", time.Since(start).Round(time.Second).String()).Info("serve: stopped")
	return exitOK
}

// setDefault changes a registered flag's default (value and help text).
func setDefault(fs *flag.FlagSet, name, value string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("setDefault: no flag " + name) // programming error, caught by any test run
	}
	_ = f.Value.Set(value)
	f.DefValue = value
}
