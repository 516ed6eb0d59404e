package agent

import (
	"github.com/ovn-kubernetes/libovsdb/cache"

	"github.com/ovn-octavia/ovn-octavia/model/sb"
)

// serviceMonitors copies the Service_Monitor rows of the SB cache.
func serviceMonitors(c *cache.TableCache) []sb.ServiceMonitor {
	if c == nil {
		return nil
	}
	t := c.Table(sb.ServiceMonitorTable)
	if t == nil {
		return nil
	}
	rows := t.RowsShallow()
	out := make([]sb.ServiceMonitor, 0, len(rows))
	for _, m := range rows {
		if sm, ok := m.(*sb.ServiceMonitor); ok {
			out = append(out, *sm.DeepCopy())
		}
	}
	return out
}
