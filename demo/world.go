package demo

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ovn-kubernetes/libovsdb/client"
	"github.com/ovn-kubernetes/libovsdb/model"
	"github.com/ovn-kubernetes/libovsdb/ovsdb"

	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/model/sb"
	"github.com/ovn-octavia/ovn-octavia/octavia/neutron/fakeneutron"
)

// Fixed identifiers keep the demo's output stable; names maps them back to
// something a reader can follow.
const (
	projectID = "5a1ce0de-0000-4000-8000-0000000000aa"
	net1ID    = "0e7a1111-0000-4000-8000-000000000001"
	net2ID    = "0e7a2222-0000-4000-8000-000000000002"
	subnet1ID = "5b0e1111-0000-4000-8000-000000000001"
	subnet2ID = "5b0e2222-0000-4000-8000-000000000002"
	routerID  = "7007e111-0000-4000-8000-000000000001"
	rif1ID    = "12f01111-0000-4000-8000-000000000001" // router interface on net1
	rif2ID    = "12f02222-0000-4000-8000-000000000002" // router interface on net2
	vm1PortID = "0a0d0001-0000-4000-8000-000000000011"
	vm2PortID = "0a0d0002-0000-4000-8000-000000000012"
	vm3PortID = "0a0d0003-0000-4000-8000-000000000013"

	lbID       = "1b000001-0000-4000-8000-000000000001"
	listenerID = "1157e4e1-0000-4000-8000-000000000001"
	poolID     = "9001aaaa-0000-4000-8000-000000000001"
	member1ID  = "3e3be401-0000-4000-8000-000000000001"
	member2ID  = "3e3be402-0000-4000-8000-000000000002"
	hmID       = "4e417401-0000-4000-8000-000000000001"
)

var friendly = map[string]string{
	net1ID: "net1", net2ID: "net2", routerID: "router1",
	lbID: "lb1", listenerID: "listener-http", poolID: "pool-web",
	member1ID: "web-1", member2ID: "web-2", hmID: "hm-tcp",
}

// name returns the friendly name of an id (a trailing :D and a neutron-
// prefix are kept visible).
func name(id string) string {
	if n, ok := friendly[strings.TrimSuffix(id, ":D")]; ok {
		return n + strings.TrimPrefix(id, strings.TrimSuffix(id, ":D"))
	}
	if n, ok := friendly[strings.TrimPrefix(id, "neutron-")]; ok {
		return n
	}
	return id
}

// vm is a Nova instance port of the topology.
type vm struct {
	portID, netID, subnetID, ip, mac string
}

var vms = []vm{
	{vm1PortID, net1ID, subnet1ID, "10.0.1.11", "fa:16:3e:00:01:11"},
	{vm2PortID, net1ID, subnet1ID, "10.0.1.12", "fa:16:3e:00:01:12"},
	{vm3PortID, net2ID, subnet2ID, "10.0.2.13", "fa:16:3e:00:02:13"}, // not a member: a VM elsewhere
}

// seedNeutron gives the fake Neutron the networks, subnets and VM ports that
// the NB topology below mirrors.
func seedNeutron(n *fakeneutron.Server) error {
	for _, net := range []fakeneutron.Network{
		{ID: net1ID, Name: "net1", ProjectID: projectID},
		{ID: net2ID, Name: "net2", ProjectID: projectID},
	} {
		if _, err := n.AddNetwork(net); err != nil {
			return err
		}
	}
	for _, s := range []fakeneutron.Subnet{
		{ID: subnet1ID, NetworkID: net1ID, ProjectID: projectID, CIDR: "10.0.1.0/24", GatewayIP: "10.0.1.1"},
		{ID: subnet2ID, NetworkID: net2ID, ProjectID: projectID, CIDR: "10.0.2.0/24", GatewayIP: "10.0.2.1"},
	} {
		if _, err := n.AddSubnet(s); err != nil {
			return err
		}
	}
	for _, v := range vms {
		if _, err := n.AddPort(fakeneutron.Port{
			ID: v.portID, NetworkID: v.netID, ProjectID: projectID, MACAddress: v.mac,
			DeviceOwner: "compute:nova", AdminStateUp: true,
			FixedIPs: []fakeneutron.FixedIP{{SubnetID: v.subnetID, IPAddress: v.ip}},
		}); err != nil {
			return err
		}
	}
	return nil
}

// seedNB writes what Neutron's ML2/OVN driver would have written for that
// topology: two switches with their VM ports, a router with an interface on
// net1 only.
func seedNB(ctx context.Context, c client.Client) error {
	var ops []ovsdb.Operation
	add := func(o []ovsdb.Operation, err error) error {
		if err != nil {
			return err
		}
		ops = append(ops, o...)
		return nil
	}
	ports := map[string][]string{}
	for i, v := range vms {
		named := fmt.Sprintf("vm%d", i)
		if err := add(c.Create(&nb.LogicalSwitchPort{
			UUID: named, Name: v.portID, Addresses: []string{v.mac + " " + v.ip},
			ExternalIDs: map[string]string{
				"neutron:network_name": "neutron-" + v.netID,
				"neutron:project_id":   projectID,
				"neutron:port_name":    "",
			},
		})); err != nil {
			return err
		}
		ports[v.netID] = append(ports[v.netID], named)
	}
	lsp, lrp := routerInterface(rif1ID, net1ID, "10.0.1.1/24", "rif1lsp", "rif1lrp")
	if err := add(c.Create(lsp)); err != nil {
		return err
	}
	if err := add(c.Create(lrp)); err != nil {
		return err
	}
	ports[net1ID] = append(ports[net1ID], "rif1lsp")
	for _, netID := range []string{net1ID, net2ID} {
		if err := add(c.Create(&nb.LogicalSwitch{
			Name: "neutron-" + netID, Ports: ports[netID],
			ExternalIDs: map[string]string{"neutron:network_name": friendly[netID]},
		})); err != nil {
			return err
		}
	}
	if err := add(c.Create(&nb.LogicalRouter{
		Name: "neutron-" + routerID, Ports: []string{"rif1lrp"},
		ExternalIDs: map[string]string{"neutron:router_name": "router1"},
	})); err != nil {
		return err
	}
	return transact(ctx, c, ops)
}

// routerInterface returns the LSP/LRP pair Neutron writes for a router
// interface on a tenant network.
func routerInterface(portID, netID, cidr, lspUUID, lrpUUID string) (*nb.LogicalSwitchPort, *nb.LogicalRouterPort) {
	lsp := &nb.LogicalSwitchPort{
		UUID: lspUUID, Name: portID, Type: "router", Addresses: []string{"router"},
		Options: map[string]string{"router-port": "lrp-" + portID},
		ExternalIDs: map[string]string{
			"neutron:device_owner": "network:router_interface",
			"neutron:cidrs":        cidr,
			"neutron:network_name": "neutron-" + netID,
		},
	}
	lrp := &nb.LogicalRouterPort{
		UUID: lrpUUID, Name: "lrp-" + portID, MAC: "fa:16:3e:ff:00:" + portID[len(portID)-2:],
		Networks: []string{cidr},
		ExternalIDs: map[string]string{
			"neutron:network_name": "neutron-" + netID,
			"neutron:router_name":  routerID,
		},
	}
	return lsp, lrp
}

// addRouterInterface plugs router1 into a network, as `openstack router add
// subnet` does.
func addRouterInterface(ctx context.Context, c client.Client, portID, netID, cidr string) error {
	lsp, lrp := routerInterface(portID, netID, cidr, "newlsp", "newlrp")
	var ops []ovsdb.Operation
	for _, m := range []any{lsp, lrp} {
		var (
			o   []ovsdb.Operation
			err error
		)
		switch row := m.(type) {
		case *nb.LogicalSwitchPort:
			o, err = c.Create(row)
		case *nb.LogicalRouterPort:
			o, err = c.Create(row)
		}
		if err != nil {
			return err
		}
		ops = append(ops, o...)
	}
	ls, err := switchNamed(ctx, c, "neutron-"+netID)
	if err != nil {
		return err
	}
	lr, err := routerNamed(ctx, c, "neutron-"+routerID)
	if err != nil {
		return err
	}
	ops = append(ops,
		mutate(nb.LogicalSwitchTable, ls.UUID, "ports", ovsdb.MutateOperationInsert, "newlsp"),
		mutate(nb.LogicalRouterTable, lr.UUID, "ports", ovsdb.MutateOperationInsert, "newlrp"))
	return transact(ctx, c, ops)
}

// removeRouterInterface unplugs it again.
func removeRouterInterface(ctx context.Context, c client.Client, portID, netID string) error {
	lsp := &nb.LogicalSwitchPort{Name: portID}
	if err := get(ctx, c, lsp); err != nil {
		return fmt.Errorf("lsp %s: %w", portID, err)
	}
	lrp := &nb.LogicalRouterPort{Name: "lrp-" + portID}
	if err := get(ctx, c, lrp); err != nil {
		return fmt.Errorf("lrp %s: %w", lrp.Name, err)
	}
	ls, err := switchNamed(ctx, c, "neutron-"+netID)
	if err != nil {
		return err
	}
	lr, err := routerNamed(ctx, c, "neutron-"+routerID)
	if err != nil {
		return err
	}
	// Dropping the references garbage-collects the non-root port rows.
	return transact(ctx, c, []ovsdb.Operation{
		mutate(nb.LogicalSwitchTable, ls.UUID, "ports", ovsdb.MutateOperationDelete, lsp.UUID),
		mutate(nb.LogicalRouterTable, lr.UUID, "ports", ovsdb.MutateOperationDelete, lrp.UUID),
	})
}

// addVIPPortLSP writes the LSP Neutron creates for the VIP port.
func addVIPPortLSP(ctx context.Context, c client.Client, portID, portName, ip string) error {
	ops, err := c.Create(&nb.LogicalSwitchPort{
		UUID: "vip", Name: portID, Addresses: []string{"fa:16:3e:00:01:64 " + ip},
		ExternalIDs: map[string]string{
			"neutron:port_name":    portName,
			"neutron:network_name": "neutron-" + net1ID,
			"neutron:project_id":   projectID,
		},
	})
	if err != nil {
		return err
	}
	ls, err := switchNamed(ctx, c, "neutron-"+net1ID)
	if err != nil {
		return err
	}
	ops = append(ops, mutate(nb.LogicalSwitchTable, ls.UUID, "ports", ovsdb.MutateOperationInsert, "vip"))
	return transact(ctx, c, ops)
}

// setPortFIP is what Neutron does to the VIP port's LSP when a floating IP
// is associated (fip != "") or disassociated.
func setPortFIP(ctx context.Context, c client.Client, portID, fip string) error {
	lsp := &nb.LogicalSwitchPort{Name: portID}
	if err := get(ctx, c, lsp); err != nil {
		return err
	}
	if fip == "" {
		delete(lsp.ExternalIDs, "neutron:port_fip")
	} else {
		lsp.ExternalIDs["neutron:port_fip"] = fip
	}
	ops, err := c.Where(lsp).Update(lsp, &lsp.ExternalIDs)
	if err != nil {
		return err
	}
	return transact(ctx, c, ops)
}

// createServiceMonitors does ovn-northd's part: one SB Service_Monitor row per
// health-checked backend of every LB row (backend in vips with a mapping).
func createServiceMonitors(ctx context.Context, nbc, sbc client.Client) (int, error) {
	var lbs []nb.LoadBalancer
	if err := nbc.List(ctx, &lbs); err != nil {
		return 0, err
	}
	var ops []ovsdb.Operation
	seen := map[string]bool{}
	for _, lb := range lbs {
		if len(lb.HealthCheck) == 0 || lb.Protocol == nil {
			continue
		}
		for _, backends := range lb.Vips {
			for _, be := range strings.Split(backends, ",") {
				i := strings.LastIndex(be, ":")
				if i < 0 {
					continue
				}
				ip, port := be[:i], be[i+1:]
				mapping, ok := lb.IPPortMappings[ip]
				if !ok || seen[be] {
					continue
				}
				seen[be] = true
				j := strings.Index(mapping, ":")
				var portNum int
				fmt.Sscanf(port, "%d", &portNum)
				proto := string(*lb.Protocol)
				o, err := sbc.Create(&sb.ServiceMonitor{
					IP: ip, Port: portNum, Protocol: &proto, LogicalPort: mapping[:j], SrcIP: mapping[j+1:],
					SrcMAC: "0a:58:0a:00:00:01", Options: map[string]string{"interval": "5"},
				})
				if err != nil {
					return 0, err
				}
				ops = append(ops, o...)
			}
		}
	}
	return len(ops), transact(ctx, sbc, ops)
}

// setServiceMonitorStatus does ovn-controller's part: the probe result of
// every monitor for ips (all when ips is empty).
func setServiceMonitorStatus(ctx context.Context, sbc client.Client, status string, ips ...string) error {
	var sms []sb.ServiceMonitor
	if err := sbc.List(ctx, &sms); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, ip := range ips {
		want[ip] = true
	}
	var ops []ovsdb.Operation
	for i := range sms {
		sm := &sms[i]
		if len(want) > 0 && !want[sm.IP] {
			continue
		}
		st := status
		sm.Status = &st
		o, err := sbc.Where(sm).Update(sm, &sm.Status)
		if err != nil {
			return err
		}
		ops = append(ops, o...)
	}
	return transact(ctx, sbc, ops)
}

// associations lists, per LB row, the switches and routers holding it.
func associations(ctx context.Context, c client.Client) (map[string][]string, error) {
	var lss []nb.LogicalSwitch
	var lrs []nb.LogicalRouter
	if err := c.List(ctx, &lss); err != nil {
		return nil, err
	}
	if err := c.List(ctx, &lrs); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, ls := range lss {
		for _, lb := range ls.LoadBalancer {
			out[lb] = append(out[lb], "switch "+name(ls.Name))
		}
	}
	for _, lr := range lrs {
		for _, lb := range lr.LoadBalancer {
			out[lb] = append(out[lb], "router "+name(lr.Name))
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out, nil
}

func mutate(table, uuid, column string, mutator ovsdb.Mutator, ref string) ovsdb.Operation {
	return ovsdb.Operation{
		Op: ovsdb.OperationMutate, Table: table,
		Where: []ovsdb.Condition{ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: uuid})},
		Mutations: []ovsdb.Mutation{*ovsdb.NewMutation(column, mutator,
			ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: ref}}})},
	}
}

// transact is the demo's own setup write path (it plays Neutron and OVN, not
// the provider, so it does not go through nbtxn).
func transact(ctx context.Context, c client.Client, ops []ovsdb.Operation) error {
	if len(ops) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	if _, err := ovsdb.CheckOperationResults(res, ops); err != nil {
		return fmt.Errorf("demo setup transaction: %w", err)
	}
	return nil
}

// get reads a row by index from c's cache, waiting for rows the demo has
// just written to arrive there.
func get(ctx context.Context, c client.Client, m model.Model) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		err := c.Get(ctx, m)
		if err == nil || !errors.Is(err, client.ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// switchNamed and routerNamed look rows up by name, which is not a schema
// index (Get only uses those).
func switchNamed(ctx context.Context, c client.Client, name string) (*nb.LogicalSwitch, error) {
	var found []nb.LogicalSwitch
	err := poll(ctx, func() bool {
		found = nil
		err := c.WhereCache(func(ls *nb.LogicalSwitch) bool { return ls.Name == name }).List(ctx, &found)
		return err == nil && len(found) == 1
	}, "switch "+name)
	if err != nil {
		return nil, err
	}
	return &found[0], nil
}

func routerNamed(ctx context.Context, c client.Client, name string) (*nb.LogicalRouter, error) {
	var found []nb.LogicalRouter
	err := poll(ctx, func() bool {
		found = nil
		err := c.WhereCache(func(lr *nb.LogicalRouter) bool { return lr.Name == name }).List(ctx, &found)
		return err == nil && len(found) == 1
	}, "router "+name)
	if err != nil {
		return nil, err
	}
	return &found[0], nil
}
