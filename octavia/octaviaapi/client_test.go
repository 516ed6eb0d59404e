package octaviaapi_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi"
	"github.com/ovn-octavia/ovn-octavia/octavia/octaviaapi/fakeoctavia"
)

func start(t *testing.T) (*fakeoctavia.Server, string) {
	t.Helper()
	f := fakeoctavia.New("tok")
	url, err := f.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f, url
}

func lbs() []fakeoctavia.LoadBalancer {
	return []fakeoctavia.LoadBalancer{
		{ID: "a", Name: "one", Provider: "ovn"},
		{ID: "b", Name: "two", Provider: "amphora"},
		{ID: "c", Name: "three", Provider: "ovn"},
		{ID: "d", Name: "four", Provider: "ovn"},
	}
}

func ids(l []octaviaapi.LoadBalancer) []string {
	var out []string
	for _, lb := range l {
		out = append(out, lb.ID)
	}
	return out
}

func TestListFiltersAndFollowsPages(t *testing.T) {
	f, url := start(t)
	f.SetLoadBalancers(lbs()...)
	f.SetPageSize(2)
	c, err := octaviaapi.NewFromToken(url, "tok")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ListLoadBalancers(context.Background(), octaviaapi.ProviderOVN)
	if err != nil {
		t.Fatal(err)
	}
	if g := ids(got); len(g) != 3 || g[0] != "a" || g[1] != "c" || g[2] != "d" {
		t.Fatalf("ids = %v, want [a c d]", g)
	}
	if got[1].Name != "three" || got[1].Provider != "ovn" {
		t.Fatalf("lb c = %+v", got[1])
	}
	reqs := f.Requests()
	if len(reqs) != 2 || reqs[0] != "GET /v2.0/lbaas/loadbalancers?provider=ovn" {
		t.Fatalf("requests = %q", reqs)
	}
}

func TestListRetriesHTTPErrors(t *testing.T) {
	f, url := start(t)
	f.SetLoadBalancers(lbs()...)
	f.FailNext(503, 2)
	c, err := octaviaapi.NewFromToken(url+"v2/", "tok", octaviaapi.WithRetry(time.Millisecond, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ListLoadBalancers(context.Background(), "ovn")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(f.Requests()) != 3 {
		t.Fatalf("got %v after %d requests", ids(got), len(f.Requests()))
	}
}

func TestListGivesUpAfterRetryPeriod(t *testing.T) {
	f, url := start(t)
	f.FailNext(500, 1000)
	c, err := octaviaapi.NewFromToken(url, "tok", octaviaapi.WithRetry(5*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListLoadBalancers(context.Background(), "ovn")
	var he *octaviaapi.HTTPError
	if !errors.As(err, &he) || he.Code != 500 {
		t.Fatalf("err = %v, want an HTTP 500 error", err)
	}
	if n := len(f.Requests()); n < 2 {
		t.Fatalf("%d requests, want retries", n)
	}
}

func TestWrongTokenIsAnError(t *testing.T) {
	_, url := start(t)
	c, err := octaviaapi.NewFromToken(url, "other", octaviaapi.WithRetry(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListLoadBalancers(context.Background(), "ovn")
	var he *octaviaapi.HTTPError
	if !errors.As(err, &he) || he.Code != 401 {
		t.Fatalf("err = %v, want HTTP 401", err)
	}
}

func TestNewFromTokenRejectsBadInput(t *testing.T) {
	if _, err := octaviaapi.NewFromToken("ftp://x", "t"); err == nil {
		t.Fatal("non-http endpoint accepted")
	}
	if _, err := octaviaapi.NewFromToken("http://127.0.0.1:1/", ""); err == nil {
		t.Fatal("empty token accepted")
	}
}
