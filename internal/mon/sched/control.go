package sched

import (
	"fmt"

	"github.com/lvskit/lvskit/compat/monconf"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stop halts scheduling (moncmd stop); Start resumes it.
func (e *Engine) Stop(now time.Time) { e.stopped, e.stoppedTime = true, now.Unix() }

// Start resumes scheduling.
func (e *Engine) Start() { e.stopped, e.stoppedTime = false, 0 }

// Stopped reports whether the scheduler is stopped and since when (unix seconds).
func (e *Engine) Stopped() (bool, int64) { return e.stopped, e.stoppedTime }

// DisableWatch disables (enable=false) or enables a whole watch.
func (e *Engine) DisableWatch(group string, enable bool) error {
	if !e.hasWatch(group) {
		return fmt.Errorf("watch %q: %w", group, ErrUnknown)
	}
	e.watchDisabled[group] = !enable
	return nil
}

func (e *Engine) hasWatch(group string) bool {
	for _, st := range e.svcs {
		if st.group == group {
			return true
		}
	}
	return false
}

// DisableService disables or enables one service. Disabling also goes through the
// disablealert path, which mon 1.3.6 then suppresses because the service is disabled.
func (e *Engine) DisableService(group, service string, enable bool, user string, now time.Time) (Actions, error) {
	var a Actions
	st := e.byKey[key{group, service}]
	if st == nil {
		return a, fmt.Errorf("service %s/%s: %w", group, service, ErrUnknown)
	}
	st.disabled = !enable
	if !enable {
		e.doAlert(&a, st, user, optStr{}, FlDisableAlert, now.Unix())
	}
	return a, nil
}

// HostExists reports whether any hostgroup has host (enabled or not).
func (e *Engine) HostExists(host string) bool {
	for _, hs := range e.groups {
		for _, h := range hs {
			if h == host {
				return true
			}
		}
	}
	return false
}

// SingletonGroups lists the groups whose only member is host (disabled or not): the
// "disable host" command disables their watches too.
func (e *Engine) SingletonGroups(host string) []string {
	var l []string
	for g, hs := range e.groups {
		if len(hs) == 1 && (hs[0] == host || hs[0] == "*"+host) {
			l = append(l, g)
		}
	}
	sort.Strings(l)
	return l
}

// DisableHost disables or enables a host in every group (mon's disen_host; the client
// command also handles SingletonGroups, loading saved state does not).
func (e *Engine) DisableHost(host string, enable bool) bool {
	found := false
	for _, hs := range e.groups {
		for i, h := range hs {
			if !enable && h == host {
				hs[i] = "*" + host
				found = true
			} else if enable && h == "*"+host {
				hs[i] = host
				found = true
			}
		}
	}
	return found
}

// Ack acknowledges a failing service; the comment is "user: text".
func (e *Engine) Ack(group, service, comment string, now time.Time) (Actions, error) {
	var a Actions
	st := e.byKey[key{group, service}]
	if st == nil {
		return a, fmt.Errorf("service %s/%s: %w", group, service, ErrUnknown)
	}
	if st.opStatus == StatOK || st.opStatus == StatUntested {
		return a, fmt.Errorf("service is in a non-failure state")
	}
	st.ack = now.Unix()
	st.ackComment = comment
	e.doAlert(&a, st, st.ackComment, optStr{}, FlAckAlert, now.Unix())
	return a, nil
}

// TestAlert calls the alerts of one kind ("alert", "upalert", "startupalert", "ackalert",
// "disablealert") of a period, as "moncmd test alert" does: not counted, not logged.
func (e *Engine) TestAlert(kind, group, service, retval, period string, now time.Time) (Actions, error) {
	var a Actions
	st := e.byKey[key{group, service}]
	if st == nil {
		return a, fmt.Errorf("%s %s not defined", group, service)
	}
	var p *periodState
	for _, x := range st.periods {
		if x.cfg.Label == period {
			p = x
		}
	}
	if p == nil {
		return a, fmt.Errorf("period not defined")
	}
	f := 0
	lines := p.cfg.Alerts
	switch kind {
	case "startupalert":
		f, lines = FlStartupAlert, p.cfg.StartupAlerts
	case "upalert":
		f, lines = FlUpAlert, p.cfg.UpAlerts
	case "ackalert":
		f, lines = FlAckAlert, p.cfg.AckAlerts
	case "disablealert":
		f, lines = FlDisableAlert, p.cfg.DisableAlerts
	}
	for _, l := range lines {
		e.callAlert(&a, st, nil, "test\ntest detail\n", some(retval), f|FlTest, l.TestCommand(), now.Unix())
	}
	return a, nil
}

// TestMonitor makes a service's monitor due now.
func (e *Engine) TestMonitor(group, service string) error {
	st := e.byKey[key{group, service}]
	if st == nil {
		return fmt.Errorf("%s %s not defined", group, service)
	}
	st.due, st.nextCheck = 0, 0
	return nil
}

// ClearTimers is "moncmd clear timers": the next check one interval away, alertevery
// and alertafter counters cleared.
func (e *Engine) ClearTimers(group, service string, now time.Time) error {
	st := e.byKey[key{group, service}]
	if st == nil {
		return fmt.Errorf("unknown group")
	}
	if st.interval > 0 {
		st.due = now.UnixNano() + st.interval*nsPerSec
	}
	st.consecFailures = 0
	for _, p := range st.periods {
		if p.cfg.AlertEvery > 0 {
			p.lastAlert = 0
		}
		if _, _, ival := alertAfter(p.cfg); ival > 0 {
			p.firstFailTime = 0
		}
	}
	return nil
}

// Services lists (group, service) pairs in config order.
func (e *Engine) Services() [][2]string {
	var l [][2]string
	for _, st := range e.svcs {
		l = append(l, [2]string{st.group, st.cfg.Name})
	}
	return l
}

// Has reports whether the service exists.
func (e *Engine) Has(group, service string) bool { return e.byKey[key{group, service}] != nil }

// OpStatus returns a service's opstatus.
func (e *Engine) OpStatus(group, service string) int { return e.byKey[key{group, service}].opStatus }

// Group returns a hostgroup's members, disabled ones prefixed with "*".
func (e *Engine) Group(name string) ([]string, bool) {
	hs, ok := e.groups[name]
	return hs, ok
}

// GroupNames returns the hostgroup names, sorted.
func (e *Engine) GroupNames() []string {
	var l []string
	for g := range e.groups {
		l = append(l, g)
	}
	sort.Strings(l)
	return l
}

// WatchDisabled reports whether a watch is disabled.
func (e *Engine) WatchDisabled(group string) bool { return e.watchDisabled[group] }

// ServiceDisabled reports whether a service is disabled.
func (e *Engine) ServiceDisabled(group, service string) bool {
	st := e.byKey[key{group, service}]
	return st != nil && st.disabled
}

// AlertHistory and FailureHistory return mon's in-memory histories, oldest first.
func (e *Engine) AlertHistory() []string { return append([]string(nil), e.alertHist...) }

// FailureHistory returns the failure history, oldest first.
func (e *Engine) FailureHistory() []string { return append([]string(nil), e.failureHist...) }

// SetMaxKeep changes histlength at run time ("set maxkeep").
func (e *Engine) SetMaxKeep(n int) { e.maxKeep = n }

// MaxKeep returns histlength.
func (e *Engine) MaxKeep() int { return e.maxKeep }

// Description returns a service's description.
func (e *Engine) Description(group, service string) string {
	return e.byKey[key{group, service}].cfg.Description
}

// Depend returns a service's depend expression.
func (e *Engine) Depend(group, service string) string {
	return e.byKey[key{group, service}].cfg.Depend
}

// OpstatusLine is one service's line of "list opstatus", exactly as mon writes it.
func (e *Engine) OpstatusLine(group, service string, now time.Time) string {
	st := e.byKey[key{group, service}]
	s := st.cfg
	comment := ""
	if st.ack != 0 {
		comment = monconf.EscStr(st.ackComment, true)
	}
	alertsSent := 0
	var last int64
	for _, p := range st.periods {
		if !p.cfg.AlertsDontCount {
			alertsSent += p.alertSent
		}
		if p.lastAlert > last {
			last = p.lastAlert
		}
	}
	opt := func(o optInt) string {
		if o.ok {
			return strconv.FormatInt(o.v, 10)
		}
		return ""
	}
	timer := (st.due - now.UnixNano() + nsPerSec - 1) / nsPerSec
	if timer < 0 {
		timer = 0
	}
	dep := ""
	if st.dependStatus.ok {
		dep = strconv.FormatInt(st.dependStatus.v, 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "group=%s service=%s opstatus=%d last_opstatus=%d exitval=%s timer=%d last_success=%s last_trap=%d last_traphost= last_check=%s ack=%d ackcomment=%s alerts_sent=%d depstatus=%s depend=%s hostdepend=%s monitordepend=%s alertdepend=%s monitor=%s last_summary=%s last_detail=%s",
		group, service, st.opStatus, st.lastOpStatus, st.exitval, timer, opt(st.lastSuccess), st.lastTrap, opt(st.lastCheck),
		st.ack, comment, alertsSent, dep, monconf.EscStr(s.Depend, true), monconf.EscStr(s.HostDepend, true),
		monconf.EscStr(s.MonitorDepend, true), monconf.EscStr(s.AlertDepend, true), monconf.EscStr(s.Monitor, true),
		monconf.EscStr(st.lastSummary.v, true), monconf.EscStr(st.lastDetail.v, true))
	if st.lastFailure.ok && st.lastFailure.v != 0 {
		fmt.Fprintf(&b, " last_failure=%d", st.lastFailure.v)
	}
	if st.interval != 0 {
		fmt.Fprintf(&b, " interval=%d monitor_duration=%d monitor_running=%d", st.interval, st.monitorDuration, b2i(st.running))
	}
	if s.ExcludePeriod != "" {
		fmt.Fprintf(&b, " exclude_period=%s", monconf.EscStr(s.ExcludePeriod, false))
	}
	if len(s.ExcludeHosts) > 0 {
		fmt.Fprintf(&b, " exclude_hosts=%s", monconf.EscStr(strings.Join(s.ExcludeHosts, " "), false))
	}
	if s.RandSkew > 0 {
		fmt.Fprintf(&b, " randskew=%d", secs(s.RandSkew))
	}
	if last != 0 {
		fmt.Fprintf(&b, " last_alert=%d", last)
	}
	if st.firstFailure.ok && st.firstFailure.v != 0 {
		fmt.Fprintf(&b, " first_failure=%d failure_duration=%d", st.firstFailure.v, now.Unix()-st.firstFailure.v)
	}
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Info is a service's state for metrics and mond's JSON status.
type Info struct {
	Group, Service string
	OpStatus       int
	// LastCheck is the Unix time the last check started, 0 for never.
	LastCheck int64
	// NextCheck is when the next check is due (Unix nanoseconds), 0 while the
	// monitor runs or for a service without an interval.
	NextCheck int64
	// Interval is the check interval in seconds (the failure interval while failing).
	Interval int64
	// LastSuccess and LastFailure are Unix times, 0 for none (a success clears the
	// last failure, as in mon).
	LastSuccess, LastFailure int64
	// LastSummary is the first line of the last check's output.
	LastSummary string
	// Alerts and Failures are mon's alert and failure counts.
	Alerts   int
	Failures int
	Running  bool
	// Disabled: the service or its watch is disabled. Acked: its failure is
	// acknowledged.
	Disabled, Acked bool
	Counts
}

// Infos returns every service's Info, in config order.
func (e *Engine) Infos() []Info {
	l := make([]Info, 0, len(e.svcs))
	for _, st := range e.svcs {
		i := Info{Group: st.group, Service: st.cfg.Name, OpStatus: st.opStatus, LastCheck: st.lastCheck.v,
			Interval: st.interval, LastSuccess: st.lastSuccess.v, LastFailure: st.lastFailure.v,
			LastSummary: st.lastSummary.v, Alerts: st.alertCount, Failures: st.failureCount, Running: st.running,
			Disabled: st.disabled || e.watchDisabled[st.group], Acked: st.ack != 0, Counts: st.counts}
		if st.interval != 0 && !st.running {
			i.NextCheck = st.due
		}
		l = append(l, i)
	}
	return l
}

// SetAlertHistory replaces the alert history (mon's readhistoricfile at start and
// reset), keeping the newest histlength lines.
func (e *Engine) SetAlertHistory(lines []string) {
	if len(lines) > e.maxKeep {
		lines = lines[len(lines)-e.maxKeep:]
	}
	e.alertHist = append([]string(nil), lines...)
}
