package maintenance

import (
	"context"
	"fmt"
	"sort"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/model/nb"
	"github.com/ovn-octavia/ovn-octavia/nbtxn"
)

// BracketIPv6Mappings is one run of the IPv6 mapping task: in every
// Load_Balancer row, each ip_port_mappings entry with an unbracketed IPv6
// key k and value "<lsp>:<src>" becomes "[k]" -> "<lsp>:[<src>]", in one
// NB transaction for all rows. It is finished after one successful run; a
// second run finds nothing to change and writes nothing.
//
// Deliberate difference from the reference: it walks the keys in sorted
// order, stops at the first IPv4 or bracketed key and replaces the whole
// column with the entries it rebuilt, which on a row mixing forms leaves
// unbracketed keys behind or drops the other entries. Here every unbracketed
// IPv6 key is rewritten and every other entry kept. On the rows the affected
// releases wrote (all keys unbracketed IPv6) the result is the same.
func (r *Runner) BracketIPv6Mappings(ctx context.Context) (bool, error) {
	log := r.log.WithField("task", TaskIPv6Mappings)
	err := r.cfg.Store.Run(ctx, func(t *nbtxn.Txn) error {
		var todo []string
		t.ScanLBs(func(lb *nb.LoadBalancer) bool {
			for k := range lb.IPPortMappings {
				if lbdata.NeedsBracketFix(k) {
					todo = append(todo, lb.UUID)
					break
				}
			}
			return true
		})
		for _, uuid := range todo {
			lb := t.LB(uuid)
			if lb == nil {
				continue
			}
			rlog := log.WithFields(logrus.Fields{"lb_row": lb.UUID, "lb_id": lb.Name})
			for _, fx := range rebracket(lb.IPPortMappings) {
				flog := rlog.WithFields(logrus.Fields{"key": fx.key, "value": fx.value})
				switch {
				case fx.err != nil:
					flog.WithError(fx.err).Warn("ip_port_mappings entry with an unbracketed IPv6 key has a malformed value; left as it is")
				case fx.dropped:
					flog.WithField("kept", fx.newKey).Info("dropped unbracketed ip_port_mappings entry: the bracketed key already exists")
				default:
					flog.WithFields(logrus.Fields{"new_key": fx.newKey, "new_value": fx.newValue}).Info("ip_port_mappings entry bracketed")
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("bracketing IPv6 ip_port_mappings: %w", err)
	}
	return true, nil
}

// fix is what rebracket did with one unbracketed IPv6 entry.
type fix struct {
	key, value       string
	newKey, newValue string
	// dropped: "[key]" already existed (written by a current release, so
	// it is the value to keep); the stale unbracketed entry was removed.
	dropped bool
	// err: the value is not "<lsp>:<ip>"; the entry is left unchanged.
	err error
}

// rebracket rewrites, in place, every entry of m whose key is an
// unbracketed IPv6 address, and reports each in sorted key order.
func rebracket(m map[string]string) []fix {
	var keys []string
	for k := range m {
		if lbdata.NeedsBracketFix(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]fix, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		f := fix{key: k, value: v, newKey: lbdata.MappingKey(k)}
		if _, exists := m[f.newKey]; exists {
			f.dropped = true
			delete(m, k)
			out = append(out, f)
			continue
		}
		mp, err := lbdata.ParseMappingValue(v)
		if err != nil {
			f.err = err
			out = append(out, f)
			continue
		}
		f.newValue = mp.Value()
		delete(m, k)
		m[f.newKey] = f.newValue
		out = append(out, f)
	}
	return out
}
