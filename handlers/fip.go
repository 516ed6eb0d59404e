package handlers

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/health"
	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
	"github.com/ovn-octavia/ovn-octavia/watcher"
)

const (
	vipPortPrefix           = "ovn-lb-vip-"
	additionalVIPPortPrefix = "ovn-lb-vip-additional-"
	natFIPPortIDKey         = "neutron:fip_port_id"
)

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// fipRequest is handle_vip_fip's input (events-and-status §5), resolved
// outside the NB transaction.
type fipRequest struct {
	lbID       string
	fip        string
	associate  bool
	additional bool
	vipRelated []string // fixed IPs of the VIP port
	event      string
}

// prepareFIP is the event-thread part of §5: the action, the LB id from the
// port name, the LB's rows (waited for up to FindRowsTimeout) and the VIP
// port's fixed IPs. A nil request means "nothing to do".
func (h *Handler) prepareFIP(ctx context.Context, e watcher.VIPPortFIPChanged) (*fipRequest, error) {
	if e.OldFIP == e.NewFIP {
		return nil, nil
	}
	req := &fipRequest{event: e.String()}
	if e.OldFIP != "" && e.NewFIP == "" {
		req.fip = e.OldFIP
	} else {
		req.fip, req.associate = e.NewFIP, true
	}
	switch {
	case strings.HasPrefix(e.PortName, additionalVIPPortPrefix):
		req.lbID = uuidRE.FindString(e.PortName)
		req.additional = true
	case strings.HasPrefix(e.PortName, vipPortPrefix):
		req.lbID = strings.TrimPrefix(e.PortName, vipPortPrefix)
	default:
		return nil, nil
	}
	if req.lbID == "" {
		return nil, fmt.Errorf("no LB id in port name %q", e.PortName)
	}
	if ok, err := h.waitRows(ctx, req.lbID); err != nil || !ok {
		if err == nil {
			h.log.WithField("lb", req.lbID).Info("VIP FIP event for an LB without NB rows, ignored")
		}
		return nil, err
	}
	related, err := h.vipPortIPs(ctx, e.LSP)
	if err != nil {
		return nil, err
	}
	req.vipRelated = related
	return req, nil
}

// waitRows waits until NB has rows named lbID (events-and-status §12: up to
// 10 s). Reading through an empty Run commits nothing.
func (h *Handler) waitRows(ctx context.Context, lbID string) (bool, error) {
	deadline := time.Now().Add(h.cfg.FindRowsTimeout)
	delay := 100 * time.Millisecond
	for {
		found := false
		if err := h.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
			found = len(t.LBsByName(lbID)) > 0
			return nil
		}); err != nil {
			return false, err
		}
		if found {
			return true, nil
		}
		if time.Now().Add(delay).After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// vipPortIPs returns the VIP port's fixed IPs: from Neutron (as the
// reference), else from the port's LSP addresses in NB, which carry the same
// IPs.
func (h *Handler) vipPortIPs(ctx context.Context, portID string) ([]string, error) {
	if h.cfg.Neutron != nil {
		p, err := h.cfg.Neutron.GetPort(ctx, portID)
		if err == nil && p != nil {
			var ips []string
			for _, f := range p.FixedIPs {
				ips = append(ips, f.IPAddress)
			}
			return ips, nil
		}
		h.log.WithError(err).WithField("port", portID).Warn("Neutron port read failed; using the LSP addresses")
	}
	var ips []string
	err := h.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		ips = nil
		if lsp := t.LSPByName(portID); lsp != nil {
			ips = lspIPs(lsp)
		}
		return nil
	})
	return ips, err
}

// lspIPs returns every token of the LSP's addresses that is an IP.
func lspIPs(lsp *nb.LogicalSwitchPort) []string {
	var out []string
	for _, a := range lsp.Addresses {
		for _, tok := range strings.Fields(a) {
			if _, err := netip.ParseAddr(tok); err == nil {
				out = append(out, tok)
			}
		}
	}
	return out
}

// vipFIP is handle_vip_fip for every row of the LB (events-and-status §5).
//
// Associate uses the reference's "sync" semantics (external_ids written only
// when the value changes, a FIP LBHC created only when none has that
// address) so that a replayed event writes nothing; for a single event the
// result is the reference's. A FIP moving A -> B on the main VIP overwrites
// A and keeps A's LBHC, as the reference does.
func (b *burst) vipFIP(req *fipRequest) {
	if req == nil {
		return
	}
	for _, lb := range b.t.LBsByName(req.lbID) {
		b.applyFIP(lb, req)
	}
}

// applyFIP is handle_vip_fip for one row.
func (b *burst) applyFIP(lb *nb.LoadBalancer, req *fipRequest) {
	if req.associate {
		b.associateFIP(lb, req)
	} else {
		disassociateFIP(b.t, lb, req)
	}
	vips := lbdata.ComputeVIPs(lb.ExternalIDs)
	if !maps.Equal(vips, lb.Vips) {
		lb.Vips = vips
	}
	b.log.WithFields(logrus.Fields{"event": "vip_fip", "lb": lb.Name, "lb_uuid": lb.UUID, "fip": req.fip,
		"associate": req.associate}).Debug("VIP FIP applied")
}

// resyncFIPs brings neutron:vip_fip and neutron:additional_vip_fips of
// every row of ours in line with the neutron:port_fip Neutron publishes on
// the provider-named VIP ports, applying exactly the events a running agent
// would have seen: a FIP that is gone is disassociated, a new or changed
// one associated (a main FIP replaced A -> B keeps A's health check, as the
// event does). VIP ports supplied by the user never trigger FIP events, so
// they are ignored here too.
func (b *burst) resyncFIPs() { b.eachOurLB(b.resyncLBFIPs) }

// resyncLBFIPs applies to one row the FIP events resyncFIPs stands for.
func (b *burst) resyncLBFIPs(lb *nb.LoadBalancer) {
	var reqs []*fipRequest
	if lsp := b.t.LSPByName(lb.ExternalIDs[lbdata.KeyVIPPortID]); lsp != nil &&
		strings.HasPrefix(lsp.ExternalIDs[lbdata.KeyPortName], vipPortPrefix) &&
		!strings.HasPrefix(lsp.ExternalIDs[lbdata.KeyPortName], additionalVIPPortPrefix) {
		cur, want := lb.ExternalIDs[lbdata.KeyVIPFIP], lsp.ExternalIDs[lbdata.KeyPortFIP]
		switch {
		case cur == want:
		case want == "":
			reqs = append(reqs, &fipRequest{lbID: lb.Name, fip: cur})
		default:
			reqs = append(reqs, &fipRequest{lbID: lb.Name, fip: want, associate: true, vipRelated: lspIPs(lsp)})
		}
	}
	have := splitList(lb.ExternalIDs[lbdata.KeyAdditionalVIPFIPs])
	var want []string
	var adds []*fipRequest
	managed := false
	for _, port := range splitList(lb.ExternalIDs[lbdata.KeyAdditionalVIPPortIDs]) {
		lsp := b.t.LSPByName(port)
		if lsp == nil || !strings.HasPrefix(lsp.ExternalIDs[lbdata.KeyPortName], additionalVIPPortPrefix) {
			continue
		}
		managed = true
		f := lsp.ExternalIDs[lbdata.KeyPortFIP]
		if f == "" {
			continue
		}
		want = append(want, f)
		if !slices.Contains(have, f) {
			adds = append(adds, &fipRequest{lbID: lb.Name, fip: f, associate: true, additional: true, vipRelated: lspIPs(lsp)})
		}
	}
	if managed {
		for _, f := range have {
			if !slices.Contains(want, f) {
				reqs = append(reqs, &fipRequest{lbID: lb.Name, fip: f, additional: true})
			}
		}
		reqs = append(reqs, adds...)
	}
	for _, req := range reqs {
		b.applyFIP(lb, req)
	}
}

func (b *burst) associateFIP(lb *nb.LoadBalancer, req *fipRequest) {
	if lb.ExternalIDs == nil {
		lb.ExternalIDs = map[string]string{}
	}
	if req.additional {
		fips := splitList(lb.ExternalIDs[lbdata.KeyAdditionalVIPFIPs])
		if !slices.Contains(fips, req.fip) {
			lb.ExternalIDs[lbdata.KeyAdditionalVIPFIPs] = strings.Join(append(fips, req.fip), ",")
		}
	} else if lb.ExternalIDs[lbdata.KeyVIPFIP] != req.fip {
		lb.ExternalIDs[lbdata.KeyVIPFIP] = req.fip
	}
	health.AddFIPHealthChecks(b.t, lb, req.vipRelated, req.fip)
	b.centralizeMemberNATs(lb)
}

func disassociateFIP(t *nbtxn.Txn, lb *nb.LoadBalancer, req *fipRequest) {
	if raw, ok := lb.ExternalIDs[lbdata.KeyAdditionalVIPFIPs]; ok {
		fips := splitList(raw)
		if i := slices.Index(fips, req.fip); i >= 0 {
			fips = slices.Delete(fips, i, i+1)
			if len(fips) == 0 {
				delete(lb.ExternalIDs, lbdata.KeyAdditionalVIPFIPs)
			} else {
				lb.ExternalIDs[lbdata.KeyAdditionalVIPFIPs] = strings.Join(fips, ",")
			}
		}
	}
	if lb.ExternalIDs[lbdata.KeyVIPFIP] == req.fip {
		delete(lb.ExternalIDs, lbdata.KeyVIPFIP)
	}
	health.RemoveFIPHealthChecks(t, lb, req.fip)
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// centralizeMemberNATs makes the floating IPs of the row's members
// centralized now that the LB has a FIP (operations §11, DVR): the NAT row
// whose neutron:fip_port_id is the member's LSP gets external_mac and
// logical_port cleared. The member LSP is the port, on one of the row's
// switches, whose addresses contain the member IP.
func (b *burst) centralizeMemberNATs(lb *nb.LoadBalancer) {
	members := b.poolMembers(lb)
	if len(members) == 0 {
		return
	}
	nats := b.natsByPort()
	if len(nats) == 0 {
		return
	}
	for _, m := range members {
		lsp := b.memberLSP(lb, m.IP)
		if lsp == "" {
			continue
		}
		nat := nats[lsp]
		if nat == nil {
			continue
		}
		if nat.ExternalMAC != nil {
			nat.ExternalMAC = nil
		}
		if nat.LogicalPort != nil {
			nat.LogicalPort = nil
		}
	}
}

// natsByPort indexes the NAT working copies by neutron:fip_port_id (first
// row in UUID order wins, as the reference takes the first match).
func (b *burst) natsByPort() map[string]*nb.NAT {
	if b.nats != nil {
		return b.nats
	}
	b.nats = map[string]*nb.NAT{}
	for _, n := range b.t.NATs() {
		if p := n.ExternalIDs[natFIPPortIDKey]; p != "" {
			if _, ok := b.nats[p]; !ok {
				b.nats[p] = n
			}
		}
	}
	return b.nats
}

// memberLSP returns the name of the LSP holding ip on one of the row's
// counted switches (ls_refs), or "".
func (b *burst) memberLSP(lb *nb.LoadBalancer, ip string) string {
	refs, _ := lbdata.LSRefsFrom(lb.ExternalIDs)
	for _, name := range refs.Names() {
		ls := b.t.SwitchByName(name)
		if ls == nil {
			continue
		}
		for _, p := range ls.Ports {
			lsp := b.t.LSP(p)
			if lsp != nil && slices.Contains(lspIPs(lsp), ip) {
				return lsp.Name
			}
		}
	}
	return ""
}
