package core

import (
	"errors"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/hbwire"
)

// group returns node i's counters of the sim's one group.
func (s *sim) group(i int) GroupCounters {
	s.t.Helper()
	gs := s.core[i].Snapshot().Counters.Groups
	if len(gs) != 1 || gs[0].Group != "10.0.0.100" {
		s.t.Fatalf("%s: group counters %+v", s.names[i], gs)
	}
	return gs[0]
}

func (s *sim) wantGroup(i int, want GroupCounters, when string) {
	s.t.Helper()
	want.Group = "10.0.0.100"
	if got := s.group(i); got != want {
		s.t.Errorf("%s: %s counters %+v, want %+v", when, s.names[i], got, want)
	}
}

// TestCoreGroupCounters: takeovers and releases are counted where the starts and stops
// end, on the node that ran them, through start-up, standby, takeover, failover and
// failback; none of these is a dual-active claim.
func TestCoreGroupCounters(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(3 * time.Second)
	s.wantOwner("lvs1", "after start-up")
	s.wantGroup(0, GroupCounters{Takeovers: 1}, "start-up")
	s.wantGroup(1, GroupCounters{}, "start-up")

	if err := s.core[0].Standby(s.now, "all"); err != nil {
		t.Fatal(err)
	}
	s.step(time.Second)
	s.wantOwner("lvs2", "after standby")
	s.wantGroup(0, GroupCounters{Takeovers: 1, Releases: 1}, "standby")
	s.wantGroup(1, GroupCounters{Takeovers: 1}, "standby")

	if err := s.core[0].Takeover(s.now, "all"); err != nil {
		t.Fatal(err)
	}
	s.step(time.Second)
	s.wantOwner("lvs1", "after takeover")
	s.wantGroup(0, GroupCounters{Takeovers: 2, Releases: 1}, "takeover")
	s.wantGroup(1, GroupCounters{Takeovers: 1, Releases: 1}, "takeover")

	s.kill(0)
	s.step(3 * time.Second)
	s.wantOwner("lvs2", "after failover")
	s.wantGroup(1, GroupCounters{Takeovers: 2, Releases: 1}, "failover")
	s.start(0) // a new process: its counters start again
	s.step(6 * time.Second)
	s.wantOwner("lvs1", "after failback")
	s.wantGroup(0, GroupCounters{Takeovers: 1}, "failback")
	s.wantGroup(1, GroupCounters{Takeovers: 2, Releases: 2}, "failback")
	if d := s.core[1].Snapshot().Counters.NodeDeaths; d != 1 {
		t.Errorf("lvs2 node deaths = %d, want 1", d)
	}
}

// TestCoreFailedStartCounted: a start that fails is counted as such (not as a takeover);
// the node stops the group again, which is a release, and goes standby for its share.
func TestCoreFailedStartCounted(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.startErr[0] = errors.New("IPaddr: exit 1")
	s.step(3 * time.Second)
	s.wantGroup(0, GroupCounters{FailedStarts: 1, Releases: 1}, "failed start")
	s.step(35 * time.Second) // StandbyDelay
	s.wantOwner("lvs2", "after the failed start's standby")
	s.wantGroup(1, GroupCounters{Takeovers: 1}, "failed start's standby")
}

// TestCoreDualActiveCounted: a peer announcing a share that covers a group this node
// runs is counted as dual-active for that group; an announcement of other shares is not.
func TestCoreDualActiveCounted(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.step(3 * time.Second)
	s.wantOwner("lvs1", "after start-up")
	// lvs2's own (empty) local share: no conflict.
	s.core[0].Receive(s.now, "lvs2", "eth0", hbwire.ResourceMessage(hbwire.HoldLocal, true, ""))
	s.wantGroup(0, GroupCounters{Takeovers: 1}, "peer holds its local share")
	// lvs2 says it holds all, lvs1's group with it (a split brain healing).
	s.core[0].Receive(s.now, "lvs2", "eth0", hbwire.ResourceMessage(hbwire.HoldAll, true, ""))
	s.wantGroup(0, GroupCounters{Takeovers: 1, DualActive: 1}, "peer claims all")
	// And the mach_down it sends after taking over lvs1's share.
	s.core[0].Receive(s.now, "lvs2", "eth0", hbwire.MachDownMessage())
	s.wantGroup(0, GroupCounters{Takeovers: 1, DualActive: 2}, "peer's mach_down")
}

// TestCoreMembership: a node is a member once it is active and has settled its
// resources with the peer, and stops being one when it shuts down; LastChange follows
// the changes and stays put while nothing changes.
func TestCoreMembership(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	start := s.now
	for i := range 2 {
		if snap := s.core[i].Snapshot(); snap.Member || snap.Negotiated || !snap.LastChange.Equal(start) {
			t.Fatalf("%s at start: member %v negotiated %v last change %v", s.names[i], snap.Member, snap.Negotiated, snap.LastChange)
		}
	}
	s.step(3 * time.Second)
	for i := range 2 {
		snap := s.core[i].Snapshot()
		if !snap.Member || !snap.Negotiated || snap.Status != "active" {
			t.Fatalf("%s after start-up: member %v negotiated %v status %s", s.names[i], snap.Member, snap.Negotiated, snap.Status)
		}
		if !snap.LastChange.After(start) || snap.LastChange.After(s.now) {
			t.Errorf("%s: last change %v, want in (%v, %v]", s.names[i], snap.LastChange, start, s.now)
		}
	}
	settled := s.core[0].Snapshot().LastChange
	s.step(2 * time.Second)
	if got := s.core[0].Snapshot().LastChange; !got.Equal(settled) {
		t.Errorf("last change moved from %v to %v with nothing changing", settled, got)
	}
	s.core[0].Shutdown(s.now)
	if snap := s.core[0].Snapshot(); snap.Member || !snap.Shutdown || !snap.LastChange.Equal(s.now) {
		t.Errorf("shutting down: member %v shutdown %v last change %v (now %v)", snap.Member, snap.Shutdown, snap.LastChange, s.now)
	}
}

// TestCoreLoneNodeMembership: a node whose peer never answers is not a member while it
// waits for initdead, and is one once it has taken the resources.
func TestCoreLoneNodeMembership(t *testing.T) {
	s := newSim(t, hacf.FailbackOn)
	s.kill(1)
	s.step(time.Second)
	if snap := s.core[0].Snapshot(); snap.Member || snap.Status != "up" {
		t.Fatalf("lvs1 alone after 1s: member %v status %s, want not a member, up", snap.Member, snap.Status)
	}
	s.step(5 * time.Second)
	if snap := s.core[0].Snapshot(); !snap.Member || snap.Status != "active" || snap.RscStatus != "all" {
		t.Fatalf("lvs1 alone after initdead: member %v status %s rscstatus %s", snap.Member, snap.Status, snap.RscStatus)
	}
}
