package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/dbsync"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi"
)

// EnvOctaviaURL is the environment default of --octavia-url.
const EnvOctaviaURL = "OCTAVIA_URL"

const dbSyncSynopsis = `ovn-octavia db-sync --nb <remote> --neutron-url <url> --os-token <token> --octavia-url <url>
                     --status-socket <path> --get-socket <path> [--dry-run] [--lb <id>]... [--json]`

const dbSyncDescription = `
Repairs the OVN NB rows of every Octavia load balancer of provider "ovn" from
Octavia's database (the reference's octavia-ovn-db-sync-util): the load
balancers are listed through the Octavia API, each tree is read over the driver
agent's get socket, and each load balancer's rows are brought, in one NB
transaction, to what the provider would write for it (listeners, pools and
members on the row of their protocol, ls_refs recomputed, extra member entries
deleted, health checks, switch and router associations, the VIP floating IP).
A load balancer that fails is reported and does not stop the others. NB rows of
load balancers Octavia does not list are reported as orphans, never deleted.
The status roll-up of every repaired or checked row is sent to Octavia.

With --os-cloud (or $OS_CLOUD) instead of --os-token, Neutron and Octavia are
found in the cloud's Keystone catalog (--neutron-url / --octavia-url override).

stdout: one block per load balancer ("<id> (<name>): ok | repaired | failed |
orphan", then "  - <change>", "  ! <warning>", "  error: <text>") and a summary
line; with --json one JSON object per load balancer and a final
{"summary": {...}} line. Logs go to stderr.
Exit status: 0 when every load balancer is in sync or repaired, 1 when any
failed (or Octavia/NB could not be reached), 2 for bad flags.`

// lbList is a repeatable --lb flag.
type lbList []string

func (l *lbList) String() string { return strings.Join(*l, ",") }
func (l *lbList) Set(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return errors.New("empty load balancer id")
	}
	*l = append(*l, v)
	return nil
}

func runDBSync(ctx context.Context, args []string, std stdio) int {
	var (
		cf         connFlags
		octaviaURL string
		dryRun     bool
		asJSON     bool
		lbs        lbList
	)
	fs := newFlagSet("db-sync", dbSyncSynopsis, dbSyncDescription, std.err)
	cf.register(fs, std.getenv)
	fs.StringVar(&octaviaURL, "octavia-url", std.getenv(EnvOctaviaURL),
		"Octavia API `URL` (with --os-token; with a clouds.yaml cloud it overrides the catalog) ($"+EnvOctaviaURL+")")
	fs.BoolVar(&dryRun, "dry-run", false, "compute and report the changes without writing the NB or sending statuses")
	fs.BoolVar(&asJSON, "json", false, "write the report as JSON lines")
	fs.Var(&lbs, "lb", "sync only this load balancer `id` (repeatable); orphans are then not reported")
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) != 0 {
		fmt.Fprintf(std.err, "db-sync: unexpected arguments %q\n", pos)
		fs.Usage()
		return exitUsage
	}
	if err := cf.check(); err != nil {
		fmt.Fprintf(std.err, "db-sync: %v\n", err)
		return exitUsage
	}
	switch {
	case cf.getSocket == "":
		fmt.Fprintln(std.err, "db-sync: --get-socket is required: the load balancer trees are read from Octavia's driver agent")
		return exitUsage
	case cf.osToken != "" && octaviaURL == "":
		fmt.Fprintln(std.err, "db-sync: --os-token needs --octavia-url")
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "db-sync: %v\n", err)
		return exitUsage
	}
	api, err := openOctavia(ctx, &cf, octaviaURL, log)
	if err != nil {
		log.WithError(err).Error("db-sync: setup failed")
		return exitError
	}
	cf.dryRun = dryRun
	e, err := cf.open(ctx, log, std.err)
	if err != nil {
		log.WithError(err).Error("db-sync: setup failed")
		return exitError
	}
	defer e.Close()
	rep, err := dbsync.Sync(ctx, dbsync.Config{
		Store: e.store, Driver: e.driver, Neutron: e.neutron, Octavia: api, Get: e.get,
		Status: e.status, Health: e.health, Log: log, DryRun: dryRun, LBs: lbs,
	})
	if err != nil {
		log.WithError(err).Error("db-sync: stopped")
		return exitError
	}
	if asJSON {
		err = writeReportJSON(std.out, rep)
	} else {
		err = writeReportText(std.out, rep)
	}
	if err != nil {
		log.WithError(err).Error("db-sync: writing the report")
		return exitError
	}
	if rep.Failed() {
		return exitError
	}
	return exitOK
}

// openOctavia builds the Octavia API client from the same credentials as
// Neutron: a fixed token, or the clouds.yaml cloud (bounded by
// --connect-timeout).
func openOctavia(ctx context.Context, cf *connFlags, url string, log *logrus.Entry) (*octaviaapi.Client, error) {
	if cf.osToken != "" {
		c, err := octaviaapi.NewFromToken(url, cf.osToken, octaviaapi.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("octavia client for %s: %w", url, err)
		}
		return c, nil
	}
	cctx, cancel := context.WithTimeout(ctx, cf.connTimeout)
	defer cancel()
	c, err := octaviaapi.NewFromCloudsYAML(cctx, cf.osCloud, url, nil, octaviaapi.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("octavia client for cloud %q: %w", cf.osCloud, err)
	}
	return c, nil
}

func writeReportText(w io.Writer, rep dbsync.Report) error {
	var b strings.Builder
	for _, l := range rep.LBs {
		name := ""
		if l.Name != "" {
			name = " (" + l.Name + ")"
		}
		fmt.Fprintf(&b, "%s%s: %s\n", l.ID, name, l.Outcome)
		for _, c := range l.Changes {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
		for _, wn := range l.Warnings {
			fmt.Fprintf(&b, "  ! %s\n", wn)
		}
		if l.Error != "" {
			fmt.Fprintf(&b, "  error: %s\n", l.Error)
		}
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run: nothing written)"
	}
	fmt.Fprintf(&b, "db-sync: %d in sync, %d repaired, %d failed, %d orphan(s)%s\n",
		rep.Count(dbsync.OutcomeInSync), rep.Count(dbsync.OutcomeRepaired), rep.Count(dbsync.OutcomeFailed),
		rep.Count(dbsync.OutcomeOrphan), mode)
	_, err := io.WriteString(w, b.String())
	return err
}

// reportSummary is the last line of the JSON report.
type reportSummary struct {
	DryRun   bool `json:"dry_run"`
	InSync   int  `json:"ok"`
	Repaired int  `json:"repaired"`
	Failed   int  `json:"failed"`
	Orphans  int  `json:"orphans"`
}

func writeReportJSON(w io.Writer, rep dbsync.Report) error {
	enc := json.NewEncoder(w)
	for _, l := range rep.LBs {
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return enc.Encode(map[string]reportSummary{"summary": {
		DryRun: rep.DryRun, InSync: rep.Count(dbsync.OutcomeInSync), Repaired: rep.Count(dbsync.OutcomeRepaired),
		Failed: rep.Count(dbsync.OutcomeFailed), Orphans: rep.Count(dbsync.OutcomeOrphan),
	}})
}
