package resources

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
)

// cluster connects two machines the way the daemon will: each action that is a message
// becomes the other's event; start and stop succeed at once (or fail when told to).
// After every delivered event it checks that no group runs on both nodes while they
// can hear each other.
type cluster struct {
	t       *testing.T
	m       map[string]*Machine
	now     time.Time
	queue   []delivery
	cut     bool            // the nodes cannot hear each other
	failing map[string]bool // "node/key" whose start fails
}

type delivery struct {
	to string
	ev Event
}

func newCluster(t *testing.T, af hacf.AutoFailback) *cluster {
	f, err := haresources.Parse("haresources", strings.NewReader("a 10.0.0.1 lvs\nb 10.0.0.2 httpd\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, m: map[string]*Machine{}, now: t0, failing: map[string]bool{}}
	for _, n := range []string{"a", "b"} {
		c.m[n] = New(Config{Local: n, Groups: f.Groups, AutoFailback: af})
	}
	return c
}

func other(n string) string {
	if n == "a" {
		return "b"
	}
	return "a"
}

func (c *cluster) send(to string, ev Event) { c.queue = append(c.queue, delivery{to, ev}) }

func (c *cluster) handle(from string, acts []Action) {
	peer := other(from)
	for _, a := range acts {
		switch a := a.(type) {
		case StartGroup:
			var err error
			if c.failing[from+"/"+a.Key] {
				err = errors.New("start failed")
			}
			c.send(from, Done{Key: a.Key, Err: err})
		case StopGroup:
			c.send(from, Done{Key: a.Key})
		case Announce:
			if !c.cut {
				c.send(peer, PeerHolds(a))
			}
		case AnnounceMachDown:
			if !c.cut {
				c.send(peer, PeerHolds{Hold: hbwire.HoldForeign, Info: "mach_down"})
			}
		case SendStarting:
			if !c.cut {
				c.send(peer, PeerStarting{})
			}
		case SendAskResources:
			if !c.cut {
				c.send(peer, PeerAskResources{Hold: a.Hold, Info: a.Info})
			}
		case SendHBTakeover:
			if !c.cut {
				c.send(peer, PeerHBTakeover{Hold: a.Hold})
			}
		case FailedStop, ShutdownDone:
		default:
			c.t.Fatalf("unexpected action %T", a)
		}
	}
}

// run delivers events until nothing is left (bounded).
func (c *cluster) run(to string, ev Event) {
	c.send(to, ev)
	for i := 0; len(c.queue) > 0; i++ {
		if i > 1000 {
			c.t.Fatal("no quiescence after 1000 events")
		}
		d := c.queue[0]
		c.queue = c.queue[1:]
		c.handle(d.to, c.m[d.to].Step(c.now, d.ev))
		if !c.cut {
			for _, g := range []string{"10.0.0.1", "10.0.0.2"} {
				if c.m["a"].Running(g) && c.m["b"].Running(g) {
					c.t.Fatalf("group %s runs on both nodes after %s got %T%+v", g, d.to, d.ev, d.ev)
				}
			}
		}
	}
}

func (c *cluster) owners() string {
	var s []string
	for _, g := range []string{"10.0.0.1", "10.0.0.2"} {
		o := "-"
		for _, n := range []string{"a", "b"} {
			if c.m[n].Running(g) {
				o = n
			}
		}
		s = append(s, g+"@"+o)
	}
	return strings.Join(s, " ")
}

func (c *cluster) expect(want string) {
	c.t.Helper()
	if got := c.owners(); got != want {
		c.t.Fatalf("owners %s, want %s", got, want)
	}
}

// both up: start both, each hears the other.
func (c *cluster) bothUp() {
	c.run("a", Start{})
	c.run("b", Start{})
	c.run("a", PeerAlive{})
	c.run("b", PeerAlive{})
}

func TestSimulatedCluster(t *testing.T) {
	for _, af := range []hacf.AutoFailback{hacf.FailbackOn, hacf.FailbackOff, hacf.FailbackLegacy} {
		t.Run(af.String(), func(t *testing.T) {
			c := newCluster(t, af)
			c.bothUp()
			c.expect("10.0.0.1@a 10.0.0.2@b")

			// a dies (kill -9: no messages); b takes everything.
			c.cut = true
			c.run("b", PeerDead{})
			c.expect("10.0.0.1@b 10.0.0.2@b")

			// a restarts.
			c.m["a"] = New(c.m["a"].cfg)
			c.cut = false
			c.run("a", Start{})
			c.run("a", PeerAlive{})
			if af == hacf.FailbackOff {
				c.expect("10.0.0.1@b 10.0.0.2@b")
				// hb_takeover on a gets its group back.
				c.run("a", Takeover{Which: hbwire.HoldLocal})
				c.expect("10.0.0.1@a 10.0.0.2@b")
			} else {
				c.expect("10.0.0.1@a 10.0.0.2@b")
			}

			// hb_standby on a: everything to b.
			c.run("a", Standby{Which: hbwire.HoldAll})
			c.expect("10.0.0.1@b 10.0.0.2@b")
			// hb_takeover all on a.
			c.run("a", Takeover{Which: hbwire.HoldAll})
			c.expect("10.0.0.1@a 10.0.0.2@a")

			// b shuts down cleanly: a keeps everything and b ends with nothing.
			c.run("b", Shutdown{})
			c.expect("10.0.0.1@a 10.0.0.2@a")
		})
	}
}

func TestSimulatedFailedStartGoesStandby(t *testing.T) {
	c := newCluster(t, hacf.FailbackOn)
	c.failing["a/10.0.0.1"] = true
	c.bothUp()
	c.expect("10.0.0.1@- 10.0.0.2@b")
	c.failing["a/10.0.0.1"] = false
	c.now = c.now.Add(StandbyDelay)
	c.run("a", Tick{})
	c.expect("10.0.0.1@b 10.0.0.2@b")
	if _, still := c.m["a"].failed["10.0.0.1"]; still {
		t.Error("the failure is still pending after the standby")
	}
}

func TestStandbyWithoutReplyIsCancelled(t *testing.T) {
	n := up(t, hacf.FailbackOn)
	n.expect(Standby{Which: hbwire.HoldAll}, SendAskResources{Hold: hbwire.HoldAll, Info: "me"})
	n.now = n.now.Add(StandbyReplyTimeout)
	n.expect(Tick{})
	// A new request can be made.
	n.expect(Standby{Which: hbwire.HoldLocal}, SendAskResources{Hold: hbwire.HoldLocal, Info: "me"})
}
