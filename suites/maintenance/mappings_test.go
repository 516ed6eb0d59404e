package maintenance_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("IPv6 ip_port_mappings brackets", func() {
	const (
		lsp  = "a1b2c3d4-1111-4222-8333-944455556666"
		lsp2 = "0f0e0d0c-1111-4222-8333-944455556666"
	)

	It("rewrites unbracketed IPv6 entries byte for byte, in one transaction, and a second run writes nothing", func(ctx SpecContext) {
		v6 := addLB(newID(), map[string]string{"neutron:vip": "fd00::100"}, map[string]string{
			"fd00::5":        lsp + ":fd00::2",
			"fd00::6":        lsp2 + ":fd00::2",
			"2001:db8::1234": lsp + ":2001:db8::2",
		})
		mixed := addLB(newID(), map[string]string{"neutron:vip": "10.0.0.10"}, map[string]string{
			"10.0.0.5":  lsp + ":10.0.0.2",
			"fd00::7":   lsp + ":fd00::2",
			"[fd00::8]": lsp2 + ":[fd00::2]",
		})
		v4 := addLB(newID(), map[string]string{"neutron:vip": "10.0.0.20"}, map[string]string{"10.0.0.6": lsp + ":10.0.0.2"})
		fixed := addLB(newID(), map[string]string{"neutron:vip": "fd00::200"}, map[string]string{"[fd00::9]": lsp + ":[fd00::2]"})
		none := addLB(newID(), map[string]string{"neutron:vip": "10.0.0.30"}, nil)

		before := tb.Store.Stats()
		finished, err := runner(time.Hour, time.Second).BracketIPv6Mappings(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(tb.Store.Stats().Transactions-before.Transactions).To(Equal(int64(1)), "one transaction for every row")

		Expect(serverMappings(v6)).To(Equal(map[string]string{
			"[fd00::5]":        "a1b2c3d4-1111-4222-8333-944455556666:[fd00::2]",
			"[fd00::6]":        "0f0e0d0c-1111-4222-8333-944455556666:[fd00::2]",
			"[2001:db8::1234]": "a1b2c3d4-1111-4222-8333-944455556666:[2001:db8::2]",
		}))
		Expect(serverMappings(mixed)).To(Equal(map[string]string{
			"10.0.0.5":  lsp + ":10.0.0.2",
			"[fd00::7]": lsp + ":[fd00::2]",
			"[fd00::8]": lsp2 + ":[fd00::2]",
		}))
		Expect(serverMappings(v4)).To(Equal(map[string]string{"10.0.0.6": lsp + ":10.0.0.2"}))
		Expect(serverMappings(fixed)).To(Equal(map[string]string{"[fd00::9]": lsp + ":[fd00::2]"}))
		Expect(serverMappings(none)).To(BeEmpty())

		By("a second run changes nothing")
		before = tb.Store.Stats()
		finished, err = runner(time.Hour, time.Second).BracketIPv6Mappings(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(tb.Store.Stats()).To(Equal(before))
	})

	It("leaves an entry whose value is not <lsp>:<ip> as it is and fixes the rest of the row", func(ctx SpecContext) {
		u := addLB(newID(), nil, map[string]string{"fd00::5": "garbage", "fd00::6": lsp + ":fd00::2"})
		finished, err := runner(time.Hour, time.Second).BracketIPv6Mappings(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(finished).To(BeTrue())
		Expect(serverMappings(u)).To(Equal(map[string]string{"fd00::5": "garbage", "[fd00::6]": lsp + ":[fd00::2]"}))
	})

	It("does not touch the other columns of a row it rewrites", func(ctx SpecContext) {
		ext := map[string]string{"neutron:vip": "fd00::100", "listener_x": "80:pool_y", "pool_y": "member_m_fd00::5:80_s"}
		u := addLB(newID(), ext, map[string]string{"fd00::5": lsp + ":fd00::2"})
		_, err := runner(time.Hour, time.Second).BracketIPv6Mappings(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(serverMappings(u)).To(Equal(map[string]string{"[fd00::5]": lsp + ":[fd00::2]"}))
		Eventually(func() map[string]string { return cachedExternalIDs(u) }).Should(Equal(ext))
	})
})
