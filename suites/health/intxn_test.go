package health_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/ovn-kubernetes/libovsdb/model"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// The halves the CRUD front end puts into its own transactions.
var _ = Describe("in-transaction create and delete", func() {
	It("create in the caller's Txn writes what Create writes and reports the same message", func(ctx SpecContext) {
		f := newFixture("10.11.0", "tcp", 2)
		f.create(ctx)
		hm := f.hm(octavia.HealthMonitorTCP)
		Expect(health.ValidateCreate(env.nb, hm)).To(Succeed())
		before := env.store.Stats().Transactions
		var res health.CreateResult
		Expect(env.store.Run(ctx, func(t *nbtxnTxn) error {
			var err error
			res, err = env.monitors.CreateInTxn(ctx, t, hm)
			return err
		})).To(Succeed())
		Expect(env.store.Stats().Transactions - before).To(Equal(int64(1)))
		Expect(res.LB).To(Equal(f.LBID))
		Expect(res.PortErr).NotTo(HaveOccurred())
		Expect(res.Listeners).To(Equal([]string{f.ListenerID}))
		Expect(res.Members).To(HaveLen(2))
		Expect(env.monitors.CreateStatus(ctx, res, nil).String()).To(Equal(createdStatus(f)))
		expectCreated(ctx, f, sb.ServiceMonitorProtocolTCP)

		// Delete in the caller's Txn: the message of health_monitor_delete.
		before = env.store.Stats().Transactions
		var dres health.DeleteResult
		Expect(env.store.Run(ctx, func(t *nbtxnTxn) error {
			dres = env.monitors.DeleteInTxn(t, hm)
			return nil
		})).To(Succeed())
		Expect(env.store.Stats().Transactions - before).To(Equal(int64(1)))
		Expect(health.DeleteStatus(dres, nil).String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "NO_MONITOR") + `, ` + entry(f.Members[1].ID, "ACTIVE", "NO_MONITOR") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "DELETED", "NO_MONITOR") + `]}`))
		lb := lbRow(ctx, f.LBID)
		Expect(lb.HealthCheck).To(BeEmpty())
		Expect(lb.IPPortMappings).To(BeEmpty())
		Expect(lb.ExternalIDs).NotTo(HaveKey("octavia:healthmonitors"))
	}, SpecTimeout(60*time.Second))

	It("leaves the caller's Txn unchanged when the row's HM list is corrupt, and reports the HM ERROR", func(ctx SpecContext) {
		f := newFixture("10.12.0", "tcp", 1)
		f.create(ctx)
		lb := &nb.LoadBalancer{UUID: lbRow(ctx, f.LBID).UUID}
		ops, err := env.nb.Where(lb).Mutate(lb, model.Mutation{
			Field: &lb.ExternalIDs, Mutator: "insert", Value: map[string]string{"octavia:healthmonitors": "not json"},
		})
		Expect(err).NotTo(HaveOccurred())
		transact(ctx, env.nb, ops...)
		Eventually(func() string { return lbRow(ctx, f.LBID).ExternalIDs["octavia:healthmonitors"] }).Should(Equal("not json"))
		dump := nbDump()
		before := env.store.Stats().Transactions

		var (
			res    health.CreateResult
			hmErr  error
			caller string
		)
		Expect(env.store.Run(ctx, func(t *nbtxnTxn) error {
			res, hmErr = env.monitors.CreateInTxn(ctx, t, f.hm(octavia.HealthMonitorTCP))
			caller = t.LBsByName(f.LBID)[0].ExternalIDs["octavia:healthmonitors"]
			return nil // the caller goes on without the HM
		})).To(Succeed())
		Expect(hmErr).To(HaveOccurred())
		Expect(hmErr.Error()).To(ContainSubstring("load balancer " + f.LBID))
		Expect(caller).To(Equal("not json"))
		Expect(env.store.Stats().Transactions).To(Equal(before)) // nothing to commit
		Expect(nbDump()).To(Equal(dump))
		Expect(f.hmPorts()).To(BeEmpty())
		Expect(env.monitors.CreateStatus(ctx, res, hmErr).String()).To(Equal(`{"loadbalancers": [` + entry(f.LBID, "ACTIVE", "") + `], ` +
			`"listeners": [` + entry(f.ListenerID, "ACTIVE", "ONLINE") + `], ` +
			`"pools": [` + entry(f.PoolID, "ACTIVE", "ONLINE") + `], ` +
			`"members": [` + entry(f.Members[0].ID, "ACTIVE", "ONLINE") + `], ` +
			`"healthmonitors": [` + entry(f.HMID, "ERROR", "ERROR") + `]}`))
	}, SpecTimeout(60*time.Second))
})
