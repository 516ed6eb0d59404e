package health_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ovn-kubernetes/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
)

// BenchmarkApplyServiceMonitors measures one burst of 500 Service_Monitor
// flips against 200 LB rows with 5 monitored members each, applied in one
// NB transaction on a real ovsdb-server. Every iteration flips every
// member, so each commits a real change. Run with
// go test -run '^$' -bench ApplyServiceMonitors ./suites/health/
func BenchmarkApplyServiceMonitors(b *testing.B) {
	const rows, perRow, burst = 200, 5, 500
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tb, err := testbed.NewEnv(ctx, testbed.EnvConfig{LogLevel: logrus.WarnLevel, DirPrefix: "hb"})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := tb.Close(); err != nil {
			b.Error(err)
		}
	}()
	c, store, mon := tb.NB, tb.Store, tb.Monitors

	var ops []ovsdb.Operation
	var monitors []sb.ServiceMonitor
	tcp := "tcp"
	for r := 0; r < rows; r++ {
		ext := map[string]string{"neutron:vip": fmt.Sprintf("10.%d.%d.1", r/250, r%250)}
		mappings := map[string]string{}
		pool := ""
		for m := 0; m < perRow; m++ {
			ip := fmt.Sprintf("10.%d.%d.%d", r/250, r%250, 10+m)
			lsp := fmt.Sprintf("lsp-%d-%d", r, m)
			if pool != "" {
				pool += ","
			}
			pool += fmt.Sprintf("member_m%d-%d_%s:80_subnet", r, m, ip)
			mappings[ip] = lsp + ":10.255.0.2"
			monitors = append(monitors, sb.ServiceMonitor{IP: ip, Port: 80, Protocol: &tcp, LogicalPort: lsp, SrcIP: "10.255.0.2"})
		}
		ext["pool_p"+fmt.Sprint(r)] = pool
		o, err := c.Create(&nb.LoadBalancer{Name: fmt.Sprintf("lb%d", r), Protocol: &tcp, ExternalIDs: ext, IPPortMappings: mappings})
		if err != nil {
			b.Fatal(err)
		}
		ops = append(ops, o...)
	}
	if _, err := testbed.Transact(ctx, c, ops...); err != nil {
		b.Fatal(err)
	}
	for len(c.Cache().Table(nb.LoadBalancerTable).Rows()) < rows {
		time.Sleep(10 * time.Millisecond)
	}

	statuses := []string{sb.ServiceMonitorStatusOffline, sb.ServiceMonitorStatusOnline}
	start := store.Stats()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		changes := make([]health.SMChange, burst)
		for j := range changes {
			sm := monitors[(i*burst+j)%len(monitors)]
			st := statuses[(i/2)%2] // each half of the monitors flips every other burst
			sm.Status = &st
			changes[j] = health.SMChange{Monitor: &sm}
		}
		if err := store.Run(ctx, func(t *nbtxn.Txn) error {
			_, err := mon.ApplyServiceMonitors(ctx, t, changes)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	end := store.Stats()
	txns := end.Transactions - start.Transactions
	if txns != int64(b.N) {
		b.Fatalf("%d bursts committed %d transactions, want one each", b.N, txns)
	}
	b.ReportMetric(float64(end.Operations-start.Operations)/float64(b.N), "ops/burst")
}
