// Package membership is heartbeat 3.0.6's view of who is alive, as a pure state machine:
// it is driven by events (a heartbeat from node X on link L, a ping reply, the passage of
// time) and answers with what changed (node and link status, late-heartbeat warnings,
// the end of initdead) and when it needs to run next. It reads no clock and does no I/O;
// the daemon feeds it times from its clock, tests from a fake one.
//
// The rules, as heartbeat applies them:
//
//   - Every node starts "init". A heartbeat from it makes it "up" (or whatever status it
//     announces, "active" once it runs its resources). No heartbeat for deadtime makes
//     it "dead"; before anything was ever heard from it, initdead is the limit instead.
//   - A heartbeat later than warntime since the previous one is reported as late
//     ("Late heartbeat: Node X: interval N ms").
//   - Each node has one link per medium. A link is "up" from its first packet and "dead"
//     after deadtime without one; a node stays alive while any of its links is.
//   - Ping nodes (ping, ping_group) are pseudo-nodes: "ping" while they answer, "dead"
//     after deadping without an answer. A ping group answers when any member does.
//   - The local node is always alive; the machine is told when its keepalive is due.
package membership

import (
	"sort"
	"time"
)

// Node and link status strings, as heartbeat writes them on the wire and cl_status
// prints them.
const (
	StatusInit   = "init"
	StatusUp     = "up"
	StatusActive = "active"
	StatusDead   = "dead"
	StatusPing   = "ping"
	LinkUp       = "up"
	LinkDead     = "dead"
)

// Config is what membership needs from ha.cf.
type Config struct {
	Local     string   // this node, lower-cased
	Nodes     []string // cluster nodes, including Local
	Links     []string // medium names, e.g. "eth0"; every node has one link per medium
	Keepalive time.Duration
	Warntime  time.Duration
	Deadtime  time.Duration
	Initdead  time.Duration
	Deadping  time.Duration
	// PingNodes maps a ping node name to the addresses that keep it alive: one address
	// for a "ping" line (named after it), all members for a ping_group.
	PingNodes map[string][]string
}

// Event is an input.
type Event interface{ isEvent() }

// Heartbeat is a status message from a cluster node, received on a link.
type Heartbeat struct {
	Node   string
	Link   string
	Status string // the status the node announces ("up", "active", ...)
}

// PingReply is an answer from a ping address.
type PingReply struct{ Addr string }

// Tick is the passage of time: nothing but the clock changed.
type Tick struct{}

func (Heartbeat) isEvent() {}
func (PingReply) isEvent() {}
func (Tick) isEvent()      {}

// Output is something that changed, for the daemon to act on.
type Output interface{ isOutput() }

// NodeStatus: a node's status changed.
type NodeStatus struct {
	Node     string
	Old, New string
	Ping     bool // a ping node
}

// LinkStatus: a link to a node went up or dead.
type LinkStatus struct {
	Node, Link string
	Old, New   string
}

// LateHeartbeat: a heartbeat came later than warntime after the previous one.
type LateHeartbeat struct {
	Node     string
	Interval time.Duration
	// PastDeadtime: it came after deadtime, so the node had been declared dead.
	PastDeadtime bool
}

// InitDeadPassed: initdead has elapsed since start; nodes never heard are dead now.
type InitDeadPassed struct{}

// SendKeepalive: the local node's status message is due on every medium.
type SendKeepalive struct{}

func (NodeStatus) isOutput()     {}
func (LinkStatus) isOutput()     {}
func (LateHeartbeat) isOutput()  {}
func (InitDeadPassed) isOutput() {}
func (SendKeepalive) isOutput()  {}

type link struct {
	status string
	last   time.Time
}

type node struct {
	name   string
	ping   bool
	status string
	heard  bool
	last   time.Time
	links  map[string]*link
}

// Machine is the membership state. It is not safe for concurrent use; the daemon owns
// it from one goroutine.
type Machine struct {
	cfg           Config
	start         time.Time
	nodes         map[string]*node
	addrToPing    map[string][]string
	initDeadDone  bool
	nextKeepalive time.Time
}

// New starts membership at time now.
func New(cfg Config, now time.Time) *Machine {
	m := &Machine{cfg: cfg, start: now, nodes: map[string]*node{}, addrToPing: map[string][]string{}, nextKeepalive: now}
	for _, n := range cfg.Nodes {
		nd := &node{name: n, status: StatusInit, links: map[string]*link{}}
		for _, l := range cfg.Links {
			nd.links[l] = &link{status: LinkDead, last: now}
		}
		if n == cfg.Local {
			nd.status, nd.heard, nd.last = StatusUp, true, now
		}
		m.nodes[n] = nd
	}
	for name, addrs := range cfg.PingNodes {
		m.nodes[name] = &node{name: name, ping: true, status: StatusInit, links: map[string]*link{}}
		for _, a := range addrs {
			m.addrToPing[a] = append(m.addrToPing[a], name)
		}
	}
	return m
}

// SetTimers changes keepalive, warntime, deadtime, initdead and deadping from time now
// on (a reload of ha.cf). Silences already under way are judged by the new values; a
// keepalive shorter than the time left to the next one brings that one forward.
func (m *Machine) SetTimers(now time.Time, keepalive, warntime, deadtime, initdead, deadping time.Duration) {
	m.cfg.Keepalive, m.cfg.Warntime, m.cfg.Deadtime = keepalive, warntime, deadtime
	m.cfg.Initdead, m.cfg.Deadping = initdead, deadping
	if t := now.Add(keepalive); t.Before(m.nextKeepalive) {
		m.nextKeepalive = t
	}
}

// Step applies one event at time now and returns what changed, in a stable order.
func (m *Machine) Step(now time.Time, ev Event) []Output {
	var out []Output
	switch e := ev.(type) {
	case Heartbeat:
		out = m.heartbeat(now, e)
	case PingReply:
		for _, name := range m.addrToPing[e.Addr] {
			n := m.nodes[name]
			n.last, n.heard = now, true
			if n.status != StatusPing {
				out = append(out, NodeStatus{Node: name, Old: n.status, New: StatusPing, Ping: true})
				n.status = StatusPing
			}
		}
	case Tick:
	}
	return append(out, m.expire(now)...)
}

func (m *Machine) heartbeat(now time.Time, e Heartbeat) []Output {
	n := m.nodes[e.Node]
	if n == nil || n.ping || e.Node == m.cfg.Local {
		return nil // unknown nodes are the transport's business (autojoin is off in R1)
	}
	var out []Output
	if n.heard {
		if gap := now.Sub(n.last); gap > m.cfg.Warntime {
			out = append(out, LateHeartbeat{Node: n.name, Interval: gap, PastDeadtime: gap > m.cfg.Deadtime})
		}
	}
	n.heard, n.last = true, now
	if l := n.links[e.Link]; l != nil {
		l.last = now
		if l.status != LinkUp {
			out = append(out, LinkStatus{Node: n.name, Link: e.Link, Old: l.status, New: LinkUp})
			l.status = LinkUp
		}
	}
	st := e.Status
	if st == "" || st == StatusInit || st == StatusDead {
		st = StatusUp
	}
	if n.status != st {
		out = append(out, NodeStatus{Node: n.name, Old: n.status, New: st})
		n.status = st
	}
	return out
}

func (m *Machine) expire(now time.Time) []Output {
	var out []Output
	if !m.initDeadDone && !now.Before(m.start.Add(m.cfg.Initdead)) {
		m.initDeadDone = true
		out = append(out, InitDeadPassed{})
	}
	for _, name := range m.sortedNodes() {
		n := m.nodes[name]
		if name == m.cfg.Local {
			continue
		}
		limit := m.cfg.Deadtime
		if n.ping {
			limit = m.cfg.Deadping
		}
		for _, ln := range sortedKeys(n.links) {
			l := n.links[ln]
			if l.status == LinkUp && now.Sub(l.last) >= m.cfg.Deadtime {
				out = append(out, LinkStatus{Node: name, Link: ln, Old: LinkUp, New: LinkDead})
				l.status = LinkDead
			}
		}
		if n.status == StatusDead {
			continue
		}
		dead := false
		if n.heard {
			dead = now.Sub(n.last) >= limit
		} else {
			dead = m.initDeadDone
		}
		if dead {
			out = append(out, NodeStatus{Node: name, Old: n.status, New: StatusDead, Ping: n.ping})
			n.status = StatusDead
		}
	}
	if !now.Before(m.nextKeepalive) {
		out = append(out, SendKeepalive{})
		// Catch up without a burst after a stall.
		for !now.Before(m.nextKeepalive) {
			m.nextKeepalive = m.nextKeepalive.Add(m.cfg.Keepalive)
		}
	}
	return out
}

// Next is when the machine must next be stepped (with Tick) even if nothing arrives.
func (m *Machine) Next() time.Time {
	next := m.nextKeepalive
	min := func(t time.Time) {
		if t.Before(next) {
			next = t
		}
	}
	if !m.initDeadDone {
		min(m.start.Add(m.cfg.Initdead))
	}
	for name, n := range m.nodes {
		if name == m.cfg.Local || n.status == StatusDead || !n.heard {
			continue
		}
		limit := m.cfg.Deadtime
		if n.ping {
			limit = m.cfg.Deadping
		}
		min(n.last.Add(limit))
		for _, l := range n.links {
			if l.status == LinkUp {
				min(l.last.Add(m.cfg.Deadtime))
			}
		}
	}
	return next
}

// Status is a node's status ("" for an unknown node).
func (m *Machine) Status(node string) string {
	if n := m.nodes[node]; n != nil {
		return n.status
	}
	return ""
}

// LinkStatus is the status of node's link ("" if there is no such link).
func (m *Machine) LinkStatus(node, link string) string {
	if n := m.nodes[node]; n != nil {
		if l := n.links[link]; l != nil {
			return l.status
		}
	}
	return ""
}

// PingNodesUp counts the ping nodes this node can reach, the figure ipfail compares.
func (m *Machine) PingNodesUp() int {
	c := 0
	for _, n := range m.nodes {
		if n.ping && n.status == StatusPing {
			c++
		}
	}
	return c
}

// Alive reports whether a cluster node is up or active.
func (m *Machine) Alive(node string) bool {
	s := m.Status(node)
	return s != "" && s != StatusInit && s != StatusDead
}

// InitDeadPassed reports whether initdead has elapsed.
func (m *Machine) InitDeadPassed() bool { return m.initDeadDone }

func (m *Machine) sortedNodes() []string { return sortedKeys(m.nodes) }

func sortedKeys[V any](mp map[string]V) []string {
	ks := make([]string, 0, len(mp))
	for k := range mp {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// NodeInfo is one node as cl_status reports it (listnodes, nodetype, nodestatus,
// listhblinks, hblinkstatus).
type NodeInfo struct {
	Name   string
	Type   string // "normal" or "ping", cl_status's words
	Status string
	Links  []LinkInfo
}

// LinkInfo is one link to a node.
type LinkInfo struct {
	Name, Status string
}

// Nodes lists every node, cluster nodes in ha.cf order then ping nodes by name.
func (m *Machine) Nodes() []NodeInfo {
	var out []NodeInfo
	for _, n := range m.cfg.Nodes {
		nd := m.nodes[n]
		ni := NodeInfo{Name: n, Type: "normal", Status: nd.status}
		for _, l := range m.cfg.Links {
			st := nd.links[l].status
			if n == m.cfg.Local {
				st = LinkUp // our own links are up while we run
			}
			ni.Links = append(ni.Links, LinkInfo{Name: l, Status: st})
		}
		out = append(out, ni)
	}
	for _, name := range m.sortedNodes() {
		if nd := m.nodes[name]; nd.ping {
			out = append(out, NodeInfo{Name: name, Type: "ping", Status: nd.status})
		}
	}
	return out
}

// SetLocalStatus records the status this node announces ("up", then "active" once its
// resources are settled), for Nodes.
func (m *Machine) SetLocalStatus(st string) {
	if n := m.nodes[m.cfg.Local]; n != nil {
		n.status = st
	}
}
