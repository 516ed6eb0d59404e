package main

import (
	"context"
	"fmt"
)

// runDBSync is `ovn-octavia db-sync` (being implemented: dbsync package).
func runDBSync(_ context.Context, _ []string, std stdio) int {
	fmt.Fprintln(std.err, "ovn-octavia db-sync: not available in this build yet")
	return exitError
}
