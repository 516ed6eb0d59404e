package main

import (
	"context"
	"fmt"
)

// runAgent runs the provider agent (package agent).
func runAgent(_ context.Context, _ []string, std stdio) int {
	fmt.Fprintln(std.err, "ovn-octavia agent: not available in this build (package agent is not part of it)")
	return exitError
}

// runDemo runs the self-contained demo (package demo).
func runDemo(_ context.Context, _ []string, std stdio) int {
	fmt.Fprintln(std.err, "ovn-octavia demo: not available in this build (package demo has no Main yet)")
	return exitError
}
