package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/lvskit/lvskit/internal/hb/core"
)

// NewStatusServer is the --http server: bounded in time and size, since it may listen
// beyond this host and a slow or oversized client must not hold the daemon's resources.
func NewStatusServer(snap func() core.Snapshot) *http.Server {
	return &http.Server{
		Handler:           StatusHandler(snap),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second, // the requests are GETs without a body
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
}

// maxHTTPConns bounds the --http listener's connections (a scraper and a person or two).
const maxHTTPConns = 32

// StatusHandler serves the JSON status (/status, /) and Prometheus metrics (/metrics).
func StatusHandler(snap func() core.Snapshot) http.Handler {
	mux := http.NewServeMux()
	status := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(snap())
	}
	mux.HandleFunc("/status", status)
	mux.HandleFunc("/{$}", status)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		writeMetrics(w, snap())
	})
	return mux
}

func writeMetrics(w interface{ Write([]byte) (int, error) }, s core.Snapshot) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	metric := func(name, typ, help string) {
		p("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	metric("heartbeat_node_up", "gauge", "1 if the node (or ping node) is alive as seen from here.")
	for _, n := range s.Nodes {
		p("heartbeat_node_up{node=%q,type=%q,status=%q} %d\n", n.Name, n.Type, n.Status, b(n.Status != "dead" && n.Status != "init"))
	}
	metric("heartbeat_link_up", "gauge", "1 if the heartbeat link to the node is up.")
	for _, n := range s.Nodes {
		if n.Type != "normal" {
			continue
		}
		for _, l := range n.LinkOrder {
			p("heartbeat_link_up{node=%q,link=%q} %d\n", n.Name, l, b(n.Links[l] == "up"))
		}
	}
	metric("heartbeat_resource_group_running", "gauge", "1 if this node runs the haresources group.")
	running := map[string]bool{}
	for _, g := range s.Running {
		running[g] = true
	}
	for _, g := range s.Groups {
		p("heartbeat_resource_group_running{group=%q} %d\n", g, b(running[g]))
	}
	metric("heartbeat_ping_nodes_up", "gauge", "Ping nodes reachable from this node.")
	p("heartbeat_ping_nodes_up %d\n", s.PingNodesUp)
	c := s.Counters
	for _, m := range []struct {
		name, help string
		v          uint64
	}{
		{"heartbeat_messages_sent_total", "Messages sent.", c.Sent},
		{"heartbeat_send_errors_total", "Messages that could not be sent on any medium.", c.SendErrors},
		{"heartbeat_messages_received_total", "Authenticated messages received from cluster nodes.", c.Received},
		{"heartbeat_late_heartbeats_total", "Heartbeats later than warntime.", c.LateHBs},
		{"heartbeat_node_deaths_total", "Nodes declared dead.", c.NodeDeaths},
		{"heartbeat_failed_stops_total", "Resource groups that could not be stopped.", c.FailedStops},
	} {
		metric(m.name, "counter", m.help)
		p("%s %d\n", m.name, m.v)
	}
	metric("heartbeat_messages_received_by_type_total", "counter", "Authenticated messages received, by t=.")
	types := make([]string, 0, len(c.ByType))
	for t := range c.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		p("heartbeat_messages_received_by_type_total{type=%q} %d\n", t, c.ByType[t])
	}
}
