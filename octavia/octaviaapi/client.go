// Package octaviaapi is the small Octavia REST API client db-sync needs
// (config.md §3): listing the load balancers of the OVN provider. It wraps
// gophercloud's loadbalancer v2 API with the reference's retry policy
// (HTTP errors retried for up to 10 s, db-sync.md §2 step 1).
package octaviaapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	"github.com/gophercloud/gophercloud/v2/openstack/loadbalancer/v2/loadbalancers"
	"github.com/gophercloud/gophercloud/v2/pagination"
	"github.com/sirupsen/logrus"
)

// ProviderOVN is the provider name the OVN driver is registered under.
const ProviderOVN = "ovn"

// LoadBalancer is the part of an Octavia API load balancer db-sync uses:
// the tree itself is read over the driver agent's get socket.
type LoadBalancer struct {
	ID                 string
	Name               string
	Provider           string
	ProvisioningStatus string
}

// Lister lists Octavia load balancers of one provider (all pages).
type Lister interface {
	ListLoadBalancers(ctx context.Context, provider string) ([]LoadBalancer, error)
}

// Client is the gophercloud implementation of Lister.
type Client struct {
	sc         *gophercloud.ServiceClient
	log        *logrus.Entry
	retryFor   time.Duration
	retryFirst time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithLogger sets the logger (retries are logged at warning level).
func WithLogger(log *logrus.Entry) Option { return func(c *Client) { c.log = log } }

// WithRetry replaces the retry policy: HTTP errors are retried with
// exponential waits starting at first for up to total (the reference: 1 s,
// 10 s). total 0 disables retries.
func WithRetry(first, total time.Duration) Option {
	return func(c *Client) { c.retryFirst, c.retryFor = first, total }
}

func newClient(sc *gophercloud.ServiceClient, opts []Option) *Client {
	c := &Client{sc: sc, retryFirst: time.Second, retryFor: 10 * time.Second}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		c.log = logrus.NewEntry(logrus.StandardLogger())
	}
	return c
}

// normalizeEndpoint returns the endpoint and the versioned resource base
// (gophercloud's NewLoadBalancerV2 uses "<endpoint>/v2.0/").
func normalizeEndpoint(endpoint string) (string, string, error) {
	endpoint = strings.TrimSpace(endpoint)
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return "", "", fmt.Errorf("octavia endpoint %q is not an http(s) URL", endpoint)
	}
	endpoint = gophercloud.NormalizeURL(endpoint)
	for _, v := range []string{"v2.0/", "v2/"} {
		endpoint = strings.TrimSuffix(endpoint, v)
	}
	return endpoint, endpoint + "v2.0/", nil
}

// NewFromToken returns a client for endpoint (the Octavia API root, e.g.
// http://controller:9876) sending a fixed X-Auth-Token.
func NewFromToken(endpoint, token string, opts ...Option) (*Client, error) {
	ep, base, err := normalizeEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("empty Octavia token")
	}
	pc := &gophercloud.ProviderClient{HTTPClient: http.Client{Timeout: 60 * time.Second}}
	pc.UseTokenLock()
	sc := &gophercloud.ServiceClient{
		ProviderClient: pc,
		Endpoint:       ep,
		ResourceBase:   base,
		Type:           "load-balancer",
		MoreHeaders:    map[string]string{"X-Auth-Token": token},
	}
	return newClient(sc, opts), nil
}

// NewFromCloudsYAML authenticates with cloud cloudName of clouds.yaml and
// takes the load-balancer endpoint from the catalog, or endpointOverride
// when not empty.
func NewFromCloudsYAML(ctx context.Context, cloudName, endpointOverride string, parse []clouds.ParseOption, opts ...Option) (*Client, error) {
	po := append([]clouds.ParseOption{clouds.WithCloudName(cloudName)}, parse...)
	ao, eo, tlsConfig, err := clouds.Parse(po...)
	if err != nil {
		return nil, fmt.Errorf("parse clouds.yaml cloud %q: %w", cloudName, err)
	}
	ao.AllowReauth = ao.TokenID == ""
	var pc *gophercloud.ProviderClient
	if tlsConfig != nil {
		pc, err = config.NewProviderClient(ctx, ao, config.WithTLSConfig(tlsConfig))
	} else {
		pc, err = config.NewProviderClient(ctx, ao)
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate against Keystone %s: %w", ao.IdentityEndpoint, err)
	}
	if endpointOverride != "" {
		ep, base, err := normalizeEndpoint(endpointOverride)
		if err != nil {
			return nil, err
		}
		return newClient(&gophercloud.ServiceClient{ProviderClient: pc, Endpoint: ep, ResourceBase: base, Type: "load-balancer"}, opts), nil
	}
	sc, err := openstack.NewLoadBalancerV2(pc, eo)
	if err != nil {
		return nil, fmt.Errorf("find the load-balancer endpoint in the Keystone catalog: %w", err)
	}
	return newClient(sc, opts), nil
}

// HTTPError is an Octavia API answer with an error status.
type HTTPError struct {
	Method string
	URL    string
	Code   int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("octavia %s %s: HTTP %d: %s", e.Method, e.URL, e.Code, strings.TrimSpace(e.Body))
}

func translate(err error) error {
	var ce gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &ce) {
		return &HTTPError{Method: ce.Method, URL: ce.URL, Code: ce.Actual, Body: string(ce.Body)}
	}
	var cp *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &cp) {
		return &HTTPError{Method: cp.Method, URL: cp.URL, Code: cp.Actual, Body: string(cp.Body)}
	}
	return err
}

// ListLoadBalancers returns every load balancer of provider, following the
// API's pagination. HTTP errors are retried (exponential waits) until the
// retry period is over; other errors (connection refused, bad JSON) are
// returned at once.
func (c *Client) ListLoadBalancers(ctx context.Context, provider string) ([]LoadBalancer, error) {
	start := time.Now()
	wait := c.retryFirst
	for attempt := 1; ; attempt++ {
		out, err := c.listOnce(ctx, provider)
		if err == nil {
			return out, nil
		}
		var he *HTTPError
		if !errors.As(err, &he) || c.retryFor <= 0 {
			return nil, err
		}
		left := c.retryFor - time.Since(start)
		if left <= 0 {
			return nil, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		w := min(wait, left)
		c.log.WithError(err).WithFields(logrus.Fields{"attempt": attempt, "wait": w}).Warn("listing Octavia load balancers failed, retrying")
		t := time.NewTimer(w)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("list Octavia load balancers: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

func (c *Client) listOnce(ctx context.Context, provider string) ([]LoadBalancer, error) {
	var out []LoadBalancer
	err := loadbalancers.List(c.sc, loadbalancers.ListOpts{Provider: provider}).EachPage(ctx,
		func(_ context.Context, p pagination.Page) (bool, error) {
			lbs, err := loadbalancers.ExtractLoadBalancers(p)
			if err != nil {
				return false, err
			}
			for _, lb := range lbs {
				// The API filters by provider; a server that ignores the
				// filter must not make us sync other providers' LBs.
				if provider != "" && lb.Provider != provider {
					continue
				}
				out = append(out, LoadBalancer{ID: lb.ID, Name: lb.Name, Provider: lb.Provider, ProvisioningStatus: lb.ProvisioningStatus})
			}
			return true, nil
		})
	if err != nil {
		return nil, fmt.Errorf("list Octavia load balancers (provider=%s): %w", provider, translate(err))
	}
	return out, nil
}
