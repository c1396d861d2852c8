package ipfail

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/hbwire"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type node struct {
	t      *testing.T
	m      *Machine
	now    time.Time
	pings  int
	stable bool
}

func newNode(t *testing.T, af hacf.AutoFailback) *node {
	m, err := New(2*time.Second, af) // the manual's keepalive: give-up delay 4 s
	if err != nil {
		t.Fatal(err)
	}
	return &node{t: t, m: m, now: t0, pings: 1, stable: true}
}

func (n *node) expect(ev Event, want ...Output) {
	n.t.Helper()
	if d := cmp.Diff(want, n.m.Step(n.now, ev, n.pings, n.stable)); d != "" {
		n.t.Fatalf("after %T%+v (-want +got):\n%s", ev, ev, d)
	}
}

func (n *node) after(d time.Duration) { n.now = n.now.Add(d) }

// The manual's §6: the active director loses the gateway (its only ping node).
func TestFewerPingNodesGivesUpAfterTwoKeepalives(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.pings = 0
	n.expect(LinkDead{}, SendNumPing{N: 0})
	n.expect(NumPing{N: 1}) // the peer still sees the gateway
	if !n.m.Next().Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("Next %v", n.m.Next())
	}
	n.after(3999 * time.Millisecond)
	n.expect(Tick{})
	n.after(time.Millisecond)
	n.expect(Tick{}, GiveUp{Share: hbwire.HoldAll})
}

func TestMorePingNodesTellsThePeer(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.expect(NumPing{N: 0}, SendYouAreDead{})
	n.expect(YouAreDead{})
	n.after(4 * time.Second)
	n.expect(Tick{}, GiveUp{Share: hbwire.HoldAll})
}

func TestBalancedAbortsAndAutoFailbackReturnsForeign(t *testing.T) {
	n := newNode(t, hacf.FailbackOn)
	n.expect(YouAreDead{})
	// Counts become equal before the delay ends: abort, and tell the peer.
	n.expect(NumPing{N: 1}, SendAbortGiveup{})
	n.after(10 * time.Second)
	n.expect(Tick{})
	// Balanced with nothing pending, auto_failback on: give foreign resources back.
	n.expect(NumPing{N: 1}, SendAbortGiveup{})
	n.after(4 * time.Second)
	n.expect(Tick{}, GiveUp{Share: hbwire.HoldForeign})
	// With auto_failback off, balanced means nothing moves.
	o := newNode(t, hacf.FailbackOff)
	o.expect(NumPing{N: 1}, SendAbortGiveup{})
	o.after(time.Minute)
	o.expect(Tick{})
}

func TestPeerAbortCancels(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.pings = 0
	n.expect(NumPing{N: 1})
	n.expect(AbortGiveup{})
	n.after(time.Minute)
	n.expect(Tick{})
}

func TestGiveUpWaitsForStability(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.stable = false
	n.expect(YouAreDead{})
	n.after(4 * time.Second)
	n.expect(Tick{}) // not stable: postponed
	n.stable = true
	n.expect(PeerStable{Stable: true})
	n.after(RecheckDelay)
	n.pings = 0
	n.expect(Tick{}, SendNumPing{N: 0}) // compare again rather than give up blindly
}

func TestTriggers(t *testing.T) {
	n := newNode(t, hacf.FailbackOff)
	n.pings = 2
	n.expect(PingNodeUp{}, SendNumPing{N: 2})
	n.expect(PeerJoined{}, SendNumPing{N: 2})
}

func TestLegacyRefused(t *testing.T) {
	if _, err := New(time.Second, hacf.FailbackLegacy); err != ErrLegacy {
		t.Fatalf("error %v", err)
	}
}
