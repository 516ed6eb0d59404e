package neutron_test

import (
	"context"
	"io"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/octavia/neutron"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// A dry run reads from Neutron and sends no write at all.
func TestDryRunSendsNoWrites(t *testing.T) {
	srv := fakeneutron.New("tok")
	url, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	net, _ := srv.AddNetwork(fakeneutron.Network{Name: "n"})
	sub, _ := srv.AddSubnet(fakeneutron.Subnet{NetworkID: net.ID, CIDR: "10.0.0.0/24"})
	port, _ := srv.AddPort(fakeneutron.Port{NetworkID: net.ID, Name: "p", FixedIPs: []fakeneutron.FixedIP{{SubnetID: sub.ID, IPAddress: "10.0.0.5"}}})
	real, err := neutron.NewFromToken(url, "tok")
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	c := neutron.DryRun(real, logrus.NewEntry(log))
	ctx := context.Background()

	srv.ResetRequests()
	if p, err := c.GetPort(ctx, port.ID); err != nil || p.Name != "p" {
		t.Fatalf("read through dry run: %+v %v", p, err)
	}
	created, err := c.CreatePort(ctx, neutron.PortCreate{Name: "ovn-lb-hm-x", NetworkID: net.ID,
		FixedIPs: []neutron.FixedIP{{SubnetID: sub.ID}}})
	if err != nil || created.FixedIPs[0].IPAddress != neutron.DryRunAddress || created.FixedIPs[0].SubnetID != sub.ID {
		t.Fatalf("dry-run create = %+v, %v", created, err)
	}
	owner := "ovn-lb:vip"
	if p, err := c.UpdatePort(ctx, port.ID, neutron.PortUpdate{DeviceOwner: &owner}); err != nil || p.DeviceOwner != owner {
		t.Fatalf("dry-run update = %+v, %v", p, err)
	}
	if err := c.DeletePort(ctx, port.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateFloatingIPDescription(ctx, "f", "d"); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if r.Method != "GET" {
			t.Errorf("dry run sent %s %s", r.Method, r.Path)
		}
	}
	if len(srv.Ports()) != 1 {
		t.Fatalf("ports changed: %+v", srv.Ports())
	}
}
