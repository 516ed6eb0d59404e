package fakeneutron_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

const tok = "t0k"

type harness struct {
	t    *testing.T
	s    *fakeneutron.Server
	url  string
	net  fakeneutron.Network
	sub  fakeneutron.Subnet
	http *http.Client
}

func start(t *testing.T) *harness {
	t.Helper()
	g := NewWithT(t)
	s := fakeneutron.New(tok)
	u, err := s.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(s.Close)
	n, err := s.AddNetwork(fakeneutron.Network{Name: "private", ProjectID: "p1"})
	g.Expect(err).NotTo(HaveOccurred())
	sub, err := s.AddSubnet(fakeneutron.Subnet{NetworkID: n.ID, CIDR: "10.0.0.0/29", GatewayIP: "10.0.0.1"})
	g.Expect(err).NotTo(HaveOccurred())
	return &harness{t: t, s: s, url: u, net: n, sub: sub, http: &http.Client{}}
}

// do sends a request with the right token and returns status and decoded body.
func (h *harness) do(method, path, body string) (int, map[string]any) {
	return h.doToken(method, path, body, tok)
}

func (h *harness) doToken(method, path, body, token string) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := h.http.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(raw) == 0 {
		return resp.StatusCode, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		h.t.Fatalf("body %q: %v", raw, err)
	}
	return resp.StatusCode, out
}

func neutronError(typ, msg string) map[string]any {
	return map[string]any{"NeutronError": map[string]any{"type": typ, "message": msg, "detail": ""}}
}

func (h *harness) createPort(fixedIPs string) (int, map[string]any) {
	body := fmt.Sprintf(`{"port": {"network_id": %q, "name": "x"`, h.net.ID)
	if fixedIPs != "" {
		body += `, "fixed_ips": ` + fixedIPs
	}
	return h.do("POST", "/v2.0/ports", body+"}}")
}

func portIPs(body map[string]any) []any {
	return body["port"].(map[string]any)["fixed_ips"].([]any)
}

func TestAuth(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	status, body := h.doToken("GET", "/v2.0/networks/"+h.net.ID, "", "")
	g.Expect(status).To(Equal(401))
	g.Expect(body).To(HaveKeyWithValue("error", HaveKeyWithValue("message", "The request you have made requires authentication.")))
	status, _ = h.doToken("GET", "/v2.0/networks/"+h.net.ID, "", "other")
	g.Expect(status).To(Equal(401))
	status, _ = h.do("GET", "/v2.0/networks/"+h.net.ID, "")
	g.Expect(status).To(Equal(200))

	// Version discovery needs no token, like Neutron's root resource.
	status, body = h.doToken("GET", "/", "", "")
	g.Expect(status).To(Equal(200))
	g.Expect(body["versions"]).To(HaveLen(1))

	reqs := h.s.Requests()
	g.Expect(reqs).To(HaveLen(4))
	g.Expect([]int{reqs[0].Status, reqs[1].Status, reqs[2].Status, reqs[3].Status}).To(Equal([]int{401, 401, 200, 200}))

	h.s.SetToken("new")
	status, _ = h.do("GET", "/v2.0/networks/"+h.net.ID, "")
	g.Expect(status).To(Equal(401))
}

func TestPortCreateAllocatesAndConflicts(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	sub := h.sub.ID

	// Lowest free host address, skipping the network address and the gateway.
	status, body := h.createPort(fmt.Sprintf(`[{"subnet_id": %q}]`, sub))
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(Equal([]any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.2"}}))
	p := body["port"].(map[string]any)
	g.Expect(p).To(HaveKeyWithValue("admin_state_up", true))
	g.Expect(p).To(HaveKeyWithValue("port_security_enabled", true))
	g.Expect(p).To(HaveKeyWithValue("project_id", "p1"))
	g.Expect(p).To(HaveKeyWithValue("mac_address", MatchRegexp(`^fa:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$`)))

	// Explicit address in use → 409 IpAddressAlreadyAllocated.
	status, body = h.createPort(fmt.Sprintf(`[{"subnet_id": %q, "ip_address": "10.0.0.2"}]`, sub))
	g.Expect(status).To(Equal(409))
	g.Expect(body).To(Equal(neutronError("IpAddressAlreadyAllocated", "IP address 10.0.0.2 already allocated in subnet "+sub)))

	// The subnet is found from the address alone.
	status, body = h.createPort(`[{"ip_address": "10.0.0.5"}]`)
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(Equal([]any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.5"}}))

	// No fixed_ips: one address on the network's first subnet. [] : none.
	status, body = h.createPort("")
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(Equal([]any{map[string]any{"subnet_id": sub, "ip_address": "10.0.0.3"}}))
	status, body = h.createPort("[]")
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(BeEmpty())

	// The same address twice in one request.
	status, _ = h.createPort(fmt.Sprintf(`[{"subnet_id": %q, "ip_address": "10.0.0.6"}, {"subnet_id": %q, "ip_address": "10.0.0.6"}]`, sub, sub))
	g.Expect(status).To(Equal(409))

	// /29: .4 and .6 are left (.7 is broadcast), then the pool is exhausted.
	for _, want := range []string{"10.0.0.4", "10.0.0.6"} {
		status, body = h.createPort(fmt.Sprintf(`[{"subnet_id": %q}]`, sub))
		g.Expect(status).To(Equal(201))
		g.Expect(portIPs(body)).To(Equal([]any{map[string]any{"subnet_id": sub, "ip_address": want}}))
	}
	status, body = h.createPort(fmt.Sprintf(`[{"subnet_id": %q}]`, sub))
	g.Expect(status).To(Equal(409))
	g.Expect(body).To(Equal(neutronError("IpAddressGenerationFailure", "No more IP addresses available on network "+h.net.ID+".")))

	g.Expect(h.s.Ports()).To(HaveLen(6), "failed POSTs store nothing")
}

func TestPortCreateRejectsBadInput(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	other, err := h.s.AddNetwork(fakeneutron.Network{})
	g.Expect(err).NotTo(HaveOccurred())
	otherSub, err := h.s.AddSubnet(fakeneutron.Subnet{NetworkID: other.ID, CIDR: "10.9.0.0/24"})
	g.Expect(err).NotTo(HaveOccurred())

	cases := []struct {
		body   string
		status int
		typ    string
		msg    string
	}{
		{`{"port": {"network_id": "` + h.net.ID + `", "bogus": 1, "alsobad": 2}}`, 400, "HTTPBadRequest", "Unrecognized attribute(s) 'alsobad, bogus'"},
		{`{"port": {"name": "x"}}`, 400, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified"},
		{`{"port": {"network_id": "nope"}}`, 404, "NetworkNotFound", "Network nope could not be found."},
		{`{"port": {"network_id": "` + h.net.ID + `", "fixed_ips": [{"subnet_id": "` + otherSub.ID + `"}]}}`, 400, "InvalidInput",
			"Invalid input for operation: Failed to create port on network " + h.net.ID + ", because fixed_ips included invalid subnet " + otherSub.ID + "."},
		{`{"port": {"network_id": "` + h.net.ID + `", "fixed_ips": [{"subnet_id": "` + h.sub.ID + `", "ip_address": "10.1.0.5"}]}}`, 400, "InvalidIpForSubnet",
			"IP address 10.1.0.5 is not a valid IP for the specified subnet."},
		{`{"port": {"network_id": "` + h.net.ID + `", "fixed_ips": [{"ip_address": "10.1.0.5"}]}}`, 400, "InvalidIpForNetwork",
			"IP address 10.1.0.5 is not a valid IP for any of the subnets on the specified network."},
		{`{"port": {"network_id": "` + h.net.ID + `", "fixed_ips": [{"ip_address": "ten"}]}}`, 400, "InvalidInput",
			"Invalid input for operation: 'ten' is not a valid IP address."},
		{`{"port": {"network_id": "` + h.net.ID + `", "fixed_ips": [{}]}}`, 400, "InvalidInput",
			"Invalid input for operation: IP allocation requires subnet_id or ip_address."},
	}
	for _, tc := range cases {
		status, body := h.do("POST", "/v2.0/ports", tc.body)
		g.Expect(status).To(Equal(tc.status), tc.body)
		g.Expect(body).To(Equal(neutronError(tc.typ, tc.msg)), tc.body)
	}
	for _, bad := range []string{`[]`, `{"ports": {}}`, `{"port": 1}`, `{"port": {"admin_state_up": "yes", "network_id": "x"}}`, `nope`} {
		status, _ := h.do("POST", "/v2.0/ports", bad)
		g.Expect(status).To(Equal(400), bad)
	}
	g.Expect(h.s.Ports()).To(BeEmpty())
}

func TestIPv6Allocation(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	v6, err := h.s.AddSubnet(fakeneutron.Subnet{NetworkID: h.net.ID, CIDR: "fd00:10::/64"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v6.IPVersion).To(Equal(6))
	status, body := h.createPort(fmt.Sprintf(`[{"subnet_id": %q}, {"subnet_id": %q}]`, v6.ID, h.sub.ID))
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(Equal([]any{
		map[string]any{"subnet_id": v6.ID, "ip_address": "fd00:10::1"},
		map[string]any{"subnet_id": h.sub.ID, "ip_address": "10.0.0.2"},
	}))
}

func TestListPortsFilters(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	a, err := h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID, Name: "a", DeviceOwner: "network:distributed"})
	g.Expect(err).NotTo(HaveOccurred())
	b, err := h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID, Name: "b", FixedIPs: []fakeneutron.FixedIP{}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(a.FixedIPs).To(Equal([]fakeneutron.FixedIP{{SubnetID: h.sub.ID, IPAddress: "10.0.0.2"}}))
	g.Expect(b.FixedIPs).To(BeEmpty())

	names := func(body map[string]any) []string {
		var out []string
		for _, p := range body["ports"].([]any) {
			out = append(out, p.(map[string]any)["name"].(string))
		}
		return out
	}
	_, body := h.do("GET", "/v2.0/ports", "")
	g.Expect(names(body)).To(Equal([]string{"a", "b"}))
	_, body = h.do("GET", "/v2.0/ports?name=b&network_id="+h.net.ID, "")
	g.Expect(names(body)).To(Equal([]string{"b"}))
	_, body = h.do("GET", "/v2.0/ports?device_owner=network:distributed", "")
	g.Expect(names(body)).To(Equal([]string{"a"}))
	_, body = h.do("GET", "/v2.0/ports?id="+a.ID+"&id="+b.ID, "")
	g.Expect(names(body)).To(Equal([]string{"a", "b"}))
	_, body = h.do("GET", "/v2.0/ports?name=zzz", "")
	g.Expect(body).To(Equal(map[string]any{"ports": []any{}}))
	status, body := h.do("GET", "/v2.0/ports?colour=red", "")
	g.Expect(status).To(Equal(400))
	g.Expect(body).To(Equal(neutronError("HTTPBadRequest", "[colour] is invalid attribute for filtering")))
}

func TestPortUpdateAndDelete(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	p, err := h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID, Name: "p"})
	g.Expect(err).NotTo(HaveOccurred())
	fip, err := h.s.AddFloatingIP(fakeneutron.FloatingIP{FloatingIPAddress: "172.24.4.5", PortID: p.ID, FixedIPAddress: "10.0.0.2"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(fip.Status).To(Equal("ACTIVE"))

	status, body := h.do("PUT", "/v2.0/ports/"+p.ID, `{"port": {"device_owner": "o", "device_id": "d"}}`)
	g.Expect(status).To(Equal(200))
	g.Expect(body["port"]).To(And(HaveKeyWithValue("device_owner", "o"), HaveKeyWithValue("device_id", "d"), HaveKeyWithValue("name", "p")))
	status, _ = h.do("PUT", "/v2.0/ports/"+p.ID, `{"port": {"fixed_ips": []}}`)
	g.Expect(status).To(Equal(400))
	status, _ = h.do("PUT", "/v2.0/ports/nope", `{"port": {"device_id": "d"}}`)
	g.Expect(status).To(Equal(404))

	status, body = h.do("DELETE", "/v2.0/ports/"+p.ID, "")
	g.Expect(status).To(Equal(204))
	g.Expect(body).To(BeNil())
	status, body = h.do("DELETE", "/v2.0/ports/"+p.ID, "")
	g.Expect(status).To(Equal(404))
	g.Expect(body).To(Equal(neutronError("PortNotFound", "Port "+p.ID+" could not be found.")))
	g.Expect(h.s.Ports()).To(BeEmpty())
	// Neutron disassociates the floating IP of a deleted port.
	f := h.s.FloatingIPs()[0]
	g.Expect(f.PortID).To(BeEmpty())
	g.Expect(f.FixedIPAddress).To(BeEmpty())
	g.Expect(f.Status).To(Equal("DOWN"))

	// The address is free again.
	status, body = h.createPort(fmt.Sprintf(`[{"subnet_id": %q}]`, h.sub.ID))
	g.Expect(status).To(Equal(201))
	g.Expect(portIPs(body)).To(Equal([]any{map[string]any{"subnet_id": h.sub.ID, "ip_address": "10.0.0.2"}}))
}

func TestSubnetNetworkAndFloatingIPResources(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	phys, err := h.s.AddNetwork(fakeneutron.Network{Name: "ext", PhysicalNetwork: "physnet1", NetworkType: "flat"})
	g.Expect(err).NotTo(HaveOccurred())

	status, body := h.do("GET", "/v2.0/subnets/"+h.sub.ID, "")
	g.Expect(status).To(Equal(200))
	g.Expect(body["subnet"]).To(And(HaveKeyWithValue("cidr", "10.0.0.0/29"), HaveKeyWithValue("gateway_ip", "10.0.0.1"),
		HaveKeyWithValue("ip_version", BeNumerically("==", 4)), HaveKeyWithValue("network_id", h.net.ID)))

	_, body = h.do("GET", "/v2.0/networks/"+h.net.ID, "")
	g.Expect(body["network"]).To(And(HaveKeyWithValue("provider:physical_network", BeNil()),
		HaveKeyWithValue("subnets", []any{h.sub.ID})))
	_, body = h.do("GET", "/v2.0/networks/"+phys.ID, "")
	g.Expect(body["network"]).To(And(HaveKeyWithValue("provider:physical_network", "physnet1"),
		HaveKeyWithValue("provider:network_type", "flat")))
	status, body = h.do("GET", "/v2.0/networks/nope", "")
	g.Expect(status).To(Equal(404))
	g.Expect(body).To(Equal(neutronError("NetworkNotFound", "Network nope could not be found.")))

	p, err := h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID})
	g.Expect(err).NotTo(HaveOccurred())
	f, err := h.s.AddFloatingIP(fakeneutron.FloatingIP{FloatingIPAddress: "172.24.4.5", Description: "d0"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(f.Status).To(Equal("DOWN"))

	status, body = h.do("PUT", "/v2.0/floatingips/"+f.ID, fmt.Sprintf(`{"floatingip": {"port_id": %q, "description": "d1"}}`, p.ID))
	g.Expect(status).To(Equal(200))
	g.Expect(body["floatingip"]).To(And(HaveKeyWithValue("port_id", p.ID), HaveKeyWithValue("fixed_ip_address", "10.0.0.2"),
		HaveKeyWithValue("description", "d1"), HaveKeyWithValue("status", "ACTIVE")))
	_, body = h.do("GET", "/v2.0/floatingips?port_id="+p.ID, "")
	g.Expect(body["floatingips"]).To(HaveLen(1))
	status, body = h.do("PUT", "/v2.0/floatingips/"+f.ID, `{"floatingip": {"port_id": null}}`)
	g.Expect(status).To(Equal(200))
	g.Expect(body["floatingip"]).To(And(HaveKeyWithValue("port_id", BeNil()), HaveKeyWithValue("description", "d1")))
	_, body = h.do("GET", "/v2.0/floatingips?port_id="+p.ID, "")
	g.Expect(body["floatingips"]).To(BeEmpty())
	status, _ = h.do("PUT", "/v2.0/floatingips/"+f.ID, `{"floatingip": {"floating_ip_address": "1.2.3.4"}}`)
	g.Expect(status).To(Equal(400))

	status, _ = h.do("DELETE", "/v2.0/subnets/"+h.sub.ID, "")
	g.Expect(status).To(Equal(405))
	status, _ = h.do("GET", "/v2.0/routers", "")
	g.Expect(status).To(Equal(404))
	status, _ = h.do("GET", "/v2.0/ports/a/b", "")
	g.Expect(status).To(Equal(404))
}

func TestFailNext(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	h.s.FailNext("DELETE", "/v2.0/ports/", 500, 2)
	h.s.FailNextWith("", "/v2.0/subnets", 1, fakeneutron.Fault{Status: 503, Type: "T", Message: "M", Detail: "D"})

	// Other methods and paths are unaffected.
	status, _ := h.do("GET", "/v2.0/ports", "")
	g.Expect(status).To(Equal(200))

	for i := 0; i < 2; i++ {
		status, body := h.do("DELETE", "/v2.0/ports/x", "")
		g.Expect(status).To(Equal(500))
		g.Expect(body).To(Equal(neutronError("HTTPInternalServerError", "fake neutron: injected 500 Internal Server Error")))
	}
	status, _ = h.do("DELETE", "/v2.0/ports/x", "")
	g.Expect(status).To(Equal(404), "used up: real handling again")

	status, body := h.do("GET", "/v2.0/subnets/"+h.sub.ID, "")
	g.Expect(status).To(Equal(503))
	g.Expect(body).To(Equal(map[string]any{"NeutronError": map[string]any{"type": "T", "message": "M", "detail": "D"}}))
	status, _ = h.do("GET", "/v2.0/subnets/"+h.sub.ID, "")
	g.Expect(status).To(Equal(200))

	// Unauthenticated requests are refused before failure rules are consulted.
	h.s.FailNext("", "/", 500, 1)
	status, _ = h.doToken("GET", "/v2.0/ports", "", "bad")
	g.Expect(status).To(Equal(401))
	status, _ = h.do("GET", "/v2.0/ports", "")
	g.Expect(status).To(Equal(500))
}

func TestRequestsAreRecorded(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	body := fmt.Sprintf(`{"port": {"network_id": %q}}`, h.net.ID)
	h.do("POST", "/v2.0/ports", body)
	h.do("GET", "/v2.0/ports?name=a&name=b", "")

	reqs := h.s.Requests()
	g.Expect(reqs).To(HaveLen(2))
	g.Expect(reqs[0].Method).To(Equal("POST"))
	g.Expect(reqs[0].Path).To(Equal("/v2.0/ports"))
	g.Expect(string(reqs[0].Body)).To(Equal(body))
	g.Expect(reqs[0].Status).To(Equal(201))
	g.Expect(reqs[1].Query["name"]).To(Equal([]string{"a", "b"}))

	// Copies: mutating them does not touch the record.
	reqs[0].Body[0] = 'X'
	reqs[1].Query.Set("name", "z")
	again := h.s.Requests()
	g.Expect(string(again[0].Body)).To(Equal(body))
	g.Expect(again[1].Query["name"]).To(Equal([]string{"a", "b"}))

	h.s.ResetRequests()
	g.Expect(h.s.Requests()).To(BeEmpty())
}

func TestHooksValidate(t *testing.T) {
	g := NewWithT(t)
	h := start(t)
	_, err := h.s.AddNetwork(fakeneutron.Network{ID: h.net.ID})
	g.Expect(err).To(MatchError(ContainSubstring("already exists")))
	_, err = h.s.AddSubnet(fakeneutron.Subnet{NetworkID: "nope", CIDR: "10.1.0.0/24"})
	g.Expect(err).To(MatchError(ContainSubstring(`network "nope" not found`)))
	_, err = h.s.AddSubnet(fakeneutron.Subnet{NetworkID: h.net.ID, CIDR: "10.1.0.0/33"})
	g.Expect(err).To(MatchError(ContainSubstring("bad CIDR")))
	_, err = h.s.AddSubnet(fakeneutron.Subnet{NetworkID: h.net.ID, CIDR: "10.1.0.0/24", GatewayIP: "10.2.0.1"})
	g.Expect(err).To(MatchError(ContainSubstring("is not in 10.1.0.0/24")))
	_, err = h.s.AddSubnet(fakeneutron.Subnet{NetworkID: h.net.ID, CIDR: "10.1.0.0/24", IPVersion: 6})
	g.Expect(err).To(MatchError(ContainSubstring("does not match")))
	s, err := h.s.AddSubnet(fakeneutron.Subnet{NetworkID: h.net.ID, CIDR: "10.1.0.7/24"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(s.CIDR).To(Equal("10.1.0.0/24"))

	_, err = h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: h.sub.ID, IPAddress: "10.0.0.3"}}})
	g.Expect(err).NotTo(HaveOccurred())
	_, err = h.s.AddPort(fakeneutron.Port{NetworkID: h.net.ID, FixedIPs: []fakeneutron.FixedIP{{SubnetID: h.sub.ID, IPAddress: "10.0.0.3"}}})
	g.Expect(err).To(MatchError(ContainSubstring("IP address 10.0.0.3 already allocated")))
	_, err = h.s.AddPort(fakeneutron.Port{NetworkID: "nope"})
	g.Expect(err).To(HaveOccurred())
	_, err = h.s.AddFloatingIP(fakeneutron.FloatingIP{PortID: "nope"})
	g.Expect(err).To(HaveOccurred())
	g.Expect(h.s.Ports()).To(HaveLen(1))
}

func TestLifecycle(t *testing.T) {
	g := NewWithT(t)
	s := fakeneutron.New(tok)
	s.Close() // before Start: no-op
	u, err := s.Start()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(u).To(MatchRegexp(`^http://127\.0\.0\.1:\d+$`))
	g.Expect(s.URL()).To(Equal(u))
	_, err = s.Start()
	g.Expect(err).To(HaveOccurred())
	s.Close()
	s.Close()
	_, err = http.Get(u + "/")
	g.Expect(err).To(HaveOccurred(), "listener closed")
}

func TestConcurrentCreatesGetDistinctAddresses(t *testing.T) {
	g := NewWithT(t)
	s := fakeneutron.New(tok)
	u, err := s.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer s.Close()
	n, _ := s.AddNetwork(fakeneutron.Network{})
	sub, err := s.AddSubnet(fakeneutron.Subnet{NetworkID: n.ID, CIDR: "10.0.0.0/24"})
	g.Expect(err).NotTo(HaveOccurred())

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", u+"/v2.0/ports",
				bytes.NewBufferString(fmt.Sprintf(`{"port": {"network_id": %q, "fixed_ips": [{"subnet_id": %q}]}}`, n.ID, sub.ID)))
			req.Header.Set("X-Auth-Token", tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			_ = resp.Body.Close()
			if resp.StatusCode != 201 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}
	seen := map[string]bool{}
	for _, p := range s.Ports() {
		seen[p.FixedIPs[0].IPAddress] = true
	}
	g.Expect(seen).To(HaveLen(40))
	g.Expect(s.Requests()).To(HaveLen(40))
}
