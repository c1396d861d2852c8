package lab

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// The BGP scenario (issue 13): three active directors d1 d2 d3 behind a router running
// BIRD 2 with ECMP over L4 hashing, each announcing the VIP over BGP; LVS/DR with IPVS
// mh and mh-port (the real servers added in the same sorted order everywhere) and
// sloppy_tcp, so a flow's real server does not depend on the director it goes through;
// each director's mond with the lab's mon.cf (lvs.alert takes a dead real server out).
// guest/bgp-scenario.sh drives it in the qemu VM through guest/here.sh, as the lab's
// scenario; it logs measures, and BGPReport.Check holds them to BGPBounds.
//
//	make lab-bgp                       # builds, runs it in the VM, prints the timeline
//	LVSKIT_LAB_BGP=1 go test ./lab -run TestLabBGP -v   # the same as a test (root, qemu)

//go:embed guest/bgp-scenario.sh
var bgpScenario string

// BGPPhases are the BGP scenario's phases, in order.
var BGPPhases = []string{"a", "b", "c", "d", "e", "n", "f"}

// BGPPhaseTitles name them in the timeline.
var BGPPhaseTitles = map[string]string{
	"setup": "three directors announce the VIP; the router has three next hops",
	"a":     "all three directors carry new flows",
	"b":     "a flow's real server does not depend on the director",
	"c":     "a real server stops: every director's mond takes it out; only its flows fail",
	"d":     "kill -9 of a director: the router withdraws it; long-lived connections stay",
	"e":     "graceful drain of a director (SIGTERM to its speaker): no failed request",
	"n":     "note: under mh, flows of the other real servers moved by weight 0 and by delete",
	"f":     "nothing left behind",
}

// The BGP scenario's settings.
const (
	BGPHold    = 3    // seconds, the BGP hold time (keepalive 1 s)
	BGPDrain   = 5    // seconds, the speaker's drain time
	BGPFlows   = 1000 // short flows per run of labprobe flows
	BGPHolds   = 300  // long-lived connections in phases d and e
	bgpTimeout = 9 * time.Minute
)

// BGPPhaseLimits bound each phase's wall time (emulated CPUs: generous).
var BGPPhaseLimits = map[string]time.Duration{
	"setup": 120 * time.Second,
	"a":     60 * time.Second, "b": 120 * time.Second, "c": 120 * time.Second,
	"d": 90 * time.Second, "e": 60 * time.Second, "n": 120 * time.Second, "f": 40 * time.Second,
}

// BGPBound is one measure of the scenario held to a limit.
type BGPBound struct {
	Phase, Name string
	Op          string // "<=", ">=" or "=="
	Limit       float64
	Why         string
}

func (b BGPBound) holds(v float64) bool {
	switch b.Op {
	case "<=":
		return v <= b.Limit
	case ">=":
		return v >= b.Limit
	}
	return v == b.Limit
}

// BGPBounds are the scenario's bounds, as the issue states them.
var BGPBounds = []BGPBound{
	{"setup", "announce-ms", "<=", 60000, "speakers started -> three next hops in the router's FIB"},
	{"a", "share-d1", ">=", 100.0 / 6, "% of new flows, at least 1/6 each"},
	{"a", "share-d2", ">=", 100.0 / 6, "% of new flows, at least 1/6 each"},
	{"a", "share-d3", ">=", 100.0 / 6, "% of new flows, at least 1/6 each"},
	{"a", "failed-flows", "==", 0, "flows through ECMP refused or reset"},
	{"a", "slow-flows", "<=", SlowAllowance, "flows timed out (a stalled emulated CPU; the lab's allowance)"},
	{"b", "agreement", "==", 100, "% of flows answered by the same real server through ECMP, d1, d2 and d3"},
	{"b", "failed-flows", "==", 0, "flows through d1, d2, d3 refused or reset"},
	{"b", "slow-flows", "<=", SlowAllowance, "flows timed out (the lab's allowance)"},
	{"c", "failed-not-rs2", "==", 0, "flows refused or reset that rs2 did not serve"},
	{"c", "removed-d1-ms", "<=", float64(ms(BoundRemoval)), "rs2 out of d1's table after its HTTP stopped (the lab's mond bound)"},
	{"c", "removed-d2-ms", "<=", float64(ms(BoundRemoval)), "rs2 out of d2's table (the lab's mond bound)"},
	{"c", "removed-d3-ms", "<=", float64(ms(BoundRemoval)), "rs2 out of d3's table (the lab's mond bound)"},
	{"c", "failed-after", "==", 0, "flows refused or reset once rs2 was out of every table"},
	{"c", "slow-flows", "<=", SlowAllowance, "flows timed out (the lab's allowance)"},
	{"d", "withdraw-ms", "<=", (BGPHold + 2) * 1000, "kill -> d3's next hop gone from the router's FIB (hold time + 2 s)"},
	{"d", "holds-open", "==", BGPHolds, "long-lived connections open at the kill"},
	{"d", "holds-broken", "==", 0, "long-lived connections reset or closed"},
	{"d", "rejoin-ms", "<=", 30000, "d3's speaker restarted -> three next hops again"},
	{"e", "withdraw-ms", "<=", 2000, "SIGTERM -> d2's next hop gone from the router's FIB"},
	{"e", "failed-requests", "==", 0, "HTTP requests that failed during the drain"},
	{"e", "holds-open", "==", BGPHolds, "long-lived connections open at the SIGTERM"},
	{"e", "holds-broken", "==", 0, "long-lived connections reset or closed"},
	{"f", "left-procs", "==", 0, "labprobe, httpd, bird, lvs-bgp, mond left running"},
	{"f", "left-netns", "==", 0, "network namespaces left"},
	{"f", "left-root-services", "==", 0, "IPVS services left in the machine's own namespace"},
}

// BGPOptions say which phases run and with which speaker.
type BGPOptions struct {
	Phases []string // default BGPPhases
	// Speaker announces the VIP on the directors: "lvs-bgp" (lvskit's), "bird" (a BIRD
	// instance per director exporting a static /32), or "" for lvs-bgp when
	// cmd/lvs-bgp is in the tree and BIRD otherwise.
	Speaker string
	// MidFlow is how a director takes a packet from the middle of a flow another
	// director scheduled: "sloppy" (sloppy_tcp, the default and the lab's choice),
	// "none" (the kernel's default: neither) or "sync" (IPVS's sync daemon, master and
	// backup on every director); see MidFlowModes.
	MidFlow string
	Logf    func(format string, args ...any)
}

// MidFlowModes are BGPOptions.MidFlow's values, the lab's choice first.
var MidFlowModes = []string{"sloppy", "none", "sync"}

// BGPMeasure is one measure the scenario logged.
type BGPMeasure struct {
	T           int64
	Phase, Name string
	Value       float64
}

// BGPReport is what the scenario logged, read back.
type BGPReport struct {
	Speaker  string
	MidFlow  string
	Phases   []string
	Events   []Event
	Measures []BGPMeasure
	Begin    map[string]int64 // phase -> ms of its "begin"
	End      map[string]int64
	ExitCode int
	Stderr   string
	Elapsed  time.Duration
	Files    map[string][]byte
}

// Measure returns a measure's value.
func (r *BGPReport) Measure(phase, name string) (float64, bool) {
	for _, m := range r.Measures {
		if m.Phase == phase && m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// ParseBGP reads the scenario's events file.
func ParseBGP(events []byte) (*BGPReport, error) {
	r := &BGPReport{Begin: map[string]int64{}, End: map[string]int64{}}
	sc := bufio.NewScanner(bytes.NewReader(events))
	for sc.Scan() {
		t, rest, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		ms, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("lab: events: %q: %w", sc.Text(), err)
		}
		r.Events = append(r.Events, Event{T: ms, Text: rest})
		f := strings.Fields(rest)
		switch {
		case len(f) >= 4 && f[0] == "measure":
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				continue // not measured (the bound says so); the line stays an event
			}
			r.Measures = append(r.Measures, BGPMeasure{ms, f[1], f[2], v})
		case len(f) >= 3 && f[0] == "phase" && f[2] == "begin":
			r.Begin[f[1]] = ms
		case len(f) >= 3 && f[0] == "phase" && f[2] == "end":
			r.End[f[1]] = ms
		case len(f) >= 2 && f[0] == "setup" && f[1] == "begin":
			r.Begin["setup"] = ms
		case len(f) >= 2 && f[0] == "setup" && f[1] == "done":
			r.End["setup"] = ms
		}
	}
	if len(r.Events) == 0 {
		return nil, errors.New("lab: the BGP scenario logged no events")
	}
	return r, nil
}

func (r *BGPReport) ran(phase string) bool {
	return phase == "setup" || slices.Contains(r.Phases, phase)
}

// Check holds the report to BGPBounds and BGPPhaseLimits; it returns what failed.
func (r *BGPReport) Check() []string {
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	if r.ExitCode != 0 {
		fail("the scenario exited %d", r.ExitCode)
	}
	for _, e := range r.Events {
		if strings.HasPrefix(e.Text, "error ") || strings.HasPrefix(e.Text, "timeout ") {
			fail("%s: %s", r.sec(e.T), e.Text)
		}
	}
	for _, p := range append([]string{"setup"}, r.Phases...) {
		b, okb := r.Begin[p]
		e, oke := r.End[p]
		if !okb || !oke {
			fail("phase %s: did not run to its end", p)
			continue
		}
		if d := time.Duration(e-b) * time.Millisecond; d > BGPPhaseLimits[p] {
			fail("phase %s: took %v, bound %v", p, d, BGPPhaseLimits[p])
		}
	}
	for _, b := range BGPBounds {
		if !r.ran(b.Phase) {
			continue
		}
		v, ok := r.Measure(b.Phase, b.Name)
		if !ok {
			fail("phase %s: %s was not measured", b.Phase, b.Name)
		} else if !b.holds(v) {
			fail("phase %s: %s = %s, bound %s %s (%s)", b.Phase, b.Name, num(v), b.Op, num(b.Limit), b.Why)
		}
	}
	return bad
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (r *BGPReport) sec(t int64) string {
	return fmt.Sprintf("%6.1fs", float64(t-r.Begin["setup"])/1000)
}

// Timeline prints every event, then each phase with its duration and its measures
// against their bounds, then the measures no bound holds (the notes).
func (r *BGPReport) Timeline(w io.Writer) {
	mid := map[string]string{"sloppy": "sloppy_tcp", "none": "no sloppy_tcp, no sync daemon", "sync": "sync daemon, no sloppy_tcp"}[r.MidFlow]
	if mid == "" {
		mid = "sloppy_tcp"
	}
	fmt.Fprintf(w, "BGP lab: 3 directors (speaker: %s, hold %ds, drain %ds), ECMP over L4 hashing, LVS/DR, mh + mh-port, %s\n", r.Speaker, BGPHold, BGPDrain, mid)
	fmt.Fprintf(w, "guest ran %v\n\n", r.Elapsed.Round(time.Second))
	for _, e := range r.Events {
		fmt.Fprintf(w, "%s  %s\n", r.sec(e.T), e.Text)
	}
	fmt.Fprintln(w)
	bounded := map[string]bool{}
	for _, p := range append([]string{"setup"}, r.Phases...) {
		dur := "did not finish"
		if b, ok := r.Begin[p]; ok {
			if e, ok := r.End[p]; ok {
				dur = fmt.Sprintf("%.1fs", float64(e-b)/1000)
			}
		}
		fmt.Fprintf(w, "phase %s: %s — %s (bound %v)\n", p, BGPPhaseTitles[p], dur, BGPPhaseLimits[p])
		for _, b := range BGPBounds {
			if b.Phase != p {
				continue
			}
			bounded[p+"/"+b.Name] = true
			v, ok := r.Measure(p, b.Name)
			verdict := "ok"
			val := num(v)
			switch {
			case !ok:
				verdict, val = "FAIL", "not measured"
			case !b.holds(v):
				verdict = "FAIL"
			}
			fmt.Fprintf(w, "    %-4s %-20s %-12s %s %-8s %s\n", verdict, b.Name, val, b.Op, strconv.FormatFloat(b.Limit, 'f', 1, 64), b.Why)
		}
	}
	var notes []string
	for _, m := range r.Measures {
		if !bounded[m.Phase+"/"+m.Name] {
			notes = append(notes, fmt.Sprintf("    %s/%s = %s", m.Phase, m.Name, num(m.Value)))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nnotes (measured, not bounded):\n%s\n", strings.Join(notes, "\n"))
	}
}

// bgpSpeaker is the speaker the scenario uses: lvs-bgp once cmd/lvs-bgp is in the
// tree, BIRD until then.
func bgpSpeaker(root, asked string) (string, error) {
	switch asked {
	case "lvs-bgp", "bird":
		return asked, nil
	case "":
		if _, err := os.Stat(filepath.Join(root, "cmd", "lvs-bgp")); err == nil {
			return "lvs-bgp", nil
		}
		return "bird", nil
	}
	return "", fmt.Errorf("lab: speaker %q: lvs-bgp or bird", asked)
}

// hostBird is BIRD 2 on the host (Debian's bird2, scripts/install-test-deps.sh), copied
// into the guest with its libraries: the router's, and the directors' speaker until
// lvs-bgp.
const hostBird = "/usr/sbin/bird"

// RunBGP builds lvskit's commands and labprobe, runs the BGP scenario in the qemu VM
// (the host's kernel may have IPVS, but the scenario loads BIRD and the guest has
// it) and returns its report. The error is for a scenario that could not run at all.
func RunBGP(ctx context.Context, opts BGPOptions) (*BGPReport, error) {
	if len(opts.Phases) == 0 {
		opts.Phases = BGPPhases
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	speaker, err := bgpSpeaker(root, opts.Speaker)
	if err != nil {
		return nil, err
	}
	if opts.MidFlow == "" {
		opts.MidFlow = MidFlowModes[0]
	}
	if !slices.Contains(MidFlowModes, opts.MidFlow) {
		return nil, fmt.Errorf("lab: mid-flow mode %q: one of %s", opts.MidFlow, strings.Join(MidFlowModes, ", "))
	}
	if _, err := os.Stat(hostBird); err != nil {
		return nil, fmt.Errorf("lab: BIRD 2 is the router: %w (make deps installs bird2)", err)
	}
	cmds := maps.Clone(installed)
	if speaker == "lvs-bgp" {
		cmds["lvs-bgp"] = "/usr/sbin/lvs-bgp"
	}
	// d3 is a director as d1 and d2 are: the same mon.cf and friends under its /etc.
	// The directors run no heartbeat: the gateway's ping watch, whose heartbeat.alert
	// gives up the director role (lvs stop: the table emptied) and restarts heartbeat,
	// is the two-director setup's; here the router's health is BGP's business.
	var bad error
	third := func(files map[string][]byte) {
		for p, data := range files {
			if rest, ok := strings.CutPrefix(p, "/etc/netns/d1/mon/"); ok {
				files["/etc/netns/d3/mon/"+rest] = data
			}
		}
		for _, n := range []string{"d1", "d2", "d3"} {
			p := "/etc/netns/" + n + "/mon/mon.cf"
			cf := string(files[p])
			i := strings.Index(cf, "\nwatch server4\n")
			if i < 0 {
				bad = fmt.Errorf("lab: %s: no gateway watch (watch server4) to take out (examples/ changed?)", p)
				return
			}
			end := len(cf)
			if j := strings.Index(cf[i+1:], "\nwatch "); j >= 0 {
				end = i + 1 + j
			}
			files[p] = []byte(cf[:i+1] + cf[end:])
		}
	}
	st, err := prepare(ctx, cmds, false, third)
	if err != nil {
		return nil, err
	}
	if bad != nil {
		os.RemoveAll(st.dir)
		return nil, bad
	}
	defer os.RemoveAll(st.dir)
	files, err := st.stagedFiles()
	if err != nil {
		return nil, err
	}
	host := map[string]string{"/lab/bin/labprobe": st.probe}
	for guest, p := range files {
		host["/stage"+guest] = p
	}
	script := "mkdir -p /srv\n"
	env := []string{"STAGE=/stage", "LAB=/lab", "R=/results", "CONSOLE=/dev/console", "WORK=/tmp/here",
		"PHASES=" + strings.Join(opts.Phases, " "), "VIP=" + VIP, "SPEAKER=" + speaker,
		fmt.Sprintf("HOLD=%d", BGPHold), fmt.Sprintf("DRAIN=%d", BGPDrain), "BIRD=" + hostBird, "MIDFLOW=" + opts.MidFlow}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		script += fmt.Sprintf("export %s='%s'\n", k, v)
	}
	script += "exec sh /lab/here.sh /lab/bgp-scenario.sh\n"
	res, err := vmtest.Run(ctx, vmtest.Options{
		Script:    script,
		Files:     map[string][]byte{"/lab/here.sh": []byte(hereScript), "/lab/bgp-scenario.sh": []byte(bgpScenario)},
		HostFiles: host,
		Programs:  map[string]string{hostBird: hostBird},
		Modules:   []string{"overlay"},
		Timeout:   bgpTimeout,
		Nice:      -10,
		Logf:      opts.Logf,
	})
	if err != nil {
		if res != nil {
			var lab []string
			for _, l := range strings.Split(res.Console, "\n") {
				if i := strings.Index(l, "LAB "); i >= 0 {
					lab = append(lab, l[i+4:])
				}
			}
			err = fmt.Errorf("%w\nthe scenario's console lines:\n%s", err, strings.Join(lab, "\n"))
		}
		return nil, err
	}
	rep, err := ParseBGP(res.Files["events"])
	if err != nil {
		return nil, fmt.Errorf("%w\nstderr:\n%s", err, res.Stderr())
	}
	rep.Speaker = speaker
	rep.MidFlow = opts.MidFlow
	rep.Phases = opts.Phases
	rep.ExitCode = res.ExitCode
	rep.Stderr = res.Stderr()
	rep.Elapsed = res.Elapsed
	rep.Files = res.Files
	return rep, nil
}
