package lab

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Event is one logged line: milliseconds since the guest booted, and the rest.
type Event struct {
	T    int64
	Text string
}

// NodeState is a director's sampled state (labprobe watch).
type NodeState struct {
	T    int64
	Node string
	VIP  string // "eth0" (director), "lo" (real-server role) or "-"
	IPVS string // services as "vip:port>rs,rs;..." or "-"
	Sync string // "master", "backup", "backup+master" or "-"
	HB   bool   // heartbeatd runs in the node
	Mon  bool   // mond runs in the node
}

// Active says whether the node is a director: the VIP on eth0 and the HTTP service in
// its IPVS table.
func (s NodeState) Active() bool {
	return s.VIP == "eth0" && strings.Contains(";"+s.IPVS, ";"+VIP+":8080>")
}

// Table is the real servers of the HTTP service, by name.
func (s NodeState) Table() []string {
	for _, svc := range strings.Split(s.IPVS, ";") {
		if rest, ok := strings.CutPrefix(svc, VIP+":8080>"); ok {
			var names []string
			for _, a := range strings.Split(rest, ",") {
				if a != "" {
					names = append(names, serverName(a))
				}
			}
			sort.Strings(names)
			return names
		}
	}
	return nil
}

// serverName is the lab node of an address in a table: a real server, or a director
// when the directors serve.
func serverName(addr string) string {
	for _, m := range []map[string]string{RealServers, Directors} {
		for n, a := range m {
			if a == addr {
				return n
			}
		}
	}
	return addr
}

// Request is one client request (labprobe get) or one exchange on the long-lived
// connection (labprobe hold).
type Request struct {
	T      int64
	OK     bool
	Server string // who answered, when OK
	Reason string // why not, when failed
}

// DirectorChange is a moment the set of active directors, or the active director's
// table, changed.
type DirectorChange struct {
	T      int64
	Active []string
	Table  []string // the (first) active director's real servers
}

// Failover is a director change caused by an action of the scenario.
type Failover struct {
	Cause   string // the action, e.g. "kill-hb d1"
	From    string
	T       int64 // the action
	GaveUp  int64 // From stopped being a director (0: never seen)
	TakenBy string
	Taken   int64 // another node became a director: VIP on eth0 and the table (0: never seen)
	// Complete: TakenBy ran the whole group — VIP, lvs (table and sync master) and
	// mond (0: never seen).
	Complete int64
}

// Duration is from the action to the new director (0 when not seen).
func (f Failover) Duration() time.Duration {
	if f.Taken == 0 {
		return 0
	}
	return time.Duration(f.Taken-f.T) * time.Millisecond
}

// CompleteDuration is from the action to the new director running its whole group (0
// when not seen).
func (f Failover) CompleteDuration() time.Duration {
	if f.Complete == 0 {
		return 0
	}
	return time.Duration(f.Complete-f.T) * time.Millisecond
}

// PhaseStat is the client's view of one phase.
type PhaseStat struct {
	N          int
	Begin, End int64
	OK, Failed int
	ByServer   map[string]int
	Failures   []Request
}

// SuccessRate is OK over all requests, in percent.
func (p PhaseStat) SuccessRate() float64 {
	if p.OK+p.Failed == 0 {
		return 0
	}
	return 100 * float64(p.OK) / float64(p.OK+p.Failed)
}

// Report is what a lab run showed.
type Report struct {
	Phases  []int
	Skipped map[int]string
	// DirectorsServe: the directors were real servers too (Options.DirectorsServe).
	DirectorsServe bool
	// Servers are the real servers of the directors' table (Servers); none: rs1 rs2 rs3.
	Servers  []string
	ExitCode int
	Stderr   string // the scenario's diagnostics
	Syslog   string // mond's and heartbeatd's logs
	Elapsed  time.Duration

	Events    []Event // the scenario's actions, observations, phase marks
	States    []NodeState
	Requests  []Request
	Hold      []Request
	HoldLines []Event
	Changes   []DirectorChange
	Failovers []Failover
	Stats     map[int]*PhaseStat
	Problems  []string // lines that did not parse, scenario errors
}

// Parse reads the guest's result files.
func Parse(files map[string][]byte) (*Report, error) {
	r := &Report{Stats: map[int]*PhaseStat{}}
	var errs []string
	each := func(name string, f func(t int64, fields []string) error) {
		sc := bufio.NewScanner(bytes.NewReader(files[name]))
		for n := 1; sc.Scan(); n++ {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 {
				continue
			}
			t, err := strconv.ParseInt(fields[0], 10, 64)
			if err == nil {
				err = f(t, fields[1:])
			}
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s:%d: %v", name, n, err))
			}
		}
	}
	each("events", func(t int64, f []string) error {
		r.Events = append(r.Events, Event{t, strings.Join(f, " ")})
		return nil
	})
	each("client.log", func(t int64, f []string) error {
		if len(f) < 3 || f[0] != "req" {
			return fmt.Errorf("want req ok|fail X")
		}
		q := Request{T: t, OK: f[1] == "ok"}
		if q.OK {
			q.Server = f[2]
		} else {
			q.Reason = f[2]
		}
		r.Requests = append(r.Requests, q)
		return nil
	})
	each("hold.log", func(t int64, f []string) error {
		r.HoldLines = append(r.HoldLines, Event{t, strings.Join(f, " ")})
		switch {
		case len(f) >= 3 && f[1] == "ok":
			r.Hold = append(r.Hold, Request{T: t, OK: true, Server: f[2]})
		case len(f) >= 2 && f[1] == "broken":
			r.Hold = append(r.Hold, Request{T: t, Reason: strings.Join(f[2:], " ")})
		}
		return nil
	})
	each("state.log", func(t int64, f []string) error {
		if len(f) < 7 || f[0] != "state" {
			return fmt.Errorf("want state NODE vip= ipvs= sync= hb= mon=")
		}
		s := NodeState{T: t, Node: f[1]}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "vip":
				s.VIP = v
			case "ipvs":
				s.IPVS = v
			case "sync":
				s.Sync = v
			case "hb":
				s.HB = v == "1"
			case "mon":
				s.Mon = v == "1"
			}
		}
		r.States = append(r.States, s)
		return nil
	})
	sort.SliceStable(r.Events, func(i, j int) bool { return r.Events[i].T < r.Events[j].T })
	sort.SliceStable(r.States, func(i, j int) bool { return r.States[i].T < r.States[j].T })
	sort.SliceStable(r.Requests, func(i, j int) bool { return r.Requests[i].T < r.Requests[j].T })
	for _, e := range r.Events {
		if strings.HasPrefix(e.Text, "error ") || strings.HasPrefix(e.Text, "timeout ") {
			r.Problems = append(r.Problems, e.Text)
		}
	}
	r.directorChanges()
	r.failovers()
	r.phaseStats()
	if len(errs) > 0 {
		return r, fmt.Errorf("lab: unparsed lines: %s", strings.Join(errs, "; "))
	}
	return r, nil
}

// activeAt is the set of directors and the first one's table after every state line.
func (r *Report) directorChanges() {
	cur := map[string]NodeState{}
	var last *DirectorChange
	for _, s := range r.States {
		cur[s.Node] = s
		var act []string
		var table []string
		for _, n := range sortedNodes(cur) {
			if cur[n].Active() {
				if act == nil {
					table = cur[n].Table()
				}
				act = append(act, n)
			}
		}
		if last != nil && strings.Join(last.Active, ",") == strings.Join(act, ",") && strings.Join(last.Table, ",") == strings.Join(table, ",") {
			continue
		}
		r.Changes = append(r.Changes, DirectorChange{T: s.T, Active: act, Table: table})
		last = &r.Changes[len(r.Changes)-1]
	}
}

func sortedNodes(m map[string]NodeState) []string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// ActiveAt is the set of directors at time t.
func (r *Report) ActiveAt(t int64) []string {
	var act []string
	for _, c := range r.Changes {
		if c.T > t {
			break
		}
		act = c.Active
	}
	return act
}

// failovers pairs each "act kill-hb NODE" and "act cut NODE" with the director changes
// that followed it.
func (r *Report) failovers() {
	for _, e := range r.Events {
		f := strings.Fields(e.Text)
		if len(f) < 3 || f[0] != "act" || (f[1] != "kill-hb" && f[1] != "cut") {
			continue
		}
		fo := Failover{Cause: f[1] + " " + f[2], From: f[2], T: e.T}
		for _, c := range r.Changes {
			if c.T < e.T {
				continue
			}
			if fo.GaveUp == 0 && !contains(c.Active, fo.From) {
				fo.GaveUp = c.T
			}
			if fo.Taken == 0 && len(c.Active) >= 1 && !(len(c.Active) == 1 && c.Active[0] == fo.From) {
				for _, n := range c.Active {
					if n != fo.From {
						fo.TakenBy, fo.Taken = n, c.T
						break
					}
				}
			}
		}
		if fo.Taken != 0 {
			for _, s := range r.States {
				if s.Node == fo.TakenBy && s.T >= fo.Taken && s.Active() && s.Mon && strings.Contains(s.Sync, "master") {
					fo.Complete = s.T
					break
				}
			}
		}
		r.Failovers = append(r.Failovers, fo)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BothActive lists the intervals [from, to) during which two directors were active
// (to is the last sample when it never ended).
func (r *Report) BothActive() [][2]int64 {
	var out [][2]int64
	var start int64 = -1
	for _, c := range r.Changes {
		if len(c.Active) >= 2 && start < 0 {
			start = c.T
		} else if len(c.Active) < 2 && start >= 0 {
			out = append(out, [2]int64{start, c.T})
			start = -1
		}
	}
	if start >= 0 && len(r.States) > 0 {
		out = append(out, [2]int64{start, r.States[len(r.States)-1].T})
	}
	return out
}

func (r *Report) phaseStats() {
	for _, e := range r.Events {
		f := strings.Fields(e.Text)
		if len(f) < 3 || f[0] != "phase" {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		p := r.Stats[n]
		if p == nil {
			p = &PhaseStat{N: n, ByServer: map[string]int{}}
			r.Stats[n] = p
		}
		switch f[2] {
		case "begin":
			p.Begin = e.T
		case "end":
			p.End = e.T
		}
	}
	for _, p := range r.Stats {
		if p.End == 0 {
			continue
		}
		for _, q := range r.Requests {
			if q.T < p.Begin || q.T >= p.End {
				continue
			}
			if q.OK {
				p.OK++
				p.ByServer[q.Server]++
			} else {
				p.Failed++
				p.Failures = append(p.Failures, q)
			}
		}
	}
}

// servers are the table's real servers (Servers).
func (r *Report) servers() []string {
	if len(r.Servers) == 0 {
		return Servers(false)
	}
	return r.Servers
}

// OwnEntry is what the last ipvsadm listing of node's HTTP service logged in [from, to]
// (the scenario's "obs ipvsadm NODE TOOL: ..." lines; TOOL lvskit or 1.31) says of the
// node's own address: the fields after "->" (address:port, forward, weight, active
// and inactive connections). listed: a listing by that tool was logged at all.
func (r *Report) OwnEntry(node, tool string, from, to int64) (entry []string, listed bool) {
	prefix := "obs ipvsadm " + node + " " + tool + ": "
	for _, e := range r.Events {
		if e.T < from || e.T > to {
			continue
		}
		rest, ok := strings.CutPrefix(e.Text, prefix)
		if !ok {
			continue
		}
		listed = true
		f := strings.Fields(rest)
		if len(f) >= 4 && f[0] == "->" && f[1] == Addr(node)+":8080" {
			entry = f[1:]
		}
	}
	return entry, listed
}

// EventTime is the time of the first event whose text starts with prefix (0: none).
func (r *Report) EventTime(prefix string) int64 {
	for _, e := range r.Events {
		if strings.HasPrefix(e.Text, prefix) {
			return e.T
		}
	}
	return 0
}

// TableChange is the first time at or after t that an active director's table
// has (present) or lacks (!present) the real server.
func (r *Report) TableChange(t int64, server string, present bool) int64 {
	for _, c := range r.Changes {
		if c.T < t || len(c.Active) == 0 {
			continue
		}
		if contains(c.Table, server) == present {
			return c.T
		}
	}
	return 0
}
