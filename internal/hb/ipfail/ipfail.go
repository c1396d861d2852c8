// Package ipfail is heartbeat's ipfail, built in, as a pure state machine: the two nodes
// compare how many ping nodes each can reach, and the one that reaches fewer gives its
// resources to the other. This is the LVS manual's remedy for its §6 split brain (the
// active director loses its uplink but keeps heartbeating: it must hand over).
//
// It speaks ipfail's own messages, so it pairs with ipfail on a node still running
// heartbeat 3.0.6: "num_ping_nodes" (field num_ping, our count), "you_are_dead" and
// "abort_giveup", all sent to the peer. Behaviour, as ipfail's:
//
//   - A ping node coming up, a link to the peer going dead, or the peer's ipfail
//     joining: send our count.
//   - Receiving the peer's count: if ours is higher, send you_are_dead; if lower, give
//     everything up after a delay of two keepalives; if equal, send abort_giveup, and
//     cancel our own pending give-up, or (auto_failback on, and stable) give up foreign
//     resources after the delay.
//   - you_are_dead: give everything up after the delay. abort_giveup: cancel it.
//   - A give-up only happens while resources are stable; otherwise it waits until the
//     peer announces itself stable, then 10 s later the counts are compared again.
//   - ipfail refuses auto_failback legacy (it exits), so New reports an error for it.
//
// Giving up is hb_standby (resources.Standby) for the share named.
package ipfail

import (
	"errors"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/hbwire"
)

// RecheckDelay is how long after the peer becomes stable a postponed give-up waits
// before counts are compared again (ipfail's sleep(10)).
const RecheckDelay = 10 * time.Second

// Event is an input; every Step also gets our current ping-node count.
type Event interface{ isEvent() }

// PingNodeUp: a ping node came up ("ping" status).
type PingNodeUp struct{}

// LinkDead: a link to the peer went dead.
type LinkDead struct{}

// PeerJoined: the peer's ipfail signed on (its API client status "join").
type PeerJoined struct{}

// NumPing: the peer's num_ping_nodes message.
type NumPing struct{ N int }

// YouAreDead: the peer's you_are_dead message.
type YouAreDead struct{}

// AbortGiveup: the peer's abort_giveup message.
type AbortGiveup struct{}

// PeerStable: the peer announced resources with isstable (and no info).
type PeerStable struct{ Stable bool }

// Tick is the passage of time.
type Tick struct{}

func (PingNodeUp) isEvent()  {}
func (LinkDead) isEvent()    {}
func (PeerJoined) isEvent()  {}
func (NumPing) isEvent()     {}
func (YouAreDead) isEvent()  {}
func (AbortGiveup) isEvent() {}
func (PeerStable) isEvent()  {}
func (Tick) isEvent()        {}

// Output is something to do.
type Output interface{ isOutput() }

// SendNumPing: send num_ping_nodes with our count to the peer.
type SendNumPing struct{ N int }

// SendYouAreDead: send you_are_dead to the peer.
type SendYouAreDead struct{}

// SendAbortGiveup: send abort_giveup to the peer.
type SendAbortGiveup struct{}

// GiveUp: go standby for the share, hbwire.HoldAll or hbwire.HoldForeign (start the
// ask_resources handshake).
type GiveUp struct{ Share hbwire.Hold }

func (SendNumPing) isOutput()     {}
func (SendYouAreDead) isOutput()  {}
func (SendAbortGiveup) isOutput() {}
func (GiveUp) isOutput()          {}

// Machine is ipfail's state.
type Machine struct {
	delay        time.Duration
	autoFailback bool
	pending      bool
	pendingShare hbwire.Hold
	pendingAt    time.Time
	needStandby  bool
	recheckAt    time.Time
	recheck      bool
}

// ErrLegacy is ipfail's refusal of auto_failback legacy.
var ErrLegacy = errors.New("ipfail: auto_failback set to incompatible legacy option")

// New makes the machine for a keepalive and auto_failback setting.
func New(keepalive time.Duration, af hacf.AutoFailback) (*Machine, error) {
	if af == hacf.FailbackLegacy {
		return nil, ErrLegacy
	}
	return &Machine{delay: 2 * keepalive, autoFailback: af == hacf.FailbackOn}, nil
}

func (m *Machine) delayGiveup(now time.Time, s hbwire.Hold) {
	// A newer decision replaces a pending one, as ipfail's single timer does.
	m.pending, m.pendingShare, m.pendingAt = true, s, now.Add(m.delay)
}

// Step applies ev at time now. pings is how many ping nodes we reach now; stable says
// whether our resources are stable (no transition under way).
func (m *Machine) Step(now time.Time, ev Event, pings int, stable bool) []Output {
	var out []Output
	switch e := ev.(type) {
	case PingNodeUp, LinkDead, PeerJoined:
		out = append(out, SendNumPing{N: pings})
	case NumPing:
		switch {
		case pings > e.N:
			out = append(out, SendYouAreDead{})
		case pings < e.N:
			m.delayGiveup(now, hbwire.HoldAll)
		default:
			out = append(out, SendAbortGiveup{})
			if m.pending {
				m.pending = false
			} else if m.autoFailback && stable {
				m.delayGiveup(now, hbwire.HoldForeign)
			}
		}
	case YouAreDead:
		m.delayGiveup(now, hbwire.HoldAll)
	case AbortGiveup:
		m.pending = false
	case PeerStable:
		if e.Stable && m.needStandby {
			m.needStandby = false
			m.recheck, m.recheckAt = true, now.Add(RecheckDelay)
		}
	case Tick:
	}
	if m.pending && !now.Before(m.pendingAt) {
		m.pending = false
		if stable {
			out = append(out, GiveUp{Share: m.pendingShare})
		} else {
			m.needStandby = true
		}
	}
	if m.recheck && !now.Before(m.recheckAt) {
		m.recheck = false
		out = append(out, SendNumPing{N: pings})
	}
	return out
}

// Next is when the machine must next be stepped, zero if nothing is scheduled.
func (m *Machine) Next() time.Time {
	var t time.Time
	if m.pending {
		t = m.pendingAt
	}
	if m.recheck && (t.IsZero() || m.recheckAt.Before(t)) {
		t = m.recheckAt
	}
	return t
}
