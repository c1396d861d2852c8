package resources

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
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

func TestNothingStartsBeforeThePeerIsKnown(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.expect(Start{}, SendStarting{}, Announce{Hold: HoldNone, Stable: true})
	n.expect(PeerAlive{}) // heard, but it has not said what it holds
	n.expect(PeerHolds{Hold: HoldNone}, StartGroup{Key: mine}, Announce{Hold: HoldNone, Stable: false})
	n.expect(Done{Key: mine}, Announce{Hold: HoldLocal, Stable: true})
	if !n.m.Running(mine) || n.m.Running(theirs) {
		t.Fatalf("running %v", n.m.running)
	}
}

func TestAloneAfterInitdeadTakesEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.expect(PeerDead{}, StartGroup{Key: mine}, Announce{Hold: HoldNone})
	n.expect(Done{Key: mine}, StartGroup{Key: theirs}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: HoldAll, Stable: true})
}

func TestPeerDiesThenReturnsAutoFailbackOn(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: HoldNone})
	n.step(Done{Key: mine})
	n.step(PeerHolds{Hold: HoldLocal, Stable: true})
	// Peer dies: take its group.
	n.expect(PeerDead{}, StartGroup{Key: theirs}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: HoldAll, Stable: true})
	// Peer restarts: keep serving until it has spoken, then give its group back.
	n.expect(PeerStarting{})
	n.expect(PeerHolds{Hold: HoldNone}, StopGroup{Key: theirs}, Announce{Hold: HoldAll})
	n.expect(Done{Key: theirs}, Announce{Hold: HoldLocal, Stable: true})
}

func TestPeerReturnsAutoFailbackOffKeepsEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.expect(PeerStarting{})
	n.expect(PeerHolds{Hold: HoldNone})
	if n.m.Hold() != HoldAll {
		t.Fatalf("hold %v, want all", n.m.Hold())
	}
}

func TestHomeNodeRejoinsAutoFailbackOffTakesNothing(t *testing.T) {
	// We are the home node of "mine", restarting while the peer holds all.
	n := newNode(t, hacf.FailbackOff)
	n.step(Start{})
	n.expect(PeerHolds{Hold: HoldAll, Stable: true})
	if n.m.Hold() != HoldNone {
		t.Fatalf("hold %v", n.m.Hold())
	}
	// With auto_failback on the home node waits for the peer to release, then starts.
	n = newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.expect(PeerHolds{Hold: HoldAll, Stable: true})
	n.expect(PeerHolds{Hold: HoldLocal, Stable: true}, StartGroup{Key: mine}, Announce{Hold: HoldNone})
}

func TestLegacyBehavesLikeOnForOwnership(t *testing.T) {
	n := newNode(t, hacf.FailbackLegacy)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.step(PeerStarting{})
	n.expect(PeerHolds{Hold: HoldNone}, StopGroup{Key: theirs}, Announce{Hold: HoldAll})
}

func TestStandbyAndTakeover(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: HoldNone})
	n.step(Done{Key: mine})
	n.step(PeerHolds{Hold: HoldLocal, Stable: true})
	// hb_standby: our group goes to the peer.
	n.expect(Standby{Which: HoldAll}, GiveToPeer{Which: HoldAll}, StopGroup{Key: mine}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: mine}, Announce{Hold: HoldNone, Stable: true})
	n.expect(PeerHolds{Hold: HoldAll, Stable: true})
	// hb_takeover local: ask for it back, start once the peer released it.
	n.expect(Takeover{Which: HoldLocal}, AskPeerRelease{Which: HoldLocal})
	n.expect(PeerHolds{Hold: HoldLocal, Stable: true}, StartGroup{Key: mine}, Announce{Hold: HoldNone})
}

func TestPeerStandbyMakesUsTakeItsShare(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: HoldNone})
	n.step(Done{Key: mine})
	n.step(PeerHolds{Hold: HoldLocal, Stable: true})
	n.expect(PeerStandby{Which: HoldLocal}) // it still holds it: wait
	n.expect(PeerHolds{Hold: HoldNone, Stable: true}, StartGroup{Key: theirs}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: theirs}, Announce{Hold: HoldAll, Stable: true})
	// It takes it back.
	n.expect(PeerTakeover{Which: HoldLocal}, StopGroup{Key: theirs}, Announce{Hold: HoldAll})
}

func TestFailedStartGivesUpThenStandbyAfter30s(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: HoldNone, Stable: true})
	n.expect(Done{Key: mine, Err: errors.New("lvs start: exit 1")}, StopGroup{Key: mine}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: mine}, Announce{Hold: HoldNone, Stable: true})
	n.now = n.now.Add(29 * time.Second)
	n.expect(Tick{})
	n.now = n.now.Add(time.Second)
	n.expect(Tick{}, GiveToPeer{Which: HoldLocal})
}

func TestFailedStopStopsEverything(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.step(PeerStarting{})
	n.step(PeerHolds{Hold: HoldNone})
	n.expect(Done{Key: theirs, Err: errors.New("stop: exit 1")}, FailedStop{Key: theirs, Err: errors.New("x")})
	n.expect(Tick{})
}

func TestShutdownStopsRightToLeftAndAnnounces(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerDead{})
	n.step(Done{Key: mine})
	n.step(Done{Key: theirs})
	n.expect(Shutdown{}, StopGroup{Key: theirs}, Announce{Hold: HoldAll})
	n.expect(Done{Key: theirs}, StopGroup{Key: mine}, Announce{Hold: HoldLocal})
	n.expect(Done{Key: mine}, Announce{Hold: HoldNone, Stable: true, Info: "shutdown"}, ShutdownDone{})
}

func TestPeerShutdownMakesUsTakeOver(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.step(Start{})
	n.step(PeerHolds{Hold: HoldNone})
	n.step(Done{Key: mine})
	n.expect(PeerHolds{Hold: HoldNone, Stable: true, Info: "shutdown"}, StartGroup{Key: theirs}, Announce{Hold: HoldLocal})
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
