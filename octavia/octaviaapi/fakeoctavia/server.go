// Package fakeoctavia is a small in-process Octavia API for tests and
// demos: GET /v2[.0]/lbaas/loadbalancers with the provider filter and
// limit/marker pagination (next links as Octavia writes them), a fixed
// Keystone token, and injectable failures. It serves 127.0.0.1 only.
package fakeoctavia

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// LoadBalancer is one load balancer as the API lists it.
type LoadBalancer struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Provider           string `json:"provider"`
	ProvisioningStatus string `json:"provisioning_status"`
	OperatingStatus    string `json:"operating_status"`
	VIPAddress         string `json:"vip_address"`
	VIPNetworkID       string `json:"vip_network_id"`
	VIPPortID          string `json:"vip_port_id"`
	VIPSubnetID        string `json:"vip_subnet_id"`
	AdminStateUp       bool   `json:"admin_state_up"`
}

// Server is the fake API.
type Server struct {
	token string

	mu       sync.Mutex
	lbs      []LoadBalancer
	failures []int // statuses answered to the next requests
	pageSize int
	requests []string
	srv      *http.Server
	ln       net.Listener
	url      string
}

// New returns a server accepting token as X-Auth-Token.
func New(token string) *Server { return &Server{token: token} }

// Start listens on 127.0.0.1 and returns the API root URL.
func (s *Server) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("fake octavia: %w", err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String() + "/"
	s.srv = &http.Server{Handler: s}
	go func() { _ = s.srv.Serve(ln) }()
	return s.url, nil
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		_ = s.srv.Close()
	}
}

// SetLoadBalancers replaces the listed load balancers (kept in this order).
func (s *Server) SetLoadBalancers(lbs ...LoadBalancer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lbs = append([]LoadBalancer(nil), lbs...)
}

// SetPageSize makes the server paginate with n items per page when the
// request has no limit (Octavia's pagination_max_limit); 0 turns it off.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// FailNext answers the next n requests with HTTP status code.
func (s *Server) FailNext(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, code)
	}
}

// Requests returns "METHOD path?query" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func fault(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"faultcode": http.StatusText(code), "faultstring": msg, "debuginfo": nil})
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	var failCode int
	if len(s.failures) > 0 {
		failCode, s.failures = s.failures[0], s.failures[1:]
	}
	lbs := append([]LoadBalancer(nil), s.lbs...)
	pageSize := s.pageSize
	s.mu.Unlock()

	if r.Header.Get("X-Auth-Token") != s.token {
		fault(w, http.StatusUnauthorized, "The request you have made requires authentication.")
		return
	}
	if failCode != 0 {
		fault(w, failCode, "injected failure")
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	if r.Method != http.MethodGet || (path != "/v2/lbaas/loadbalancers" && path != "/v2.0/lbaas/loadbalancers") {
		fault(w, http.StatusNotFound, "Not found")
		return
	}
	q := r.URL.Query()
	var sel []LoadBalancer
	for _, lb := range lbs {
		if p := q.Get("provider"); p != "" && lb.Provider != p {
			continue
		}
		sel = append(sel, lb)
	}
	if m := q.Get("marker"); m != "" {
		i := 0
		for i < len(sel) && sel[i].ID != m {
			i++
		}
		if i == len(sel) {
			fault(w, http.StatusNotFound, fmt.Sprintf("Load Balancer %s not found.", m))
			return
		}
		sel = sel[i+1:]
	}
	links := []map[string]string{}
	n := pageSize
	if l := q.Get("limit"); l != "" {
		var err error
		if n, err = strconv.Atoi(l); err != nil || n <= 0 {
			fault(w, http.StatusBadRequest, "Invalid limit")
			return
		}
	}
	if n > 0 {
		if len(sel) > n {
			sel = sel[:n]
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Set("marker", sel[n-1].ID)
			links = append(links, map[string]string{"rel": "next", "href": s.url + strings.TrimPrefix(path, "/") + "?" + next.Encode()})
		}
	}
	if sel == nil {
		sel = []LoadBalancer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"loadbalancers": sel, "loadbalancers_links": links})
}
