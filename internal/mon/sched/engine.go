package sched

import (
	"errors"
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/compat/timeperiod"
)

// Operational status values, numbered as mon numbers them (they appear verbatim in
// MON_OPSTATUS and in "list opstatus").
const (
	StatFail      = 0
	StatOK        = 1
	StatColdStart = 2
	StatWarmStart = 3
	StatLinkDown  = 4
	StatUnknown   = 5
	StatTimeout   = 6
	StatUntested  = 7
	StatDepend    = 8
	StatWarn      = 9
)

// IsFailure, IsSuccess and IsWarning classify an opstatus as mon's %FAILURE, %SUCCESS
// and %WARNING do.
func IsFailure(s int) bool { return s == StatFail || s == StatLinkDown || s == StatTimeout }

// IsSuccess reports whether mon counts s as a success.
func IsSuccess(s int) bool {
	return s == StatOK || s == StatColdStart || s == StatWarmStart || s == StatUnknown || s == StatUntested
}

// IsWarning reports whether mon counts s as a warning.
func IsWarning(s int) bool {
	return s == StatColdStart || s == StatWarmStart || s == StatUnknown || s == StatWarn
}

// Alert kinds (mon's FL_* flags).
const (
	FlMonitor      = 1
	FlUpAlert      = 2
	FlTrap         = 4
	FlTrapTimeout  = 8
	FlStartupAlert = 16
	FlTest         = 32
	FlRedistribute = 64
	FlAckAlert     = 128
	FlDisableAlert = 256
)

// Options are the engine's seams to the outside world.
type Options struct {
	// MonitorPath resolves a monitor name to the program to run; ok=false when there is
	// none (mon then logs and retries every second).
	MonitorPath func(name string) (path string, ok bool)
	// AlertPath resolves an alert name; ok=false means the alert is not called (and not
	// counted).
	AlertPath func(name string) (path string, ok bool)
	// Rand returns a pseudo-random number in [0, n); nil uses math/rand.
	Rand func(n int64) int64
	// Log receives mon's syslog lines (priority, message); nil discards them.
	Log func(prio, msg string)
}

// RunMonitor asks the daemon to run a monitor and report back with MonitorExited.
type RunMonitor struct {
	Group, Service string
	// Name is the monitor as configured; Path what MonitorPath resolved it to.
	Name, Path string
	// Args are the monitor's arguments followed by the hosts (argv[1:]).
	Args []string
	// Env holds the MON_* variables and the service's own variables.
	Env map[string]string
}

// Alert asks the daemon to call an alert program (fire and forget).
type Alert struct {
	Group, Service string
	Name, Path     string
	// Args is argv[1:]: -s -g -h -t [flag] and the configured arguments.
	Args  []string
	Stdin string
	Env   map[string]string
	// Type is mon's alert type word: alert, upalert, startupalert, testalert, ...
	Type  string
	Flags int
	Time  int64
}

// Actions is what one step asks the daemon to do, in order.
type Actions struct {
	Monitors []RunMonitor
	Alerts   []Alert
	// DowntimeLog lines to append to the dtlogfile (without the header).
	DowntimeLog []string
}

type optStr struct {
	v  string
	ok bool
}

func some(s string) optStr { return optStr{s, true} }

type optInt struct {
	v  int64
	ok bool
}

func someInt(v int64) optInt { return optInt{v, true} }

type periodState struct {
	cfg           *monconf.Period
	lastAlert     int64
	alertSent     int
	firstFailTime int64
	failCount     int
	noCompUpSent  int
}

// ServiceState is one service's live state (what "list opstatus" shows).
type ServiceState struct {
	group    string
	cfg      *monconf.Service
	interval int64
	// Trap state: the traptimeout and trapduration timers (Unix ns; 0 unset), the
	// last trap's time and the group:service a trap for "default" was meant for.
	trapDue, trapDurationDue int64
	lastTrap                 int64
	intended                 string
	oldInterval              int64
	hasOld                   bool
	// due and nextCheck are in Unix nanoseconds: checks are spaced exactly one interval
	// apart, where mon's one-second loop makes them drift by up to a second.
	due       int64
	nextCheck int64
	running   bool

	opStatus, lastOpStatus int
	exitval                string
	ack                    int64
	ackComment             string
	consecFailures         int
	failureCount           int
	alertCount             int
	lastFailure            optInt
	lastSuccess            optInt
	firstFailure           optInt
	lastCheck              optInt
	monitorDuration        int64
	dependStatus           optInt
	lastSummary            optStr
	lastDetail             optStr
	lastOutput             optStr
	failureOutput          optStr
	upalertOutput          optStr
	// lastFailureTime and lastFailureSummary are the time and summary of the latest
	// failure, kept through successes: dep_memory remembers a failed dependency for
	// that long after it recovers.
	lastFailureTime    int64
	lastFailureSummary string
	disabled           bool
	hasUpalert         bool
	periods            []*periodState

	// counts are mond's own per-service counters (mon keeps only alertCount and
	// failureCount); like those, they start at zero with the engine, so at start and
	// at every reset.
	counts Counts
	// held is set while a due check is held back on purpose (the scheduler stopped,
	// an exclude_period, a monitor dependency): its start is not counted late.
	held bool
}

// Counts are a service's event counters, from the engine's start (mond's start or its
// last reset) on.
type Counts struct {
	// Checks the scheduler started: monitors it asked the daemon to run (MonitorNotRun
	// ones included) and checks failed at once because the monitor line cannot be run.
	Checks int
	// Late is the checks of Checks started more than LateAfter after they were due,
	// not counting those held back on purpose (the scheduler stopped, an exclude
	// period, a monitor dependency) or asked for by "test monitor".
	Late int
	// UpAlerts is the upalerts called (a subset of the service's alert count).
	UpAlerts int
	// MonitorTimeouts is the monitors killed by mond's monitor timeout
	// (MonitorTimedOut).
	MonitorTimeouts int
	// AlertFailures is the alert programs that failed (AlertFailed).
	AlertFailures int
	// NotRun is the monitors the daemon could not start (MonitorNotRun).
	NotRun int
}

// LateAfter is how long after its due time a check may start before it counts as
// late: the daemon's loop starts a due check within a tenth of a second, so a second
// means the daemon was busy or blocked (maxprocs throttling, a stalled loop).
const LateAfter = time.Second

type key struct{ g, s string }

// Engine is the state machine. It is not safe for concurrent use: the daemon serialises
// calls (one goroutine owns it).
type Engine struct {
	cfg   Config
	opt   Options
	svcs  []*ServiceState
	byKey map[key]*ServiceState
	// groups holds the members, disabled hosts prefixed with "*" as mon does.
	groups        map[string][]string
	watchDisabled map[string]bool
	stopped       bool
	stoppedTime   int64
	procs         int
	startTime     int64
	alertHist     []string
	failureHist   []string
	maxKeep       int
	depRecurLimit int
}

// New builds an engine for cfg. now is the start time: timers count from it.
func New(cfg Config, opt Options, now time.Time) *Engine {
	e := &Engine{cfg: cfg, opt: opt, byKey: map[key]*ServiceState{}, groups: map[string][]string{},
		watchDisabled: map[string]bool{}, startTime: now.Unix(), maxKeep: cfg.HistLength,
		depRecurLimit: cfg.Cf.Globals.DepRecurLimit}
	if e.maxKeep == 0 {
		e.maxKeep = 100
	}
	if e.depRecurLimit == 0 {
		e.depRecurLimit = 10
	}
	for _, hg := range cfg.Cf.Hostgroups {
		e.groups[hg.Name] = append([]string(nil), hg.Hosts...)
	}
	for _, w := range cfg.Cf.Watches {
		for _, s := range w.Services {
			st := &ServiceState{group: w.Group, cfg: s, interval: secs(s.Interval), opStatus: StatUntested,
				lastOpStatus: StatUntested, exitval: "undef", lastFailure: someInt(0), lastSuccess: someInt(0),
				monitorDuration: -1}
			for _, p := range s.Periods {
				st.periods = append(st.periods, &periodState{cfg: p})
				if len(p.UpAlerts) > 0 {
					st.hasUpalert = true
				}
			}
			e.svcs = append(e.svcs, st)
			e.byKey[key{w.Group, s.Name}] = st
		}
	}
	e.resetTimers(now.UnixNano())
	return e
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

const nsPerSec = int64(time.Second)

func (e *Engine) rand(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if e.opt.Rand != nil {
		return e.opt.Rand(n)
	}
	return rand.Int63n(n)
}

func (e *Engine) log(prio, format string, args ...any) {
	if e.opt.Log != nil {
		e.opt.Log(prio, fmt.Sprintf(format, args...))
	}
}

// within reports whether Unix time t is inside a period.
func within(p timeperiod.Period, t int64) bool { return p.Contains(time.Unix(t, 0)) }

// resetTimers is mon's set_last_test + randomize_startdelay: the first check is one
// interval away, or a random delay below randstart.
func (e *Engine) resetTimers(now int64) {
	for _, st := range e.svcs {
		if st.cfg.TrapTimeout > 0 {
			st.trapDue = now + int64(st.cfg.TrapTimeout)
		}
		st.due = now + st.interval*nsPerSec
		if e.cfg.RandStart > 0 {
			st.due = now + e.rand(secs(e.cfg.RandStart))*nsPerSec
		}
	}
}

// Startup returns the startup alerts mon sends when it starts.
func (e *Engine) Startup(now time.Time) Actions {
	var a Actions
	for _, st := range e.svcs {
		e.doAlert(&a, st, "", some("0"), FlStartupAlert, now.Unix())
	}
	return a
}

// Tick starts every monitor that is due at now.
func (e *Engine) Tick(now time.Time) Actions {
	var a Actions
	t, tn := now.Unix(), now.UnixNano()
	if e.stopped {
		e.hold(tn)
		return a
	}
	if g := &e.cfg.Cf.Globals; g.ExcludePeriod != "" && within(g.ExcludePeriodParsed, t) {
		e.hold(tn)
		return a
	}
	for _, st := range e.svcs {
		e.trapTimers(&a, st, now)
		if st.interval == 0 || st.running || st.due > tn {
			continue
		}
		if e.cfg.MaxProcs > 0 && e.procs >= e.cfg.MaxProcs {
			e.log("info", "throttled at %d processes", e.procs)
			continue
		}
		s := st.cfg
		if s.ExcludePeriod != "" && within(s.ExcludePeriodParsed, t) {
			st.held = true
			continue
		}
		if (s.DepBehavior == "m" && s.Depend != "") || s.MonitorDepend != "" {
			if ok, _ := e.depOK(st, "m", t); !ok {
				st.held = true
				continue
			}
		}
		e.runMonitor(&a, st, tn)
	}
	return a
}

// hold marks every due check as held back on purpose.
func (e *Engine) hold(tn int64) {
	for _, st := range e.svcs {
		if st.interval != 0 && !st.running && st.due <= tn {
			st.held = true
		}
	}
}

// started counts a check that starts at tn.
func (st *ServiceState) started(tn int64) {
	st.counts.Checks++
	if st.due != 0 && !st.held && tn-st.due > int64(LateAfter) {
		st.counts.Late++
	}
	st.held = false
}

// NextDue returns the earliest time a monitor may become due (for the daemon's sleep).
func (e *Engine) NextDue() (time.Time, bool) {
	var best int64
	found := false
	for _, st := range e.svcs {
		if st.interval == 0 || st.running {
			continue
		}
		if !found || st.due < best {
			best, found = st.due, true
		}
	}
	return time.Unix(0, best), found
}

func (e *Engine) hostsOf(group string) []string {
	var hs []string
	for _, h := range e.groups[group] {
		if !strings.HasPrefix(h, "*") {
			hs = append(hs, h)
		}
	}
	return hs
}

func (e *Engine) runMonitor(a *Actions, st *ServiceState, tn int64) {
	t := tn / nsPerSec
	s := st.cfg
	var cmd monconf.Command
	if s.MonitorCmd != nil {
		cmd = *s.MonitorCmd
	}
	path, ok := "", false
	if e.opt.MonitorPath != nil {
		path, ok = e.opt.MonitorPath(cmd.Program)
	}
	if !ok {
		e.log("err", "no monitor found while trying to run [%s]", cmd.Program)
		return
	}
	var hosts []string
	if !s.NoHosts {
		hosts = e.hostsOf(st.group)
		if len(s.ExcludeHosts) > 0 {
			var kept []string
			for _, h := range hosts {
				if !contains(s.ExcludeHosts, h) {
					kept = append(kept, h)
				}
			}
			hosts = kept
		}
		if (s.Depend != "" && s.DepBehavior == "hm") || s.HostDepend != "" {
			sum := e.depSummary(st, t)
			var kept []string
			for _, h := range hosts {
				hit := false
				for _, x := range sum {
					if strings.Contains(x, h) {
						hit = true
					}
				}
				if !hit {
					kept = append(kept, h)
				}
			}
			hosts = kept
		}
	}
	failed := false
	switch {
	case !s.NoHosts && len(hosts) == 0 && !s.AllowEmptyGroup:
		e.log("err", "monitor for %s/%s not called because of no host arguments", st.group, s.Name)
		e.resetTimer(st, tn)
	case cmd.QuoteError:
		// perl's quotewords gives mon no words for the line, so its exec gets no
		// program (or the first host as one) and fails: the check fails with no
		// output. mond runs nothing and fails the check the same way.
		e.log("err", "could not exec monitor %s for %s/%s: unbalanced quote in its arguments [%s]",
			cmd.Program, st.group, s.Name, cmd.ArgText)
		st.started(tn)
		st.lastCheck = someInt(t)
		st.monitorDuration = 0
		failed = true
	default:
		env := map[string]string{}
		for _, v := range s.Env {
			env[v.Name] = v.Value
		}
		env["MON_GROUP"] = st.group
		env["MON_SERVICE"] = s.Name
		setOpt(env, "MON_LAST_SUMMARY", st.lastSummary)
		setOpt(env, "MON_LAST_OUTPUT", st.lastOutput)
		setOptInt(env, "MON_LAST_FAILURE", st.lastFailure)
		setOptInt(env, "MON_FIRST_FAILURE", st.firstFailure)
		setOptInt(env, "MON_DEPEND_STATUS", st.dependStatus)
		setOptInt(env, "MON_LAST_SUCCESS", st.lastSuccess)
		if s.Set["description"] {
			env["MON_DESCRIPTION"] = s.Description
		}
		env["MON_STATEDIR"] = e.cfg.StateDir
		env["MON_LOGDIR"] = e.cfg.LogDir
		env["MON_CFBASEDIR"] = e.cfg.CfBaseDir
		// A fresh argv: cmd.Args belongs to the configuration.
		args := make([]string, 0, len(cmd.Args)+len(hosts))
		args = append(append(args, cmd.Args...), hosts...)
		a.Monitors = append(a.Monitors, RunMonitor{Group: st.group, Service: s.Name, Name: cmd.Program, Path: path,
			Args: args, Env: env})
		st.started(tn)
		st.lastCheck = someInt(t)
		st.running = true
		e.procs++
	}
	if st.nextCheck != 0 {
		st.nextCheck += st.interval * nsPerSec
	} else {
		st.nextCheck = tn + st.interval*nsPerSec
	}
	if failed {
		e.processEvent(a, st, 'm', 1, "", t)
		e.resetTimer(st, tn)
	}
}

func setOpt(env map[string]string, k string, v optStr) {
	if v.ok {
		env[k] = v.v
	}
}

func setOptInt(env map[string]string, k string, v optInt) {
	if v.ok {
		env[k] = strconv.FormatInt(v.v, 10)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// resetTimer is mon's reset_timer.
func (e *Engine) resetTimer(st *ServiceState, tn int64) {
	switch {
	case st.cfg.RandSkew > 0:
		skew := e.rand(secs(st.cfg.RandSkew)) + 1
		if e.rand(2) == 0 {
			skew = -skew
		}
		st.due = tn + (st.interval+skew)*nsPerSec
	case st.nextCheck != 0:
		d := st.nextCheck - tn
		if d < 0 {
			d = st.interval * nsPerSec
		}
		st.due = tn + d
	default:
		st.due = tn + st.interval*nsPerSec
	}
}

// MonitorExited feeds a monitor's result back: its exit status and its output (first
// line summary, the rest detail).
func (e *Engine) MonitorExited(group, service string, exit int, output string, now time.Time) Actions {
	var a Actions
	st := e.byKey[key{group, service}]
	if st == nil || !st.running {
		return a
	}
	t := now.Unix()
	if st.lastCheck.ok {
		st.monitorDuration = t - st.lastCheck.v
	}
	st.running = false
	e.procs--
	e.processEvent(&a, st, 'm', exit, output, t)
	e.resetTimer(st, now.UnixNano())
	return a
}

// splitOutput is perl's split("\n", $output, 2): no fields for "", else the first line
// and (if there was a newline) the rest.
func splitOutput(out string) (summary, detail optStr) {
	if out == "" {
		return
	}
	s, d, ok := strings.Cut(out, "\n")
	summary = some(s)
	if ok {
		detail = some(d)
	}
	return
}

var blankRe = regexp.MustCompile(`^\s*$`)

func firstLine(out string) string {
	s, _, _ := strings.Cut(out, "\n")
	if blankRe.MatchString(s) {
		return "(NO SUMMARY)"
	}
	return s
}

func (e *Engine) setOpStatus(st *ServiceState, s int) {
	st.lastOpStatus = st.opStatus
	st.opStatus = s
}

// processEvent is mon's process_event for a monitor result.
// processEvent's kind is 'm' for a monitor result, 't' for a trap and 'T' for a trap
// timeout, as in mon.
func (e *Engine) processEvent(a *Actions, st *ServiceState, kind byte, exit int, output string, t int64) {
	s := st.cfg
	summary, detail := splitOutput(output)
	st.exitval = strconv.Itoa(exit)
	if s.Depend != "" && s.DepBehavior == "a" {
		e.depOK(st, "a", t)
	}
	if exit != 0 {
		st.failureCount++
		st.consecFailures++
		st.lastFailure = someInt(t)
		if st.opStatus == StatOK || st.opStatus == StatUnknown || st.opStatus == StatUntested {
			st.firstFailure = someInt(t)
		}
		e.setOpStatus(st, StatFail)
		if !summary.ok || blankRe.MatchString(summary.v) {
			summary = some("(NO SUMMARY)")
		}
		st.lastSummary = summary
		st.lastDetail = detail
		st.lastFailureTime, st.lastFailureSummary = t, summary.v
		e.failureHist = pushHist(e.failureHist, fmt.Sprintf("%s %s %d %s", st.group, s.Name, t, summary.v), e.maxKeep)
		e.log("crit", "failure for %s", e.failureHist[len(e.failureHist)-1])
		switch kind {
		case 'm':
			e.doAlert(a, st, output, some(strconv.Itoa(exit)), FlMonitor, t)
			if s.FailureInterval > 0 && !st.hasOld {
				st.oldInterval, st.hasOld = st.interval, true
				st.interval = secs(s.FailureInterval)
				st.nextCheck = 0
			}
		case 't':
			e.doAlert(a, st, output, some(strconv.Itoa(exit)), FlTrap, t)
		case 'T':
			e.doAlert(a, st, output, some(strconv.Itoa(exit)), FlTrapTimeout, t)
		}
		st.failureOutput = some(output)
	} else {
		if st.opStatus == StatFail {
			a.DowntimeLog = append(a.DowntimeLog, e.dtlogLine(st, t))
		}
		old := st.opStatus
		e.setOpStatus(st, StatOK)
		if s.Redistribute != "" || (old == StatFail && st.hasUpalert) {
			st.upalertOutput = st.lastOutput
			e.doAlert(a, st, st.upalertOutput.v, some("0"), FlUpAlert, t)
		}
		st.ack = 0
		st.ackComment = ""
		st.firstFailure = someInt(0)
		st.lastFailure = someInt(0)
		st.consecFailures = 0
		st.failureOutput = some("")
		for _, p := range st.periods {
			if p.cfg.AlertEveryMode != "strict" {
				p.lastAlert = 0
			}
			p.firstFailTime = 0
			p.alertSent = 0
		}
		if s.FailureInterval > 0 && st.hasOld {
			st.interval = st.oldInterval
			st.hasOld = false
			st.nextCheck = 0
		}
		st.lastSuccess = someInt(t)
	}
	st.lastOutput = some(output)
	st.lastSummary = summary
	st.lastDetail = detail
}

func (e *Engine) dtlogLine(st *ServiceState, t int64) string {
	if !st.firstFailure.ok || st.firstFailure.v == 0 {
		st.firstFailure = someInt(e.startTime)
	}
	return fmt.Sprintf("%d %s %s %d %d %d %s", t, st.group, st.cfg.Name, st.firstFailure.v,
		t-st.firstFailure.v, st.interval, st.lastSummary.v)
}

func pushHist(h []string, line string, max int) []string {
	if len(h) > max {
		h = h[1:]
	}
	return append(h, line)
}

// exitValue is the value mon's inRange compares with an exit range: the monitor's
// exit value (0 when there is none, as perl's undef).
func exitValue(retval optStr) int {
	v, err := strconv.Atoi(strings.TrimSpace(retval.v))
	if err != nil {
		return 0
	}
	return v
}

// alertAfter is the alertafter setting the engine applies: that of the period's last
// alertafter line (count for "alertafter N"; interval for "alertafter TIME"; both for
// "alertafter N TIME").
func alertAfter(p *monconf.Period) (consec, count int, ival time.Duration) {
	switch p.AlertAfterForm {
	case monconf.AlertAfterCount:
		return p.AlertAfterConsec, 0, 0
	case monconf.AlertAfterTime:
		return 0, 0, p.AlertAfterInterval
	case monconf.AlertAfterCountTime:
		return 0, p.AlertAfter, p.AlertAfterInterval
	}
	return 0, 0, 0
}

// doAlert is mon's do_alert: decide, period by period, whether to call the alerts.
func (e *Engine) doAlert(a *Actions, st *ServiceState, output string, retval optStr, flags int, t int64) {
	s := st.cfg
	if e.stopped {
		e.log("notice", "ignoring alert for %s,%s because the mon scheduler is stopped", st.group, s.Name)
		return
	}
	if s.RedistributeCmd != nil {
		e.callAlert(a, st, nil, output, retval, flags|FlRedistribute, *s.RedistributeCmd, t)
	}
	if e.watchDisabled[st.group] || st.disabled {
		e.log("notice", "ignoring alert for %s,%s", st.group, s.Name)
		return
	}
	if flags&FlStartupAlert == 0 && flags&FlUpAlert == 0 &&
		((s.Depend != "" && s.DepBehavior == "a") || s.AlertDepend != "") {
		if !st.dependStatus.ok || st.dependStatus.v == 0 {
			return
		}
	}
	summary := firstLine(output)
	prevsumm := "(NO SUMMARY)"
	if st.failureOutput.ok {
		prevsumm = firstLine(st.failureOutput.v)
	}
	strip := func(x string) string { return strings.Join(strings.Fields(x), "") }
	if st.ack != 0 && s.UnackSummary && strip(summary) != strip(prevsumm) &&
		flags&(FlUpAlert|FlAckAlert|FlDisableAlert) == 0 {
		st.ack = 0
		st.ackComment = ""
		st.consecFailures = 1
		for _, p := range st.periods {
			p.lastAlert = 0
			p.firstFailTime = 0
			p.failCount = 0
		}
	}
	if st.ack != 0 && flags&(FlUpAlert|FlAckAlert|FlDisableAlert) == 0 {
		e.log("debug", "no alert for %s.%s because of ack'd failure", st.group, s.Name)
		return
	}
	for _, p := range st.periods {
		pc := p.cfg
		if pc.Spec != "" && !within(pc.Parsed, t) {
			continue
		}
		if !pc.NoCompAlerts && flags&(FlUpAlert|FlAckAlert) != 0 && p.alertSent == 0 {
			continue
		}
		if pc.NoCompAlerts && flags&FlUpAlert != 0 && p.noCompUpSent > 0 {
			continue
		}
		if flags&(FlUpAlert|FlStartupAlert|FlDisableAlert|FlAckAlert) == 0 {
			if pc.AlertExitRange != "" && !pc.AlertExitRange.Contains(exitValue(retval)) {
				continue
			}
			if pc.NumAlerts > 0 && p.alertSent >= pc.NumAlerts {
				continue
			}
			every := secs(pc.AlertEvery)
			if every != 0 && t-p.lastAlert < every {
				// The modifiers: a changed summary re-alerts early by default ("" or
				// the old "summary"), a changed output with observe_detail; nothing
				// does with strict or ignore_summary.
				mode := pc.AlertEveryMode
				if mode == "strict" ||
					(mode == "observe_detail" && st.failureOutput.v == output) ||
					((mode == "" || mode == "summary") && prevsumm == summary) ||
					mode == "ignore_summary" {
					continue
				}
			}
			consec, count, interval := alertAfter(pc)
			ival := secs(interval)
			switch {
			case consec > 0 && st.consecFailures < consec:
				continue
			case consec > 0:
			case count == 0 && interval > 0:
				if p.firstFailTime == 0 {
					p.firstFailTime = t
				}
				if t-p.firstFailTime <= ival {
					continue
				}
			case count > 0:
				p.failCount++
				if t-p.firstFailTime <= ival && p.failCount < count {
					continue
				}
				if t-p.firstFailTime > ival {
					p.failCount = 1
				}
				if p.failCount == 1 {
					p.firstFailTime = t
				}
				if p.failCount < count {
					continue
				}
			}
		}
		var lines []*monconf.AlertLine
		switch {
		case flags&FlUpAlert != 0:
			lines = pc.UpAlerts
		case flags&FlStartupAlert != 0:
			lines = pc.StartupAlerts
		case flags&FlDisableAlert != 0:
			lines = pc.DisableAlerts
		case flags&FlAckAlert != 0:
			lines = pc.AckAlerts
		default:
			lines = pc.Alerts
		}
		called := 0
		for _, al := range lines {
			if al.ExitRange != "" && !al.ExitRange.Contains(exitValue(retval)) {
				continue
			}
			if e.callAlert(a, st, p, output, retval, flags, al.Cmd, t) {
				called++
			}
		}
		if called > 0 {
			if flags&FlUpAlert != 0 {
				// mon 1.3.6 tests ($FL_TRAP | $flags), always true, so every upalert
				// re-arms the period as its comment says only traps should.
				p.alertSent = 0
				p.lastAlert = 0
			} else {
				p.alertSent++
				if pc.NoCompAlerts {
					p.noCompUpSent = 0
				}
			}
			if pc.NoCompAlerts && flags&FlUpAlert != 0 {
				p.noCompUpSent++
			}
		}
	}
}

func alertTypes(flags int) (logType, envType string) {
	switch {
	case flags&FlUpAlert != 0:
		return "upalert", "up"
	case flags&FlStartupAlert != 0:
		return "startupalert", "startup"
	case flags&FlAckAlert != 0:
		return "ackalert", "ack"
	case flags&FlDisableAlert != 0:
		return "disablealert", "disable"
	case flags&FlTrapTimeout != 0:
		return "traptimeoutalert", "traptimeout"
	case flags&FlTrap != 0:
		return "trapalert", "trap"
	case flags&FlTest != 0:
		return "testalert", "test"
	}
	return "alert", "failure"
}

// callAlert is mon's call_alert; it reports whether the alert was called.
func (e *Engine) callAlert(a *Actions, st *ServiceState, p *periodState, output string, retval optStr, flags int, cmd monconf.Command, t int64) bool {
	s := st.cfg
	name, args := cmd.Program, cmd.ArgText
	path, ok := "", false
	if e.opt.AlertPath != nil {
		path, ok = e.opt.AlertPath(name)
	}
	if !ok {
		e.log("err", "no alert found while trying to run %s", name)
		return false
	}
	summary := firstLine(output)
	logType, envType := alertTypes(flags)
	if flags&FlRedistribute == 0 {
		base := path[strings.LastIndex(path, "/")+1:]
		e.log("alert", "calling %s %s for %s/%s (%s,%s) %s", logType, base, st.group, s.Name, path, args, summary)
	}
	if cmd.QuoteError {
		// perl's quotewords gives mon no words: it calls the alert without them.
		e.log("err", "alert %s for %s/%s called without its arguments: unbalanced quote in [%s]",
			name, st.group, s.Name, args)
	}
	env := map[string]string{}
	for _, v := range s.Env {
		env[v.Name] = v.Value
	}
	setOpt(env, "MON_LAST_SUMMARY", st.lastSummary)
	setOpt(env, "MON_LAST_OUTPUT", st.lastOutput)
	setOptInt(env, "MON_LAST_FAILURE", st.lastFailure)
	setOptInt(env, "MON_FIRST_FAILURE", st.firstFailure)
	if st.lastSuccess.ok {
		// mon copies _first_success, which 1.3.6 never sets: the variable is empty.
		env["MON_FIRST_SUCCESS"] = ""
	}
	setOptInt(env, "MON_LAST_SUCCESS", st.lastSuccess)
	if s.Set["description"] {
		env["MON_DESCRIPTION"] = s.Description
	}
	env["MON_GROUP"] = st.group
	env["MON_SERVICE"] = s.Name
	setOpt(env, "MON_RETVAL", retval)
	env["MON_OPSTATUS"] = strconv.Itoa(st.opStatus)
	if st.ack != 0 && st.ackComment != "" {
		env["MON_ACK"] = st.ackComment
	}
	env["MON_ALERTTYPE"] = envType
	if st.intended != "" {
		env["MON_TRAP_INTENDED"] = st.intended
	}
	env["MON_STATEDIR"] = e.cfg.StateDir
	env["MON_LOGDIR"] = e.cfg.LogDir
	env["MON_CFBASEDIR"] = e.cfg.CfBaseDir

	var flag string
	if flags&FlUpAlert != 0 {
		flag = "-u"
	}
	if flags&FlAckAlert != 0 {
		flag = "-a"
	}
	if flags&FlDisableAlert != 0 {
		flag = "-D"
	}
	if flags&FlTrap != 0 {
		flag = "-T"
	}
	if flags&FlTrapTimeout != 0 {
		flag = "-O"
	}
	argv := []string{"-s", s.Name, "-g", st.group, "-h", strings.Join(e.hostsOf(st.group), " "), "-t", strconv.FormatInt(t, 10)}
	if flag != "" {
		argv = append(argv, flag)
	}
	argv = append(argv, cmd.Args...)
	a.Alerts = append(a.Alerts, Alert{Group: st.group, Service: s.Name, Name: name, Path: path, Args: argv,
		Stdin: output, Env: env, Type: logType, Flags: flags, Time: t})
	if flags&(FlTest|FlRedistribute) != 0 {
		return true
	}
	if p != nil {
		p.lastAlert = t
	}
	st.alertCount++
	if flags&FlUpAlert != 0 {
		st.counts.UpAlerts++
	}
	e.alertHist = pushHist(e.alertHist, fmt.Sprintf("%s %s %s %d %s (%s) %s", logType, st.group, s.Name, t, path, args, summary), e.maxKeep)
	return true
}

// ErrUnknown is returned for a group, service, host or period the config lacks.
var ErrUnknown = errors.New("unknown")
