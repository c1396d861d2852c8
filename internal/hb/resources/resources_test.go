package resources

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// groups: one group at home on each node, as in a two-director setup.
func groups(t *testing.T) []haresources.Group {
	t.Helper()
	f, err := haresources.Parse("haresources", strings.NewReader("linux187 10.144.43.185 lvs mon\nlinux142 10.144.43.186 httpd\n"))
	if err != nil {
		t.Fatal(err)
	}
	return f.Groups
}

const (
	mine   = "10.144.43.185" // key of linux187's group
	theirs = "10.144.43.186"
)

// node wraps a machine with a fake clock and a log of every action, so that each
// transition reads as one line of the test.
type node struct {
	t   *testing.T
	m   *Machine
	now time.Time
}

func newNode(t *testing.T, af hacf.AutoFailback) *node {
	return &node{t: t, m: New(Config{Local: "linux187", Groups: groups(t), AutoFailback: af}), now: t0}
}

func (n *node) step(ev Event) []Action { return n.m.Step(n.now, ev) }

// expect steps and compares the actions.
func (n *node) expect(ev Event, want ...Action) {
	n.t.Helper()
	got := n.step(ev)
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })); d != "" {
		n.t.Fatalf("after %T%+v (-want +got):\n%s", ev, ev, d)
	}
}

const req = "req_our_resources()"

func TestNothingStartsBeforeThePeerIsKnown(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.expect(Start{}, SendStarting{}, Announce{Hold: hbwire.HoldNone, Stable: true})
	n.expect(PeerAlive{}) // heard, but it has not said what it holds
	n.expect(PeerHolds{Hold: hbwire.HoldNone}, StartGroup{Key: mine}, Announce{Hold: hbwire.HoldNone, Stable: false})
	// As captured from heartbeat: stable, then stable with req_our_resources().
	n.expect(Done{Key: mine}, Announce{Hold: hbwire.HoldLocal, Stable: true}, Announce{Hold: hbwire.HoldLocal, Stable: true, Info: req})
	if !n.m.Running(mine) || n.m.Running(theirs) {
		t.Fatalf("running %v", n.m.running)
	}
}

func TestAloneAfterInitdeadTakesEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.expect(PeerDead{}, StartGroup{Key: mine}, Announce{Hold: hbwire.HoldNone})
	n.expect(Done{Key: mine}, StartGroup{Key: theirs}, Announce{Hold: hbwire.HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: hbwire.HoldAll, Stable: true}, Announce{Hold: hbwire.HoldAll, Stable: true, Info: req})
}

// up brings the node to the usual steady state: both up, each running its own group.
func up(t *testing.T, af hacf.AutoFailback) *node {
	n := newNode(t, af)
	n.step(Start{})
	n.step(PeerHolds{Hold: hbwire.HoldNone})
	n.step(Done{Key: mine})
	n.step(PeerHolds{Hold: hbwire.HoldLocal, Stable: true})
	return n
}

func TestPeerDiesThenReturnsAutoFailbackOn(t *testing.T) {
	n := up(t, hacf.FailbackOn)
	// Peer dies: acknowledge (mach_down), take its group.
	n.expect(PeerDead{}, AnnounceMachDown{}, StartGroup{Key: theirs}, Announce{Hold: hbwire.HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: hbwire.HoldAll, Stable: true}, Announce{Hold: hbwire.HoldAll, Stable: true, Info: req})
	// Peer restarts: keep serving until it has spoken, then give its group back.
	n.expect(PeerStarting{})
	n.expect(PeerHolds{Hold: hbwire.HoldNone}, StopGroup{Key: theirs}, Announce{Hold: hbwire.HoldAll})
	n.expect(Done{Key: theirs}, Announce{Hold: hbwire.HoldLocal, Stable: true})
}

func TestPeerReturnsAutoFailbackOffKeepsEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.expect(PeerStarting{})
	n.expect(PeerHolds{Hold: hbwire.HoldNone})
	if n.m.Hold() != hbwire.HoldAll {
		t.Fatalf("hold %v, want all", n.m.Hold())
	}
}

func TestHomeNodeRejoins(t *testing.T) {
	// We are the home node of "mine", restarting while the peer holds all.
	n := newNode(t, hacf.FailbackOff)
	n.step(Start{})
	n.expect(PeerHolds{Hold: hbwire.HoldAll, Stable: true}, Announce{Hold: hbwire.HoldNone, Stable: true, Info: req})
	if n.m.Hold() != hbwire.HoldNone {
		t.Fatalf("auto_failback off: hold %v", n.m.Hold())
	}
	// With auto_failback on the home node waits for the peer to release, then starts.
	n = newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: hbwire.HoldAll, Stable: true})
	n.expect(PeerHolds{Hold: hbwire.HoldLocal, Stable: true}, StartGroup{Key: mine}, Announce{Hold: hbwire.HoldNone})
}

func TestLegacyBehavesLikeOnForOwnership(t *testing.T) {
	n := newNode(t, hacf.FailbackLegacy)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.step(PeerStarting{})
	n.expect(PeerHolds{Hold: hbwire.HoldNone}, StopGroup{Key: theirs}, Announce{Hold: hbwire.HoldAll})
}

// TestStandbyHandshake follows the exchange captured from heartbeat 3.0.6 for
// hb_standby on the node owning everything (compat/hbwire/doc.go).
func TestStandbyHandshake(t *testing.T) {
	n := up(t, hacf.FailbackOn)
	n.expect(Standby{Which: hbwire.HoldAll}, SendAskResources{Hold: hbwire.HoldAll, Info: "me"})
	n.expect(PeerAskResources{Hold: hbwire.HoldAll, Info: "other"}, StopGroup{Key: mine})
	n.expect(Done{Key: mine}, Announce{Hold: hbwire.HoldNone, Info: "standby"}, SendAskResources{Hold: hbwire.HoldAll, Info: "done"})
	n.expect(PeerHolds{Hold: hbwire.HoldAll, Stable: true})
	n.expect(PeerAskResources{Hold: hbwire.HoldAll, Info: "done"}, Announce{Hold: hbwire.HoldNone, Stable: true})
	// Nothing comes back by itself (auto_failback on moves groups only when nodes come
	// and go).
	n.expect(Tick{})
}

// TestTakeoverHandshake: hb_takeover here, then the peer's side of the handshake.
func TestTakeoverHandshake(t *testing.T) {
	n := up(t, hacf.FailbackOn)
	n.step(Standby{Which: hbwire.HoldAll})
	n.step(PeerAskResources{Hold: hbwire.HoldAll, Info: "other"})
	n.step(Done{Key: mine})
	n.step(PeerHolds{Hold: hbwire.HoldAll, Stable: true})
	n.step(PeerAskResources{Hold: hbwire.HoldAll, Info: "done"})
	n.expect(Takeover{Which: hbwire.HoldAll}, SendHBTakeover{Hold: hbwire.HoldAll})
	n.expect(PeerAskResources{Hold: hbwire.HoldAll, Info: "me"}, SendAskResources{Hold: hbwire.HoldAll, Info: "other"})
	n.expect(PeerHolds{Hold: hbwire.HoldNone, Info: "standby"})
	n.expect(PeerAskResources{Hold: hbwire.HoldAll, Info: "done"}, StartGroup{Key: mine})
	n.expect(Done{Key: mine}, StartGroup{Key: theirs})
	n.expect(Done{Key: theirs}, Announce{Hold: hbwire.HoldAll, Stable: true}, SendAskResources{Hold: hbwire.HoldAll, Info: "done"})
	n.expect(PeerHolds{Hold: hbwire.HoldNone, Stable: true})
}

// TestPeerTakeoverMakesUsStandby: the peer's hb_takeover starts our standby.
func TestPeerTakeoverMakesUsStandby(t *testing.T) {
	n := up(t, hacf.FailbackOff)
	n.expect(PeerHBTakeover{Hold: hbwire.HoldAll}, SendAskResources{Hold: hbwire.HoldAll, Info: "me"})
}

func TestFailedStartGivesUpThenStandbyAfter30s(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: hbwire.HoldNone, Stable: true})
	n.expect(Done{Key: mine, Err: errors.New("lvs start: exit 1")}, StopGroup{Key: mine}, Announce{Hold: hbwire.HoldLocal})
	n.expect(Done{Key: mine}, Announce{Hold: hbwire.HoldNone, Stable: true}, Announce{Hold: hbwire.HoldNone, Stable: true, Info: req})
	n.now = n.now.Add(29 * time.Second)
	n.expect(Tick{})
	n.now = n.now.Add(time.Second)
	n.expect(Tick{}, SendAskResources{Hold: hbwire.HoldLocal, Info: "me"})
}

func TestFailedStopStopsEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.step(PeerStarting{})
	n.step(PeerHolds{Hold: hbwire.HoldNone})
	n.expect(Done{Key: theirs, Err: errors.New("stop: exit 1")}, FailedStop{Key: theirs, Err: errors.New("x")})
	n.expect(Tick{})
}

func TestShutdownStopsRightToLeftAndAnnounces(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.expect(Shutdown{}, StopGroup{Key: theirs}, Announce{Hold: hbwire.HoldAll})
	n.expect(Done{Key: theirs}, StopGroup{Key: mine}, Announce{Hold: hbwire.HoldLocal})
	n.expect(Done{Key: mine}, Announce{Hold: hbwire.HoldNone, Stable: true, Info: "shutdown"}, ShutdownDone{})
}

func TestPeerShutdownMakesUsTakeOver(t *testing.T) {
	n := up(t, hacf.FailbackOn)
	n.expect(PeerHolds{Hold: hbwire.HoldNone, Info: "shutdown"}, AnnounceMachDown{}, StartGroup{Key: theirs}, Announce{Hold: hbwire.HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: hbwire.HoldAll, Stable: true}, Announce{Hold: hbwire.HoldAll, Stable: true, Info: req})
}

func TestPlan(t *testing.T) {
	g := groups(t)[0]
	var start, stop []string
	for _, r := range Plan(g, true) {
		start = append(start, r.Script)
	}
	for _, r := range Plan(g, false) {
		stop = append(stop, r.Script)
	}
	if d := cmp.Diff([]string{"IPaddr", "lvs", "mon"}, start); d != "" {
		t.Errorf("start (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"mon", "lvs", "IPaddr"}, stop); d != "" {
		t.Errorf("stop (-want +got):\n%s", d)
	}
	if g.Resources[0].Script != "IPaddr" {
		t.Error("Plan changed the group")
	}
}
