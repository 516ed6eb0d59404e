package main

import (
	"context"
	"fmt"
)

const applySynopsis = `ovn-octavia apply --nb <remote> --sb <remote> --neutron-url <url> --os-token <token>
                   --status-socket <path> [--get-socket <path>] [flags] <steps.json | ->`

const applyDescription = `
Runs provider calls, in order, from a JSON file ("-" reads stdin): an array of
{"call": "<octavia-lib ProviderDriver method>", <argument name>: <value>, ...}, e.g.
  [{"call": "loadbalancer_create", "loadbalancer": {"loadbalancer_id": "...", "vip_address": "10.0.0.9", ...}},
   {"call": "loadbalancer_delete", "loadbalancer": {"loadbalancer_id": "..."}, "cascade": true}]
Each call runs to completion, including its status report, before the next one
starts. After each call one JSON line is written to stdout (and flushed):
  {"call":"<name>","ok":true}                    (create_vip_port adds "result":[vip_dict, additional_vip_dicts])
  {"call":"<name>","ok":false,"error":{"type":"UnsupportedOptionError","user_fault_string":"...","operator_fault_string":"..."}}
A refused call does not stop the following ones. Logs go to stderr.

The whole file is checked before anything runs: an unreadable or malformed file
(not a JSON array of objects with a string "call") exits with status 2 and
does nothing. Exit status 0 once every step has run (whatever the calls
answered), 1 when the NB (or Keystone) cannot be reached or the run is interrupted.`

func runApply(ctx context.Context, args []string, std stdio) int {
	var cf connFlags
	fs := newFlagSet("apply", applySynopsis, applyDescription, std.err)
	cf.register(fs, std.getenv)
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) != 1 {
		fmt.Fprintf(std.err, "apply: expected one steps file (or -), got %d arguments\n", len(pos))
		fs.Usage()
		return exitUsage
	}
	if err := cf.check(); err != nil {
		fmt.Fprintf(std.err, "apply: %v\n", err)
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "apply: %v\n", err)
		return exitUsage
	}
	// The steps are read and checked before any connection is made: a bad
	// file must not do anything.
	steps, err := readSteps(pos[0], std.in)
	if err != nil {
		fmt.Fprintf(std.err, "apply: %v\n", err)
		return exitUsage
	}
	e, err := cf.open(ctx, log, std.err)
	if err != nil {
		log.WithError(err).Error("apply: setup failed")
		return exitError
	}
	defer e.Close()
	failed, err := runSteps(ctx, e.driver, steps, std.out, log)
	if err != nil {
		log.WithError(err).Error("apply: stopped")
		return exitError
	}
	log.WithFields(map[string]any{"steps": len(steps), "refused": failed}).Info("apply: done")
	return exitOK
}
