package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// ClStatus answers cl_status's sub-commands from a snapshot, with the original's words
// and exit statuses: hbstatus, listnodes [-p|-n], nodetype ping|normal, nodestatus NODE,
// listhblinks NODE, hblinkstatus NODE LINK, rscstatus, parameter -p NAME.
// clientstatus is not implemented (heartbeatd has no client API).
func ClStatus(s Snapshot, args []string) (string, int) {
	// -m (human readable) and -v (verbose) are accepted and change nothing here.
	var words []string
	ping, normal := false, false
	for _, a := range args {
		switch a {
		case "-m", "-v":
		case "-p":
			ping = true
		case "-n":
			normal = true
		default:
			words = append(words, a)
		}
	}
	if len(words) == 0 {
		return "cl_status: no sub-command\n", 2
	}
	node := func(name string) (NodeSnapshot, bool) {
		for _, n := range s.Nodes {
			if strings.EqualFold(n.Name, name) {
				return n, true
			}
		}
		return NodeSnapshot{}, false
	}
	var b strings.Builder
	switch words[0] {
	case "hbstatus":
		return "Heartbeat is running on this machine.\n", 0
	case "listnodes":
		// The original lists its nodes in the reverse of their declaration order
		// ("node lvs1" then "node lvs2" lists lvs2 first), ping nodes before cluster
		// nodes when declared after them.
		for i := len(s.Nodes) - 1; i >= 0; i-- {
			n := s.Nodes[i]
			if (ping && n.Type != "ping") || (normal && n.Type != "normal") {
				continue
			}
			fmt.Fprintln(&b, n.Name)
		}
		return b.String(), 0
	case "nodetype":
		// Despite its manual, the original takes a node name and prints its type.
		if len(words) != 2 {
			return "cl_status nodetype: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return "Error. May be due to incorrect node name\n", 11
		}
		return n.Type + "\n", 0
	case "nodestatus":
		if len(words) != 2 {
			return "cl_status nodestatus: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return fmt.Sprintf("Failed to get node status of %s\n", words[1]), 1
		}
		if n.Status == "dead" {
			return n.Status + "\n", 1
		}
		return n.Status + "\n", 0
	case "listhblinks":
		if len(words) != 2 {
			return "cl_status listhblinks: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return fmt.Sprintf("Failed to get links of %s\n", words[1]), 1
		}
		for _, l := range n.LinkOrder {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
		return b.String(), 0
	case "hblinkstatus":
		if len(words) != 3 {
			return "cl_status hblinkstatus: NODE LINK\n", 2
		}
		n, ok := node(words[1])
		st, lok := n.Links[words[2]]
		if !ok || !lok {
			return fmt.Sprintf("Failed to get link status of %s:%s\n", words[1], words[2]), 1
		}
		if st == "dead" {
			return st + "\n", 1
		}
		return st + "\n", 0
	case "rscstatus":
		return s.RscStatus + "\n", 0
	case "parameter":
		if len(words) != 2 {
			return "cl_status parameter -p NAME\n", 2
		}
		v, ok := s.Config[words[1]]
		if !ok {
			return fmt.Sprintf("cl_status parameter: %s: not implemented\n", words[1]), 1
		}
		return v + "\n", 0
	case "clientstatus":
		return "cl_status clientstatus: not implemented: heartbeatd has no client API\n", 1
	}
	return fmt.Sprintf("cl_status: %s: unknown sub-command\n", words[0]), 2
}

type request struct {
	Args []string `json:"args"`
}

type reply struct {
	Out  string `json:"out"`
	Code int    `json:"code"`
}

// Querier answers control requests (Loop does).
type Querier interface {
	Query(ctx context.Context, args []string) (string, int)
}

// ServeControl answers requests on the unix socket ln until it is closed: one JSON
// request line ({"args": [...]}) and one JSON reply line ({"out": ..., "code": N}) per
// connection.
func ServeControl(ln net.Listener, q Querier) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			line, err := bufio.NewReaderSize(conn, 4096).ReadBytes('\n')
			if err != nil {
				return
			}
			var req request
			if json.Unmarshal(line, &req) != nil || len(req.Args) > 16 {
				_ = json.NewEncoder(conn).Encode(reply{Out: "bad request\n", Code: 2})
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, code := q.Query(ctx, req.Args)
			_ = json.NewEncoder(conn).Encode(reply{Out: out, Code: code})
		}()
	}
}

// ErrNotRunning: nothing answers on the control socket.
var ErrNotRunning = errors.New("heartbeatd is not running")

// Query sends args to the daemon listening on socket and returns its answer.
func Query(socket string, args []string) (string, int, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", 0, fmt.Errorf("%w (%s: %v)", ErrNotRunning, socket, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(conn).Encode(request{Args: args}); err != nil {
		return "", 0, err
	}
	var r reply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&r); err != nil {
		return "", 0, fmt.Errorf("%s: %w", socket, err)
	}
	return r.Out, r.Code, nil
}

// ListenControl opens the control socket, replacing a stale one.
func ListenControl(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another heartbeatd answers there", path)
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// StatusHandler serves the JSON status (/status, /) and Prometheus metrics (/metrics).
func StatusHandler(snap func() Snapshot) http.Handler {
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

func writeMetrics(w interface{ Write([]byte) (int, error) }, s Snapshot) {
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
