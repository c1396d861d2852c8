// Package resources decides, as heartbeat 3.0.6's R1 resource manager does for a two-node
// cluster, which haresources groups this node should run, as a pure state machine: events
// in (the peer's status and announcements, results of start/stop, hb_standby and
// hb_takeover requests, time), actions out (start or stop a group, announce what we hold,
// ask the peer to release). It runs no scripts and sends nothing; the daemon does, and
// reports back.
//
// Vocabulary (heartbeat's): a group is "local" when this node is its preferred node
// (first word of its haresources line), "foreign" otherwise. A node announces what it
// holds as rsc_hold none, local, foreign or all, from its own point of view, and whether
// it is stable (no start or stop in progress).
//
// Rules:
//
//   - Nothing starts before the peer has been heard announcing what it holds, or has
//     been declared dead (initdead or deadtime), so two nodes never both start a group.
//   - A group is only started when the peer does not hold it. Stops come before starts;
//     one group moves at a time; a group starts left to right and stops right to left
//     (the executor's job, see Plan).
//   - Peer dead or shutting down: run everything. Peer alive: run our local groups
//     unless the peer holds them and auto_failback is off; with auto_failback on or
//     legacy, give foreign groups back once their home node is alive; with off, keep
//     them.
//   - hb_standby X gives the peer our share X; hb_takeover X asks the peer for share X.
//     The peer's standby makes us take its share until it asks for it back.
//   - A group that fails to start is stopped again, and StandbyDelay later the node
//     goes standby for that group's share, as ResourceManager does.
//   - A group that fails to stop leaves the node in an unknown state: FailedStop is
//     reported and nothing more is done (heartbeat reboots the machine).
package resources

import (
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
)

// StandbyDelay is how long after a failed start the node goes standby
// (ResourceManager's "sleep 30; hb_standby").
const StandbyDelay = 30 * time.Second

// Hold is what a node holds, from its own point of view (heartbeat's rsc_hold).
type Hold string

const (
	HoldNone    Hold = "none"
	HoldLocal   Hold = "local"
	HoldForeign Hold = "foreign"
	HoldAll     Hold = "all"
)

func holdOf(local, foreign bool) Hold {
	switch {
	case local && foreign:
		return HoldAll
	case local:
		return HoldLocal
	case foreign:
		return HoldForeign
	}
	return HoldNone
}

func (h Hold) local() bool   { return h == HoldLocal || h == HoldAll }
func (h Hold) foreign() bool { return h == HoldForeign || h == HoldAll }

// mirror is the same holding seen from the other node.
func (h Hold) mirror() Hold { return holdOf(h.foreign(), h.local()) }

// Config is what the machine needs: who we are and the groups.
type Config struct {
	Local        string
	Groups       []haresources.Group
	AutoFailback hacf.AutoFailback
}

// Event is an input.
type Event interface{ isEvent() }

// Start: the daemon is up and membership started.
type Start struct{}

// PeerAlive: the peer is heard (up or active).
type PeerAlive struct{}

// PeerDead: the peer was declared dead (deadtime, or initdead without ever hearing it).
type PeerDead struct{}

// PeerStarting: the peer (re)started ("starting" message): it holds nothing.
type PeerStarting struct{}

// PeerHolds: the peer's announcement (a "resource" message).
type PeerHolds struct {
	Hold   Hold // from the peer's point of view
	Stable bool
	Info   string // "shutdown" when the peer is leaving
}

// PeerStandby: the peer gave up its share Which (its point of view) for us to take.
type PeerStandby struct{ Which Hold }

// PeerTakeover: the peer asks us to release its share Which (its point of view).
type PeerTakeover struct{ Which Hold }

// Standby is a local hb_standby: give the peer our share Which.
type Standby struct{ Which Hold }

// Takeover is a local hb_takeover: get share Which from the peer.
type Takeover struct{ Which Hold }

// Done reports the end of a StartGroup or StopGroup.
type Done struct {
	Key string
	Err error
}

// Shutdown: stop everything and leave.
type Shutdown struct{}

// Tick is the passage of time.
type Tick struct{}

func (Start) isEvent()        {}
func (PeerAlive) isEvent()    {}
func (PeerDead) isEvent()     {}
func (PeerStarting) isEvent() {}
func (PeerHolds) isEvent()    {}
func (PeerStandby) isEvent()  {}
func (PeerTakeover) isEvent() {}
func (Standby) isEvent()      {}
func (Takeover) isEvent()     {}
func (Done) isEvent()         {}
func (Shutdown) isEvent()     {}
func (Tick) isEvent()         {}

// Action is an output.
type Action interface{ isAction() }

// StartGroup: run the group's start (Plan gives the order). Report with Done.
type StartGroup struct{ Key string }

// StopGroup: run the group's stop. Report with Done.
type StopGroup struct{ Key string }

// Announce: tell the peer what we hold ("resource" message).
type Announce struct {
	Hold   Hold
	Stable bool
	Info   string
}

// SendStarting: tell the peer we (re)started ("starting" message).
type SendStarting struct{}

// GiveToPeer: we released share Which (our point of view) for the peer to take.
type GiveToPeer struct{ Which Hold }

// AskPeerRelease: ask the peer to release share Which (our point of view).
type AskPeerRelease struct{ Which Hold }

// FailedStop: a group could not be stopped; the node's state is unknown.
type FailedStop struct {
	Key string
	Err error
}

// ShutdownDone: everything is stopped; the daemon may exit.
type ShutdownDone struct{}

func (StartGroup) isAction()     {}
func (StopGroup) isAction()      {}
func (Announce) isAction()       {}
func (SendStarting) isAction()   {}
func (GiveToPeer) isAction()     {}
func (AskPeerRelease) isAction() {}
func (FailedStop) isAction()     {}
func (ShutdownDone) isAction()   {}

type peerState int

const (
	peerUnknown peerState = iota
	peerAlive
	peerDead
	peerLeaving
)

type op struct {
	key   string
	start bool
}

// Machine is the resource state of this node.
type Machine struct {
	cfg      Config
	started  bool
	peer     peerState
	peerHold Hold // from the peer's point of view
	peerSaid bool // the peer has announced since it was last (re)started

	running   map[string]bool
	failed    map[string]time.Time // failed starts, by key
	givenAway [2]bool              // [local, foreign] given by standby
	taken     [2]bool              // [local, foreign] taken at the peer's standby
	pending   *op
	broken    bool // a stop failed
	shutdown  bool
	done      bool
	last      *Announce
}

// New makes a machine; nothing happens before Start.
func New(cfg Config) *Machine {
	return &Machine{cfg: cfg, peerHold: HoldNone, running: map[string]bool{}, failed: map[string]time.Time{}}
}

// IsLocal reports whether a group's preferred node is this node.
func (m *Machine) IsLocal(g haresources.Group) bool { return g.Node == m.cfg.Local }

func (m *Machine) class(key string) int {
	for _, g := range m.cfg.Groups {
		if g.Key() == key && !m.IsLocal(g) {
			return 1
		}
	}
	return 0
}

// Hold is what this node holds now.
func (m *Machine) Hold() Hold {
	var l, f bool
	for _, g := range m.cfg.Groups {
		if m.running[g.Key()] {
			if m.IsLocal(g) {
				l = true
			} else {
				f = true
			}
		}
	}
	return holdOf(l, f)
}

// Running reports whether this node runs the group.
func (m *Machine) Running(key string) bool { return m.running[key] }

// Step applies one event at time now and returns the actions to take, in order.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	var out []Action
	switch e := ev.(type) {
	case Start:
		if !m.started {
			m.started = true
			out = append(out, SendStarting{})
		}
	case PeerAlive:
		if m.peer != peerAlive && m.peer != peerLeaving {
			m.peer = peerAlive
		}
	case PeerDead:
		m.peer, m.peerHold, m.peerSaid = peerDead, HoldNone, false
		m.givenAway = [2]bool{}
		m.taken = [2]bool{}
	case PeerStarting:
		m.peer, m.peerHold, m.peerSaid = peerAlive, HoldNone, false
		m.taken = [2]bool{}
		m.givenAway = [2]bool{}
	case PeerHolds:
		m.peerHold, m.peerSaid = e.Hold, true
		if m.peer != peerDead {
			m.peer = peerAlive
		}
		if e.Info == "shutdown" {
			m.peer = peerLeaving
		}
	case PeerStandby:
		// The peer's share (its point of view) is ours to take now.
		if e.Which.local() {
			m.taken[1] = true
		}
		if e.Which.foreign() {
			m.taken[0] = true
		}
	case PeerTakeover:
		if e.Which.local() {
			m.taken[1], m.givenAway[1] = false, true
		}
		if e.Which.foreign() {
			m.taken[0], m.givenAway[0] = false, true
		}
	case Standby:
		// hb_standby only moves resources to a live peer.
		if m.peer == peerAlive {
			if e.Which.local() {
				m.givenAway[0], m.taken[0] = true, false
			}
			if e.Which.foreign() {
				m.givenAway[1], m.taken[1] = true, false
			}
			out = append(out, GiveToPeer{Which: e.Which})
		}
	case Takeover:
		if m.peer == peerAlive {
			if e.Which.local() {
				m.givenAway[0] = false
			}
			if e.Which.foreign() {
				m.givenAway[1] = false
			}
			out = append(out, AskPeerRelease{Which: e.Which})
		}
	case Done:
		out = append(out, m.done1(now, e)...)
	case Shutdown:
		m.shutdown = true
	case Tick:
	}
	for key, at := range m.failed {
		if now.Sub(at) >= StandbyDelay && m.peer == peerAlive {
			delete(m.failed, key)
			c := m.class(key)
			if !m.givenAway[c] {
				m.givenAway[c], m.taken[c] = true, false
				out = append(out, GiveToPeer{Which: [2]Hold{HoldLocal, HoldForeign}[c]})
			}
		}
	}
	return append(out, m.reconcile()...)
}

func (m *Machine) done1(now time.Time, e Done) []Action {
	if m.pending == nil || m.pending.key != e.Key {
		return nil
	}
	p := *m.pending
	m.pending = nil
	switch {
	case p.start && e.Err == nil:
		m.running[p.key] = true
	case p.start:
		// ResourceManager gives the whole group up again (stop right to left, which
		// tolerates the parts that never started), then goes standby 30 s later.
		m.failed[p.key] = now
		m.running[p.key] = true // stop it below
	case e.Err == nil:
		delete(m.running, p.key)
	default:
		m.broken = true
		return []Action{FailedStop{Key: p.key, Err: e.Err}}
	}
	return nil
}

// want says whether this node should run group g now.
func (m *Machine) want(g haresources.Group) bool {
	if m.shutdown || m.broken {
		return false
	}
	if _, failed := m.failed[g.Key()]; failed {
		return false
	}
	local := m.IsLocal(g)
	c := 0
	if !local {
		c = 1
	}
	switch m.peer {
	case peerDead, peerLeaving:
		return true
	case peerUnknown:
		return false
	}
	if !m.peerSaid {
		return m.running[g.Key()] // wait for the peer's announcement before starting
	}
	if m.givenAway[c] {
		return false
	}
	if m.taken[c] {
		return true
	}
	if local {
		if m.cfg.AutoFailback == hacf.FailbackOff && m.peerHold.mirror().local() && !m.running[g.Key()] {
			return false // the peer kept our groups; with auto_failback off they stay there
		}
		return true
	}
	// Foreign: its home node is alive.
	return m.cfg.AutoFailback == hacf.FailbackOff && m.running[g.Key()]
}

// peerHas reports whether the peer holds group g (by share).
func (m *Machine) peerHas(g haresources.Group) bool {
	if m.peer == peerDead {
		return false
	}
	mine := m.peerHold.mirror()
	if m.IsLocal(g) {
		return mine.local()
	}
	return mine.foreign()
}

func (m *Machine) reconcile() []Action {
	var out []Action
	if !m.started || m.done {
		return nil
	}
	if m.pending == nil && !m.broken {
		// Stops first, last group first.
		for i := len(m.cfg.Groups) - 1; i >= 0 && m.pending == nil; i-- {
			g := m.cfg.Groups[i]
			if m.running[g.Key()] && !m.want(g) {
				m.pending = &op{key: g.Key()}
				out = append(out, StopGroup{Key: g.Key()})
			}
		}
		for _, g := range m.cfg.Groups {
			if m.pending != nil {
				break
			}
			if !m.running[g.Key()] && m.want(g) && !m.peerHas(g) {
				m.pending = &op{key: g.Key(), start: true}
				out = append(out, StartGroup{Key: g.Key()})
			}
		}
	}
	// After a failed stop we still claim the group (so the peer never starts it too) and
	// never claim to be stable again.
	a := Announce{Hold: m.Hold(), Stable: m.pending == nil && !m.broken}
	if m.shutdown && m.pending == nil && a.Hold == HoldNone {
		a.Info = "shutdown"
	}
	if m.last == nil || *m.last != a {
		m.last = &a
		out = append(out, a)
	}
	if a.Info == "shutdown" {
		m.done = true
		out = append(out, ShutdownDone{})
	}
	return out
}

// Plan is the order in which a group's resources run: start left to right, stop right
// to left.
func Plan(g haresources.Group, start bool) []haresources.Resource {
	rs := append([]haresources.Resource(nil), g.Resources...)
	if !start {
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
	}
	return rs
}
