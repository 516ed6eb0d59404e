package main

import (
	"context"

	"github.com/ovn-octavia/ovn-octavia/agent"
	"github.com/ovn-octavia/ovn-octavia/demo"
)

// runAgent runs the provider agent; agent.Main owns its flags and output.
func runAgent(ctx context.Context, args []string, std stdio) int {
	return agent.Main(ctx, args, std.out, std.err)
}

// runDemo runs the self-contained demo; demo.Main owns its flags and output.
func runDemo(ctx context.Context, args []string, std stdio) int {
	return demo.Main(ctx, args, std.out, std.err)
}
