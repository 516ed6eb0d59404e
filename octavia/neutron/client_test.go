package neutron_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

const (
	token   = "secret-token"
	project = "5b0c5a1f9a2d4c7e8f1a2b3c4d5e6f70"
	netID   = "11111111-1111-4111-8111-111111111111"
	subID   = "22222222-2222-4222-8222-222222222222"
	lbID    = "33333333-3333-4333-8333-333333333333"
)

// fastList/fastDelete keep the retry shape of the reference policies but in
// milliseconds, so retry tests run fast.
var (
	fastList   = neutron.Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond, MaxElapsed: 100 * time.Millisecond}
	fastDelete = neutron.Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond, MaxAttempts: 5}
)

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

type env struct {
	fake   *fakeneutron.Server
	client *neutron.GopherClient
	url    string
}

// newEnv starts a fake Neutron with one network (10.0.0.0/24, gateway .1)
// and a client with the right token.
func newEnv(t *testing.T) *env {
	t.Helper()
	g := NewWithT(t)
	fake := fakeneutron.New(token)
	u, err := fake.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(fake.Close)
	_, err = fake.AddNetwork(fakeneutron.Network{ID: netID, Name: "private", ProjectID: project})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = fake.AddSubnet(fakeneutron.Subnet{ID: subID, NetworkID: netID, CIDR: "10.0.0.0/24", GatewayIP: "10.0.0.1", ProjectID: project})
	g.Expect(err).NotTo(HaveOccurred())
	c, err := neutron.NewFromToken(u, token,
		neutron.WithLogger(quietLog()), neutron.WithListBackoff(fastList), neutron.WithDeleteBackoff(fastDelete))
	g.Expect(err).NotTo(HaveOccurred())
	return &env{fake: fake, client: c, url: u}
}

func (e *env) requests(method, path string) []fakeneutron.Request {
	var out []fakeneutron.Request
	for _, r := range e.fake.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func httpErr(g *WithT, err error) *neutron.HTTPError {
	var he *neutron.HTTPError
	g.Expect(errors.As(err, &he)).To(BeTrue(), "error %v is not an *HTTPError", err)
	return he
}

func TestCreateVIPPortSendsReferenceBody(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	ctx := context.Background()

	p, err := e.client.CreatePort(ctx, neutron.PortCreate{
		Name:         "ovn-lb-vip-" + lbID,
		NetworkID:    netID,
		ProjectID:    project,
		FixedIPs:     []neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.10"}},
		AdminStateUp: true,
		DeviceOwner:  "ovn-lb:vip",
		DeviceID:     "lb-" + lbID,
	})
	g.Expect(err).NotTo(HaveOccurred())

	posts := e.requests(http.MethodPost, "/v2.0/ports")
	g.Expect(posts).To(HaveLen(1))
	g.Expect(string(posts[0].Body)).To(MatchJSON(`{"port": {
		"name": "ovn-lb-vip-` + lbID + `",
		"network_id": "` + netID + `",
		"fixed_ips": [{"subnet_id": "` + subID + `", "ip_address": "10.0.0.10"}],
		"admin_state_up": true,
		"project_id": "` + project + `",
		"device_owner": "ovn-lb:vip",
		"device_id": "lb-` + lbID + `"}}`))

	g.Expect(p.ID).NotTo(BeEmpty())
	g.Expect(*p).To(Equal(neutron.Port{
		ID: p.ID, Name: "ovn-lb-vip-" + lbID, NetworkID: netID, ProjectID: project,
		DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + lbID,
		FixedIPs: []neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.10"}}, AdminStateUp: true,
	}))
	stored, ok := e.fake.Port(p.ID)
	g.Expect(ok).To(BeTrue())
	g.Expect(stored.PortSecurityEnabled).To(BeTrue(), "Neutron's default when the body does not say")
}

func TestCreateVIPPortWithoutAddressLetsNeutronAllocate(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)

	p, err := e.client.CreatePort(context.Background(), neutron.PortCreate{
		Name: "ovn-lb-vip-additional-1-" + lbID, NetworkID: netID, ProjectID: project,
		FixedIPs: []neutron.FixedIP{{SubnetID: subID}}, AdminStateUp: true,
		DeviceOwner: "ovn-lb:vip", DeviceID: "lb-" + lbID,
	})
	g.Expect(err).NotTo(HaveOccurred())
	posts := e.requests(http.MethodPost, "/v2.0/ports")
	g.Expect(posts).To(HaveLen(1))
	g.Expect(string(posts[0].Body)).To(MatchJSON(`{"port": {
		"name": "ovn-lb-vip-additional-1-` + lbID + `",
		"network_id": "` + netID + `",
		"fixed_ips": [{"subnet_id": "` + subID + `"}],
		"admin_state_up": true,
		"project_id": "` + project + `",
		"device_owner": "ovn-lb:vip",
		"device_id": "lb-` + lbID + `"}}`))
	// .0 is the network, .1 the gateway.
	g.Expect(p.FixedIPs).To(Equal([]neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.2"}}))
	g.Expect(p.IPOnSubnet(subID)).To(Equal("10.0.0.2"))
	g.Expect(p.IPOnSubnet("other")).To(BeEmpty())
}

func TestCreateHMPortDisablesPortSecurity(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	off := false

	p, err := e.client.CreatePort(context.Background(), neutron.PortCreate{
		Name: "ovn-lb-hm-" + subID, NetworkID: netID, ProjectID: project,
		FixedIPs: []neutron.FixedIP{{SubnetID: subID}}, AdminStateUp: true, PortSecurityEnabled: &off,
		DeviceOwner: "ovn-lb-hm:distributed", DeviceID: "ovn-lb-hm-" + subID,
	})
	g.Expect(err).NotTo(HaveOccurred())
	posts := e.requests(http.MethodPost, "/v2.0/ports")
	g.Expect(posts).To(HaveLen(1))
	g.Expect(string(posts[0].Body)).To(MatchJSON(`{"port": {
		"name": "ovn-lb-hm-` + subID + `",
		"network_id": "` + netID + `",
		"fixed_ips": [{"subnet_id": "` + subID + `"}],
		"admin_state_up": true,
		"port_security_enabled": false,
		"project_id": "` + project + `",
		"device_owner": "ovn-lb-hm:distributed",
		"device_id": "ovn-lb-hm-` + subID + `"}}`))
	stored, ok := e.fake.Port(p.ID)
	g.Expect(ok).To(BeTrue())
	g.Expect(stored.PortSecurityEnabled).To(BeFalse())
	g.Expect(stored.FixedIPs).To(Equal([]fakeneutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.2"}}))
}

func TestCreatePortConflictIsErrConflictWithNeutronTexts(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	_, err := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "member",
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.10"}}})
	g.Expect(err).NotTo(HaveOccurred())

	p, err := e.client.CreatePort(context.Background(), neutron.PortCreate{
		Name: "ovn-lb-vip-" + lbID, NetworkID: netID, ProjectID: project, AdminStateUp: true,
		FixedIPs: []neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.10"}},
	})
	g.Expect(p).To(BeNil())
	g.Expect(errors.Is(err, neutron.ErrConflict)).To(BeTrue())
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeFalse())
	he := httpErr(g, err)
	g.Expect(he.StatusCode).To(Equal(409))
	g.Expect(he.Details).To(Equal("IP address 10.0.0.10 already allocated in subnet " + subID))
	g.Expect(he.Message).To(Equal("ConflictException: 409"))
	g.Expect(he.NeutronType).To(Equal("IpAddressAlreadyAllocated"))
	g.Expect(he.FaultText()).To(Equal(he.Details))
	g.Expect(neutron.StatusCode(err)).To(Equal(409))
	g.Expect(err.Error()).To(ContainSubstring("IP address 10.0.0.10 already allocated"))
	g.Expect(e.fake.Ports()).To(HaveLen(1), "the failed POST created nothing")
	// Create calls are not retried: the caller handles 409 (operations.md §3).
	g.Expect(e.requests(http.MethodPost, "/v2.0/ports")).To(HaveLen(1))
}

func TestInjectedNeutronFaultSurfacesMessageAndDetail(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	e.fake.FailNextWith(http.MethodPost, "/v2.0/ports", 1, fakeneutron.Fault{
		Status: 400, Type: "InvalidInput", Message: "Invalid input for operation: quota exceeded.", Detail: "quota detail",
	})

	_, err := e.client.CreatePort(context.Background(), neutron.PortCreate{NetworkID: netID, AdminStateUp: true})
	he := httpErr(g, err)
	g.Expect(he.StatusCode).To(Equal(400))
	g.Expect(he.Details).To(Equal("Invalid input for operation: quota exceeded."))
	g.Expect(he.Message).To(Equal("BadRequestException: 400"))
	g.Expect(he.NeutronType).To(Equal("InvalidInput"))
	g.Expect(he.NeutronDetail).To(Equal("quota detail"))
	g.Expect(he.Method).To(Equal("POST"))
	g.Expect(he.URL).To(Equal(e.url + "/v2.0/ports"))

	// The rule is used up: the next POST succeeds.
	_, err = e.client.CreatePort(context.Background(), neutron.PortCreate{NetworkID: netID, AdminStateUp: true})
	g.Expect(err).NotTo(HaveOccurred())
}

func TestGetPort(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	seeded, err := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "p1", ProjectID: project, AdminStateUp: true,
		DeviceOwner: "compute:nova", DeviceID: "vm-1",
		FixedIPs: []fakeneutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.20"}}})
	g.Expect(err).NotTo(HaveOccurred())

	p, err := e.client.GetPort(context.Background(), seeded.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*p).To(Equal(neutron.Port{ID: seeded.ID, Name: "p1", NetworkID: netID, ProjectID: project,
		DeviceOwner: "compute:nova", DeviceID: "vm-1", AdminStateUp: true,
		FixedIPs: []neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.20"}}}))
	g.Expect(e.requests(http.MethodGet, "/v2.0/ports/"+seeded.ID)).To(HaveLen(1))

	_, err = e.client.GetPort(context.Background(), "missing")
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
	g.Expect(httpErr(g, err).Details).To(Equal("Port missing could not be found."))
	g.Expect(httpErr(g, err).Message).To(Equal("NotFoundException: 404"))

	_, err = e.client.GetPort(context.Background(), "")
	g.Expect(err).To(MatchError(ContainSubstring("empty id")))
}

func TestListPortsFilters(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	other, err := e.fake.AddNetwork(fakeneutron.Network{Name: "other"})
	g.Expect(err).NotTo(HaveOccurred())
	a, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "a", DeviceOwner: "network:distributed"})
	b, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "b"})
	_, _ = e.fake.AddPort(fakeneutron.Port{NetworkID: other.ID, Name: "a"})

	ids := func(ps []neutron.Port) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	ctx := context.Background()

	ps, err := e.client.ListPorts(ctx, neutron.PortFilter{NetworkID: netID})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids(ps)).To(Equal([]string{a.ID, b.ID}))
	g.Expect(ps[0].FixedIPs).To(Equal([]neutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.2"}}))

	ps, err = e.client.ListPorts(ctx, neutron.PortFilter{NetworkID: netID, Name: "a"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids(ps)).To(Equal([]string{a.ID}))

	ps, err = e.client.ListPorts(ctx, neutron.PortFilter{DeviceOwner: "network:distributed"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids(ps)).To(Equal([]string{a.ID}))

	ps, err = e.client.ListPorts(ctx, neutron.PortFilter{ID: b.ID})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids(ps)).To(Equal([]string{b.ID}))

	ps, err = e.client.ListPorts(ctx, neutron.PortFilter{Name: "nothing"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ps).To(BeEmpty())

	lists := e.requests(http.MethodGet, "/v2.0/ports")
	g.Expect(lists).To(HaveLen(5))
	g.Expect(lists[0].Query).To(Equal(url.Values{"network_id": {netID}}))
	g.Expect(lists[1].Query).To(Equal(url.Values{"network_id": {netID}, "name": {"a"}}))
	g.Expect(lists[2].Query).To(Equal(url.Values{"device_owner": {"network:distributed"}}))
	g.Expect(lists[3].Query).To(Equal(url.Values{"id": {b.ID}}))
}

func TestListPortsRetriesHTTPErrors(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	e.fake.FailNext(http.MethodGet, "/v2.0/ports", 500, 2)

	ps, err := e.client.ListPorts(context.Background(), neutron.PortFilter{NetworkID: netID})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ps).To(BeEmpty())
	reqs := e.requests(http.MethodGet, "/v2.0/ports")
	g.Expect(reqs).To(HaveLen(3))
	g.Expect([]int{reqs[0].Status, reqs[1].Status, reqs[2].Status}).To(Equal([]int{500, 500, 200}))
}

func TestListPortsGivesUpAfterBudget(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	e.fake.FailNext(http.MethodGet, "/v2.0/ports", 503, 1<<30)

	_, err := e.client.ListPorts(context.Background(), neutron.PortFilter{})
	g.Expect(httpErr(g, err).StatusCode).To(Equal(503))
	g.Expect(len(e.requests(http.MethodGet, "/v2.0/ports"))).To(BeNumerically(">", 2))
}

func TestListPortsStopsOnContextCancel(t *testing.T) {
	g := NewWithT(t)
	fake := fakeneutron.New(token)
	u, err := fake.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer fake.Close()
	fake.FailNext("", "/v2.0/ports", 500, 1<<30)
	// A policy that would retry forever: only the context can stop it.
	c, err := neutron.NewFromToken(u, token, neutron.WithLogger(quietLog()),
		neutron.WithListBackoff(neutron.Backoff{Initial: 5 * time.Millisecond}))
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	_, err = c.ListPorts(ctx, neutron.PortFilter{})
	g.Expect(errors.Is(err, context.DeadlineExceeded)).To(BeTrue(), "got %v", err)
	g.Expect(neutron.StatusCode(err)).To(Equal(500), "the last HTTP error stays in the chain")
}

func TestFindPort(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	ctx := context.Background()
	other, err := e.fake.AddNetwork(fakeneutron.Network{Name: "other"})
	g.Expect(err).NotTo(HaveOccurred())
	hm, err := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "ovn-lb-hm-" + subID})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = e.fake.AddPort(fakeneutron.Port{NetworkID: other.ID, Name: "ovn-lb-hm-" + subID})
	g.Expect(err).NotTo(HaveOccurred())

	t.Run("by name restricted to the network", func(t *testing.T) {
		g := NewWithT(t)
		e.fake.ResetRequests()
		p, err := e.client.FindPort(ctx, "ovn-lb-hm-"+subID, netID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p).NotTo(BeNil())
		g.Expect(p.ID).To(Equal(hm.ID))
		// openstacksdk find: GET by id (404), then the filtered list.
		reqs := e.fake.Requests()
		g.Expect(reqs).To(HaveLen(2))
		g.Expect(reqs[0].Method + " " + reqs[0].Path).To(Equal("GET /v2.0/ports/ovn-lb-hm-" + subID))
		g.Expect(reqs[0].Status).To(Equal(404))
		g.Expect(reqs[1].Method + " " + reqs[1].Path).To(Equal("GET /v2.0/ports"))
		g.Expect(reqs[1].Query).To(Equal(url.Values{"name": {"ovn-lb-hm-" + subID}, "network_id": {netID}}))
	})

	t.Run("by id", func(t *testing.T) {
		g := NewWithT(t)
		e.fake.ResetRequests()
		p, err := e.client.FindPort(ctx, hm.ID, netID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.ID).To(Equal(hm.ID))
		g.Expect(e.fake.Requests()).To(HaveLen(1))
	})

	t.Run("none", func(t *testing.T) {
		g := NewWithT(t)
		p, err := e.client.FindPort(ctx, "ovn-lb-hm-unknown", netID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p).To(BeNil())
	})

	t.Run("several", func(t *testing.T) {
		g := NewWithT(t)
		p, err := e.client.FindPort(ctx, "ovn-lb-hm-"+subID, "")
		g.Expect(p).To(BeNil())
		g.Expect(errors.Is(err, neutron.ErrMultipleMatches)).To(BeTrue())
		g.Expect(err).To(MatchError(ContainSubstring("more than one Port exists with the name 'ovn-lb-hm-" + subID + "'")))
	})

	t.Run("retries HTTP errors of the list", func(t *testing.T) {
		g := NewWithT(t)
		e.fake.ResetRequests()
		e.fake.FailNext(http.MethodGet, "/v2.0/ports", 500, 1)
		p, err := e.client.FindPort(ctx, "ovn-lb-hm-"+subID, netID)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(p.ID).To(Equal(hm.ID))
		// 500 on the GET-by-id, then the whole find again: 404 + list.
		statuses := []int{}
		for _, r := range e.fake.Requests() {
			statuses = append(statuses, r.Status)
		}
		g.Expect(statuses).To(Equal([]int{500, 404, 200}))
	})
}

func TestUpdatePortSendsOnlyDeviceFields(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	seeded, err := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: "ovnmeta", DeviceOwner: "network:dhcp"})
	g.Expect(err).NotTo(HaveOccurred())
	owner, dev := "network:distributed", "ovnmeta-"+netID

	p, err := e.client.UpdatePort(context.Background(), seeded.ID, neutron.PortUpdate{DeviceOwner: &owner, DeviceID: &dev})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.DeviceOwner).To(Equal(owner))
	g.Expect(p.DeviceID).To(Equal(dev))
	puts := e.requests(http.MethodPut, "/v2.0/ports/"+seeded.ID)
	g.Expect(puts).To(HaveLen(1))
	g.Expect(string(puts[0].Body)).To(MatchJSON(`{"port": {"device_owner": "network:distributed", "device_id": "ovnmeta-` + netID + `"}}`))
	stored, _ := e.fake.Port(seeded.ID)
	g.Expect(stored.DeviceOwner).To(Equal(owner))

	_, err = e.client.UpdatePort(context.Background(), "missing", neutron.PortUpdate{DeviceID: &dev})
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
	_, err = e.client.UpdatePort(context.Background(), seeded.ID, neutron.PortUpdate{})
	g.Expect(err).To(MatchError(ContainSubstring("no field to update")))
}

func TestDeletePort(t *testing.T) {
	ctx := context.Background()

	t.Run("deletes", func(t *testing.T) {
		g := NewWithT(t)
		e := newEnv(t)
		p, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID})
		g.Expect(e.client.DeletePort(ctx, p.ID)).To(Succeed())
		g.Expect(e.fake.Ports()).To(BeEmpty())
		reqs := e.requests(http.MethodDelete, "/v2.0/ports/"+p.ID)
		g.Expect(reqs).To(HaveLen(1))
		g.Expect(reqs[0].Status).To(Equal(204))
	})

	t.Run("404 is success", func(t *testing.T) {
		g := NewWithT(t)
		e := newEnv(t)
		g.Expect(e.client.DeletePort(ctx, "gone")).To(Succeed())
		reqs := e.requests(http.MethodDelete, "/v2.0/ports/gone")
		g.Expect(reqs).To(HaveLen(1), "404 is final, not retried")
		g.Expect(reqs[0].Status).To(Equal(404))
	})

	t.Run("retries 500 then succeeds", func(t *testing.T) {
		g := NewWithT(t)
		e := newEnv(t)
		p, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID})
		e.fake.FailNext(http.MethodDelete, "/v2.0/ports/", 500, 2)
		g.Expect(e.client.DeletePort(ctx, p.ID)).To(Succeed())
		reqs := e.requests(http.MethodDelete, "/v2.0/ports/"+p.ID)
		g.Expect(reqs).To(HaveLen(3))
		g.Expect([]int{reqs[0].Status, reqs[1].Status, reqs[2].Status}).To(Equal([]int{500, 500, 204}))
		g.Expect(e.fake.Ports()).To(BeEmpty())
	})

	t.Run("gives up after MaxAttempts", func(t *testing.T) {
		g := NewWithT(t)
		e := newEnv(t)
		p, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID})
		e.fake.FailNext(http.MethodDelete, "/v2.0/ports/", 500, 100)
		err := e.client.DeletePort(ctx, p.ID)
		g.Expect(httpErr(g, err).StatusCode).To(Equal(500))
		g.Expect(e.requests(http.MethodDelete, "/v2.0/ports/"+p.ID)).To(HaveLen(fastDelete.MaxAttempts))
		g.Expect(e.fake.Ports()).To(HaveLen(1))
	})
}

func TestGetSubnet(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	v6, err := e.fake.AddSubnet(fakeneutron.Subnet{NetworkID: netID, Name: "v6", CIDR: "fd00:1::/64"})
	g.Expect(err).NotTo(HaveOccurred())

	s, err := e.client.GetSubnet(context.Background(), subID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*s).To(Equal(neutron.Subnet{ID: subID, NetworkID: netID, CIDR: "10.0.0.0/24", IPVersion: 4, GatewayIP: "10.0.0.1"}))

	s, err = e.client.GetSubnet(context.Background(), v6.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*s).To(Equal(neutron.Subnet{ID: v6.ID, Name: "v6", NetworkID: netID, CIDR: "fd00:1::/64", IPVersion: 6}))

	_, err = e.client.GetSubnet(context.Background(), "nope")
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
	g.Expect(httpErr(g, err).Details).To(Equal("Subnet nope could not be found."))
}

func TestGetNetworkReadsPhysicalNetwork(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	prov, err := e.fake.AddNetwork(fakeneutron.Network{Name: "public", PhysicalNetwork: "datacentre", NetworkType: "flat"})
	g.Expect(err).NotTo(HaveOccurred())

	n, err := e.client.GetNetwork(context.Background(), prov.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*n).To(Equal(neutron.Network{ID: prov.ID, Name: "public", PhysicalNetwork: "datacentre", NetworkType: "flat"}))

	n, err = e.client.GetNetwork(context.Background(), netID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*n).To(Equal(neutron.Network{ID: netID, Name: "private", NetworkType: "geneve"}))

	_, err = e.client.GetNetwork(context.Background(), "nope")
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
}

func TestFloatingIPs(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	ctx := context.Background()
	vip, _ := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: subID, IPAddress: "10.0.0.5"}}})
	f, err := e.fake.AddFloatingIP(fakeneutron.FloatingIP{FloatingIPAddress: "172.24.4.10", FloatingNetworkID: "ext",
		FixedIPAddress: "10.0.0.5", PortID: vip.ID, RouterID: "r1", ProjectID: project, Description: "keep me"})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = e.fake.AddFloatingIP(fakeneutron.FloatingIP{FloatingIPAddress: "172.24.4.11", FloatingNetworkID: "ext"})
	g.Expect(err).NotTo(HaveOccurred())

	want := neutron.FloatingIP{ID: f.ID, Description: "keep me", FloatingIPAddress: "172.24.4.10", FloatingNetworkID: "ext",
		FixedIPAddress: "10.0.0.5", PortID: vip.ID, RouterID: "r1", ProjectID: project, Status: "ACTIVE"}

	got, err := e.client.GetFloatingIP(ctx, f.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(*got).To(Equal(want))

	list, err := e.client.ListFloatingIPs(ctx, vip.ID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(Equal([]neutron.FloatingIP{want}))
	lists := e.requests(http.MethodGet, "/v2.0/floatingips")
	g.Expect(lists).To(HaveLen(1))
	g.Expect(lists[0].Query).To(Equal(url.Values{"port_id": {vip.ID}}))

	list, err = e.client.ListFloatingIPs(ctx, "no-such-port")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(list).To(BeEmpty())
	_, err = e.client.ListFloatingIPs(ctx, "")
	g.Expect(err).To(HaveOccurred())

	// The DVR "touch": PUT the unchanged description.
	g.Expect(e.client.UpdateFloatingIPDescription(ctx, f.ID, "keep me")).To(Succeed())
	g.Expect(e.client.UpdateFloatingIPDescription(ctx, f.ID, "")).To(Succeed())
	puts := e.requests(http.MethodPut, "/v2.0/floatingips/"+f.ID)
	g.Expect(puts).To(HaveLen(2))
	g.Expect(string(puts[0].Body)).To(MatchJSON(`{"floatingip": {"description": "keep me"}}`))
	g.Expect(string(puts[1].Body)).To(MatchJSON(`{"floatingip": {"description": ""}}`))
	g.Expect(e.fake.FloatingIPs()[0].Description).To(BeEmpty())

	_, err = e.client.GetFloatingIP(ctx, "nope")
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
	g.Expect(httpErr(g, err).Details).To(Equal("Floating IP nope could not be found."))
	err = e.client.UpdateFloatingIPDescription(ctx, "nope", "x")
	g.Expect(errors.Is(err, neutron.ErrNotFound)).To(BeTrue())
}

func TestTokenHeaderIsRequired(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.client.GetNetwork(ctx, netID)
	g.Expect(err).NotTo(HaveOccurred())

	bad, err := neutron.NewFromToken(e.url, "wrong", neutron.WithLogger(quietLog()))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = bad.GetNetwork(ctx, netID)
	he := httpErr(g, err)
	g.Expect(he.StatusCode).To(Equal(401))
	g.Expect(he.Details).To(Equal("The request you have made requires authentication."))
	g.Expect(he.Message).To(Equal("HttpException: 401"))

	reqs := e.requests(http.MethodGet, "/v2.0/networks/"+netID)
	g.Expect(reqs).To(HaveLen(2))
	g.Expect([]int{reqs[0].Status, reqs[1].Status}).To(Equal([]int{200, 401}))
}

func TestEndpointNormalisation(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	for _, ep := range []string{e.url, e.url + "/", e.url + "/v2.0", e.url + "/v2.0/"} {
		c, err := neutron.NewFromToken(ep, token, neutron.WithLogger(quietLog()))
		g.Expect(err).NotTo(HaveOccurred())
		_, err = c.GetSubnet(context.Background(), subID)
		g.Expect(err).NotTo(HaveOccurred(), "endpoint %q", ep)
	}
	g.Expect(e.requests(http.MethodGet, "/v2.0/subnets/"+subID)).To(HaveLen(4))

	for _, ep := range []string{"", "127.0.0.1:9696", "ftp://x/"} {
		_, err := neutron.NewFromToken(ep, token)
		g.Expect(err).To(HaveOccurred(), "endpoint %q", ep)
	}
	_, err := neutron.NewFromToken(e.url, "")
	g.Expect(err).To(MatchError("empty Neutron token"))
}

// Names reach the GET-by-id step of find: they must stay one path segment.
func TestFindPortEscapesNames(t *testing.T) {
	g := NewWithT(t)
	e := newEnv(t)
	odd := "a/b?c=d"
	p, err := e.fake.AddPort(fakeneutron.Port{NetworkID: netID, Name: odd})
	g.Expect(err).NotTo(HaveOccurred())

	got, err := e.client.FindPort(context.Background(), odd, netID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.ID).To(Equal(p.ID))
	reqs := e.fake.Requests()
	g.Expect(reqs[0].Path).To(Equal("/v2.0/ports/" + odd))
	g.Expect(reqs[0].Query).To(BeEmpty())
}
