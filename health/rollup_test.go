package health

import (
	"context"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/lbdata"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// getter answers the get socket from fixed objects and counts LB reads.
type getter struct {
	lb    *octavia.LoadBalancer
	reads int
}

func (g *getter) GetLoadBalancer(_ context.Context, id string) (*octavia.LoadBalancer, error) {
	g.reads++
	if g.lb == nil || g.lb.LoadBalancerID.V != id {
		return nil, nil
	}
	return g.lb, nil
}
func (g *getter) GetPool(context.Context, string) (*octavia.Pool, error)         { return nil, nil }
func (g *getter) GetListener(context.Context, string) (*octavia.Listener, error) { return nil, nil }

func TestRollUpChangeReusesTheLastRollUp(t *testing.T) {
	up := octavia.Some(true)
	g := &getter{lb: &octavia.LoadBalancer{LoadBalancerID: octavia.Some("lb1"), AdminStateUp: up,
		Pools:     octavia.Some([]octavia.Pool{{PoolID: octavia.Some("p1"), AdminStateUp: up}}),
		Listeners: octavia.Some([]octavia.Listener{{ListenerID: octavia.Some("l1"), AdminStateUp: up}})}}
	m := New(Config{Get: g, Log: logrus.NewEntry(logrus.New())})
	ext := func(ms string) map[string]string {
		return map[string]string{"listener_l1": "80:pool_p1", "pool_p1": "member_m1_10.0.0.1:80_s,member_m2_10.0.0.2:80_s",
			lbdata.KeyMemberStatus: ms}
	}
	online, m1Down, allDown := ext(`{"m1": "ONLINE", "m2": "ONLINE"}`), ext(`{"m1": "ERROR", "m2": "ONLINE"}`), ext(`{"m1": "ERROR", "m2": "ERROR"}`)
	admin := &adminStates{lbUp: true, pools: map[string]bool{"p1": true}, listeners: map[string]bool{"l1": true}}
	want := func(e map[string]string) string { return lbdata.RollUp("lb1", e, admin).String() }

	b, a, err := m.RollUpChange(context.Background(), "u1", "lb1", online, m1Down)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != want(online) || a.String() != want(m1Down) {
		t.Fatalf("got before %s after %s", b, a)
	}
	if g.reads != 1 {
		t.Errorf("%d LB reads for one change, want 1", g.reads)
	}
	// The next change starts where the last ended: remembered, and equal
	// to a fresh roll-up.
	if s, ok := m.rollups.get("u1", "lb1", ext(`{"m1": "ERROR", "m2": "ONLINE"}`), admin); !ok || s.String() != want(m1Down) {
		t.Fatalf("memo: ok %v, %s", ok, s)
	}
	b, a, err = m.RollUpChange(context.Background(), "u1", "lb1", m1Down, allDown)
	if err != nil || b.String() != want(m1Down) || a.String() != want(allDown) {
		t.Fatalf("second change: %v, before %s after %s", err, b, a)
	}
	// Other admin states, another row or other external_ids: not reused.
	down := &adminStates{lbUp: true, pools: map[string]bool{"p1": false}, listeners: map[string]bool{"l1": true}}
	if _, ok := m.rollups.get("u1", "lb1", allDown, down); ok {
		t.Error("reused across admin states")
	}
	if _, ok := m.rollups.get("u2", "lb1", allDown, admin); ok {
		t.Error("reused across rows")
	}
	if _, ok := m.rollups.get("u1", "lb1", online, admin); ok {
		t.Error("reused for other external_ids")
	}
	// A pool disabled in Octavia meanwhile: the before is recomputed with
	// the new admin state, not taken from memory.
	g.lb.Pools = octavia.Some([]octavia.Pool{{PoolID: octavia.Some("p1"), AdminStateUp: octavia.Some(false)}})
	b, _, err = m.RollUpChange(context.Background(), "u1", "lb1", allDown, online)
	if err != nil {
		t.Fatal(err)
	}
	if got, w := b.String(), lbdata.RollUp("lb1", allDown, down).String(); got != w {
		t.Errorf("before after an admin change: got %s, want %s", got, w)
	}
	// An LB Octavia does not know is an error, nothing remembered.
	if _, _, err := m.RollUpChange(context.Background(), "u3", "lb3", online, online); err == nil {
		t.Error("unknown LB: no error")
	}
}
