package watcher_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/suites/testbed"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

var _ = Describe("ssl remotes", func() {
	It("connects, watches and locks over SSL with per-connection TLS files", func() {
		dir := shortDir()
		pkiNB, err := testbed.NewPKI(dir, "nb")
		Expect(err).NotTo(HaveOccurred())
		pkiSB, err := testbed.NewPKI(dir, "sb")
		Expect(err).NotTo(HaveOccurred())
		nbSrv := startNB(dir, testbed.WithSSL(pkiNB))
		sbSrv := startSB(dir, testbed.WithSSL(pkiSB))
		setup := connectNB(nbSrv.Remote())
		addRouter(setup, "neutron-r1")

		// NB and SB use different CAs: each connection has its own TLS.
		w := startWatcher(watcher.Config{
			NB: watcher.ConnConfig{Remote: nbSrv.SSLRemote(), TLS: watcher.TLSFiles{
				PrivateKey: pkiNB.ClientKey, Certificate: pkiNB.ClientCert, CACert: pkiNB.CACert}},
			SB: watcher.ConnConfig{Remote: sbSrv.SSLRemote(), TLS: watcher.TLSFiles{
				PrivateKey: pkiSB.ClientKey, Certificate: pkiSB.ClientCert, CACert: pkiSB.CACert}},
		})
		col := collect(w)
		Eventually(w.HasLock).Should(BeTrue())
		Expect(w.NB().CurrentEndpoint()).To(Equal(nbSrv.SSLRemote()))
		Expect(testbed.TryLock(nbSrv.Remote(), watcher.DefaultLockName, 5*time.Second)).To(BeFalse())
		Expect(testbed.TryLock(sbSrv.Remote(), watcher.DefaultLockName, 5*time.Second)).To(BeFalse())

		mark := col.len()
		addLRP(setup, "neutron-r1", "lrp-ssl")
		Eventually(func() []string { return lrpNames(col.since(mark)) }).Should(Equal([]string{"created:lrp-ssl"}))
	})

	It("refuses a server whose certificate is not signed by the configured CA", func() {
		dir := shortDir()
		pkiA, err := testbed.NewPKI(dir, "a")
		Expect(err).NotTo(HaveOccurred())
		pkiB, err := testbed.NewPKI(dir, "b")
		Expect(err).NotTo(HaveOccurred())
		nbSrv := startNB(dir, testbed.WithSSL(pkiA))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = watcher.Start(ctx, watcher.Config{NB: watcher.ConnConfig{Remote: nbSrv.SSLRemote(), TLS: watcher.TLSFiles{
			PrivateKey: pkiB.ClientKey, Certificate: pkiB.ClientCert, CACert: pkiB.CACert}}})
		Expect(err).To(MatchError(ContainSubstring("certificate signed by unknown authority")))
	})
})
