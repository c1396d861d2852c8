package daemon

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lvskit/lvskit/internal/hb/core"
	"github.com/lvskit/lvskit/internal/statushttp"
)

// StatusHandler serves heartbeatd's --http endpoints (internal/statushttp's): /metrics
// with the Collector's metrics beside lvskit_build_info and the process and Go
// collectors, /healthz, /readyz answered by Ready, and the JSON status (a core.Snapshot,
// whose field comments document its keys) at /status and /. snap is the loop's
// published snapshot (Loop.Snapshot): a request never waits for the loop.
//
// extra collectors (the IPVS table's, with --ipvs-metrics) are served beside.
func StatusHandler(snap func() core.Snapshot, extra ...prometheus.Collector) http.Handler {
	reg := statushttp.NewRegistry("heartbeatd")
	reg.MustRegister(NewCollector(snap))
	reg.MustRegister(extra...)
	return statushttp.Handler(statushttp.Options{
		Gatherer: reg,
		Ready:    func() error { return Ready(snap()) },
		Status:   func() any { return snap() },
	})
}

// Ready is /readyz's answer: nil when the node is a member of the cluster
// (core.Snapshot.Member: its status is active and its initial resource negotiation is
// over), else why not.
func Ready(s core.Snapshot) error {
	switch {
	case s.Member:
		return nil
	case s.Shutdown:
		return errors.New("shutting down")
	case s.Isolated:
		return errors.New("cut off: neither the peer nor any ping node answers")
	case s.Status != "active":
		return fmt.Errorf("starting: status %s, not managing resources yet", s.Status)
	case !s.Negotiated:
		return errors.New("status active, resources not yet settled with the peer")
	}
	return errors.New("not a member of the cluster")
}

// The states of the state-set gauges: one series per state, 1 for the current one.
var (
	localStates    = []string{"init", "up", "active"}
	normalStates   = []string{"init", "up", "active", "dead"}
	pingStates     = []string{"ping", "dead"}
	rscStates      = []string{"none", "local", "foreign", "all", "transition"}
	heartbeatDescs []*prometheus.Desc
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, labels, nil)
	heartbeatDescs = append(heartbeatDescs, d)
	return d
}

var (
	descNodeUp = desc("heartbeat_node_up",
		"1 if the node (type normal: a cluster node, this one included; type ping: a ping node or ping_group) is alive as seen from here.",
		"node", "type")
	descNodeStatus = desc("heartbeat_node_status",
		"1 for the node's current status, 0 for its other possible ones (normal: init, up, active, dead; ping: ping, dead); e.g. heartbeat_node_status{status=\"active\"} == 1.",
		"node", "type", "status")
	descLinkUp = desc("heartbeat_link_up",
		"1 if the heartbeat link (ha.cf medium interface) to the peer is up.", "node", "link")
	descLocalStatus = desc("heartbeat_local_status",
		"1 for this node's own status (init: started, up: sending heartbeats, active: managing resources), 0 for the others.",
		"status")
	descMember = desc("heartbeat_member",
		"1 when this node has joined the cluster: status active, initial resource negotiation done, not shutting down or cut off (what /readyz reports).")
	descRscStatus = desc("heartbeat_resource_status",
		"1 for what this node holds as cl_status rscstatus says it (none, local, foreign, all, or transition while a group starts or stops), 0 for the others.",
		"status")
	descGroupRunning = desc("heartbeat_resource_group_running",
		"1 if this node runs the haresources group (labelled by its first resource).", "group")
	descPingUp = desc("heartbeat_ping_nodes_up",
		"Ping nodes (a ping_group counts as one) reachable from this node.")
	descPings = desc("heartbeat_ping_nodes",
		"Ping nodes configured (ping and ping_group lines of ha.cf).")
	descLastChange = desc("heartbeat_last_state_change_timestamp_seconds",
		"Unix time of the last change in this node's view of the cluster (own, node or link status, groups held, failed stop, cut off, shutdown; else the daemon's start); seconds since: time() - this.")
	descSent       = desc("heartbeat_messages_sent_total", "Messages sent.")
	descSendErrors = desc("heartbeat_send_errors_total", "Messages that could not be sent on any medium.")
	descReceived   = desc("heartbeat_messages_received_total", "Authenticated messages received from cluster nodes.")
	descByType     = desc("heartbeat_messages_received_by_type_total",
		"Authenticated messages received, by their t= field.", "type")
	descLate        = desc("heartbeat_late_heartbeats_total", "Heartbeats later than warntime.")
	descDeaths      = desc("heartbeat_node_deaths_total", "Nodes (the peer, ping nodes) declared dead.")
	descFailedStops = desc("heartbeat_failed_stops_total",
		"Resource group stops that failed (the node keeps claiming the group; reboot required).")
	descTakeovers = desc("heartbeat_takeovers_total",
		"Times this node acquired the group (a start that succeeded: start-up, failover, failback, standby or takeover).", "group")
	descReleases = desc("heartbeat_releases_total",
		"Times this node released the group (a stop that succeeded).", "group")
	descFailedStarts = desc("heartbeat_failed_starts_total",
		"Starts of the group that failed here (it is stopped again; the node goes standby for its share).", "group")
	descDualActive = desc("heartbeat_dual_active_total",
		"Resource announcements in which the peer claimed the group while this node ran it (both nodes hold it: split brain).", "group")
)

// Collector exports heartbeatd's state; each scrape takes one snapshot.
type Collector struct {
	snap func() core.Snapshot
}

// NewCollector returns a collector over snap (the loop's Snapshot).
func NewCollector(snap func() core.Snapshot) *Collector { return &Collector{snap: snap} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range heartbeatDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snap()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	stateSet := func(d *prometheus.Desc, states []string, cur string, labels ...string) {
		if !slices.Contains(states, cur) {
			states = append(slices.Clip(states), cur)
		}
		for _, st := range states {
			gauge(d, b2f(st == cur), append(slices.Clip(labels), st)...)
		}
	}
	pings := 0
	for _, n := range s.Nodes {
		gauge(descNodeUp, b2f(n.Status != "dead" && n.Status != "init"), n.Name, n.Type)
		if n.Type == "ping" {
			pings++
			stateSet(descNodeStatus, pingStates, n.Status, n.Name, n.Type)
			continue
		}
		stateSet(descNodeStatus, normalStates, n.Status, n.Name, n.Type)
		if n.Name == s.Node {
			continue // cl_status's view of its own links (ucast ones are "dead") is no link
		}
		for _, l := range n.Links {
			gauge(descLinkUp, b2f(l.Status == "up"), n.Name, l.Name)
		}
	}
	stateSet(descLocalStatus, localStates, s.Status)
	gauge(descMember, b2f(s.Member))
	stateSet(descRscStatus, rscStates, s.RscStatus)
	for _, g := range s.Groups {
		gauge(descGroupRunning, b2f(slices.Contains(s.Running, g)), g)
	}
	gauge(descPingUp, float64(s.PingNodesUp))
	gauge(descPings, float64(pings))
	if !s.LastChange.IsZero() {
		gauge(descLastChange, float64(s.LastChange.UnixNano())/1e9)
	}
	k := s.Counters
	counter(descSent, k.Sent)
	counter(descSendErrors, k.SendErrors)
	counter(descReceived, k.Received)
	counter(descLate, k.LateHBs)
	counter(descDeaths, k.NodeDeaths)
	counter(descFailedStops, k.FailedStops)
	for _, t := range k.ByType {
		counter(descByType, t.Count, t.Type)
	}
	for _, g := range k.Groups {
		counter(descTakeovers, g.Takeovers, g.Group)
		counter(descReleases, g.Releases, g.Group)
		counter(descFailedStarts, g.FailedStarts, g.Group)
		counter(descDualActive, g.DualActive, g.Group)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
