package core

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/transport"
)

type nopLog struct{ t *testing.T }

func (l nopLog) Logf(level, format string, args ...any) {}

// sim is two Cores over an in-memory network with a fake time: every sent message goes
// through a real transport Endpoint (signing, sequence numbers) to the other node, group
// starts and stops succeed after a step, and time advances in keepalive-sized steps.
type sim struct {
	t     *testing.T
	now   time.Time
	names [2]string
	core  [2]*Core
	ep    [2]*transport.Endpoint
	alive [2]bool
	cut   bool
	queue [2][][]byte // datagrams to deliver to node i
	execs [2][]execCall
	run   [2]map[string]bool // groups really running (what Exec did)
	cfg   [2]*hacf.Config
	grps  []haresources.Group
	wd    [2]Tickler
	// startErr, when set, is what node i's group starts fail with.
	startErr [2]error
}

type simNet struct {
	s *sim
	i int
}

func (n simNet) Send(m *hbwire.Message) error {
	pkt, err := n.s.ep[n.i].Seal(m)
	if err != nil {
		return err
	}
	if !n.s.cut {
		n.s.queue[1-n.i] = append(n.s.queue[1-n.i], pkt)
	}
	return nil
}

func haConfig(af hacf.AutoFailback) *hacf.Config {
	return &hacf.Config{File: "ha.cf", Nodes: []string{"lvs1", "lvs2"},
		Media:     []hacf.Medium{{Kind: hacf.Ucast, Interface: "eth0", Port: 694}},
		Keepalive: 200 * time.Millisecond, Warntime: time.Second, Deadtime: 2 * time.Second,
		Initdead: 4 * time.Second, Deadping: 2 * time.Second, UDPPort: 694, AutoFailback: af}
}

func newSim(t *testing.T, af hacf.AutoFailback) *sim {
	f, err := haresources.Parse("haresources", strings.NewReader("lvs1 10.0.0.100 lvs\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, now: time.Unix(1_800_000_000, 0), names: [2]string{"lvs1", "lvs2"}, grps: f.Groups}
	for i := range 2 {
		s.cfg[i] = haConfig(af)
		s.run[i] = map[string]bool{}
		s.start(i)
	}
	return s
}

var gen uint32 = 100

func (s *sim) start(i int) {
	kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte("doss123")})
	if err != nil {
		s.t.Fatal(err)
	}
	gen++
	ep, err := transport.NewEndpoint(transport.Config{Node: s.names[i], Generation: gen, Keys: kr,
		Nodes: s.names[:], Now: func() time.Time { return s.now }})
	if err != nil {
		s.t.Fatal(err)
	}
	s.ep[i] = ep
	c, err := New(Config{Node: s.names[i], HA: s.cfg[i], Groups: s.grps, Net: simNet{s, i},
		Exec: func(key string, start bool) { s.execs[i] = append(s.execs[i], execCall{key: key, start: start}) },
		Log:  nopLog{s.t}, Watchdog: s.wd[i]}, s.now)
	if err != nil {
		s.t.Fatal(err)
	}
	s.core[i] = c
	s.alive[i] = true
	s.queue[i] = nil
	s.execs[i] = nil
}

// execCall is one group start or stop the Core asked for.
type execCall struct {
	key   string
	start bool
}

// kill drops node i as kill -9 would: it stops sending, and what it ran stays
// configured (the VIP of a crashed node stays on its dead machine, which cannot answer).
func (s *sim) kill(i int) {
	s.alive[i] = false
	s.queue[i] = nil
	s.execs[i] = nil
	s.run[i] = map[string]bool{}
}

// step advances time by d in keepalive steps, delivering everything each step.
func (s *sim) step(d time.Duration) {
	for end := s.now.Add(d); s.now.Before(end); {
		s.now = s.now.Add(50 * time.Millisecond)
		for i := range 2 {
			if s.alive[i] {
				s.core[i].Tick(s.now)
			}
		}
		s.drain()
		s.check()
	}
}

func (s *sim) drain() {
	for n := 0; n < 10000; n++ {
		moved := false
		for i := range 2 {
			if !s.alive[i] {
				continue
			}
			if len(s.execs[i]) > 0 {
				e := s.execs[i][0]
				s.execs[i] = s.execs[i][1:]
				var err error
				if e.start && s.startErr[i] != nil {
					err = s.startErr[i]
				} else {
					s.run[i][e.key] = e.start
				}
				s.core[i].Done(s.now, e.key, err)
				moved = true
			}
			if len(s.queue[i]) > 0 {
				pkt := s.queue[i][0]
				s.queue[i] = s.queue[i][1:]
				r, err := s.ep[i].Open(pkt)
				if err == nil && !r.Control {
					s.core[i].Receive(s.now, r.From, "eth0", r.Msg)
				}
				moved = true
			}
		}
		if !moved {
			return
		}
	}
	s.t.Fatal("no quiescence")
}

// check: while both nodes run and hear each other, no group runs on both.
func (s *sim) check() {
	if s.cut || !s.alive[0] || !s.alive[1] {
		return
	}
	for _, g := range s.grps {
		if s.run[0][g.Key()] && s.run[1][g.Key()] {
			s.t.Fatalf("%v: group %s runs on both nodes", s.now, g.Key())
		}
	}
}

func (s *sim) owner() string {
	o := "-"
	for i := range 2 {
		if s.alive[i] && s.run[i]["10.0.0.100"] {
			if o != "-" {
				return "both"
			}
			o = s.names[i]
		}
	}
	return o
}

// wantOwner ends the test unless want ("-": nobody) runs the group now; when says at
// which point of the test.
func (s *sim) wantOwner(want, when string) {
	s.t.Helper()
	if got := s.owner(); got != want {
		s.t.Fatalf("%s: owner = %s, want %s", when, got, want)
	}
}

func TestCoreStartupFailoverFailback(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(3 * time.Second)
	s.wantOwner("lvs1", "after start-up")
	// lvs2 runs nothing but holds its (empty) local share, as the original says.
	for i, want := range []string{"local", "local"} {
		if got := s.core[i].RscStatus(); got != want {
			t.Errorf("%s rscstatus = %s, want %s", s.names[i], got, want)
		}
		if st := s.core[i].Snapshot().Status; st != "active" {
			t.Errorf("%s status = %s, want active", s.names[i], st)
		}
	}
	if st := s.core[1].Snapshot().Nodes[0].Status; st != "active" {
		t.Errorf("lvs2 sees lvs1 %s, want active", st)
	}

	s.kill(0)
	s.step(1500 * time.Millisecond)
	s.wantOwner("-", "before deadtime")
	s.step(1 * time.Second)
	s.wantOwner("lvs2", "after deadtime")
	if got := s.core[1].RscStatus(); got != "all" { // what the original says after a takeover
		t.Errorf("lvs2 rscstatus = %s, want all", got)
	}

	s.start(0)
	s.step(6 * time.Second)
	s.wantOwner("lvs1", "auto_failback on: after restart")
}

func TestCoreAutoFailbackOff(t *testing.T) {
	s := newSim(t, hacf.FailbackOff)
	s.step(3 * time.Second)
	s.wantOwner("lvs1", "after start-up")
	s.kill(0)
	s.step(3 * time.Second)
	s.wantOwner("lvs2", "after deadtime")
	s.start(0)
	s.step(6 * time.Second)
	s.wantOwner("lvs2", "auto_failback off: after restart (it keeps the group)")
}

func TestCoreStandbyTakeover(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(3 * time.Second)
	if err := s.core[0].Standby(s.now, "all"); err != nil {
		t.Fatal(err)
	}
	s.step(time.Second)
	s.wantOwner("lvs2", "after standby")
	if err := s.core[0].Takeover(s.now, "all"); err != nil {
		t.Fatal(err)
	}
	s.step(time.Second)
	s.wantOwner("lvs1", "after takeover")
	if err := s.core[0].Standby(s.now, "bogus"); err == nil {
		t.Error("standby bogus accepted")
	}
}

func TestCoreShutdownHandsOver(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(3 * time.Second)
	s.core[0].Shutdown(s.now)
	s.step(time.Second)
	if !s.core[0].ShutDown() {
		t.Fatal("lvs1 did not finish its shutdown")
	}
	if s.run[0]["10.0.0.100"] {
		t.Fatal("lvs1 still runs the group after shutdown")
	}
	s.alive[0] = false
	s.wantOwner("lvs2", "after lvs1's shutdown")
}

func TestCoreRefusesThreeNodes(t *testing.T) {
	h := haConfig(hacf.FailbackOn)
	h.Nodes = append(h.Nodes, "lvs3")
	_, err := New(Config{Node: "lvs1", HA: h, Net: simNet{}, Exec: func(string, bool) {}, Log: nopLog{}}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "not implemented") {
		t.Fatalf("err = %v, want not implemented", err)
	}
}

// TestCoreCutOffNodeReleases: with a ping node configured, the node that loses both the
// ping node and its peer releases everything, and after the ping node answers again it
// waits to hear the peer before managing resources again.
func TestCoreCutOffNodeReleases(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	for i := range 2 {
		s.cfg[i].Pings = []string{"10.0.0.254"}
		s.start(i)
	}
	ping := func(i int) { s.core[i].Ping(s.now, "10.0.0.254") }
	// Both reach the ping node every step.
	stepPing := func(d time.Duration, who ...int) {
		for end := s.now.Add(d); s.now.Before(end); {
			for _, i := range who {
				ping(i)
			}
			s.step(100 * time.Millisecond)
		}
	}
	stepPing(3*time.Second, 0, 1)
	s.wantOwner("lvs1", "after start-up")
	// lvs1 is cut off: hears neither lvs2 nor the ping node; lvs2 still pings.
	s.cut = true
	stepPing(3*time.Second, 1)
	if !s.run[1]["10.0.0.100"] {
		t.Fatal("lvs2 did not take over")
	}
	if s.run[0]["10.0.0.100"] {
		t.Fatal("cut-off lvs1 kept the group")
	}
	if got := s.core[0].RscStatus(); got != "none" {
		t.Errorf("cut-off lvs1 rscstatus = %s, want none", got)
	}
	// The ping node answers lvs1 again before lvs2 does: it must not start anything.
	stepPing(500*time.Millisecond, 0, 1)
	if s.run[0]["10.0.0.100"] {
		t.Fatal("lvs1 started the group on rejoining without hearing lvs2")
	}
	s.cut = false
	stepPing(8*time.Second, 0, 1)
	s.wantOwner("lvs1", "after rejoining (auto_failback on)")
}

// TestCoreLoneNodeWithoutPingNode: a node that hears neither its peer nor its ping node
// by initdead takes nothing; once the ping node answers it takes over (a deadtime later).
func TestCoreLoneNodeWithoutPingNode(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.cfg[0].Pings = []string{"10.0.0.254"}
	s.start(0)
	s.kill(1)
	s.step(6 * time.Second)
	if s.run[0]["10.0.0.100"] {
		t.Fatal("a node cut off from peer and ping node acquired the group")
	}
	for range 40 {
		s.core[0].Ping(s.now, "10.0.0.254")
		s.step(100 * time.Millisecond)
	}
	if !s.run[0]["10.0.0.100"] {
		t.Fatal("with the ping node back, the lone node did not take the group")
	}
}

type countTickler struct {
	n   int
	err error
}

func (c *countTickler) Tickle() error { c.n++; return c.err }

// The watchdog is written with every heartbeat sent, also during a shutdown, and
// not at all once the node is dead (kill -9: the device then reboots it).
func TestCoreTicklesWatchdog(t *testing.T) {
	wd := &countTickler{}
	s := &sim{t: t, now: time.Unix(1_800_000_000, 0), names: [2]string{"lvs1", "lvs2"}}
	f, err := haresources.Parse("haresources", strings.NewReader("lvs1 10.0.0.100 lvs\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.grps = f.Groups
	s.wd[0] = wd
	for i := range 2 {
		s.cfg[i] = haConfig(hacf.FailbackOn)
		s.run[i] = map[string]bool{}
		s.start(i)
	}
	s.step(10 * time.Second) // 50 keepalives of 200 ms
	if wd.n < 48 || wd.n > 52 {
		t.Fatalf("%d tickles in 10s at keepalive 200ms, want about 50", wd.n)
	}
	s.core[0].Shutdown(s.now)
	before := wd.n
	s.step(time.Second)
	if !s.core[0].ShutDown() || wd.n == before {
		t.Fatalf("shut down %v, tickles during shutdown %d", s.core[0].ShutDown(), wd.n-before)
	}
	s.kill(0)
	before = wd.n
	s.step(2 * time.Second)
	if wd.n != before {
		t.Fatalf("a dead node tickled its watchdog %d times", wd.n-before)
	}
}

// TestCoreSetTimers: a longer deadtime put in force on the running lvs2 decides when it
// declares the dead lvs1 dead; nothing moves on the reload itself, and the status
// messages carry the new deadtime.
func TestCoreSetTimers(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(6 * time.Second)
	s.wantOwner("lvs1", "after start-up")
	h := *s.cfg[1]
	h.Deadtime = 4 * time.Second
	// As ha.cf reloaded with "deadtime 4" would read.
	h.Directives = append(slices.Clone(h.Directives), hacf.Directive{Name: "deadtime", Args: []string{"4"}})
	s.core[1].SetTimers(s.now, &h)
	s.step(2 * time.Second)
	s.wantOwner("lvs1", "after the reload")
	if st := s.core[1].Snapshot().Nodes[0].Status; st != "active" {
		t.Fatalf("after the reload lvs2 sees lvs1 %s", st)
	}
	if got := s.core[1].statusMessage().Value("dt"); got != "fa0" {
		t.Errorf("status dt = %q, want fa0 (4000 ms)", got)
	}
	if got := s.core[1].Snapshot().Config["deadtime"]; got != "4" {
		t.Errorf("cl_status hbparameter -p deadtime = %q, want 4", got)
	}
	s.kill(0)
	s.step(3 * time.Second) // past the old deadtime, not the new one
	s.wantOwner("-", "3s after lvs1 died (deadtime is 4s now)")
	s.step(2 * time.Second)
	s.wantOwner("lvs2", "5s after lvs1 died")
}
