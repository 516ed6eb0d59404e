// Command ovn-octavia is the OVN provider for OpenStack Octavia: the agent
// that keeps NB Load_Balancer rows right, `apply` to run provider calls from
// a file, operator CRUD subcommands, and a self-contained demo.
//
// Run `ovn-octavia help` for the subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed (connection, NB, a refused call of a CRUD subcommand)
	exitUsage = 2 // bad flags or arguments, unreadable or malformed input; nothing was done
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// stdio bundles the standard streams and the environment of one
// invocation.
type stdio struct {
	in     io.Reader
	out    io.Writer
	err    io.Writer
	getenv func(string) string
}

const usageText = `Usage: ovn-octavia <command> [flags]

The OVN provider for OpenStack Octavia.

Commands:
  agent          run the provider agent (OVN event handlers, health status, maintenance)
  apply          run provider calls from a JSON steps file, one result line per call
  serve          serve provider calls for Octavia's API on a unix socket (for the Python shim)
  db-sync        repair the NB rows of every OVN load balancer from Octavia (octavia-ovn-db-sync-util)
  demo           run a self-contained demonstration (in-process OVSDB, fake Neutron, status socket)
  loadbalancer   create, delete, list or show load balancers      (alias: lb)
  listener       create, delete, list or show listeners
  pool           create, delete, list or show pools
  member         create, delete, list or show members
  healthmonitor  create, delete, list or show health monitors     (alias: hm)
  help           show this text, or "help <command>" for a command's flags

Run "ovn-octavia <command> --help" for the flags of a command.
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, std stdio) int {
	out, errOut := std.out, std.err
	if len(args) == 0 {
		fmt.Fprint(errOut, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 && rest[0] != "help" {
			return run(ctx, []string{rest[0], "--help"}, std)
		}
		fmt.Fprint(out, usageText)
		return exitOK
	case "apply":
		return runApply(ctx, rest, std)
	case "agent":
		return runAgent(ctx, rest, std)
	case "serve":
		return runServe(ctx, rest, std)
	case "demo":
		return runDemo(ctx, rest, std)
	case "db-sync":
		return runDBSync(ctx, rest, std)
	}
	if k, ok := kindByName(cmd); ok {
		return runCRUD(ctx, k, rest, std)
	}
	fmt.Fprintf(errOut, "ovn-octavia: unknown command %q\n\n%s", cmd, usageText)
	return exitUsage
}
