package membership

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a fake clock: the machine never reads time itself, tests move it.
type clock struct{ now time.Time }

func (c *clock) advance(d time.Duration) time.Time { c.now = c.now.Add(d); return c.now }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// The manual's timing: keepalive 2, deadtime 40, initdead 240 (warntime defaults to 20).
func manualConfig() Config {
	return Config{Local: "linux187", Nodes: []string{"linux187", "linux142"}, Links: []string{"eth0"},
		Keepalive: 2 * time.Second, Warntime: 20 * time.Second, Deadtime: 40 * time.Second,
		Initdead: 240 * time.Second, Deadping: 40 * time.Second,
		PingNodes: map[string][]string{"10.144.43.254": {"10.144.43.254"}}}
}

func only[T Output](outs []Output) []T {
	var r []T
	for _, o := range outs {
		if x, ok := o.(T); ok {
			r = append(r, x)
		}
	}
	return r
}

func TestPeerComesUpThenDiesAfterDeadtime(t *testing.T) {
	c := &clock{now: t0}
	m := New(manualConfig(), c.now)
	if got := m.Status("linux142"); got != StatusInit {
		t.Fatalf("peer starts %q, want init", got)
	}
	out := m.Step(c.advance(time.Second), Heartbeat{Node: "linux142", Link: "eth0", Status: StatusUp})
	want := []Output{
		LinkStatus{Node: "linux142", Link: "eth0", Old: LinkDead, New: LinkUp},
		NodeStatus{Node: "linux142", Old: StatusInit, New: StatusUp},
	}
	if d := cmp.Diff(want, only[Output](filterKeepalive(out))); d != "" {
		t.Fatalf("first heartbeat (-want +got):\n%s", d)
	}
	out = m.Step(c.advance(2*time.Second), Heartbeat{Node: "linux142", Link: "eth0", Status: StatusActive})
	if d := cmp.Diff([]Output{NodeStatus{Node: "linux142", Old: StatusUp, New: StatusActive}}, filterKeepalive(out)); d != "" {
		t.Fatalf("active (-want +got):\n%s", d)
	}
	// Silence: nothing at 39.9 s, dead at 40 s.
	if out := filterKeepalive(m.Step(c.advance(39900*time.Millisecond), Tick{})); len(out) != 0 {
		t.Fatalf("before deadtime: %v", out)
	}
	if next := m.Next(); !next.Equal(c.now.Add(100*time.Millisecond)) && next.After(c.now.Add(100*time.Millisecond)) {
		t.Fatalf("Next %v is after the death at %v", next, c.now.Add(100*time.Millisecond))
	}
	out = filterKeepalive(m.Step(c.advance(100*time.Millisecond), Tick{}))
	want = []Output{
		LinkStatus{Node: "linux142", Link: "eth0", Old: LinkUp, New: LinkDead},
		NodeStatus{Node: "linux142", Old: StatusActive, New: StatusDead},
	}
	if d := cmp.Diff(want, out); d != "" {
		t.Fatalf("at deadtime (-want +got):\n%s", d)
	}
	// It comes back: late past deadtime, up again.
	out = filterKeepalive(m.Step(c.advance(5*time.Second), Heartbeat{Node: "linux142", Link: "eth0", Status: StatusUp}))
	if late := only[LateHeartbeat](out); len(late) != 1 || !late[0].PastDeadtime || late[0].Interval != 45*time.Second {
		t.Errorf("late heartbeats %v", late)
	}
	if m.Status("linux142") != StatusUp || !m.Alive("linux142") {
		t.Errorf("after return: %q", m.Status("linux142"))
	}
}

func filterKeepalive(outs []Output) []Output {
	var r []Output
	for _, o := range outs {
		if _, ok := o.(SendKeepalive); !ok {
			r = append(r, o)
		}
	}
	return r
}

func TestWarntime(t *testing.T) {
	c := &clock{now: t0}
	m := New(manualConfig(), c.now)
	m.Step(c.now, Heartbeat{Node: "linux142", Link: "eth0"})
	if late := only[LateHeartbeat](m.Step(c.advance(20*time.Second), Heartbeat{Node: "linux142", Link: "eth0"})); len(late) != 0 {
		t.Errorf("at exactly warntime: %v", late)
	}
	late := only[LateHeartbeat](m.Step(c.advance(21*time.Second), Heartbeat{Node: "linux142", Link: "eth0"}))
	if d := cmp.Diff([]LateHeartbeat{{Node: "linux142", Interval: 21 * time.Second}}, late); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestInitdeadForNodesNeverHeard(t *testing.T) {
	c := &clock{now: t0}
	m := New(manualConfig(), c.now)
	// deadtime passes: a node never heard stays init until initdead.
	if out := filterKeepalive(m.Step(c.advance(41*time.Second), Tick{})); len(out) != 0 {
		t.Fatalf("at deadtime: %v", out)
	}
	if !m.Next().Before(t0.Add(240*time.Second + time.Nanosecond)) {
		t.Fatalf("Next %v later than initdead", m.Next())
	}
	out := filterKeepalive(m.Step(c.now.Add(199*time.Second), Tick{}))
	want := []Output{
		InitDeadPassed{},
		NodeStatus{Node: "10.144.43.254", Old: StatusInit, New: StatusDead, Ping: true},
		NodeStatus{Node: "linux142", Old: StatusInit, New: StatusDead},
	}
	if d := cmp.Diff(want, out); d != "" {
		t.Fatalf("at initdead (-want +got):\n%s", d)
	}
	if !m.InitDeadPassed() || m.Alive("linux142") || !m.Alive("linux187") {
		t.Errorf("after initdead: passed %v, peer alive %v, local alive %v", m.InitDeadPassed(), m.Alive("linux142"), m.Alive("linux187"))
	}
}

func TestLinksPerMedium(t *testing.T) {
	cfg := manualConfig()
	cfg.Links = []string{"eth0", "eth1"}
	c := &clock{now: t0}
	m := New(cfg, c.now)
	m.Step(c.now, Heartbeat{Node: "linux142", Link: "eth0"})
	m.Step(c.now, Heartbeat{Node: "linux142", Link: "eth1"})
	// eth1 goes quiet; eth0 keeps going: the link dies, the node does not.
	var out []Output
	for i := 0; i < 21; i++ {
		out = append(out, filterKeepalive(m.Step(c.advance(2*time.Second), Heartbeat{Node: "linux142", Link: "eth0"}))...)
	}
	want := []Output{LinkStatus{Node: "linux142", Link: "eth1", Old: LinkUp, New: LinkDead}}
	if d := cmp.Diff(want, out); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if m.LinkStatus("linux142", "eth0") != LinkUp || m.LinkStatus("linux142", "eth1") != LinkDead || !m.Alive("linux142") {
		t.Errorf("links %s/%s, alive %v", m.LinkStatus("linux142", "eth0"), m.LinkStatus("linux142", "eth1"), m.Alive("linux142"))
	}
}

func TestPingNodesAndGroups(t *testing.T) {
	cfg := manualConfig()
	cfg.PingNodes["gw"] = []string{"10.0.0.1", "10.0.0.2"}
	c := &clock{now: t0}
	m := New(cfg, c.now)
	out := filterKeepalive(m.Step(c.now, PingReply{Addr: "10.0.0.2"}))
	if d := cmp.Diff([]Output{NodeStatus{Node: "gw", Old: StatusInit, New: StatusPing, Ping: true}}, out); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	m.Step(c.now, PingReply{Addr: "10.144.43.254"})
	if got := m.PingNodesUp(); got != 2 {
		t.Fatalf("PingNodesUp %d, want 2", got)
	}
	// The gateway stops answering (the manual's §6 failure): dead after deadping.
	for i := 0; i < 20; i++ {
		m.Step(c.advance(2*time.Second), PingReply{Addr: "10.0.0.1"})
	}
	if m.Status("10.144.43.254") != StatusDead || m.Status("gw") != StatusPing || m.PingNodesUp() != 1 {
		t.Errorf("after deadping: %s %s %d", m.Status("10.144.43.254"), m.Status("gw"), m.PingNodesUp())
	}
}

func TestKeepaliveSchedule(t *testing.T) {
	c := &clock{now: t0}
	m := New(manualConfig(), c.now)
	n := 0
	for i := 0; i < 100; i++ { // 10 s in 100 ms steps
		n += len(only[SendKeepalive](m.Step(c.advance(100*time.Millisecond), Tick{})))
	}
	if n != 6 { // due at 0, 2, 4, 6, 8 and 10 s
		t.Errorf("%d keepalives in 10 s, want 6", n)
	}
	// A stall of 10 s yields one keepalive, not a burst.
	if got := len(only[SendKeepalive](m.Step(c.advance(10*time.Second), Tick{}))); got != 1 {
		t.Errorf("after a stall: %d keepalives", got)
	}
}

func TestNodesSnapshot(t *testing.T) {
	c := &clock{now: t0}
	m := New(manualConfig(), c.now)
	m.Step(c.now, Heartbeat{Node: "linux142", Link: "eth0", Status: StatusActive})
	want := []NodeInfo{
		{Name: "linux187", Type: "normal", Status: StatusUp, Links: []LinkInfo{{"eth0", LinkUp}}},
		{Name: "linux142", Type: "normal", Status: StatusActive, Links: []LinkInfo{{"eth0", LinkUp}}},
		{Name: "10.144.43.254", Type: "ping", Status: StatusInit},
	}
	if d := cmp.Diff(want, m.Nodes()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
