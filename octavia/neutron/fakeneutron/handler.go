package fakeneutron

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// maxBody bounds request bodies; the provider's are a few hundred bytes.
const maxBody = 1 << 20

// Wire shapes (Neutron API v2.0).

type portWire struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	NetworkID           string    `json:"network_id"`
	ProjectID           string    `json:"project_id"`
	TenantID            string    `json:"tenant_id"`
	MACAddress          string    `json:"mac_address"`
	AdminStateUp        bool      `json:"admin_state_up"`
	Status              string    `json:"status"`
	DeviceOwner         string    `json:"device_owner"`
	DeviceID            string    `json:"device_id"`
	Description         string    `json:"description"`
	FixedIPs            []FixedIP `json:"fixed_ips"`
	PortSecurityEnabled bool      `json:"port_security_enabled"`
	SecurityGroups      []string  `json:"security_groups"`
}

func toPortWire(p *Port) portWire {
	status := "DOWN"
	if p.AdminStateUp {
		status = "ACTIVE"
	}
	ips := p.FixedIPs
	if ips == nil {
		ips = []FixedIP{}
	}
	return portWire{
		ID: p.ID, Name: p.Name, NetworkID: p.NetworkID, ProjectID: p.ProjectID, TenantID: p.ProjectID,
		MACAddress: p.MACAddress, AdminStateUp: p.AdminStateUp, Status: status, DeviceOwner: p.DeviceOwner,
		DeviceID: p.DeviceID, Description: p.Description, FixedIPs: ips,
		PortSecurityEnabled: p.PortSecurityEnabled, SecurityGroups: []string{},
	}
}

type subnetWire struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	NetworkID  string   `json:"network_id"`
	ProjectID  string   `json:"project_id"`
	TenantID   string   `json:"tenant_id"`
	CIDR       string   `json:"cidr"`
	IPVersion  int      `json:"ip_version"`
	GatewayIP  *string  `json:"gateway_ip"`
	EnableDHCP bool     `json:"enable_dhcp"`
	DNS        []string `json:"dns_nameservers"`
}

type networkWire struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	ProjectID       string   `json:"project_id"`
	TenantID        string   `json:"tenant_id"`
	Status          string   `json:"status"`
	AdminStateUp    bool     `json:"admin_state_up"`
	Subnets         []string `json:"subnets"`
	PhysicalNetwork *string  `json:"provider:physical_network"`
	NetworkType     string   `json:"provider:network_type"`
	SegmentationID  *int     `json:"provider:segmentation_id"`
}

type fipWire struct {
	ID                string  `json:"id"`
	Description       string  `json:"description"`
	FloatingIPAddress string  `json:"floating_ip_address"`
	FloatingNetworkID string  `json:"floating_network_id"`
	FixedIPAddress    *string `json:"fixed_ip_address"`
	PortID            *string `json:"port_id"`
	RouterID          *string `json:"router_id"`
	ProjectID         string  `json:"project_id"`
	TenantID          string  `json:"tenant_id"`
	Status            string  `json:"status"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toFIPWire(f *FloatingIP) fipWire {
	return fipWire{
		ID: f.ID, Description: f.Description, FloatingIPAddress: f.FloatingIPAddress,
		FloatingNetworkID: f.FloatingNetworkID, FixedIPAddress: nullable(f.FixedIPAddress),
		PortID: nullable(f.PortID), RouterID: nullable(f.RouterID), ProjectID: f.ProjectID,
		TenantID: f.ProjectID, Status: f.Status,
	}
}

// ServeHTTP implements http.Handler, so the fake can also be mounted on an
// httptest.Server or any listener the caller owns.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body}
	status, resp := s.handle(r, body, err)
	rec.Status = status

	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if resp == nil {
		w.WriteHeader(status)
		return
	}
	buf, mErr := json.Marshal(resp)
	if mErr != nil {
		http.Error(w, mErr.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

func faultBody(f *Fault) map[string]any {
	return map[string]any{"NeutronError": map[string]string{"type": f.Type, "message": f.Message, "detail": f.Detail}}
}

func notFound(kind, id string) (int, any) {
	return http.StatusNotFound, faultBody(&Fault{Type: kind + "NotFound",
		Message: fmt.Sprintf("%s %s could not be found.", kindText(kind), id)})
}

func kindText(kind string) string {
	if kind == "FloatingIP" {
		return "Floating IP"
	}
	return kind
}

func badRequest(format string, args ...any) (int, any) {
	return http.StatusBadRequest, faultBody(&Fault{Type: "HTTPBadRequest", Message: fmt.Sprintf(format, args...)})
}

// handle does auth, failure injection and routing; it returns the status and
// a JSON-marshalable body (nil for no body).
func (s *Server) handle(r *http.Request, body []byte, readErr error) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()

	// Version discovery (gophercloud runs it when it takes the endpoint from a
	// Keystone catalog). Neutron answers it without authentication.
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		return http.StatusOK, map[string]any{"versions": []any{map[string]any{
			"id": "v2.0", "status": "CURRENT",
			"links": []any{map[string]string{"href": "http://" + r.Host + "/v2.0/", "rel": "self"}},
		}}}
	}
	if r.Header.Get("X-Auth-Token") != s.token {
		// keystonemiddleware's answer.
		return http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}
	}
	if readErr != nil {
		return badRequest("cannot read request body: %v", readErr)
	}
	if len(body) > maxBody {
		return http.StatusRequestEntityTooLarge, faultBody(&Fault{Type: "HTTPRequestEntityTooLarge", Message: "Request body too large"})
	}
	for _, f := range s.failures {
		if f.remaining > 0 && (f.method == "" || f.method == r.Method) && strings.HasPrefix(r.URL.Path, f.prefix) {
			f.remaining--
			return f.fault.Status, faultBody(&f.fault)
		}
	}

	// Split the escaped path so that an id holding an escaped "/" stays one segment.
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v2.0/")
	if !ok {
		return notFoundResource()
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return notFoundResource()
		}
		parts[i] = u
	}
	resource, id := parts[0], ""
	switch len(parts) {
	case 1:
	case 2:
		id = parts[1]
		if id == "" {
			return notFoundResource()
		}
	default:
		return notFoundResource()
	}

	switch {
	case resource == "ports" && id == "" && r.Method == http.MethodGet:
		return s.listPorts(r.URL.Query())
	case resource == "ports" && id == "" && r.Method == http.MethodPost:
		return s.createPort(body)
	case resource == "ports" && id != "" && r.Method == http.MethodGet:
		p, ok := s.ports[id]
		if !ok {
			return notFound("Port", id)
		}
		return http.StatusOK, map[string]any{"port": toPortWire(p)}
	case resource == "ports" && id != "" && r.Method == http.MethodPut:
		return s.updatePort(id, body)
	case resource == "ports" && id != "" && r.Method == http.MethodDelete:
		if _, ok := s.ports[id]; !ok {
			return notFound("Port", id)
		}
		s.deletePortLocked(id)
		return http.StatusNoContent, nil
	case resource == "subnets" && id != "" && r.Method == http.MethodGet:
		sub, ok := s.subnets[id]
		if !ok {
			return notFound("Subnet", id)
		}
		return http.StatusOK, map[string]any{"subnet": subnetWire{
			ID: sub.ID, Name: sub.Name, NetworkID: sub.NetworkID, ProjectID: sub.ProjectID, TenantID: sub.ProjectID,
			CIDR: sub.CIDR, IPVersion: sub.IPVersion, GatewayIP: nullable(sub.GatewayIP), EnableDHCP: true, DNS: []string{},
		}}
	case resource == "networks" && id != "" && r.Method == http.MethodGet:
		n, ok := s.networks[id]
		if !ok {
			return notFound("Network", id)
		}
		subs := []string{}
		for _, sid := range s.subnetOrder {
			if s.subnets[sid].NetworkID == id {
				subs = append(subs, sid)
			}
		}
		return http.StatusOK, map[string]any{"network": networkWire{
			ID: n.ID, Name: n.Name, ProjectID: n.ProjectID, TenantID: n.ProjectID, Status: "ACTIVE",
			AdminStateUp: true, Subnets: subs, PhysicalNetwork: nullable(n.PhysicalNetwork), NetworkType: n.NetworkType,
		}}
	case resource == "floatingips" && id == "" && r.Method == http.MethodGet:
		return s.listFIPs(r.URL.Query())
	case resource == "floatingips" && id != "" && r.Method == http.MethodGet:
		f, ok := s.fips[id]
		if !ok {
			return notFound("FloatingIP", id)
		}
		return http.StatusOK, map[string]any{"floatingip": toFIPWire(f)}
	case resource == "floatingips" && id != "" && r.Method == http.MethodPut:
		return s.updateFIP(id, body)
	case slices.Contains([]string{"ports", "subnets", "networks", "floatingips"}, resource):
		return http.StatusMethodNotAllowed, faultBody(&Fault{Type: "HTTPMethodNotAllowed",
			Message: fmt.Sprintf("fake neutron: %s not supported on %s", r.Method, r.URL.Path)})
	}
	return notFoundResource()
}

func notFoundResource() (int, any) {
	return http.StatusNotFound, faultBody(&Fault{Type: "HTTPNotFound", Message: "The resource could not be found."})
}

// matchFilters checks query filters: each key may repeat (OR of values), keys
// AND together; keys outside allowed are rejected as Neutron does with filter
// validation on.
func matchFilters(q url.Values, allowed map[string]func(v string) bool) (bool, error) {
	for k, vs := range q {
		get, ok := allowed[k]
		if !ok {
			return false, fmt.Errorf("[%s] is invalid attribute for filtering", k)
		}
		if !slices.ContainsFunc(vs, get) {
			return false, nil
		}
	}
	return true, nil
}

func (s *Server) listPorts(q url.Values) (int, any) {
	out := []portWire{}
	for _, id := range s.portOrder {
		p := s.ports[id]
		ok, err := matchFilters(q, map[string]func(string) bool{
			"id":           func(v string) bool { return p.ID == v },
			"name":         func(v string) bool { return p.Name == v },
			"network_id":   func(v string) bool { return p.NetworkID == v },
			"device_owner": func(v string) bool { return p.DeviceOwner == v },
			"device_id":    func(v string) bool { return p.DeviceID == v },
			"project_id":   func(v string) bool { return p.ProjectID == v },
			"tenant_id":    func(v string) bool { return p.ProjectID == v },
		})
		if err != nil {
			return badRequest("%v", err)
		}
		if ok {
			out = append(out, toPortWire(p))
		}
	}
	return http.StatusOK, map[string]any{"ports": out}
}

func (s *Server) listFIPs(q url.Values) (int, any) {
	out := []fipWire{}
	for _, id := range s.fipOrder {
		f := s.fips[id]
		ok, err := matchFilters(q, map[string]func(string) bool{
			"id":                  func(v string) bool { return f.ID == v },
			"port_id":             func(v string) bool { return f.PortID == v },
			"floating_network_id": func(v string) bool { return f.FloatingNetworkID == v },
			"router_id":           func(v string) bool { return f.RouterID == v },
		})
		if err != nil {
			return badRequest("%v", err)
		}
		if ok {
			out = append(out, toFIPWire(f))
		}
	}
	return http.StatusOK, map[string]any{"floatingips": out}
}

// decodeResource parses {"<key>": {...}}, rejects attributes outside allowed
// ("Unrecognized attribute(s)", as Neutron) and decodes the object into dst.
func decodeResource(body []byte, key string, allowed []string, dst any) (map[string]json.RawMessage, *Fault) {
	bad := func(format string, args ...any) *Fault {
		return &Fault{Status: http.StatusBadRequest, Type: "HTTPBadRequest", Message: fmt.Sprintf(format, args...)}
	}
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(body, &outer); err != nil {
		return nil, bad("Failed to parse request. Body is not a JSON object: %v", err)
	}
	raw, ok := outer[key]
	if !ok || len(outer) != 1 {
		return nil, bad("Failed to parse request. Resource body must hold exactly one '%s' object", key)
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &attrs); err != nil || attrs == nil {
		return nil, bad("Failed to parse request. '%s' is not an object", key)
	}
	var unknown []string
	for k := range attrs {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, bad("Unrecognized attribute(s) '%s'", strings.Join(unknown, ", "))
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(dst); err != nil {
		return nil, invalidInput("%v", err)
	}
	return attrs, nil
}

type portCreateBody struct {
	Name                string     `json:"name"`
	NetworkID           string     `json:"network_id"`
	ProjectID           string     `json:"project_id"`
	TenantID            string     `json:"tenant_id"`
	AdminStateUp        *bool      `json:"admin_state_up"`
	DeviceOwner         string     `json:"device_owner"`
	DeviceID            string     `json:"device_id"`
	Description         string     `json:"description"`
	MACAddress          string     `json:"mac_address"`
	PortSecurityEnabled *bool      `json:"port_security_enabled"`
	FixedIPs            *[]FixedIP `json:"fixed_ips"`
	SecurityGroups      []string   `json:"security_groups"`
}

var portCreateAttrs = []string{"name", "network_id", "project_id", "tenant_id", "admin_state_up", "device_owner",
	"device_id", "description", "mac_address", "port_security_enabled", "fixed_ips", "security_groups"}

func (s *Server) createPort(body []byte) (int, any) {
	var b portCreateBody
	if _, f := decodeResource(body, "port", portCreateAttrs, &b); f != nil {
		return f.Status, faultBody(f)
	}
	if b.NetworkID == "" {
		return badRequest("Failed to parse request. Required attribute 'network_id' not specified")
	}
	n, ok := s.networks[b.NetworkID]
	if !ok {
		return notFound("Network", b.NetworkID)
	}
	if b.MACAddress != "" {
		for _, p := range s.ports {
			if p.NetworkID == b.NetworkID && strings.EqualFold(p.MACAddress, b.MACAddress) {
				return http.StatusConflict, faultBody(&Fault{Type: "MacAddressInUse",
					Message: fmt.Sprintf("Unable to complete operation for network %s. The mac address %s is in use.", b.NetworkID, b.MACAddress)})
			}
		}
	}
	var req []FixedIP
	if b.FixedIPs != nil {
		req = *b.FixedIPs
	}
	ips, fault := s.allocateLocked(b.NetworkID, req, b.FixedIPs != nil)
	if fault != nil {
		return fault.Status, faultBody(fault)
	}
	p := &Port{
		ID: newID(), Name: b.Name, NetworkID: b.NetworkID, ProjectID: b.ProjectID, DeviceOwner: b.DeviceOwner,
		DeviceID: b.DeviceID, Description: b.Description, MACAddress: b.MACAddress, FixedIPs: ips,
		AdminStateUp: true, PortSecurityEnabled: true,
	}
	if p.ProjectID == "" {
		p.ProjectID = b.TenantID
	}
	if p.ProjectID == "" {
		// Neutron uses the caller's project; the fake has none, so it takes the network's.
		p.ProjectID = n.ProjectID
	}
	if b.AdminStateUp != nil {
		p.AdminStateUp = *b.AdminStateUp
	}
	if b.PortSecurityEnabled != nil {
		p.PortSecurityEnabled = *b.PortSecurityEnabled
	}
	if p.MACAddress == "" {
		p.MACAddress = s.nextMACLocked()
	}
	s.storePortLocked(p)
	return http.StatusCreated, map[string]any{"port": toPortWire(p)}
}

type portUpdateBody struct {
	Name                *string `json:"name"`
	AdminStateUp        *bool   `json:"admin_state_up"`
	DeviceOwner         *string `json:"device_owner"`
	DeviceID            *string `json:"device_id"`
	Description         *string `json:"description"`
	PortSecurityEnabled *bool   `json:"port_security_enabled"`
}

func (s *Server) updatePort(id string, body []byte) (int, any) {
	p, ok := s.ports[id]
	if !ok {
		return notFound("Port", id)
	}
	var b portUpdateBody
	allowed := []string{"name", "admin_state_up", "device_owner", "device_id", "description", "port_security_enabled"}
	if _, f := decodeResource(body, "port", allowed, &b); f != nil {
		return f.Status, faultBody(f)
	}
	if b.Name != nil {
		p.Name = *b.Name
	}
	if b.AdminStateUp != nil {
		p.AdminStateUp = *b.AdminStateUp
	}
	if b.DeviceOwner != nil {
		p.DeviceOwner = *b.DeviceOwner
	}
	if b.DeviceID != nil {
		p.DeviceID = *b.DeviceID
	}
	if b.Description != nil {
		p.Description = *b.Description
	}
	if b.PortSecurityEnabled != nil {
		p.PortSecurityEnabled = *b.PortSecurityEnabled
	}
	return http.StatusOK, map[string]any{"port": toPortWire(p)}
}

type fipUpdateBody struct {
	Description *string `json:"description"`
	// PortID: absent keeps the association, null removes it.
	PortID *string `json:"port_id"`
}

func (s *Server) updateFIP(id string, body []byte) (int, any) {
	f, ok := s.fips[id]
	if !ok {
		return notFound("FloatingIP", id)
	}
	var b fipUpdateBody
	attrs, fault := decodeResource(body, "floatingip", []string{"description", "port_id"}, &b)
	if fault != nil {
		return fault.Status, faultBody(fault)
	}
	if raw, ok := attrs["port_id"]; ok {
		switch {
		case string(raw) == "null":
			f.PortID, f.FixedIPAddress, f.Status = "", "", "DOWN"
		case b.PortID != nil:
			p, ok := s.ports[*b.PortID]
			if !ok {
				return notFound("Port", *b.PortID)
			}
			f.PortID, f.Status = p.ID, "ACTIVE"
			f.FixedIPAddress = ""
			if len(p.FixedIPs) > 0 {
				f.FixedIPAddress = p.FixedIPs[0].IPAddress
			}
		}
	}
	if b.Description != nil {
		f.Description = *b.Description
	}
	return http.StatusOK, map[string]any{"floatingip": toFIPWire(f)}
}
