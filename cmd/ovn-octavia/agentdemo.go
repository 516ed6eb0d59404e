package main

import (
	"context"
	"fmt"

	"github.com/ovn-octavia/ovn-octavia/agent"
)

// runAgent runs the provider agent; agent.Main owns its flags and output.
func runAgent(ctx context.Context, args []string, std stdio) int {
	return agent.Main(ctx, args, std.out, std.err)
}

// runDemo runs the self-contained demo (package demo).
func runDemo(_ context.Context, _ []string, std stdio) int {
	fmt.Fprintln(std.err, "ovn-octavia demo: not available in this build (package demo has no Main yet)")
	return exitError
}
