package lbdata

import (
	"fmt"
	"strings"
	"testing"
)

// benchRow is a row with 4 listeners on 4 pools of 50 members each, half
// of them with a recorded status.
func benchRow() map[string]string {
	ext := map[string]string{KeyEnabled: "True", KeyVIP: "10.0.0.10", KeyAdditionalVIPs: "fd00::10", KeyVIPFIP: "172.24.4.50"}
	ms := &MemberStatus{}
	for p := 0; p < 4; p++ {
		var entries []string
		for m := 0; m < 50; m++ {
			id := fmt.Sprintf("m%d-%d", p, m)
			entries = append(entries, fmt.Sprintf("member_%s_10.1.%d.%d:8080_subnet", id, p, m))
			if m%2 == 0 {
				ms.Set(id, "ONLINE")
			}
		}
		ext[fmt.Sprintf("pool_p%d", p)] = strings.Join(entries, ",")
		ext[fmt.Sprintf("listener_l%d", p)] = fmt.Sprintf("%d:pool_p%d", 80+p, p)
	}
	ms.Store(ext)
	return ext
}

func BenchmarkComputeVIPs(b *testing.B) {
	ext := benchRow()
	for b.Loop() {
		if len(ComputeVIPs(ext)) != 8 {
			b.Fatal("wrong vips")
		}
	}
}

func BenchmarkRollUp(b *testing.B) {
	ext := benchRow()
	for b.Loop() {
		if st := RollUp("lb", ext, allUp{}); len(st.Pools) != 4 {
			b.Fatal("wrong roll-up")
		}
	}
}
