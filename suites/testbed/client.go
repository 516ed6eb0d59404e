package testbed

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// ConnectNB returns a libovsdb client for test setup and assertions on the
// NB remote (comma list allowed): leader-only, reconnecting, every table
// monitored. Close it with Close().
func ConnectNB(ctx context.Context, remote string) (client.Client, error) {
	m, err := nb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	return Connect(ctx, remote, m)
}

// ConnectSB is ConnectNB for the SB database.
func ConnectSB(ctx context.Context, remote string) (client.Client, error) {
	m, err := sb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	return Connect(ctx, remote, m)
}

// Connect connects a test client with any model and monitors all of its
// tables. It does not retry: the test bed's servers answer before Start
// returns.
func Connect(ctx context.Context, remote string, m model.ClientDBModel) (client.Client, error) {
	opts := []client.Option{client.WithLeaderOnly(true)}
	for _, ep := range strings.Split(remote, ",") {
		opts = append(opts, client.WithEndpoint(strings.TrimSpace(ep)))
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 100 * time.Millisecond
	b.MaxInterval = time.Second
	b.MaxElapsedTime = 0 // libovsdb panics when a reconnect backoff gives up
	opts = append(opts, client.WithReconnect(5*time.Second, b))
	c, err := client.NewOVSDBClient(m, opts...)
	if err != nil {
		return nil, fmt.Errorf("testbed: new client: %w", err)
	}
	// Clustered members may still be electing: retry within ctx.
	for {
		err = c.Connect(ctx)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("testbed: connect %s: %w", remote, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	if _, err := c.MonitorAll(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("testbed: monitor %s: %w", remote, err)
	}
	return c, nil
}

// Transact runs ops on c and fails on any operation error (libovsdb
// reports them in the results, not in err).
func Transact(ctx context.Context, c client.Client, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return nil, fmt.Errorf("testbed: transact: %w", err)
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return res, fmt.Errorf("testbed: transact: %w", err)
	}
	return res, nil
}
