package watcher_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

var _ = Describe("OVSDB lock", func() {
	It("lets exactly one of two watchers process events and fails over to the other", func() {
		dir := shortDir()
		nbSrv := startNB(dir)
		sbSrv := startSB(dir)
		setup := connectNB(nbSrv.Remote())
		addRouter(setup, "neutron-r1")
		cfg := watcher.Config{
			NB: watcher.ConnConfig{Remote: nbSrv.Remote()},
			SB: watcher.ConnConfig{Remote: sbSrv.Remote()},
		}
		w1 := startWatcher(cfg)
		c1 := collect(w1)
		Eventually(w1.HasLock).Should(BeTrue())
		w2 := startWatcher(cfg)
		c2 := collect(w2)
		Consistently(w2.HasLock).Should(BeFalse())
		Expect(w1.HasLock()).To(BeTrue())
		Expect(resyncs(c1.all())).To(HaveLen(1))
		Expect(c2.all()).To(BeEmpty())

		// The holder receives events, the standby nothing.
		mark1 := c1.len()
		addLRP(setup, "neutron-r1", "lrp-1")
		Eventually(func() []string { return lrpNames(c1.since(mark1)) }).Should(Equal([]string{"created:lrp-1"}))
		Consistently(c2.all).Should(BeEmpty())

		// Both locks are taken on the servers: a third client is refused.
		Expect(testbed.TryLock(nbSrv.Remote(), watcher.DefaultLockName, 5*time.Second)).To(BeFalse())
		Expect(testbed.TryLock(sbSrv.Remote(), watcher.DefaultLockName, 5*time.Second)).To(BeFalse())

		// Stop the holder: the other takes over and resyncs (it missed
		// lrp-1 while standing by).
		Expect(w1.Close()).To(Succeed())
		Expect(w1.HasLock()).To(BeFalse())
		Eventually(w2.HasLock, 10*time.Second).Should(BeTrue())
		Eventually(func() []watcher.Resync { return resyncs(c2.all()) }).Should(HaveLen(1))
		Expect(lrpNames(c2.all())).To(BeEmpty())
		Eventually(w2.LockStates()).Should(Receive(Equal(watcher.LockState{Active: true, NB: true, SB: true})))

		mark2 := c2.len()
		addLRP(setup, "neutron-r1", "lrp-2")
		Eventually(func() []string { return lrpNames(c2.since(mark2)) }).Should(Equal([]string{"created:lrp-2"}))
	})

	It("drops queued events and stops delivery when the lock is lost", func() {
		dir := shortDir()
		nbSrv := startNB(dir)
		setup := connectNB(nbSrv.Remote())
		addRouter(setup, "neutron-r1")
		w := startWatcher(watcher.Config{NB: watcher.ConnConfig{Remote: nbSrv.Remote()}})
		Eventually(w.HasLock).Should(BeTrue())
		// Nobody drains: the initial Resync and a creation stay queued.
		addLRP(setup, "neutron-r1", "lrp-q")
		Eventually(func() bool { return len(lrpsOf(w.NB())) == 1 }).Should(BeTrue())

		// Losing the lock (the NB server restarts, dropping the lock
		// connection) empties the queue at once.
		Expect(nbSrv.Stop()).To(Succeed())
		Eventually(w.HasLock).Should(BeFalse())
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		evs, err := w.Next(ctx)
		cancel()
		Expect(err).To(MatchError(context.DeadlineExceeded))
		Expect(evs).To(BeEmpty())

		Expect(nbSrv.Start()).To(Succeed())
		Eventually(w.HasLock).Should(BeTrue())
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		evs, err = w.Next(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(HaveLen(1))
		Expect(evs[0]).To(BeAssignableToTypeOf(watcher.Resync{}))
	})

	It("is always active with locking disabled, and Next ends on Close", func() {
		dir := shortDir()
		nbSrv := startNB(dir)
		w := startWatcher(watcher.Config{NB: watcher.ConnConfig{Remote: nbSrv.Remote()}, DisableLock: true})
		Expect(w.HasLock()).To(BeTrue())
		// No lock is taken on the server.
		Expect(testbed.TryLock(nbSrv.Remote(), watcher.DefaultLockName, 5*time.Second)).To(BeTrue())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		evs, err := w.Next(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(evs).To(Equal([]watcher.Event{watcher.Resync{Reason: "initial dump"}}))
		go func() {
			defer GinkgoRecover()
			time.Sleep(200 * time.Millisecond)
			Expect(w.Close()).To(Succeed())
		}()
		_, err = w.Next(ctx)
		Expect(err).To(MatchError(watcher.ErrClosed))
	})
})

var _ = Describe("bad input", func() {
	bounded := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		DeferCleanup(cancel)
		return ctx
	}

	It("rejects malformed remotes at once", func() {
		for _, remote := range []string{
			"", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:127.0.0.1:99999", "tcp::6641", "unix:",
			"http://127.0.0.1:6641", "127.0.0.1:6641", "tcp:127.0.0.1:6641,", "tcp:[zz::1]:6641",
		} {
			_, err := watcher.Start(bounded(5*time.Second), watcher.Config{NB: watcher.ConnConfig{Remote: remote}})
			Expect(err).To(HaveOccurred(), remote)
			Expect(err.Error()).To(Or(ContainSubstring("invalid OVSDB remote"), ContainSubstring("empty OVSDB remote")), remote)
			Expect(errors.Is(err, context.DeadlineExceeded)).To(BeFalse(), remote)
		}
		// A good NB and a bad SB: still rejected before dialling.
		_, err := watcher.Start(bounded(5*time.Second), watcher.Config{
			NB: watcher.ConnConfig{Remote: "unix:/nonexistent/nb.sock"},
			SB: watcher.ConnConfig{Remote: "ssl:127.0.0.1"},
		})
		Expect(err).To(MatchError(ContainSubstring("SB: invalid OVSDB remote")))
	})

	It("fails with the connection error when the remote is unreachable before ctx ends", func() {
		port, err := testbed.FreePort()
		Expect(err).NotTo(HaveOccurred())
		remote := "tcp:127.0.0.1:" + strconv.Itoa(port)
		_, err = watcher.Start(bounded(2*time.Second), watcher.Config{NB: watcher.ConnConfig{Remote: remote}})
		Expect(err).To(MatchError(context.DeadlineExceeded))
		Expect(err.Error()).To(ContainSubstring("connection refused"))
		Expect(err.Error()).To(ContainSubstring(remote))
	})

	It("fails at once on a schema missing a needed table", func() {
		dir := shortDir()
		schema := filepath.Join(dir, "sb-no-sm.ovsschema")
		Expect(testbed.SchemaWithout(testbed.SBSchema, schema, "Service_Monitor")).To(Succeed())
		nbSrv := startNB(dir)
		sbSrv := startSB(dir, testbed.WithSchema(schema))
		_, err := watcher.Start(bounded(20*time.Second), watcher.Config{
			NB: watcher.ConnConfig{Remote: nbSrv.Remote()},
			SB: watcher.ConnConfig{Remote: sbSrv.Remote()},
		})
		Expect(err).To(HaveOccurred())
		Expect(errors.Is(err, context.DeadlineExceeded)).To(BeFalse(), err.Error())
		Expect(err.Error()).To(ContainSubstring("Service_Monitor"))
		Expect(err.Error()).To(ContainSubstring("does not exist in schema"))
	})

	It("fails at once on a server without the database", func() {
		dir := shortDir()
		sbSrv := startSB(dir)
		_, err := watcher.Start(bounded(20*time.Second), watcher.Config{NB: watcher.ConnConfig{Remote: sbSrv.Remote()}})
		Expect(err).To(MatchError(ContainSubstring("target database OVN_Northbound not found")))
		Expect(errors.Is(err, context.DeadlineExceeded)).To(BeFalse())
	})

	It("requires the TLS files for ssl remotes", func() {
		_, err := watcher.Start(bounded(5*time.Second), watcher.Config{NB: watcher.ConnConfig{Remote: "ssl:127.0.0.1:6641"}})
		Expect(err).To(MatchError(ContainSubstring("needs private key, certificate and CA certificate files")))
		_, err = watcher.Start(bounded(5*time.Second), watcher.Config{NB: watcher.ConnConfig{Remote: "ssl:127.0.0.1:6641",
			TLS: watcher.TLSFiles{PrivateKey: "/nonexistent/key.pem", Certificate: "/nonexistent/cert.pem", CACert: "/nonexistent/ca.pem"}}})
		Expect(err).To(MatchError(ContainSubstring("/nonexistent/cert.pem")))
	})
})
