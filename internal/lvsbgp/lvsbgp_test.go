package lvsbgp

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/compat/bgpconf"
	"github.com/lvskit/lvskit/internal/bgpspeaker"
	"github.com/lvskit/lvskit/internal/ipvs"
)

var (
	vipA = netip.MustParseAddr("10.0.0.100")
	vipB = netip.MustParseAddr("2001:db8::100")
)

func conf(t *testing.T, extra string) *bgpconf.Config {
	t.Helper()
	c, err := bgpconf.Parse("t", []byte("router-id 10.0.0.11\nlocal-as 65011\nneighbor 10.0.0.1 remote-as 65000\nvip 10.0.0.100\nvip 2001:db8::100 port 80 tcp\nnext-hop 2001:db8::11\n"+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func svc(a netip.Addr, port uint16, p ipvs.Protocol) ipvs.Service {
	fam := ipvs.FamilyIPv4
	if a.Is6() {
		fam = ipvs.FamilyIPv6
	}
	s := ipvs.Service{Key: ipvs.ServiceKey{Family: fam, Protocol: p, Addr: a, Port: port}, Scheduler: "wlc"}
	if a.Is6() {
		s.Netmask = 128
	}
	return s
}

func addReal(t *testing.T, f *ipvs.Fake, s ipvs.Service, rs string, w int32) {
	t.Helper()
	a := netip.MustParseAddr(rs)
	fam := ipvs.FamilyIPv4
	if a.Is6() {
		fam = ipvs.FamilyIPv6
	}
	if err := f.AddDestination(context.Background(), s.Key, ipvs.Destination{Key: ipvs.DestKey{Addr: a, Port: s.Key.Port}, Family: fam, Forward: ipvs.Route, Weight: w}); err != nil {
		t.Fatal(err)
	}
}

func TestHealthy(t *testing.T) {
	ctx := context.Background()
	c := conf(t, "")
	f := ipvs.NewFake()
	read := func() map[netip.Addr]bool {
		tb, err := readTable(ctx, f, c.VIPs)
		if err != nil {
			t.Fatal(err)
		}
		return Healthy(c.VIPs, tb)
	}
	if d := cmp.Diff(map[netip.Addr]bool{vipA: false, vipB: false}, read()); d != "" {
		t.Errorf("empty table (-want +got)\n%s", d)
	}
	a80, b443, b80 := svc(vipA, 80, ipvs.TCP), svc(vipB, 443, ipvs.TCP), svc(vipB, 80, ipvs.TCP)
	for _, s := range []ipvs.Service{a80, b443, b80} {
		if err := f.AddService(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	addReal(t, f, a80, "192.168.1.1", 0)
	addReal(t, f, b443, "2001:db8:1::1", 1) // not the service vip B names
	if d := cmp.Diff(map[netip.Addr]bool{vipA: false, vipB: false}, read()); d != "" {
		t.Errorf("weight 0 and other port (-want +got)\n%s", d)
	}
	addReal(t, f, a80, "192.168.1.2", 1)
	addReal(t, f, b80, "2001:db8:1::2", 5)
	if d := cmp.Diff(map[netip.Addr]bool{vipA: true, vipB: true}, read()); d != "" {
		t.Errorf("live real servers (-want +got)\n%s", d)
	}
}

func TestVerdictFailures(t *testing.T) {
	var v Verdict
	ok := map[netip.Addr]bool{vipA: true}
	v.Observe(ok, nil)
	boom := errors.New("boom")
	for i := 1; i < FailuresBeforeUnhealthy; i++ {
		if got, n := v.Observe(nil, boom); !got[vipA] || n != i {
			t.Fatalf("failure %d: verdict %v", i, got)
		}
	}
	if got, n := v.Observe(nil, boom); got[vipA] || n != FailuresBeforeUnhealthy {
		t.Fatalf("failure %d: still healthy", n)
	}
	if got, n := v.Observe(ok, nil); !got[vipA] || n != 0 {
		t.Fatal("a good read did not restore")
	}
}

func TestWant(t *testing.T) {
	healthy := map[netip.Addr]bool{vipA: true, vipB: false}
	if d := cmp.Diff(map[netip.Addr]bool{vipA: true}, Want(conf(t, ""), healthy, nil)); d != "" {
		t.Errorf("standalone (-want +got)\n%s", d)
	}
	hb := conf(t, "mode heartbeat\n")
	if got := Want(hb, healthy, nil); len(got) != 0 {
		t.Errorf("heartbeat, nothing held: %v", got)
	}
	if d := cmp.Diff(map[netip.Addr]bool{vipA: true}, Want(hb, healthy, map[netip.Addr]bool{vipA: true, vipB: true})); d != "" {
		t.Errorf("heartbeat, both held (-want +got)\n%s", d)
	}
}

type fakeSpeaker struct {
	mu     sync.Mutex
	routes map[netip.Addr]bool
	log    []string
}

func (s *fakeSpeaker) note(f string) { s.mu.Lock(); s.log = append(s.log, f); s.mu.Unlock() }
func (s *fakeSpeaker) Announce(_ context.Context, a netip.Addr) error {
	s.note("announce " + a.String())
	s.mu.Lock()
	s.routes[a] = true
	s.mu.Unlock()
	return nil
}
func (s *fakeSpeaker) Withdraw(_ context.Context, a netip.Addr) error {
	s.note("withdraw " + a.String())
	s.mu.Lock()
	delete(s.routes, a)
	s.mu.Unlock()
	return nil
}
func (s *fakeSpeaker) WithdrawAll(context.Context) error {
	s.note("withdraw all")
	s.mu.Lock()
	s.routes = map[netip.Addr]bool{}
	s.mu.Unlock()
	return nil
}
func (s *fakeSpeaker) Neighbors(context.Context) ([]bgpspeaker.Neighbor, error) {
	return []bgpspeaker.Neighbor{{Addr: netip.MustParseAddr("10.0.0.1"), State: "established", Up: true}}, nil
}
func (s *fakeSpeaker) AddNeighbor(_ context.Context, n bgpconf.Neighbor) error {
	s.note("add " + n.Addr.String())
	return nil
}
func (s *fakeSpeaker) DeleteNeighbor(_ context.Context, a netip.Addr) error {
	s.note("delete " + a.String())
	return nil
}
func (s *fakeSpeaker) SetConfig(*bgpconf.Config)  {}
func (s *fakeSpeaker) Stop(context.Context) error { s.note("stop"); return nil }

func TestDaemonSteps(t *testing.T) {
	ctx := context.Background()
	f := ipvs.NewFake()
	sp := &fakeSpeaker{routes: map[netip.Addr]bool{}}
	d := NewDaemon(conf(t, "mode heartbeat\n"), f, sp, func(string, string, ...any) {})
	a80 := svc(vipA, 80, ipvs.TCP)
	f.AddService(ctx, a80)
	addReal(t, f, a80, "192.168.1.1", 1)
	d.Step(ctx)
	if len(sp.routes) != 0 {
		t.Fatalf("heartbeat mode announced before the resource started: %v", sp.routes)
	}
	if out, code := d.Query(ctx, []string{"announce", "10.0.0.100"}); code != 0 || !strings.Contains(out, "announced") {
		t.Fatalf("announce: %d %q", code, out)
	}
	if out, code := d.Query(ctx, []string{"status", "10.0.0.100"}); code != 0 || out != "running\n" {
		t.Errorf("status: %d %q", code, out)
	}
	if _, code := d.Query(ctx, []string{"announce", "10.9.9.9"}); code != 1 {
		t.Errorf("announce of an unknown vip: code %d", code)
	}
	// The last real server goes to weight 0 (lvs.alert): withdrawn at the next step.
	f.UpdateDestination(ctx, a80.Key, ipvs.Destination{Key: ipvs.DestKey{Addr: netip.MustParseAddr("192.168.1.1"), Port: 80}, Family: ipvs.FamilyIPv4, Forward: ipvs.Route, Weight: 0})
	d.Step(ctx)
	if len(sp.routes) != 0 {
		t.Fatalf("still announced: %v", sp.routes)
	}
	s := d.Snapshot()
	if s.Announcements != 1 || s.Withdrawals != 1 || s.VIPs[0].Healthy || !s.VIPs[0].Held || !s.Neighbors[0].Up {
		t.Errorf("snapshot %+v", s)
	}
	if !strings.Contains(string(d.StatusJSON()), `"held_by_heartbeat": true`) {
		t.Errorf("status JSON:\n%s", d.StatusJSON())
	}
	// IPVS unreadable: the verdict holds for FailuresBeforeUnhealthy-1 reads.
	f.UpdateDestination(ctx, a80.Key, ipvs.Destination{Key: ipvs.DestKey{Addr: netip.MustParseAddr("192.168.1.1"), Port: 80}, Family: ipvs.FamilyIPv4, Forward: ipvs.Route, Weight: 1})
	d.Step(ctx)
	f.Fail("Services", errors.New("EINTR"))
	for i := 1; i < FailuresBeforeUnhealthy; i++ {
		d.Step(ctx)
		if !sp.routes[vipA] {
			t.Fatalf("withdrawn after %d failed reads", i)
		}
	}
	d.Step(ctx)
	if sp.routes[vipA] {
		t.Fatal("still announced after the failures")
	}
	// Reload: a neighbor's timers change, another is added.
	nc, err := bgpconf.Parse("t", []byte("router-id 10.0.0.11\nlocal-as 65011\nneighbor 10.0.0.1 remote-as 65000 hold-time 9\nneighbor 10.0.0.2 remote-as 65000\nvip 10.0.0.100\nmode heartbeat\n"))
	if err != nil {
		t.Fatal(err)
	}
	sp.log = nil
	if err := d.Reload(ctx, nc, nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"delete 10.0.0.1", "add 10.0.0.1", "add 10.0.0.2"}, sp.log); d != "" {
		t.Errorf("reload (-want +got)\n%s", d)
	}
	if err := d.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	d.Query(ctx, []string{"announce", "10.0.0.100"})
	if len(sp.routes) != 0 {
		t.Error("announced while draining")
	}
}
