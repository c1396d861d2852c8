package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/hb/core"
)

// ClStatus answers cl_status's sub-commands from a snapshot, with the original's words
// and exit statuses: hbstatus, listnodes [-p|-n], nodetype ping|normal, nodestatus NODE,
// listhblinks NODE, hblinkstatus NODE LINK, rscstatus, parameter -p NAME.
// clientstatus is not implemented (heartbeatd has no client API).
func ClStatus(s core.Snapshot, args []string) (string, int) {
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
	node := func(name string) (core.NodeSnapshot, bool) {
		for _, n := range s.Nodes {
			if strings.EqualFold(n.Name, name) {
				return n, true
			}
		}
		return core.NodeSnapshot{}, false
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

const (
	// MaxRequest bounds a request line. The longest real one (cl_status with a node and
	// a link name) is a few hundred bytes; a bound keeps one client from making the
	// daemon buffer without limit.
	MaxRequest = 4 << 10
	maxArgs    = 16
	// maxControlConns bounds the connections served at once. The clients are one-shot
	// commands run by hand or from scripts; more at once is a runaway loop or an attack,
	// and each costs a goroutine and a file descriptor the heartbeat loop needs.
	maxControlConns = 16
	// requestTimeout bounds the wait for the request line: clients send it at once.
	requestTimeout = 5 * time.Second
	// queryTimeout bounds a standby or takeover waiting for the loop; replyTimeout the
	// write of the answer to a client that stopped reading.
	queryTimeout = 20 * time.Second
	replyTimeout = 5 * time.Second
)

// ErrRequestTooLong: a request line longer than MaxRequest.
var ErrRequestTooLong = fmt.Errorf("request longer than %d bytes", MaxRequest)

// ReadRequest reads one request line ({"args": [...]}) of at most MaxRequest bytes,
// newline included, and returns its arguments.
func ReadRequest(r io.Reader) ([]string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, MaxRequest), MaxRequest).ReadSlice('\n')
	if err != nil {
		if len(line) == MaxRequest {
			return nil, ErrRequestTooLong
		}
		return nil, fmt.Errorf("reading request: %w", err)
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	if len(req.Args) > maxArgs {
		return nil, fmt.Errorf("bad request: more than %d arguments", maxArgs)
	}
	return req.Args, nil
}

// ServeControl answers requests on the unix socket ln until it is closed: one JSON
// request line ({"args": [...]}) and one JSON reply line ({"out": ..., "code": N}) per
// connection.
func ServeControl(ln net.Listener, q Querier) error {
	s := controlServer{q: q, maxConns: maxControlConns, requestTimeout: requestTimeout}
	return s.serve(ln)
}

type controlServer struct {
	q              Querier
	maxConns       int
	requestTimeout time.Duration
}

func (s controlServer) serve(ln net.Listener) error {
	slots := make(chan struct{}, s.maxConns)
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors, say: wait and retry, as net/http does, rather
			// than leave the daemon without its control socket for good.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		select {
		case slots <- struct{}{}:
		default:
			// Said at once, in the accept loop: the client has just connected, so
			// this one short write finds its socket buffer empty.
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_ = json.NewEncoder(conn).Encode(reply{Out: fmt.Sprintf("heartbeatd: busy (%d control connections): try again\n", s.maxConns), Code: 1})
			conn.Close()
			continue
		}
		go func() {
			defer func() { <-slots }()
			s.serveConn(conn)
		}()
	}
}

func (s controlServer) serveConn(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(s.requestTimeout))
	args, err := ReadRequest(conn)
	if err != nil {
		_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
		_ = json.NewEncoder(conn).Encode(reply{Out: fmt.Sprintf("heartbeatd: %v\n", err), Code: 2})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	out, code := s.q.Query(ctx, args)
	_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	_ = json.NewEncoder(conn).Encode(reply{Out: out, Code: code})
}

// ErrNotRunning: nothing answers on the control socket.
var ErrNotRunning = errors.New("heartbeatd is not running")

// Query sends args to the daemon listening on socket and returns its answer. When the
// socket refuses this user the error matches os.ErrPermission (and is a
// *PermissionError); when nothing listens there, ErrNotRunning.
func Query(socket string, args []string) (string, int, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", 0, dialError(socket, err)
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

// dialError tells "not running" (no socket, or nobody listening) from "not allowed"
// (the socket's mode refuses this user): answering the second with the first sent
// administrators looking for a dead daemon.
func dialError(socket string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission): // EACCES, EPERM
		return &PermissionError{Socket: socket, Err: err}
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w (%s: %v)", ErrNotRunning, socket, err)
	}
	return fmt.Errorf("%s: %w", socket, err)
}

// PermissionError: the control socket exists but its mode refuses this user.
type PermissionError struct {
	Socket string
	Err    error
}

func (e *PermissionError) Error() string {
	who := "run as root"
	fi, err := os.Stat(e.Socket)
	if err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Gid != 0 && fi.Mode()&0o060 == 0o060 {
			g := strconv.FormatUint(uint64(st.Gid), 10)
			if grp, err := user.LookupGroupId(g); err == nil {
				g = grp.Name
			}
			who += " or as a member of group " + g
		}
	}
	return fmt.Sprintf("permission denied on %s: %s", e.Socket, who)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ControlSocketMode is the control socket's mode: its owner (root) and group.
const ControlSocketMode = 0o660

// ListenControl opens the control socket at path, replacing a stale one. The socket is
// bound in a fresh private directory (mode 0700) beside path, given its mode there, and
// only then renamed to path: bound at path directly it would have, until a chmod, the
// mode the umask leaves (0777 with umask 0), open to every local user.
func ListenControl(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another heartbeatd answers there", path)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	// Close must not unlink by the bound name, which moves; the daemon removes path.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, ControlSocketMode); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}

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
