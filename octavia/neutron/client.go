package neutron

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/sirupsen/logrus"
)

// defaultRequestTimeout bounds one HTTP exchange so that a hung Neutron cannot
// stall a worker forever when the caller's context has no deadline.
const defaultRequestTimeout = 60 * time.Second

// userAgent is prepended to gophercloud's User-Agent so Neutron logs show who calls.
const userAgent = "ovn-octavia"

// GopherClient implements Client over gophercloud's networking v2 packages.
// It is safe for concurrent use.
type GopherClient struct {
	sc          *gophercloud.ServiceClient
	log         *logrus.Entry
	listRetry   Backoff
	deleteRetry Backoff
}

var _ Client = (*GopherClient)(nil)

type options struct {
	log              *logrus.Entry
	listRetry        Backoff
	deleteRetry      Backoff
	httpClient       *http.Client
	endpointOverride string
	endpointOpts     *gophercloud.EndpointOpts
	parseOpts        []clouds.ParseOption
}

// Option configures a GopherClient.
type Option func(*options)

// WithLogger sets the logger (default: the logrus standard logger).
func WithLogger(log *logrus.Entry) Option { return func(o *options) { o.log = log } }

// WithListBackoff sets the retry policy of ListPorts and FindPort
// (default DefaultListBackoff).
func WithListBackoff(b Backoff) Option { return func(o *options) { o.listRetry = b } }

// WithDeleteBackoff sets the retry policy of DeletePort (default DefaultDeleteBackoff).
func WithDeleteBackoff(b Backoff) Option { return func(o *options) { o.deleteRetry = b } }

// WithHTTPClient sets the HTTP client (default: a client with a 60 s timeout).
// For NewFromCloudsYAML the TLS settings of clouds.yaml replace its transport.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithEndpointOverride uses url as the Neutron endpoint instead of the one from
// the Keystone catalog ([neutron] endpoint_override). Only for the Keystone
// constructors; NewFromToken takes its endpoint as an argument.
func WithEndpointOverride(url string) Option { return func(o *options) { o.endpointOverride = url } }

// WithEndpointOpts replaces the catalog selection (region, interface) that
// NewFromCloudsYAML would take from clouds.yaml.
func WithEndpointOpts(eo gophercloud.EndpointOpts) Option {
	return func(o *options) { o.endpointOpts = &eo }
}

// WithCloudsParseOptions passes options to clouds.Parse (e.g. clouds.WithLocations).
func WithCloudsParseOptions(po ...clouds.ParseOption) Option {
	return func(o *options) { o.parseOpts = append(o.parseOpts, po...) }
}

func buildOptions(opts []Option) options {
	o := options{
		listRetry:   DefaultListBackoff(),
		deleteRetry: DefaultDeleteBackoff(),
	}
	for _, apply := range opts {
		apply(&o)
	}
	if o.log == nil {
		o.log = logrus.NewEntry(logrus.StandardLogger())
	}
	o.log = o.log.WithField("component", "neutron")
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: defaultRequestTimeout}
	}
	return o
}

// normalizeEndpoint returns the endpoint with a trailing "/" and the resource
// base Neutron's paths hang off ("<endpoint>v2.0/").
func normalizeEndpoint(endpoint string) (string, string, error) {
	endpoint = strings.TrimSpace(endpoint)
	if endpoint == "" {
		return "", "", errors.New("empty Neutron endpoint")
	}
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return "", "", fmt.Errorf("Neutron endpoint %q is not an http(s) URL", endpoint)
	}
	endpoint = gophercloud.NormalizeURL(endpoint)
	// Catalogs sometimes list the versioned URL; do not double the version.
	if strings.HasSuffix(endpoint, "/v2.0/") {
		return endpoint, endpoint, nil
	}
	return endpoint, endpoint + "v2.0/", nil
}

// NewFromToken builds a client that talks to endpoint with a fixed
// X-Auth-Token and no Keystone (tests, demo, or a token-only deployment).
func NewFromToken(endpoint, token string, opts ...Option) (*GopherClient, error) {
	o := buildOptions(opts)
	ep, base, err := normalizeEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("empty Neutron token")
	}
	pc := &gophercloud.ProviderClient{HTTPClient: *o.httpClient}
	pc.UseTokenLock()
	pc.UserAgent.Prepend(userAgent)
	sc := &gophercloud.ServiceClient{
		ProviderClient: pc,
		Endpoint:       ep,
		ResourceBase:   base,
		Type:           "network",
		// A service-wide header rather than ProviderClient.SetToken: there is
		// no Keystone to re-authenticate against, and SetToken is deprecated.
		MoreHeaders: map[string]string{"X-Auth-Token": token},
	}
	return newGopherClient(sc, o), nil
}

// NewFromAuthOptions authenticates against Keystone with ao (AllowReauth is
// forced on for password-style auth so that the daemon survives token
// expiry) and selects the network endpoint from the catalog with eo.
func NewFromAuthOptions(ctx context.Context, ao gophercloud.AuthOptions, eo gophercloud.EndpointOpts, opts ...Option) (*GopherClient, error) {
	return newKeystone(ctx, ao, eo, nil, buildOptions(opts))
}

// NewFromCloudsYAML reads cloud cloudName from clouds.yaml (the usual search
// path or WithCloudsParseOptions) and authenticates against its Keystone.
func NewFromCloudsYAML(ctx context.Context, cloudName string, opts ...Option) (*GopherClient, error) {
	o := buildOptions(opts)
	po := append([]clouds.ParseOption{clouds.WithCloudName(cloudName)}, o.parseOpts...)
	ao, eo, tlsConfig, err := clouds.Parse(po...)
	if err != nil {
		return nil, fmt.Errorf("parse clouds.yaml cloud %q: %w", cloudName, err)
	}
	if o.endpointOpts != nil {
		eo = *o.endpointOpts
	}
	return newKeystone(ctx, ao, eo, tlsConfig, o)
}

func newKeystone(ctx context.Context, ao gophercloud.AuthOptions, eo gophercloud.EndpointOpts, tlsConfig *tls.Config, o options) (*GopherClient, error) {
	// gophercloud refuses AllowReauth for a bare token without scope: there is
	// nothing to re-authenticate with. clouds.Parse never sets it (conventions
	// part 1 item 9), so set it for every credential that can log in again.
	ao.AllowReauth = ao.TokenID == ""
	if o.endpointOverride != "" {
		if _, _, err := normalizeEndpoint(o.endpointOverride); err != nil {
			return nil, fmt.Errorf("endpoint override: %w", err)
		}
	}
	var pc *gophercloud.ProviderClient
	var err error
	if tlsConfig != nil {
		pc, err = config.NewProviderClient(ctx, ao, config.WithHTTPClient(*o.httpClient), config.WithTLSConfig(tlsConfig))
	} else {
		pc, err = config.NewProviderClient(ctx, ao, config.WithHTTPClient(*o.httpClient))
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate against Keystone %s: %w", ao.IdentityEndpoint, err)
	}
	pc.UserAgent.Prepend(userAgent)
	if o.endpointOverride != "" {
		// No catalog lookup: it would also run version discovery against a
		// catalog endpoint the operator chose not to use.
		ep, base, _ := normalizeEndpoint(o.endpointOverride) // validated above
		sc := &gophercloud.ServiceClient{ProviderClient: pc, Endpoint: ep, ResourceBase: base, Type: "network"}
		return newGopherClient(sc, o), nil
	}
	sc, err := openstack.NewNetworkV2(pc, eo)
	if err != nil {
		return nil, fmt.Errorf("find the network endpoint in the Keystone catalog: %w", err)
	}
	return newGopherClient(sc, o), nil
}

// NewFromServiceClient wraps an existing gophercloud network ServiceClient
// (ResourceBase must end in "v2.0/").
func NewFromServiceClient(sc *gophercloud.ServiceClient, opts ...Option) *GopherClient {
	return newGopherClient(sc, buildOptions(opts))
}

func newGopherClient(sc *gophercloud.ServiceClient, o options) *GopherClient {
	return &GopherClient{sc: sc, log: o.log, listRetry: o.listRetry, deleteRetry: o.deleteRetry}
}
