package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Cluster is a RAFT-clustered database served by n ovsdb-server processes
// on loopback tcp (raft and client ports).
type Cluster struct {
	Database string
	Members  []*Server
}

// StartCluster creates a clustered database from schema with n members in
// dir (`ovsdb-tool create-cluster` / `join-cluster`), starts every member
// and waits until all of them are cluster members and one is leader.
func StartCluster(dir, schema, database string, n int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("testbed: cluster size %d", n)
	}
	var err error
	// Raft addresses are written into the database files, so a port taken
	// between FreePort and bind means starting over in a fresh directory.
	for attempt := 0; attempt < 3; attempt++ {
		sub := filepath.Join(dir, "c"+strconv.Itoa(attempt))
		if err = os.MkdirAll(sub, 0o755); err != nil {
			return nil, fmt.Errorf("testbed: %w", err)
		}
		var c *Cluster
		c, err = startCluster(sub, schema, database, n)
		if err == nil {
			return c, nil
		}
		inUse := false
		for i := 0; i < n; i++ {
			inUse = inUse || portInUse(filepath.Join(sub, "m"+strconv.Itoa(i)+".log"))
		}
		if !inUse {
			return nil, err
		}
	}
	return nil, err
}

func startCluster(dir, schema, database string, n int) (c *Cluster, err error) {
	c = &Cluster{Database: database}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	for i := 0; i < n; i++ {
		s := newServer(dir, "m"+strconv.Itoa(i), database)
		if len(s.Unixctl) > maxSocketPath {
			return nil, fmt.Errorf("testbed: socket path %q too long; use a shorter directory", s.Unixctl)
		}
		raftPort, err := FreePort()
		if err != nil {
			return nil, err
		}
		if s.TCPPort, err = FreePort(); err != nil {
			return nil, err
		}
		s.RaftAddr = fmt.Sprintf("tcp:127.0.0.1:%d", raftPort)
		if i == 0 {
			err = runTool("create-cluster", s.DBFile, schema, s.RaftAddr)
		} else {
			err = runTool("join-cluster", s.DBFile, database, s.RaftAddr, c.Members[0].RaftAddr)
		}
		if err != nil {
			return nil, err
		}
		c.Members = append(c.Members, s)
	}
	for _, s := range c.Members {
		if err := s.Start(); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.WaitFormed(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Remote is the comma-separated tcp remote of all members.
func (c *Cluster) Remote() string {
	parts := make([]string, 0, len(c.Members))
	for _, s := range c.Members {
		parts = append(parts, s.TCPRemote())
	}
	return strings.Join(parts, ",")
}

// Stop stops every member.
func (c *Cluster) Stop() {
	for _, s := range c.Members {
		_ = s.Stop()
	}
}

// MemberStatus is the part of `cluster/status` the tests use.
type MemberStatus struct {
	Role   string // leader, follower, candidate
	Term   int
	Status string // e.g. "cluster member"
}

// Status runs `ovs-appctl cluster/status <db>` on a member.
func (c *Cluster) Status(s *Server) (MemberStatus, error) {
	out, err := s.Appctl("cluster/status", c.Database)
	if err != nil {
		return MemberStatus{}, err
	}
	var st MemberStatus
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Role":
			st.Role = v
		case "Term":
			st.Term, _ = strconv.Atoi(v)
		case "Status":
			st.Status = v
		}
	}
	return st, nil
}

// Leader returns the running member that reports itself leader with the
// highest term, polling until ctx ends.
func (c *Cluster) Leader(ctx context.Context) (*Server, error) {
	for {
		var best *Server
		bestTerm := -1
		for _, s := range c.Members {
			if !s.Running() {
				continue
			}
			st, err := c.Status(s)
			if err != nil || st.Role != "leader" {
				continue
			}
			if st.Term > bestTerm {
				best, bestTerm = s, st.Term
			}
		}
		if best != nil {
			return best, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("testbed: no leader in %s cluster: %w", c.Database, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitFormed waits until every running member is a cluster member and
// there is a leader.
func (c *Cluster) WaitFormed(ctx context.Context) error {
	for {
		ok := true
		for _, s := range c.Members {
			if !s.Running() {
				continue
			}
			st, err := c.Status(s)
			if err != nil || st.Status != "cluster member" {
				ok = false
				break
			}
		}
		if ok {
			if _, err := c.Leader(ctx); err != nil {
				return err
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testbed: %s cluster did not form: %w", c.Database, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// KillLeader SIGKILLs the current leader and returns it (stopped; Start
// brings it back as a member).
func (c *Cluster) KillLeader(ctx context.Context) (*Server, error) {
	l, err := c.Leader(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.Kill(); err != nil {
		return nil, err
	}
	return l, nil
}
