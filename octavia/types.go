package octavia

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// The provider data models of octavia-lib (octavia_lib/api/drivers/
// data_models.py) in the shape of their to_dict() JSON. Every field is an
// Opt so that Unset and null stay distinct. Keys not modelled here are
// accepted and ignored (newer octavia-lib releases add fields).
//
// Fields holding arbitrary JSON that the provider never interprets (flavor
// metadata, TLS blobs, insert_headers) are kept as raw JSON.

// LoadBalancer is octavia-lib's LoadBalancer. Listeners and Pools are only
// present for a fully populated create (and in get-socket replies).
type LoadBalancer struct {
	LoadBalancerID   Opt[string]          `json:"loadbalancer_id,omitzero"`
	AdminStateUp     Opt[bool]            `json:"admin_state_up,omitzero"`
	Name             Opt[string]          `json:"name,omitzero"`
	Description      Opt[string]          `json:"description,omitzero"`
	ProjectID        Opt[string]          `json:"project_id,omitzero"`
	VIPAddress       Opt[string]          `json:"vip_address,omitzero"`
	VIPNetworkID     Opt[string]          `json:"vip_network_id,omitzero"`
	VIPPortID        Opt[string]          `json:"vip_port_id,omitzero"`
	VIPSubnetID      Opt[string]          `json:"vip_subnet_id,omitzero"`
	VIPQoSPolicyID   Opt[string]          `json:"vip_qos_policy_id,omitzero"`
	VIPSGIDs         Opt[[]string]        `json:"vip_sg_ids,omitzero"`
	AdditionalVIPs   Opt[[]AdditionalVIP] `json:"additional_vips,omitzero"`
	Listeners        Opt[[]Listener]      `json:"listeners,omitzero"`
	Pools            Opt[[]Pool]          `json:"pools,omitzero"`
	Flavor           Opt[json.RawMessage] `json:"flavor,omitzero"`
	AvailabilityZone Opt[json.RawMessage] `json:"availability_zone,omitzero"`
}

// AdditionalVIP is one entry of LoadBalancer.additional_vips, also the shape
// of create_vip_port's additional VIP dicts (in and out).
type AdditionalVIP struct {
	IPAddress Opt[string] `json:"ip_address,omitzero"`
	NetworkID Opt[string] `json:"network_id,omitzero"`
	PortID    Opt[string] `json:"port_id,omitzero"`
	SubnetID  Opt[string] `json:"subnet_id,omitzero"`
}

// VIP is create_vip_port's vip_dictionary (octavia-lib's VIP model).
type VIP struct {
	VIPAddress     Opt[string]   `json:"vip_address,omitzero"`
	VIPNetworkID   Opt[string]   `json:"vip_network_id,omitzero"`
	VIPPortID      Opt[string]   `json:"vip_port_id,omitzero"`
	VIPSubnetID    Opt[string]   `json:"vip_subnet_id,omitzero"`
	VIPQoSPolicyID Opt[string]   `json:"vip_qos_policy_id,omitzero"`
	VIPSGIDs       Opt[[]string] `json:"vip_sg_ids,omitzero"`
}

// Listener is octavia-lib's Listener.
type Listener struct {
	ListenerID               Opt[string]          `json:"listener_id,omitzero"`
	LoadBalancerID           Opt[string]          `json:"loadbalancer_id,omitzero"`
	AdminStateUp             Opt[bool]            `json:"admin_state_up,omitzero"`
	Name                     Opt[string]          `json:"name,omitzero"`
	Description              Opt[string]          `json:"description,omitzero"`
	ProjectID                Opt[string]          `json:"project_id,omitzero"`
	Protocol                 Opt[string]          `json:"protocol,omitzero"`
	ProtocolPort             Opt[int]             `json:"protocol_port,omitzero"`
	DefaultPoolID            Opt[string]          `json:"default_pool_id,omitzero"`
	DefaultPool              Opt[Pool]            `json:"default_pool,omitzero"`
	ConnectionLimit          Opt[int]             `json:"connection_limit,omitzero"`
	AllowedCIDRs             Opt[[]string]        `json:"allowed_cidrs,omitzero"`
	InsertHeaders            Opt[json.RawMessage] `json:"insert_headers,omitzero"`
	L7Policies               Opt[json.RawMessage] `json:"l7policies,omitzero"`
	TimeoutClientData        Opt[int]             `json:"timeout_client_data,omitzero"`
	TimeoutMemberConnect     Opt[int]             `json:"timeout_member_connect,omitzero"`
	TimeoutMemberData        Opt[int]             `json:"timeout_member_data,omitzero"`
	TimeoutTCPInspect        Opt[int]             `json:"timeout_tcp_inspect,omitzero"`
	DefaultTLSContainerRef   Opt[string]          `json:"default_tls_container_ref,omitzero"`
	DefaultTLSContainerData  Opt[json.RawMessage] `json:"default_tls_container_data,omitzero"`
	SNIContainerRefs         Opt[[]string]        `json:"sni_container_refs,omitzero"`
	SNIContainerData         Opt[json.RawMessage] `json:"sni_container_data,omitzero"`
	ClientCATLSContainerRef  Opt[string]          `json:"client_ca_tls_container_ref,omitzero"`
	ClientCATLSContainerData Opt[json.RawMessage] `json:"client_ca_tls_container_data,omitzero"`
	ClientAuthentication     Opt[string]          `json:"client_authentication,omitzero"`
	ClientCRLContainerRef    Opt[string]          `json:"client_crl_container_ref,omitzero"`
	ClientCRLContainerData   Opt[json.RawMessage] `json:"client_crl_container_data,omitzero"`
	TLSVersions              Opt[[]string]        `json:"tls_versions,omitzero"`
	TLSCiphers               Opt[string]          `json:"tls_ciphers,omitzero"`
	ALPNProtocols            Opt[[]string]        `json:"alpn_protocols,omitzero"`
	HSTSMaxAge               Opt[int]             `json:"hsts_max_age,omitzero"`
	HSTSIncludeSubdomains    Opt[bool]            `json:"hsts_include_subdomains,omitzero"`
	HSTSPreload              Opt[bool]            `json:"hsts_preload,omitzero"`
}

// Pool is octavia-lib's Pool.
type Pool struct {
	PoolID             Opt[string]             `json:"pool_id,omitzero"`
	LoadBalancerID     Opt[string]             `json:"loadbalancer_id,omitzero"`
	ListenerID         Opt[string]             `json:"listener_id,omitzero"`
	AdminStateUp       Opt[bool]               `json:"admin_state_up,omitzero"`
	Name               Opt[string]             `json:"name,omitzero"`
	Description        Opt[string]             `json:"description,omitzero"`
	ProjectID          Opt[string]             `json:"project_id,omitzero"`
	Protocol           Opt[string]             `json:"protocol,omitzero"`
	LBAlgorithm        Opt[string]             `json:"lb_algorithm,omitzero"`
	SessionPersistence Opt[SessionPersistence] `json:"session_persistence,omitzero"`
	HealthMonitor      Opt[HealthMonitor]      `json:"healthmonitor,omitzero"`
	Members            Opt[[]Member]           `json:"members,omitzero"`
	TLSEnabled         Opt[bool]               `json:"tls_enabled,omitzero"`
	TLSContainerRef    Opt[string]             `json:"tls_container_ref,omitzero"`
	TLSContainerData   Opt[json.RawMessage]    `json:"tls_container_data,omitzero"`
	CATLSContainerRef  Opt[string]             `json:"ca_tls_container_ref,omitzero"`
	CATLSContainerData Opt[json.RawMessage]    `json:"ca_tls_container_data,omitzero"`
	CRLContainerRef    Opt[string]             `json:"crl_container_ref,omitzero"`
	CRLContainerData   Opt[json.RawMessage]    `json:"crl_container_data,omitzero"`
	TLSVersions        Opt[[]string]           `json:"tls_versions,omitzero"`
	TLSCiphers         Opt[string]             `json:"tls_ciphers,omitzero"`
	ALPNProtocols      Opt[[]string]           `json:"alpn_protocols,omitzero"`
}

// SessionPersistence is the pool's session_persistence dict. Octavia passes
// a plain dict, so the provider tests its truthiness (non-empty), which
// Keys records.
type SessionPersistence struct {
	Type                   Opt[string] `json:"type,omitzero"`
	CookieName             Opt[string] `json:"cookie_name,omitzero"`
	PersistenceTimeout     Opt[int]    `json:"persistence_timeout,omitzero"`
	PersistenceGranularity Opt[string] `json:"persistence_granularity,omitzero"`

	// Keys is the number of keys of the decoded dict, known ones or not;
	// Python treats {} as false. Not marshalled.
	Keys int `json:"-"`
}

// Empty reports whether the dict has no key (Python: "not session").
func (s SessionPersistence) Empty() bool {
	if s.Keys > 0 {
		return false
	}
	// Built in Go rather than decoded: look at the fields themselves.
	return !s.Type.Set && !s.CookieName.Set && !s.PersistenceTimeout.Set && !s.PersistenceGranularity.Set
}

// UnmarshalJSON decodes the dict and counts its keys.
func (s *SessionPersistence) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	type plain SessionPersistence // no methods: avoids recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Keys = len(keys)
	*s = SessionPersistence(p)
	return nil
}

// Member is octavia-lib's Member.
type Member struct {
	MemberID       Opt[string] `json:"member_id,omitzero"`
	PoolID         Opt[string] `json:"pool_id,omitzero"`
	AdminStateUp   Opt[bool]   `json:"admin_state_up,omitzero"`
	Name           Opt[string] `json:"name,omitzero"`
	ProjectID      Opt[string] `json:"project_id,omitzero"`
	Address        Opt[string] `json:"address,omitzero"`
	ProtocolPort   Opt[int]    `json:"protocol_port,omitzero"`
	SubnetID       Opt[string] `json:"subnet_id,omitzero"`
	MonitorAddress Opt[string] `json:"monitor_address,omitzero"`
	MonitorPort    Opt[int]    `json:"monitor_port,omitzero"`
	Weight         Opt[int]    `json:"weight,omitzero"`
	Backup         Opt[bool]   `json:"backup,omitzero"`
	VNICType       Opt[string] `json:"vnic_type,omitzero"`
}

// HealthMonitor is octavia-lib's HealthMonitor.
type HealthMonitor struct {
	HealthMonitorID Opt[string]  `json:"healthmonitor_id,omitzero"`
	PoolID          Opt[string]  `json:"pool_id,omitzero"`
	AdminStateUp    Opt[bool]    `json:"admin_state_up,omitzero"`
	Name            Opt[string]  `json:"name,omitzero"`
	ProjectID       Opt[string]  `json:"project_id,omitzero"`
	Type            Opt[string]  `json:"type,omitzero"`
	Delay           Opt[int]     `json:"delay,omitzero"`
	Timeout         Opt[int]     `json:"timeout,omitzero"`
	MaxRetries      Opt[int]     `json:"max_retries,omitzero"`
	MaxRetriesDown  Opt[int]     `json:"max_retries_down,omitzero"`
	HTTPMethod      Opt[string]  `json:"http_method,omitzero"`
	HTTPVersion     Opt[float64] `json:"http_version,omitzero"`
	URLPath         Opt[string]  `json:"url_path,omitzero"`
	ExpectedCodes   Opt[string]  `json:"expected_codes,omitzero"`
	DomainName      Opt[string]  `json:"domain_name,omitzero"`
}

// Protocols (octavia_lib.common.constants).
const (
	ProtocolTCP             = "TCP"
	ProtocolUDP             = "UDP"
	ProtocolSCTP            = "SCTP"
	ProtocolHTTP            = "HTTP"
	ProtocolHTTPS           = "HTTPS"
	ProtocolTerminatedHTTPS = "TERMINATED_HTTPS"
	ProtocolPROXY           = "PROXY"
	ProtocolPROXYV2         = "PROXYV2"
	ProtocolPrometheus      = "PROMETHEUS"
)

// Load-balancing algorithms.
const (
	AlgorithmRoundRobin       = "ROUND_ROBIN"
	AlgorithmLeastConnections = "LEAST_CONNECTIONS"
	AlgorithmSourceIP         = "SOURCE_IP"
	AlgorithmSourceIPPort     = "SOURCE_IP_PORT"
)

// Health monitor types.
const (
	HealthMonitorPing       = "PING"
	HealthMonitorTCP        = "TCP"
	HealthMonitorHTTP       = "HTTP"
	HealthMonitorHTTPS      = "HTTPS"
	HealthMonitorTLSHello   = "TLS-HELLO"
	HealthMonitorUDPConnect = "UDP-CONNECT"
	HealthMonitorSCTP       = "SCTP"
)

// Session persistence types.
const (
	SessionPersistenceSourceIP   = "SOURCE_IP"
	SessionPersistenceHTTPCookie = "HTTP_COOKIE"
	SessionPersistenceAppCookie  = "APP_COOKIE"
)

// FieldError is a JSON value of the wrong type, e.g.
// "protocol_port: expected integer, got string". Field is the dotted path
// from the decoded object (list indexes are not included).
type FieldError struct {
	Field    string
	Expected string
	Got      string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("expected %s, got %s", e.Expected, e.Got)
	}
	return fmt.Sprintf("%s: expected %s, got %s", e.Field, e.Expected, e.Got)
}

// Unmarshal decodes one data-model object (or VIP dict) from JSON. The input
// must be a JSON object; a value of the wrong type yields a *FieldError
// naming the field. Unknown keys are ignored.
func Unmarshal(data []byte, v any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &FieldError{Expected: "object", Got: JSONKind(trimmed)}
	}
	err := json.Unmarshal(trimmed, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Field: te.Field, Expected: goKind(te.Type), Got: te.Value}
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// JSONKind names the JSON type of a value by its first byte, b trimmed of
// white space: "nothing", "object", "array", "string", "bool", "null" or
// "number". "bool" is encoding/json's name (UnmarshalTypeError.Value), so
// FieldError texts name kinds one way.
func JSONKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// goKind names the JSON type a Go type decodes from.
func goKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	default:
		return strings.ToLower(t.Kind().String())
	}
}
