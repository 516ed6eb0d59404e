package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"
)

// newFlagSet returns a flag set that reports errors instead of exiting and
// prints its usage (synopsis, description, flags) to its output (see
// parseFlags).
func newFlagSet(name, synopsis, description string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(description))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args allowing flags before and after positional
// arguments ("apply steps.json --nb unix:..." works as well as the other
// order) and returns the positional arguments. "--" ends flag parsing.
// A help request (-h, -help, --help) prints the usage to helpOut and
// returns flag.ErrHelp; errors print to the flag set's own output.
func parseFlags(fs *flag.FlagSet, args []string, helpOut io.Writer) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(helpOut)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at the first non-flag; "--" was consumed by Parse when
		// it came first, in which case everything left is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// exitForFlagError maps a parse error to an exit status: a help request is
// a success.
func exitForFlagError(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// newLogger returns a logger writing text lines to w at the named level
// (panic, fatal, error, warn, info, debug, trace).
func newLogger(level string, w io.Writer) (*logrus.Entry, error) {
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	l := logrus.New()
	l.SetOutput(w)
	l.SetLevel(lvl)
	l.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: true})
	return logrus.NewEntry(l), nil
}
