package lab

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Bounds the scenario is held to: what the issue states, with the lab's timings, and
// asserted as stated.
var (
	// mond removes a dead real server within alertafter × interval of its first failed
	// check, which comes at most one interval after the stop; one more second for
	// http.monitor and lvs.alert to run.
	BoundRemoval = time.Duration(MonAlertAfter+1)*MonInterval*time.Second + time.Second
	// The other director runs the whole group (VIP, lvs, mond) within deadtime + 3 s
	// of the kill: heartbeatd declares the peer dead within deadtime, then runs the
	// group's three resources one after another (init.d lvs with its ipvsadm lines,
	// IPaddr, init.d mon). On the lab's emulated CPUs those scripts took 0.3-1.8 s
	// (9.8 s in all once, with the host's two cores busy); on hardware they take
	// milliseconds.
	BoundFailover = (Deadtime + 3) * time.Second
	// Two directors may both be active at most deadtime.
	BoundBothActive = Deadtime * time.Second
)

func ms(d time.Duration) int64 { return d.Milliseconds() }

// SlowAllowance is how many client timeouts a phase may have outside its expected
// outage: an emulated machine on two loaded cores can stall a request past the
// client's 2 s timeout. Refused or reset requests get no allowance.
const SlowAllowance = 2

func isTimeout(q Request) bool {
	return strings.Contains(q.Reason, "timeout") || strings.Contains(q.Reason, "deadline")
}

// checkOutside fails the phase for requests that failed outside [from, to]: any
// refused or reset one, or more than SlowAllowance timeouts.
func (r *Report) checkOutside(fail func(string, ...any), n int, from, to int64) {
	p := r.Stats[n]
	if p == nil {
		return
	}
	slow := 0
	for _, q := range p.Failures {
		if q.T >= from && q.T <= to {
			continue
		}
		if isTimeout(q) && slow < SlowAllowance {
			slow++
			continue
		}
		fail("phase %d: request failed at %s (%s), outside the expected outage %s–%s", n, sec(r, q.T), q.Reason, sec(r, from), sec(r, to))
	}
}

// Check holds the report to the scenario's bounds; it returns what failed.
func (r *Report) Check() []string {
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	if r.ExitCode != 0 {
		fail("scenario exited %d: %s", r.ExitCode, lastLines(r.Stderr, 10))
	}
	for _, p := range r.Problems {
		fail("scenario: %s", p)
	}
	ran := map[int]bool{}
	for _, n := range r.Phases {
		ran[n] = true
		if n == 5 {
			continue
		}
		if p := r.Stats[n]; p == nil || p.End == 0 {
			fail("phase %d: did not complete", n)
		}
	}
	if ran[1] {
		if p := r.Stats[1]; p != nil && p.End != 0 {
			r.checkSpread(fail, 1)
			if r.DirectorsServe {
				if act := r.ActiveAt(p.Begin); len(act) != 1 {
					fail("phase 1: %d directors at its start (%v), want one", len(act), act)
				} else {
					r.checkOwnEntry(fail, 1, act[0])
				}
			}
		}
	}
	if ran[2] {
		r.checkPhase2(fail)
	}
	if ran[3] {
		r.checkPhase3(fail)
	}
	if ran[4] {
		r.checkPhase4(fail)
	}
	if ran[6] {
		r.checkPhase6(fail)
	}
	if ran[5] {
		if r.EventTime("phase 5 begin") == 0 {
			fail("phase 5: did not run")
		}
		for _, e := range r.Events {
			if !strings.HasPrefix(e.Text, "left ") {
				continue
			}
			for _, kv := range strings.Fields(e.Text)[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if ok && v != "0" && v != "no" {
					fail("phase 5: left behind: %s=%s (%s)", k, v, e.Text)
				}
			}
		}
		if len(r.States) > 0 {
			// The last sample of each director: no director role left.
			last := map[string]NodeState{}
			for _, s := range r.States {
				last[s.Node] = s
			}
			for n, s := range last {
				if s.Active() || s.HB || s.Mon {
					fail("phase 5: %s still %s", n, describe(s))
				}
			}
		}
	}
	return bad
}

// checkSpread holds a steady phase to its bounds: every request answered (timeouts
// within SlowAllowance), at least 9 of them, and each real server of the table
// answering at least a sixth.
func (r *Report) checkSpread(fail func(string, ...any), n int) {
	p := r.Stats[n]
	r.checkOutside(fail, n, 0, 0)
	if p.OK < 9 {
		fail("phase %d: only %d requests answered", n, p.OK)
	}
	for _, s := range r.servers() {
		if p.ByServer[s]*6 < p.OK {
			fail("phase %d: %s answered %d of %d requests, want at least a sixth", n, s, p.ByServer[s], p.OK)
		}
	}
}

// checkOwnEntry holds a director that is one of its own real servers to what ipvsadm
// lists in phase n: an entry for its own address, forwarded as the table says (-g,
// Route) or as the manual's kernel printed it (Local), and, when the original ipvsadm
// 1.31 listed it too, the same forward and weight from both.
func (r *Report) checkOwnEntry(fail func(string, ...any), n int, node string) {
	p := r.Stats[n]
	ours, listed := r.OwnEntry(node, "lvskit", p.Begin, p.End)
	if !listed {
		fail("phase %d: no ipvsadm listing of %s's table was logged", n, node)
		return
	}
	if ours == nil {
		fail("phase %d: ipvsadm -L -n on %s lists no entry for its own address %s", n, node, Addr(node))
		return
	}
	if ours[1] != "Route" && ours[1] != "Local" {
		fail("phase %d: ipvsadm lists %s's own entry forwarded %s, want Route (-g) or Local", n, node, ours[1])
	}
	orig, listed := r.OwnEntry(node, "1.31", p.Begin, p.End)
	switch {
	case !listed:
	case orig == nil:
		fail("phase %d: ipvsadm 1.31 on %s lists no entry for its own address %s", n, node, Addr(node))
	case ours[1] != orig[1] || ours[2] != orig[2]:
		fail("phase %d: %s's own entry: lvskit's ipvsadm prints %s %s, ipvsadm 1.31 %s %s", n, node, ours[1], ours[2], orig[1], orig[2])
	}
}

// victim is the real server phase 2 stopped ("act stop-http NODE"; "" if none).
func (r *Report) victim() string {
	for _, e := range r.Events {
		if v, ok := strings.CutPrefix(e.Text, "act stop-http "); ok {
			return v
		}
	}
	return ""
}

func (r *Report) checkPhase2(fail func(string, ...any)) {
	p := r.Stats[2]
	v := r.victim()
	stop, start := r.EventTime("act stop-http "+v), r.EventTime("act start-http "+v)
	if p == nil || v == "" || stop == 0 || start == 0 {
		fail("phase 2: no real server was stopped and started")
		return
	}
	removed := r.TableChange(stop, v, false)
	if removed == 0 || removed > start {
		fail("phase 2: %s never left the table while its HTTP was down", v)
		return
	}
	if d := time.Duration(removed-stop) * time.Millisecond; d > BoundRemoval {
		fail("phase 2: %s removed %v after its HTTP stopped, bound %v", v, d, BoundRemoval)
	}
	added := r.TableChange(start, v, true)
	if added == 0 || added > p.End {
		fail("phase 2: %s was not added back", v)
	}
	// Only requests sent to the victim before it left the table may fail.
	r.checkOutside(fail, 2, stop, removed+1000)
	every := r.every()
	if max := int((removed-stop+1000)/every) + 2 + SlowAllowance; p.Failed > max {
		fail("phase 2: %d failed requests, more than were sent during the outage (%d)", p.Failed, max)
	}
}

func (r *Report) checkPhase3(fail func(string, ...any)) {
	fo := r.failover("kill-hb")
	if fo == nil {
		fail("phase 3: no heartbeatd was killed")
		return
	}
	if fo.Taken == 0 {
		fail("phase 3: no other director took over after %s", fo.Cause)
		return
	}
	if fo.Complete == 0 {
		fail("phase 3: %s never ran the whole group (VIP, lvs, mond)", fo.TakenBy)
	} else if fo.CompleteDuration() > BoundFailover {
		fail("phase 3: %s ran the whole group (VIP, lvs, mond) %v after the kill, bound %v", fo.TakenBy, fo.CompleteDuration(), BoundFailover)
	}
	// The new director runs the whole group: VIP, lvs (table, sync master) and mon.
	end := int64(1) << 62
	if p := r.Stats[3]; p != nil && p.End != 0 {
		end = p.End
	}
	var got NodeState
	for _, s := range r.States {
		if s.Node == fo.TakenBy && s.T >= fo.Taken && s.T <= end {
			got = s
		}
	}
	// After the killed node is back in the real-server role, only the new director
	// can carry the connection.
	through := fo.Taken
	if t := r.EventTime("act restart " + fo.From); t != 0 {
		through = t
	}
	if !got.Active() || !got.Mon || !strings.Contains(got.Sync, "master") {
		fail("phase 3: %s after takeover: %s, want director with mond and sync master", fo.TakenBy, describe(got))
	}
	var before, after []string
	broken := false
	for _, h := range r.Hold {
		if !h.OK {
			broken = true
			fail("phase 3: long-lived connection broken at %s: %s", sec(r, h.T), h.Reason)
			continue
		}
		if h.T < fo.T {
			before = append(before, h.Server)
		} else if h.T > through {
			after = append(after, h.Server)
		}
	}
	switch {
	case broken:
	case len(before) == 0:
		fail("phase 3: the long-lived connection had no exchange before the failover")
	case r.DirectorsServe && before[0] == fo.From:
		// (with a restarted echo it breaks, as it would with a real reboot)
		fail("phase 3: the long-lived connection was served by %s, the director killed and rebooted; want a server that stays up (the echo table's order gives it to the standby)", fo.From)
	case len(after) == 0:
		fail("phase 3: the long-lived connection had no exchange after the failover (through %s alone)", fo.TakenBy)
	default:
		for _, s := range append(before, after...) {
			if s != before[0] {
				fail("phase 3: the long-lived connection moved from %s to %s", before[0], s)
				break
			}
		}
	}
	// The killed node keeps forwarding until the new director announces the VIP:
	// requests may fail only around the takeover.
	to := fo.Taken + 2000
	if r.DirectorsServe {
		// A killed director that serves is also one of the new director's real servers.
		// Until its reboot, what the new director sends it meets its own table, which
		// may send it back: two tables directing the VIP bounce a new connection between
		// them until IPVS, which decrements the TTL of what it forwards, answers ICMP
		// time exceeded (the client's connect fails with "no route to host"). From the
		// reboot until it is back on the segment its share is lost. So requests may fail
		// until it is back, plus the client's timeout.
		if back := r.EventTime("act back " + fo.From); back+2000 > to {
			to = back + 2000
		}
	}
	r.checkOutside(fail, 3, fo.Taken-1000, to)
}

// checkPhase6 holds the steady state after phase 3's failover to phase 1's bounds: one
// director throughout, the one that took over, and every real server answering; when
// the directors serve, the new director answers its share itself and the old one as a
// real server, and ipvsadm lists the new director's own entry.
func (r *Report) checkPhase6(fail func(string, ...any)) {
	p := r.Stats[6]
	if p == nil || p.End == 0 {
		return
	}
	fo := r.failover("kill-hb")
	if fo == nil || fo.Taken == 0 {
		fail("phase 6: no failover before it")
		return
	}
	r.checkSpread(fail, 6)
	for _, t := range r.changeTimes(p.Begin, p.End) {
		if act := r.ActiveAt(t); len(act) != 1 || act[0] != fo.TakenBy {
			fail("phase 6: directors %v at %s, want %s alone", act, sec(r, t), fo.TakenBy)
			break
		}
	}
	if r.DirectorsServe {
		r.checkOwnEntry(fail, 6, fo.TakenBy)
	}
}

// changeTimes are from and the times of the director changes within [from, to].
func (r *Report) changeTimes(from, to int64) []int64 {
	ts := []int64{from}
	for _, c := range r.Changes {
		if c.T > from && c.T <= to {
			ts = append(ts, c.T)
		}
	}
	return ts
}

func (r *Report) checkPhase4(fail func(string, ...any)) {
	fo := r.failover("cut")
	if fo == nil {
		fail("phase 4: no director was cut off")
		return
	}
	if fo.GaveUp == 0 {
		fail("phase 4: %s never gave up the VIP and IPVS", fo.From)
	}
	for _, iv := range r.BothActive() {
		if iv[1] < fo.T {
			continue // before the cut (phase 3 leaves the killed node's group in place for a while)
		}
		if d := time.Duration(iv[1]-iv[0]) * time.Millisecond; d > BoundBothActive {
			fail("phase 4: two directors active for %v from %s, bound %v", d, sec(r, iv[0]), BoundBothActive)
		}
	}
	// From the cut until the other director announces the VIP, the gateway sends the
	// VIP's traffic into the cut cable; after that, nothing may fail.
	if fo.Taken != 0 {
		r.checkOutside(fail, 4, fo.T, fo.Taken+2000)
	}
	p := r.Stats[4]
	if p == nil || p.End == 0 {
		return
	}
	if act := r.ActiveAt(p.End); len(act) != 1 {
		fail("phase 4: %d directors at the end (%v), want one", len(act), act)
	}
}

func (r *Report) failover(kind string) *Failover {
	for i := range r.Failovers {
		if strings.HasPrefix(r.Failovers[i].Cause, kind+" ") {
			return &r.Failovers[i]
		}
	}
	return nil
}

// every is the client's request interval, from the requests themselves (median gap).
func (r *Report) every() int64 {
	if len(r.Requests) < 3 {
		return 200
	}
	var gaps []int64
	for i := 1; i < len(r.Requests); i++ {
		gaps = append(gaps, r.Requests[i].T-r.Requests[i-1].T)
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	if g := gaps[len(gaps)/2]; g > 0 {
		return g
	}
	return 200
}

// start is the timeline's zero: the end of the setup.
func (r *Report) start() int64 {
	if t := r.EventTime("setup done"); t != 0 {
		return t
	}
	if len(r.Events) > 0 {
		return r.Events[0].T
	}
	return 0
}

func sec(r *Report, t int64) string {
	return fmt.Sprintf("%.1fs", float64(t-r.start())/1000)
}

func describe(s NodeState) string {
	role := "real-server role"
	if s.Active() {
		role = "director"
	}
	return fmt.Sprintf("%s (vip on %s, table [%s], sync %s, heartbeatd %s, mond %s)", role, s.VIP,
		strings.Join(s.Table(), " "), s.Sync, onOff(s.HB), onOff(s.Mon))
}

func onOff(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

// Timeline writes the readable account of a run: who is director, which real servers
// are in the table, the client's success rate per phase, each failover with its
// duration; then the phases that did not run, with the reason.
func (r *Report) Timeline(w io.Writer) {
	if r.DirectorsServe {
		fmt.Fprintf(w, "lvskit lab: the LVS manual's director setup (LVS/DR, VIP %s, directors d1 d2, real servers %s: the directors serve too, as in the manual)\n", VIP, strings.Join(r.servers(), " "))
	} else {
		fmt.Fprintf(w, "lvskit lab: the LVS manual's director setup (LVS/DR, VIP %s, directors d1 d2, real servers %s)\n", VIP, strings.Join(r.servers(), " "))
	}
	fmt.Fprintf(w, "timing: mon interval %ds alertafter %d; heartbeat keepalive %ds deadtime %ds; client request every %dms\n",
		MonInterval, MonAlertAfter, Keepalive, Deadtime, r.every())
	if r.Elapsed > 0 {
		fmt.Fprintf(w, "wall time %v\n", r.Elapsed.Round(time.Second))
	}
	fmt.Fprintln(w)
	type line struct {
		t int64
		s string
	}
	var lines []line
	for _, e := range r.Events {
		if strings.HasPrefix(e.Text, "phase ") {
			f := strings.Fields(e.Text)
			if len(f) >= 3 && f[2] == "begin" {
				lines = append(lines, line{e.T, "== phase " + f[1] + ": " + strings.Join(f[3:], " ")})
			} else if len(f) >= 3 && f[2] == "end" {
				lines = append(lines, line{e.T, "   phase " + f[1] + " ends: " + r.phaseSummary(f[1])})
			}
			continue
		}
		lines = append(lines, line{e.T, e.Text})
	}
	for _, c := range r.Changes {
		s := "director: none"
		if len(c.Active) > 0 {
			s = fmt.Sprintf("director: %s   table: %s", strings.Join(c.Active, " + "), orNone(c.Table))
			if len(c.Active) > 1 {
				s += "   (TWO DIRECTORS)"
			}
		}
		lines = append(lines, line{c.T, s})
	}
	// Each director's own state, when it changes (the table is on the director lines).
	prev := map[string]string{}
	for _, s := range r.States {
		d := fmt.Sprintf("%s: vip on %s, sync %s, heartbeatd %s, mond %s", s.Node, s.VIP, s.Sync, onOff(s.HB), onOff(s.Mon))
		if prev[s.Node] != d {
			lines = append(lines, line{s.T, d})
			prev[s.Node] = d
		}
	}
	// Runs of failed requests, one line each.
	var run []Request
	flush := func() {
		if len(run) == 0 {
			return
		}
		reasons := map[string]int{}
		for _, q := range run {
			reasons[q.Reason]++
		}
		var rs []string
		for k, v := range reasons {
			rs = append(rs, fmt.Sprintf("%s×%d", k, v))
		}
		sort.Strings(rs)
		lines = append(lines, line{run[0].T, fmt.Sprintf("client: %d failed requests until %s (%s)", len(run), sec(r, run[len(run)-1].T), strings.Join(rs, ", "))})
		run = nil
	}
	for _, q := range r.Requests {
		if q.OK {
			flush()
		} else {
			run = append(run, q)
		}
	}
	flush()
	for _, h := range r.HoldLines {
		if f := strings.Fields(h.Text); len(f) >= 2 && f[1] != "ok" {
			lines = append(lines, line{h.T, "long-lived connection: " + strings.Join(f[1:], " ")})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].t < lines[j].t })
	for _, l := range lines {
		fmt.Fprintf(w, "%7s  %s\n", sec(r, l.t), l.s)
	}
	fmt.Fprintln(w)
	for _, fo := range r.Failovers {
		bound := fmt.Sprintf("bound %v: deadtime + 3 s to the whole group", BoundFailover)
		if strings.HasPrefix(fo.Cause, "cut") {
			// The peer takes over when it stops hearing the cut one: deadtime after the
			// cut, by design. What is bounded is the overlap of the two (below).
			bound = fmt.Sprintf("takeover after deadtime %v by design; two directors at most deadtime", BoundBothActive)
		}
		s := fmt.Sprintf("failover after %s at %s: ", fo.Cause, sec(r, fo.T))
		if fo.GaveUp != 0 && strings.HasPrefix(fo.Cause, "kill-hb") {
			// heartbeat died holding the group: the lab's reboot of the node ends it.
			s += fmt.Sprintf("%s held the group until its reboot %.1fs later; ", fo.From, float64(fo.GaveUp-fo.T)/1000)
		} else if fo.GaveUp != 0 {
			s += fmt.Sprintf("%s gave up after %.1fs; ", fo.From, float64(fo.GaveUp-fo.T)/1000)
		} else {
			s += fo.From + " never gave up; "
		}
		if fo.Taken != 0 {
			s += fmt.Sprintf("%s director after %.1fs", fo.TakenBy, fo.Duration().Seconds())
			if fo.Complete != 0 {
				s += fmt.Sprintf(", whole group (VIP, lvs, mond) after %.1fs", fo.CompleteDuration().Seconds())
			}
		} else {
			s += "no other director"
		}
		fmt.Fprintf(w, "%s (%s)\n", s, bound)
	}
	if v := r.victim(); v != "" {
		stop := r.EventTime("act stop-http " + v)
		if rm := r.TableChange(stop, v, false); rm != 0 {
			fmt.Fprintf(w, "mond removed %s %.1fs after its HTTP stopped (bound %v: alertafter × interval from the first failed check, at most one interval after the stop, + 1 s to run the monitor and alert)\n",
				v, float64(rm-stop)/1000, BoundRemoval)
		}
		if start := r.EventTime("act start-http " + v); start != 0 {
			if add := r.TableChange(start, v, true); add != 0 {
				fmt.Fprintf(w, "mond added %s back %.1fs after its HTTP started\n", v, float64(add-start)/1000)
			}
		}
	}
	if fo := r.failover("kill-hb"); fo != nil && len(r.Hold) > 0 {
		before, after, broken := 0, 0, 0
		servers := map[string]bool{}
		for _, h := range r.Hold {
			switch {
			case !h.OK:
				broken++
			case h.T < fo.T:
				before++
			default:
				after++
			}
			if h.OK {
				servers[h.Server] = true
			}
		}
		var names []string
		for n := range servers {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "long-lived connection: %d exchanges before the kill, %d after, %d breaks, served by %s\n", before, after, broken, strings.Join(names, " "))
	}
	for _, iv := range r.BothActive() {
		why := fmt.Sprintf("bound: deadtime %v", BoundBothActive)
		if fo := r.failover("cut"); fo == nil || iv[1] < fo.T {
			why = "heartbeatd killed holding the group, until the node's reboot; not bounded"
		}
		fmt.Fprintf(w, "two directors active from %s for %.1fs (%s)\n", sec(r, iv[0]), float64(iv[1]-iv[0])/1000, why)
	}
	if r.DirectorsServe {
		r.ownEntries(w)
	}
	var skipped []int
	for n := range r.Skipped {
		skipped = append(skipped, n)
	}
	sort.Ints(skipped)
	for _, n := range skipped {
		fmt.Fprintf(w, "phase %d: not run (%s)\n", n, r.Skipped[n])
	}
}

// ownEntries says what ipvsadm listed for each director's own entry, in the phases
// that listed it, beside the manual's listing.
func (r *Report) ownEntries(w io.Writer) {
	said := false
	for _, n := range []int{1, 6} {
		p := r.Stats[n]
		if p == nil || p.End == 0 {
			continue
		}
		for _, d := range []string{"d1", "d2"} {
			ours, listed := r.OwnEntry(d, "lvskit", p.Begin, p.End)
			if !listed {
				continue
			}
			s := fmt.Sprintf("phase %d: ipvsadm -L -n on %s lists its own entry as ", n, d)
			if ours == nil {
				s += "(none)"
			} else {
				s += "-> " + strings.Join(ours, " ")
			}
			if orig, listed := r.OwnEntry(d, "1.31", p.Begin, p.End); listed && orig != nil {
				s += "; ipvsadm 1.31: -> " + strings.Join(orig, " ")
			}
			fmt.Fprintln(w, s)
			said = true
		}
	}
	if said {
		fmt.Fprintln(w, "(the manual's ipvsadm -l, on its 2.4 kernel: -> Linux187:webcache Local 5 0 0. That kernel marked a real server at one of the director's own addresses LOCALNODE, \"Local\"; a current one keeps the method the entry was added with, -g \"Route\", and delivers locally packet by packet)")
	}
}

func (r *Report) phaseSummary(n string) string {
	var p *PhaseStat
	for k, v := range r.Stats {
		if fmt.Sprint(k) == n {
			p = v
		}
	}
	if p == nil {
		return ""
	}
	var by []string
	for _, s := range r.servers() {
		by = append(by, fmt.Sprintf("%s %d", s, p.ByServer[s]))
	}
	return fmt.Sprintf("%d requests, %d failed, %.1f%% ok; answered by %s", p.OK+p.Failed, p.Failed, p.SuccessRate(), strings.Join(by, ", "))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(empty)"
	}
	return strings.Join(s, " ")
}
