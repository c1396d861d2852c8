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
//   - hb_standby X gives the peer our share X, with heartbeat's handshake: we send
//     ask_resources info=me, the peer answers info=other, we stop the share and announce
//     it (info=standby) and send info=done, the peer starts it and answers info=done.
//     hb_takeover X sends hb_takeover, and the peer then goes standby for X towards us.
//   - When the first acquisition after start-up (or after taking over from a dead peer)
//     is complete, the node announces itself stable, then again with
//     info=req_our_resources(); a peer going down is acknowledged with rsc_hold=foreign
//     info=mach_down, as heartbeat 3.0.6 does on the wire.
//   - A group that fails to start is stopped again, and StandbyDelay later the node
//     goes standby for that group's share, as ResourceManager does.
//   - A group that fails to stop leaves the node in an unknown state: FailedStop is
//     reported and nothing more is done (heartbeat reboots the machine).
package resources

import (
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
)

// StandbyDelay is how long after a failed start the node goes standby
// (ResourceManager's "sleep 30; hb_standby").
const StandbyDelay = 30 * time.Second

// StandbyReplyTimeout is how long a standby request waits for the peer's answer before
// it is cancelled (heartbeat logs "No reply to standby request. Standby request
// cancelled."; the delay is lvskit's choice).
const StandbyReplyTimeout = 30 * time.Second

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
	Hold   hbwire.Hold // from the peer's point of view
	Stable bool
	Info   string // "shutdown" when the peer is leaving
}

// PeerAskResources: the peer's ask_resources message (standby handshake).
type PeerAskResources struct {
	Hold hbwire.Hold // the share, from the peer's point of view
	Info string      // "me", "other" or "done"
}

// PeerHBTakeover: the peer runs hb_takeover for share Hold (its point of view).
type PeerHBTakeover struct{ Hold hbwire.Hold }

// Standby is a local hb_standby: give the peer our share Which.
type Standby struct{ Which hbwire.Hold }

// Takeover is a local hb_takeover: get share Which from the peer.
type Takeover struct{ Which hbwire.Hold }

// Done reports the end of a StartGroup or StopGroup.
type Done struct {
	Key string
	Err error
}

// Shutdown: stop everything and leave.
type Shutdown struct{}

// Tick is the passage of time.
type Tick struct{}

func (Start) isEvent()            {}
func (PeerAlive) isEvent()        {}
func (PeerDead) isEvent()         {}
func (PeerStarting) isEvent()     {}
func (PeerHolds) isEvent()        {}
func (PeerAskResources) isEvent() {}
func (PeerHBTakeover) isEvent()   {}
func (Standby) isEvent()          {}
func (Takeover) isEvent()         {}
func (Done) isEvent()             {}
func (Shutdown) isEvent()         {}
func (Tick) isEvent()             {}

// Action is an output.
type Action interface{ isAction() }

// StartGroup: run the group's start (Plan gives the order). Report with Done.
type StartGroup struct{ Key string }

// StopGroup: run the group's stop. Report with Done.
type StopGroup struct{ Key string }

// Announce: tell the peer what we hold ("resource" message).
type Announce struct {
	Hold   hbwire.Hold
	Stable bool
	Info   string
}

// SendStarting: tell the peer we (re)started ("starting" message).
type SendStarting struct{}

// AnnounceMachDown: acknowledge that the peer went down ("resource rsc_hold=foreign
// info=mach_down", without rtype or isstable).
type AnnounceMachDown struct{}

// SendAskResources: an ask_resources message of the standby handshake.
type SendAskResources struct {
	Hold hbwire.Hold // the share, from our point of view
	Info string
}

// SendHBTakeover: ask the peer to go standby for share Hold (our point of view).
type SendHBTakeover struct{ Hold hbwire.Hold }

// FailedStop: a group could not be stopped; the node's state is unknown.
type FailedStop struct {
	Key string
	Err error
}

// ShutdownDone: everything is stopped; the daemon may exit.
type ShutdownDone struct{}

func (StartGroup) isAction()       {}
func (StopGroup) isAction()        {}
func (Announce) isAction()         {}
func (SendStarting) isAction()     {}
func (AnnounceMachDown) isAction() {}
func (SendAskResources) isAction() {}
func (SendHBTakeover) isAction()   {}
func (FailedStop) isAction()       {}
func (ShutdownDone) isAction()     {}

type peerState int

const (
	peerUnknown peerState = iota
	peerAlive
	peerDead
	peerLeaving
)

// Phases of the standby handshake, seen from the node giving resources away (out) and
// from the node receiving them (in).
type phase int

const (
	idle      phase = iota
	asked           // out: sent info=me, waiting for info=other
	releasing       // out: stopping the share
	released        // out: sent info=done, waiting for the peer's done
	accepted        // in: sent info=other, waiting for the peer's done
	taking          // in: starting the share
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
	peerHold hbwire.Hold // from the peer's point of view
	peerSaid bool        // the peer has announced since it was last (re)started

	running   map[string]bool
	failed    map[string]time.Time // failed starts, by key
	givenAway [2]bool              // [local, foreign] given by standby
	taken     [2]bool              // [local, foreign] taken at the peer's standby
	pending   *op
	broken    bool // a stop failed
	shutdown  bool
	done      bool
	last      *Announce
	reqOurs   bool // announce req_our_resources() once stable

	out, in           phase
	outWhich, inWhich hbwire.Hold // out: our point of view; in: the peer's
	outAskedAt        time.Time
}

// New makes a machine; nothing happens before Start.
func New(cfg Config) *Machine {
	return &Machine{cfg: cfg, peerHold: hbwire.HoldNone, running: map[string]bool{}, failed: map[string]time.Time{}}
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
func (m *Machine) Hold() hbwire.Hold {
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
	return hbwire.HoldOf(l, f)
}

// Running reports whether this node runs the group.
func (m *Machine) Running(key string) bool { return m.running[key] }

// shares lists the classes (0 local, 1 foreign) of a share seen from our side.
func shares(h hbwire.Hold) []int {
	var c []int
	if h.Local() {
		c = append(c, 0)
	}
	if h.Foreign() {
		c = append(c, 1)
	}
	return c
}

func (m *Machine) resetHandshakes() {
	m.out, m.in = idle, idle
}

func (m *Machine) peerGone(st peerState) []Action {
	var out []Action
	if m.peer == peerAlive && m.started {
		out = append(out, AnnounceMachDown{})
		m.reqOurs = true
	}
	m.peer, m.peerSaid = st, false
	if st == peerDead {
		m.peerHold = hbwire.HoldNone
	}
	m.givenAway, m.taken = [2]bool{}, [2]bool{}
	m.resetHandshakes()
	return out
}

// standby starts the handshake that gives share which (our point of view) away.
func (m *Machine) standby(now time.Time, which hbwire.Hold) []Action {
	if m.peer != peerAlive || m.out != idle || m.in != idle || which == hbwire.HoldNone {
		return nil
	}
	m.out, m.outWhich, m.outAskedAt = asked, which, now
	return []Action{SendAskResources{Hold: which, Info: hbwire.InfoMe}}
}

// Step applies one event at time now and returns the actions to take, in order.
func (m *Machine) Step(now time.Time, ev Event) []Action {
	var out []Action
	switch e := ev.(type) {
	case Start:
		if !m.started {
			m.started, m.reqOurs = true, true
			out = append(out, SendStarting{})
		}
	case PeerAlive:
		if m.peer == peerUnknown || m.peer == peerDead {
			m.peer = peerAlive
		}
	case PeerDead:
		out = append(out, m.peerGone(peerDead)...)
	case PeerStarting:
		m.peer, m.peerHold, m.peerSaid = peerAlive, hbwire.HoldNone, false
		m.givenAway, m.taken = [2]bool{}, [2]bool{}
		m.resetHandshakes()
	case PeerHolds:
		m.peerHold, m.peerSaid = e.Hold, true
		if e.Info == hbwire.InfoShutdown {
			out = append(out, m.peerGone(peerLeaving)...)
		} else if m.peer != peerLeaving {
			m.peer = peerAlive
		}
	case PeerAskResources:
		switch {
		case e.Info == hbwire.InfoMe && m.peer == peerAlive && m.in == idle && m.out == idle:
			m.in, m.inWhich = accepted, e.Hold
			out = append(out, SendAskResources{Hold: e.Hold.Mirror(), Info: hbwire.InfoOther})
		case e.Info == hbwire.InfoOther && m.out == asked:
			m.out = releasing
			for _, c := range shares(m.outWhich) {
				m.givenAway[c], m.taken[c] = true, false
			}
		case e.Info == hbwire.InfoDone && m.in == accepted:
			m.in = taking
			for _, c := range shares(m.inWhich.Mirror()) {
				m.taken[c], m.givenAway[c] = true, false
			}
		case e.Info == hbwire.InfoDone && m.out == released:
			m.out = idle
			m.last = nil // announce our (now stable) holding again
			for key := range m.failed {
				for _, c := range shares(m.outWhich) {
					if m.class(key) == c {
						delete(m.failed, key) // it went standby as ResourceManager intends
					}
				}
			}
		}
	case PeerHBTakeover:
		out = append(out, m.standby(now, e.Hold.Mirror())...)
	case Standby:
		out = append(out, m.standby(now, e.Which)...)
	case Takeover:
		if m.peer == peerAlive {
			for _, c := range shares(e.Which) {
				m.givenAway[c] = false
			}
			out = append(out, SendHBTakeover{Hold: e.Which})
		}
	case Done:
		out = append(out, m.done1(now, e)...)
	case Shutdown:
		m.shutdown = true
		m.resetHandshakes()
	case Tick:
	}
	if m.out == asked && now.Sub(m.outAskedAt) >= StandbyReplyTimeout {
		m.out = idle
		for key := range m.failed {
			m.failed[key] = now // try again later
		}
	}
	for _, key := range m.failedKeys() {
		if now.Sub(m.failed[key]) >= StandbyDelay && m.peer == peerAlive && m.pending == nil {
			out = append(out, m.standby(now, [2]hbwire.Hold{hbwire.HoldLocal, hbwire.HoldForeign}[m.class(key)])...)
		}
	}
	return append(out, m.reconcile()...)
}

func (m *Machine) failedKeys() []string {
	var ks []string
	for _, g := range m.cfg.Groups {
		if _, ok := m.failed[g.Key()]; ok {
			ks = append(ks, g.Key())
		}
	}
	return ks
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
	if m.givenAway[c] {
		return false
	}
	if m.taken[c] {
		return true
	}
	if !m.peerSaid {
		return m.running[g.Key()] // wait for the peer's announcement before starting
	}
	if local {
		if m.cfg.AutoFailback == hacf.FailbackOff && m.peerHold.Mirror().Local() && !m.running[g.Key()] {
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
	mine := m.peerHold.Mirror()
	if m.IsLocal(g) {
		return mine.Local()
	}
	return mine.Foreign()
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
			// Nothing new starts while a handshake is under way, except the share
			// being taken once the peer said done.
			if m.pending != nil || m.out != idle || m.in == accepted {
				break
			}
			if !m.running[g.Key()] && m.want(g) && !m.peerHas(g) {
				m.pending = &op{key: g.Key(), start: true}
				out = append(out, StartGroup{Key: g.Key()})
			}
		}
	}
	settled := m.pending == nil && !m.broken
	// The handshakes speak for themselves; plain announcements wait.
	switch {
	case m.out == releasing && settled:
		m.out = released
		a := Announce{Hold: m.Hold(), Info: hbwire.InfoStandby}
		m.last = &a
		return append(out, a, SendAskResources{Hold: m.outWhich, Info: hbwire.InfoDone})
	case m.in == taking && settled:
		m.in = idle
		a := Announce{Hold: m.Hold(), Stable: true}
		m.last = &a
		return append(out, a, SendAskResources{Hold: m.inWhich.Mirror(), Info: hbwire.InfoDone})
	case m.out != idle || m.in != idle:
		return out
	}
	// After a failed stop we still claim the group (so the peer never starts it too) and
	// never claim to be stable again.
	a := Announce{Hold: m.Hold(), Stable: settled}
	if m.shutdown && settled && a.Hold == hbwire.HoldNone {
		a.Info = hbwire.InfoShutdown
	}
	if m.last == nil || *m.last != a {
		m.last = &a
		out = append(out, a)
	}
	if a.Info == hbwire.InfoShutdown {
		m.done = true
		return append(out, ShutdownDone{})
	}
	peerKnown := m.peer == peerDead || m.peer == peerLeaving || (m.peer == peerAlive && m.peerSaid)
	if m.reqOurs && settled && peerKnown && !m.shutdown {
		m.reqOurs = false
		r := Announce{Hold: a.Hold, Stable: true, Info: hbwire.InfoReqOurResources}
		out = append(out, r)
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
