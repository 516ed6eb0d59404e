// Package fakeneutron is a small in-memory fake of the Neutron REST API, served
// over real HTTP on 127.0.0.1. It covers exactly what the provider calls
// (operations.md §13): ports (list with filters, get, create with IP
// allocation and 409 on a used address, update, delete), subnets and networks
// by id, and floating IPs (list by port, get, update).
//
// It is a normal (non-test) package so that both Ginkgo suites and the `demo`
// command can run it. Every request is recorded for assertions, and test hooks
// seed data and inject failures. It does not import package neutron, so that
// package's own tests can use it.
package fakeneutron

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Network is a Neutron network.
type Network struct {
	ID        string
	Name      string
	ProjectID string
	// PhysicalNetwork is provider:physical_network ("" is sent as null).
	PhysicalNetwork string
	// NetworkType is provider:network_type (default "geneve").
	NetworkType string
}

// Subnet is a Neutron subnet. IPVersion is derived from CIDR when 0.
// GatewayIP "" means no gateway (sent as null).
type Subnet struct {
	ID        string
	Name      string
	NetworkID string
	ProjectID string
	CIDR      string
	IPVersion int
	GatewayIP string
}

// FixedIP is one fixed_ips entry of a port.
type FixedIP struct {
	SubnetID  string `json:"subnet_id"`
	IPAddress string `json:"ip_address"`
}

// Port is a Neutron port.
type Port struct {
	ID                  string
	Name                string
	NetworkID           string
	ProjectID           string
	DeviceOwner         string
	DeviceID            string
	MACAddress          string
	Description         string
	FixedIPs            []FixedIP
	AdminStateUp        bool
	PortSecurityEnabled bool
}

// FloatingIP is a Neutron floating IP.
type FloatingIP struct {
	ID                string
	Description       string
	FloatingIPAddress string
	FloatingNetworkID string
	FixedIPAddress    string
	PortID            string
	RouterID          string
	ProjectID         string
	Status            string
}

// Request is one recorded HTTP request and the status the fake answered.
type Request struct {
	Method string
	// Path is the decoded URL path, e.g. "/v2.0/ports/<id>".
	Path   string
	Query  url.Values
	Body   []byte
	Status int
}

// Fault is the error an injected failure answers with, as a Neutron fault
// body {"NeutronError": {"type", "message", "detail"}}.
type Fault struct {
	Status  int
	Type    string
	Message string
	Detail  string
}

type failure struct {
	method, prefix string
	remaining      int
	fault          Fault
}

// Server is the fake. Create it with New, seed it with the Add* hooks (before
// or after Start), serve with Start, stop with Close.
type Server struct {
	mu       sync.Mutex
	token    string
	networks map[string]*Network
	subnets  map[string]*Subnet
	ports    map[string]*Port
	fips     map[string]*FloatingIP
	// Insertion orders, so that lists are stable like Neutron's (by creation).
	netOrder, subnetOrder, portOrder, fipOrder []string
	failures                                   []*failure
	requests                                   []Request
	macSeq                                     uint32

	srv  *http.Server
	done chan struct{}
	url  string
}

// New returns a fake that requires X-Auth-Token == token on every request.
func New(token string) *Server {
	return &Server{
		token:    token,
		networks: map[string]*Network{},
		subnets:  map[string]*Subnet{},
		ports:    map[string]*Port{},
		fips:     map[string]*FloatingIP{},
	}
}

// Start listens on 127.0.0.1 (random port) and serves in the background. It
// returns the endpoint URL ("http://127.0.0.1:<port>", no version suffix, as
// in a Keystone catalog).
func (s *Server) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return "", errors.New("fake neutron already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fake neutron listen: %w", err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.done = make(chan struct{})
	s.url = "http://" + ln.Addr().String()
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		// ErrServerClosed after Close; nothing else to report to anyone.
		_ = srv.Serve(ln)
	}(s.srv, s.done)
	return s.url, nil
}

// URL returns the endpoint after Start, else "".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the listener, closes every connection (clients see a
// connection error for an in-flight request, as with a Neutron that dies) and
// waits for the serving goroutine. Safe to call more than once and without
// Start. (http.Server.Shutdown would wait for idle keep-alive connections with
// polling up to 500 ms, which only slows suites down.)
func (s *Server) Close() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-done
}

// SetToken changes the accepted token (e.g. to test re-authentication).
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// AddNetwork stores n (a UUID is assigned when ID is empty) and returns the stored copy.
func (s *Server) AddNetwork(n Network) (Network, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.ID == "" {
		n.ID = newID()
	}
	if _, ok := s.networks[n.ID]; ok {
		return Network{}, fmt.Errorf("network %s already exists", n.ID)
	}
	if n.NetworkType == "" {
		n.NetworkType = "geneve"
	}
	s.networks[n.ID] = &n
	s.netOrder = append(s.netOrder, n.ID)
	return n, nil
}

// AddSubnet stores sub; its network must exist and CIDR must parse.
func (s *Server) AddSubnet(sub Subnet) (Subnet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub.ID == "" {
		sub.ID = newID()
	}
	if _, ok := s.subnets[sub.ID]; ok {
		return Subnet{}, fmt.Errorf("subnet %s already exists", sub.ID)
	}
	if _, ok := s.networks[sub.NetworkID]; !ok {
		return Subnet{}, fmt.Errorf("subnet %s: network %q not found", sub.ID, sub.NetworkID)
	}
	prefix, err := netip.ParsePrefix(sub.CIDR)
	if err != nil {
		return Subnet{}, fmt.Errorf("subnet %s: bad CIDR: %w", sub.ID, err)
	}
	prefix = prefix.Masked()
	sub.CIDR = prefix.String()
	version := 4
	if prefix.Addr().Is6() {
		version = 6
	}
	if sub.IPVersion == 0 {
		sub.IPVersion = version
	} else if sub.IPVersion != version {
		return Subnet{}, fmt.Errorf("subnet %s: ip_version %d does not match CIDR %s", sub.ID, sub.IPVersion, sub.CIDR)
	}
	if sub.GatewayIP != "" {
		gw, err := netip.ParseAddr(sub.GatewayIP)
		if err != nil || !prefix.Contains(gw) {
			return Subnet{}, fmt.Errorf("subnet %s: gateway %q is not in %s", sub.ID, sub.GatewayIP, sub.CIDR)
		}
	}
	s.subnets[sub.ID] = &sub
	s.subnetOrder = append(s.subnetOrder, sub.ID)
	return sub, nil
}

// AddPort stores p through the same validation and IP allocation as a POST
// (fixed IPs without an address get one; a used address is an error). Unlike a
// POST, the zero values of AdminStateUp and PortSecurityEnabled are kept.
func (s *Server) AddPort(p Port) (Port, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == "" {
		p.ID = newID()
	}
	if _, ok := s.ports[p.ID]; ok {
		return Port{}, fmt.Errorf("port %s already exists", p.ID)
	}
	if _, ok := s.networks[p.NetworkID]; !ok {
		return Port{}, fmt.Errorf("port %s: network %q not found", p.ID, p.NetworkID)
	}
	ips, ferr := s.allocateLocked(p.NetworkID, p.FixedIPs, p.FixedIPs != nil)
	if ferr != nil {
		return Port{}, fmt.Errorf("port %s: %s", p.ID, ferr.Message)
	}
	p.FixedIPs = ips
	if p.MACAddress == "" {
		p.MACAddress = s.nextMACLocked()
	}
	s.storePortLocked(&p)
	return clonePort(&p), nil
}

// AddFloatingIP stores f (Status defaults to ACTIVE when associated, else DOWN).
func (s *Server) AddFloatingIP(f FloatingIP) (FloatingIP, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.ID == "" {
		f.ID = newID()
	}
	if _, ok := s.fips[f.ID]; ok {
		return FloatingIP{}, fmt.Errorf("floating IP %s already exists", f.ID)
	}
	if f.PortID != "" {
		if _, ok := s.ports[f.PortID]; !ok {
			return FloatingIP{}, fmt.Errorf("floating IP %s: port %q not found", f.ID, f.PortID)
		}
	}
	if f.Status == "" {
		f.Status = "DOWN"
		if f.PortID != "" {
			f.Status = "ACTIVE"
		}
	}
	s.fips[f.ID] = &f
	s.fipOrder = append(s.fipOrder, f.ID)
	return f, nil
}

// FailNext makes the next n requests whose method equals method ("" = any)
// and whose path starts with pathPrefix answer status with a generic Neutron
// fault. Rules are consulted in the order they were added.
func (s *Server) FailNext(method, pathPrefix string, status, n int) {
	s.FailNextWith(method, pathPrefix, n, Fault{Status: status})
}

// FailNextWith is FailNext with a chosen fault body. Empty Type and Message
// get defaults derived from the status.
func (s *Server) FailNextWith(method, pathPrefix string, n int, f Fault) {
	if f.Type == "" {
		f.Type = "HTTP" + strings.ReplaceAll(http.StatusText(f.Status), " ", "")
	}
	if f.Message == "" {
		f.Message = fmt.Sprintf("fake neutron: injected %d %s", f.Status, http.StatusText(f.Status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failure{method: method, prefix: pathPrefix, remaining: n, fault: f})
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Ports returns copies of all ports in creation order.
func (s *Server) Ports() []Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Port, 0, len(s.portOrder))
	for _, id := range s.portOrder {
		out = append(out, clonePort(s.ports[id]))
	}
	return out
}

// Port returns a copy of the port with the given id.
func (s *Server) Port(id string) (Port, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.ports[id]
	if !ok {
		return Port{}, false
	}
	return clonePort(p), true
}

// FloatingIPs returns copies of all floating IPs in creation order.
func (s *Server) FloatingIPs() []FloatingIP {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]FloatingIP, 0, len(s.fipOrder))
	for _, id := range s.fipOrder {
		out = append(out, *s.fips[id])
	}
	return out
}

func (s *Server) storePortLocked(p *Port) {
	s.ports[p.ID] = p
	s.portOrder = append(s.portOrder, p.ID)
}

func (s *Server) deletePortLocked(id string) {
	delete(s.ports, id)
	s.portOrder = slices.DeleteFunc(s.portOrder, func(x string) bool { return x == id })
	// Neutron disassociates floating IPs of a deleted port.
	for _, f := range s.fips {
		if f.PortID == id {
			f.PortID, f.FixedIPAddress, f.RouterID, f.Status = "", "", "", "DOWN"
		}
	}
}

func (s *Server) nextMACLocked() string {
	s.macSeq++
	n := s.macSeq
	return fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", byte(n>>16), byte(n>>8), byte(n))
}

func newID() string { return uuid.NewString() }

func clonePort(p *Port) Port {
	c := *p
	c.FixedIPs = slices.Clone(p.FixedIPs)
	return c
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
