package provider_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// benchEnv starts the test bed for a benchmark (Ginkgo's BeforeSuite only
// runs inside TestProvider); gomega failures fail the benchmark.
func benchEnv(b *testing.B) context.Context {
	b.Helper()
	RegisterFailHandler(func(msg string, _ ...int) { b.Fatal(msg) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	startEnv(ctx, io.Discard)
	b.Cleanup(stopEnv)
	return ctx
}

// BenchmarkFullyPopulatedCreate100 creates an LB with one listener, one
// pool with a health monitor and 100 members (each with its VM port, so
// every member is mapped for the HM) in one loadbalancer_create call, and
// reports the time until Octavia has the ACTIVE status and the NB
// transactions it took (issue 3: one).
func BenchmarkFullyPopulatedCreate100(b *testing.B) {
	ctx := benchEnv(b)
	netID, vipSub, memSub := newID(), newID(), newID()
	network(ctx, netID, false)
	subnet(vipSub, netID, "172.24.0.0/16")
	subnet(memSub, netID, "10.200.0.0/16")
	memberIP := func(j int) string { return fmt.Sprintf("10.200.%d.%d", j/200, j%200+10) }
	for j := 0; j < 100; j++ {
		vmPort(ctx, netID, memSub, memberIP(j)) // shared by every iteration's LB
	}
	var wall time.Duration
	start := env.store.Stats()
	neutronReqs := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		lbID, lid, pid := newID(), newID(), newID()
		vip := fmt.Sprintf("172.24.%d.%d", i/250, i%250+2)
		vipPort(lbID, newID(), netID, vipSub, vip)
		lb := lbObj(lbID, vip, netID, vipSub)
		lb.Listeners = some([]octavia.Listener{*listenerObj(lid, lbID, "TCP", 80, pid)})
		p := *poolObj(pid, lbID, lid, "TCP")
		var ms []octavia.Member
		for j := 0; j < 100; j++ {
			ms = append(ms, *memberObj(newID(), pid, memberIP(j), 8080, memSub))
		}
		p.Members = some(ms)
		p.HealthMonitor = some(tcpHM(newID()))
		lb.Pools = some([]octavia.Pool{p})
		publish(lbID, []string{lid}, []string{pid})
		env.agent.Reset()
		env.neutron.ResetRequests()
		b.StartTimer()
		t0 := time.Now()
		if err := env.driver.LoadBalancerCreate(ctx, lb); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0) // the call returns once the ACTIVE status was accepted
		b.StopTimer()
		neutronReqs += len(env.neutron.Requests())
		msgs := env.agent.Messages()
		if len(msgs) != 1 || len(msgs[0].LoadBalancers) != 1 || msgs[0].LoadBalancers[0] != (octavia.StatusEntry{ID: lbID, ProvisioningStatus: "ACTIVE", OperatingStatus: "ONLINE"}) ||
			len(msgs[0].HealthMonitors) != 1 || msgs[0].HealthMonitors[0].ProvisioningStatus != "ACTIVE" || len(msgs[0].Members) != 100 {
			b.Fatalf("unexpected status messages %v", msgs)
		}
		for _, m := range msgs[0].Members {
			if m.OperatingStatus != "ONLINE" {
				b.Fatalf("member not mapped: %v", msgs[0])
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	end := env.store.Stats()
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms-to-ACTIVE/op")
	b.ReportMetric(float64(end.Transactions-start.Transactions)/float64(b.N), "nb-txns/op")
	b.ReportMetric(float64(neutronReqs)/float64(b.N), "neutron-reqs/op")
}

// BenchmarkMemberBatchUpdate1000 replaces the 1000 members of a pool by
// 1000 others (1000 creates and 1000 deletes) in one member_batch_update.
func BenchmarkMemberBatchUpdate1000(b *testing.B) {
	ctx := benchEnv(b)
	x := newExample()
	network(ctx, x.net, false)
	subnet(x.vipSubnet, x.net, "172.24.4.0/24")
	subnet(x.memberSubnet, x.net, "10.201.0.0/16")
	vipPort(x.lb, x.vipPort, x.net, x.vipSubnet, "172.24.4.9")
	publish(x.lb, []string{x.listener}, []string{x.pool})
	d := env.driver
	Expect(d.LoadBalancerCreate(ctx, lbObj(x.lb, "172.24.4.9", x.net, x.vipSubnet))).To(Succeed())
	Expect(d.ListenerCreate(ctx, listenerObj(x.listener, x.lb, "TCP", 80, ""))).To(Succeed())
	Expect(d.PoolCreate(ctx, poolObj(x.pool, x.lb, x.listener, "TCP"))).To(Succeed())
	var wall time.Duration
	start := env.store.Stats()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ms := make([]*octavia.Member, 1000)
		for j := range ms {
			ms[j] = memberObj(newID(), x.pool, fmt.Sprintf("10.201.%d.%d", j/200, j%200+10), 8080+i%2, x.memberSubnet)
		}
		env.agent.Reset()
		b.StartTimer()
		t0 := time.Now()
		if err := d.MemberBatchUpdate(ctx, x.pool, ms); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		b.StopTimer()
		if msgs := env.agent.Messages(); len(msgs) != 1 {
			b.Fatalf("want 1 status message, got %d", len(msgs))
		}
		b.StartTimer()
	}
	b.StopTimer()
	end := env.store.Stats()
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms-to-ACTIVE/op")
	b.ReportMetric(float64(end.Transactions-start.Transactions)/float64(b.N), "nb-txns/op")
}
