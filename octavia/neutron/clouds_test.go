package neutron_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
	. "github.com/onsi/gomega"

	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// fakeKeystone issues tokens "tok-1", "tok-2", … for password auth and puts
// the fake Neutron in the catalog.
type fakeKeystone struct {
	mu         sync.Mutex
	issued     int
	neutronURL string
	authBodies []map[string]any
}

func (k *fakeKeystone) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v3/auth/tokens" {
		http.NotFound(w, r)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	k.mu.Lock()
	k.issued++
	tok := fmt.Sprintf("tok-%d", k.issued)
	k.authBodies = append(k.authBodies, body)
	k.mu.Unlock()
	w.Header().Set("X-Subject-Token", tok)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"token": map[string]any{
		"expires_at": "2099-01-01T00:00:00.000000Z",
		"methods":    []string{"password"},
		"catalog": []any{map[string]any{
			"type": "network", "name": "neutron", "id": "net-svc",
			"endpoints": []any{
				map[string]any{"id": "e1", "interface": "internal", "region": "RegionOne", "url": "http://127.0.0.1:1"},
				map[string]any{"id": "e2", "interface": "public", "region": "RegionOne", "url": k.neutronURL},
			},
		}},
	}})
}

func (k *fakeKeystone) tokensIssued() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.issued
}

func writeCloudsYAML(t *testing.T, authURL string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clouds.yaml")
	content := fmt.Sprintf(`clouds:
  octavia:
    auth:
      auth_url: %s/v3
      username: octavia
      password: secret
      project_name: service
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
`, authURL)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewFromCloudsYAMLAuthenticatesAndReauthenticates(t *testing.T) {
	g := NewWithT(t)
	fake := fakeneutron.New("tok-1")
	nURL, err := fake.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer fake.Close()
	_, err = fake.AddNetwork(fakeneutron.Network{ID: netID, Name: "private"})
	g.Expect(err).NotTo(HaveOccurred())

	ks := &fakeKeystone{neutronURL: nURL}
	ksSrv := httptest.NewServer(ks)
	defer ksSrv.Close()
	path := writeCloudsYAML(t, ksSrv.URL)
	ctx := context.Background()

	c, err := neutron.NewFromCloudsYAML(ctx, "octavia", neutron.WithLogger(quietLog()),
		neutron.WithCloudsParseOptions(clouds.WithLocations(path)))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ks.tokensIssued()).To(Equal(1))
	g.Expect(ks.authBodies[0]).To(HaveKeyWithValue("auth", HaveKeyWithValue("identity",
		HaveKeyWithValue("password", HaveKeyWithValue("user", HaveKeyWithValue("name", "octavia"))))))

	// The public endpoint of RegionOne was chosen; paths get /v2.0.
	n, err := c.GetNetwork(ctx, netID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.Name).To(Equal("private"))

	// The token expires (Neutron now wants another): the client must log in
	// again by itself (AllowReauth) and repeat the request.
	fake.SetToken("tok-2")
	n, err = c.GetNetwork(ctx, netID)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(n.ID).To(Equal(netID))
	g.Expect(ks.tokensIssued()).To(Equal(2))
	calls := []string{}
	for _, r := range fake.Requests() {
		calls = append(calls, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	g.Expect(calls).To(Equal([]string{
		"GET / 200", // gophercloud's version discovery of the catalog endpoint
		"GET /v2.0/networks/" + netID + " 200",
		"GET /v2.0/networks/" + netID + " 401",
		"GET /v2.0/networks/" + netID + " 200",
	}))
}

func TestNewFromCloudsYAMLEndpointOverride(t *testing.T) {
	g := NewWithT(t)
	fake := fakeneutron.New("tok-1")
	nURL, err := fake.Start()
	g.Expect(err).NotTo(HaveOccurred())
	defer fake.Close()
	_, err = fake.AddNetwork(fakeneutron.Network{ID: netID})
	g.Expect(err).NotTo(HaveOccurred())

	// The catalog points somewhere unusable; the override wins.
	ks := &fakeKeystone{neutronURL: "http://127.0.0.1:1"}
	ksSrv := httptest.NewServer(ks)
	defer ksSrv.Close()

	c, err := neutron.NewFromCloudsYAML(context.Background(), "octavia", neutron.WithLogger(quietLog()),
		neutron.WithCloudsParseOptions(clouds.WithLocations(writeCloudsYAML(t, ksSrv.URL))),
		neutron.WithEndpointOverride(nURL))
	g.Expect(err).NotTo(HaveOccurred())
	_, err = c.GetNetwork(context.Background(), netID)
	g.Expect(err).NotTo(HaveOccurred())
}

func TestNewFromCloudsYAMLErrors(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()

	_, err := neutron.NewFromCloudsYAML(ctx, "octavia",
		neutron.WithCloudsParseOptions(clouds.WithLocations(filepath.Join(t.TempDir(), "none.yaml"))))
	g.Expect(err).To(MatchError(ContainSubstring(`parse clouds.yaml cloud "octavia"`)))

	ks := &fakeKeystone{neutronURL: "http://127.0.0.1:1"}
	ksSrv := httptest.NewServer(ks)
	defer ksSrv.Close()
	_, err = neutron.NewFromCloudsYAML(ctx, "other",
		neutron.WithCloudsParseOptions(clouds.WithLocations(writeCloudsYAML(t, ksSrv.URL))))
	g.Expect(err).To(MatchError(ContainSubstring(`cloud "other" not found`)))

	// Keystone down.
	ksSrv.Close()
	_, err = neutron.NewFromCloudsYAML(ctx, "octavia",
		neutron.WithCloudsParseOptions(clouds.WithLocations(writeCloudsYAML(t, ksSrv.URL))))
	g.Expect(err).To(MatchError(ContainSubstring("authenticate against Keystone")))
}
