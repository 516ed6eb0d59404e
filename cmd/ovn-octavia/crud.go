package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// kind is one object type of the CRUD subcommands.
type kind struct {
	name   string // subcommand name
	alias  string
	title  string // for texts: "load balancer"
	idNoun string // the id flag's description
	// create registers the create flags and returns the call to make.
	create func(fs *flag.FlagSet) createFunc
	// required lists the create flags that must be given.
	required []string
	// deleter registers the delete flags and returns the call to make.
	deleter func(fs *flag.FlagSet) deleteFunc
	// list returns the table of the kind's objects in NB, their ids and
	// the objects for --json, in the same order.
	list func(lbs []*lbView) (header []string, rows [][]string, ids []string, objs []any)
}

func kinds() []*kind {
	return []*kind{lbKind(), listenerKind(), poolKind(), memberKind(), hmKind()}
}

func kindByName(name string) (*kind, bool) {
	for _, k := range kinds() {
		if k.name == name || (k.alias != "" && k.alias == name) {
			return k, true
		}
	}
	return nil, false
}

func crudUsage(k *kind, w io.Writer) {
	fmt.Fprintf(w, `Usage: ovn-octavia %[1]s <action> [flags]

Actions:
  create   create a %[2]s through the provider (as Octavia would), print its id
  delete   delete a %[2]s by --id; the other fields are read from NB
  list     list the %[2]ss found in NB (a table, or --json)
  show     show one %[2]s found in NB by --id

Run "ovn-octavia %[1]s <action> --help" for the flags of an action.
`, k.name, k.title)
}

// runCRUD runs "<kind> <action> [flags]".
func runCRUD(ctx context.Context, k *kind, args []string, std stdio) int {
	if len(args) == 0 {
		crudUsage(k, std.err)
		return exitUsage
	}
	action, rest := args[0], args[1:]
	switch action {
	case "-h", "--help", "-help", "help":
		crudUsage(k, std.out)
		return exitOK
	case "create":
		return runCreate(ctx, k, rest, std)
	case "delete":
		return runDelete(ctx, k, rest, std)
	case "list":
		return runList(ctx, k, rest, std, false)
	case "show":
		return runList(ctx, k, rest, std, true)
	}
	fmt.Fprintf(std.err, "ovn-octavia %s: unknown action %q\n\n", k.name, action)
	crudUsage(k, std.err)
	return exitUsage
}

const connHelp = `
Connection flags (--nb, --neutron-url/--os-token or --os-cloud, --status-socket,
--get-socket) are those of "ovn-octavia apply". Without --status-socket the
status messages the provider would send to Octavia are printed on stderr.`

func runCreate(ctx context.Context, k *kind, args []string, std stdio) int {
	var cf connFlags
	fs := newFlagSet(k.name+" create", "ovn-octavia "+k.name+" create [flags]",
		"Creates a "+k.title+" through the provider driver, as an Octavia API call would, and prints its id.\n"+connHelp, std.err)
	cf.register(fs, std.getenv)
	id := fs.String("id", "", k.idNoun+" `uuid` (default: a new random UUID v4)")
	do := k.create(fs)
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.err, "%s create: unexpected argument %q\n", k.name, pos[0])
		return exitUsage
	}
	if *id == "" {
		*id = uuid.NewString()
	}
	for _, name := range k.required {
		if f := fs.Lookup(name); f != nil && (f.Value.String() == "" || f.Value.String() == "0") {
			fmt.Fprintf(std.err, "%s create: --%s is required\n", k.name, name)
			return exitUsage
		}
	}
	if err := cf.check(); err != nil {
		fmt.Fprintf(std.err, "%s create: %v\n", k.name, err)
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "%s create: %v\n", k.name, err)
		return exitUsage
	}
	e, err := cf.open(ctx, log, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "%s create: %v\n", k.name, err)
		return exitError
	}
	defer e.Close()
	if err := do(ctx, e.driver, *id, std); err != nil {
		reportCallError(std.err, k.name+" create", err)
		return exitError
	}
	fmt.Fprintln(std.out, *id)
	return exitOK
}

func runDelete(ctx context.Context, k *kind, args []string, std stdio) int {
	var cf connFlags
	fs := newFlagSet(k.name+" delete", "ovn-octavia "+k.name+" delete --id <uuid> [flags]",
		"Deletes a "+k.title+" through the provider driver. The fields the provider call needs besides the id\n"+
			"(load balancer, protocol, port, address, subnet, ...) are read from NB.\n"+connHelp, std.err)
	cf.register(fs, std.getenv)
	id := fs.String("id", "", k.idNoun+" `uuid` (required)")
	do := k.deleter(fs)
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.err, "%s delete: unexpected argument %q\n", k.name, pos[0])
		return exitUsage
	}
	if *id == "" {
		fmt.Fprintf(std.err, "%s delete: --id is required\n", k.name)
		return exitUsage
	}
	if err := cf.check(); err != nil {
		fmt.Fprintf(std.err, "%s delete: %v\n", k.name, err)
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "%s delete: %v\n", k.name, err)
		return exitUsage
	}
	e, err := cf.open(ctx, log, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "%s delete: %v\n", k.name, err)
		return exitError
	}
	defer e.Close()
	lbs, problems, err := readView(ctx, e.nb)
	if err != nil {
		fmt.Fprintf(std.err, "%s delete: %v\n", k.name, err)
		return exitError
	}
	logProblems(log, problems)
	if err := do(ctx, e.driver, lbs, *id); err != nil {
		reportCallError(std.err, k.name+" delete", err)
		return exitError
	}
	fmt.Fprintln(std.out, *id)
	return exitOK
}

func runList(ctx context.Context, k *kind, args []string, std stdio, show bool) int {
	var cf connFlags
	action, synopsis := "list", "ovn-octavia "+k.name+" list [--json] [flags]"
	if show {
		action, synopsis = "show", "ovn-octavia "+k.name+" show --id <uuid> [--json] [flags]"
	}
	fs := newFlagSet(k.name+" "+action, synopsis,
		"Reads the "+k.title+"s from the OVN NB (Load_Balancer external_ids and health checks) and prints\n"+
			"them as a table, or as JSON with --json. Only --nb (and its TLS flags) is used.", std.err)
	cf.registerNB(fs, std.getenv)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	var id *string
	if show {
		id = fs.String("id", "", k.idNoun+" `uuid` (required)")
	}
	pos, err := parseFlags(fs, args, std.out)
	if err != nil {
		return exitForFlagError(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(std.err, "%s %s: unexpected argument %q\n", k.name, action, pos[0])
		return exitUsage
	}
	if show && *id == "" {
		fmt.Fprintf(std.err, "%s show: --id is required\n", k.name)
		return exitUsage
	}
	if err := cf.checkNB(); err != nil {
		fmt.Fprintf(std.err, "%s %s: %v\n", k.name, action, err)
		return exitUsage
	}
	log, err := newLogger(cf.logLevel, std.err)
	if err != nil {
		fmt.Fprintf(std.err, "%s %s: %v\n", k.name, action, err)
		return exitUsage
	}
	nbc, err := cf.openNB(ctx, log)
	if err != nil {
		fmt.Fprintf(std.err, "%s %s: %v\n", k.name, action, err)
		return exitError
	}
	defer nbc.Close()
	lbs, problems, err := readView(ctx, nbc)
	if err != nil {
		fmt.Fprintf(std.err, "%s %s: %v\n", k.name, action, err)
		return exitError
	}
	logProblems(log, problems)
	header, rows, ids, objs := k.list(lbs)
	if show {
		idx := -1
		for i, v := range ids {
			if v == *id {
				idx = i
				break
			}
		}
		if idx < 0 {
			fmt.Fprintf(std.err, "%s show: %s %s not found in NB\n", k.name, k.title, *id)
			return exitError
		}
		if *asJSON {
			return printJSON(std, objs[idx])
		}
		printDetail(std.out, header, rows[idx])
		return exitOK
	}
	if *asJSON {
		return printJSON(std, objs)
	}
	printTable(std.out, header, rows)
	return exitOK
}

func logProblems(log *logrus.Entry, problems []string) {
	for _, p := range problems {
		log.Warn("NB: " + p)
	}
}

// reportCallError prints a refused provider call the way Octavia would
// surface it: the exception type and its user text.
func reportCallError(w io.Writer, what string, err error) {
	var pe *octavia.ProviderError
	if errors.As(err, &pe) {
		fmt.Fprintf(w, "%s: %s: %s\n", what, pe.Type, pe.UserFault)
		return
	}
	fmt.Fprintf(w, "%s: %v\n", what, err)
}

func printJSON(std stdio, v any) int {
	enc := json.NewEncoder(std.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(std.err, "encode JSON: %v\n", err)
		return exitError
	}
	return exitOK
}

// printTable prints aligned columns with a header line.
func printTable(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-len(c)+2))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
}

// printDetail prints one object as "field: value" lines.
func printDetail(w io.Writer, header, row []string) {
	width := 0
	for _, h := range header {
		width = max(width, len(h))
	}
	for i, h := range header {
		fmt.Fprintf(w, "%-*s  %s\n", width, h, row[i])
	}
}
