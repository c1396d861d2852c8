package monconf

import (
	"regexp"
	"strings"
)

// ServiceKeywords are the keywords mon 1.3.6 accepts in a service section
// (before its first "period" line), besides "service" and NAME=value
// environment lines.
var ServiceKeywords = []string{
	"interval", "failure_interval", "monitor", "redistribute",
	"allow_empty_group", "description", "unack_summary", "traptimeout",
	"trapduration", "randskew", "dep_behavior", "dep_memory", "depend",
	"alertdepend", "monitordepend", "hostdepend", "exclude_hosts",
	"exclude_period",
}

// PeriodKeywords are the keywords mon 1.3.6 accepts after a "period"
// line. Note that "comp_alerts" is not one of them (only
// "no_comp_alerts"): mon rejects it as unknown syntax.
var PeriodKeywords = []string{
	"alert", "ackalert", "disablealert", "upalert", "startupalert",
	"alertevery", "alertafter", "upalertafter", "numalerts",
	"no_comp_alerts", "alerts_dont_count", "alertexitrange",
}

var (
	reAfterCount     = regexp.MustCompile(`^(\d+)$`)
	reAfterTime      = regexp.MustCompile(`^(\d+[hms])$`)
	reAfterCountTime = regexp.MustCompile(`(\d+)` + sp + `+(\d+[hms])$`)
	reExitRange      = regexp.MustCompile(`^` + sp + `*(\d+|\d+-\d+)` + sp + `*$`)
	reAlertExit      = regexp.MustCompile(`^exit` + sp + `*=` + sp + `*((\d+|\d+-\d+))` + sp)
	reMonitor        = regexp.MustCompile(`^(` + nsp + `+)(` + sp + `+(.*))?$`)
	reNoHosts        = regexp.MustCompile(`;;` + sp + `*$`)
	reNoHostsStrip   = regexp.MustCompile(sp + `*;;` + sp + `*$`)
	// alertevery modifiers, tried in mon's order on the lowercased
	// arguments (mon matches them case-insensitively).
	reEveryObserve = regexp.MustCompile(`(` + nsp + `+)` + sp + `+observe_detail` + sp + `*$`)
	reEveryIgnore  = regexp.MustCompile(`(` + nsp + `+)` + sp + `+ignore_summary` + sp + `*$`)
	reEverySummary = regexp.MustCompile(`(` + nsp + `+)` + sp + `+summary`)
	reEveryStrict  = regexp.MustCompile(`(` + nsp + `+)` + sp + `+strict` + sp + `*$`)
)

// nsp is perl's \S.
const nsp = `[^\t\n\v\f\r ]`

func (p *parser) watchLine(l string) error {
	if m := reEnv.FindStringSubmatch(l); m != nil {
		if p.service == nil {
			return p.errf("environment variable defined without a service")
		}
		s := p.service
		for i := range s.Env {
			if s.Env[i].Name == m[1] {
				s.Env[i].Value = m[2]
				return nil
			}
		}
		s.Env = append(s.Env, EnvVar{Name: m[1], Value: m[2]})
		return nil
	}
	// A line not starting with a word character leaves the keyword
	// empty: it is then "unknown syntax" (or "need to specify service").
	var kw, args string
	if m := reKeyword.FindStringSubmatch(l); m != nil {
		kw, args = m[1], m[2]
	}
	if kw == "service" {
		return p.startService(args)
	}
	if p.service == nil {
		return p.errf("need to specify service in watch record")
	}
	if kw == "period" {
		return p.startPeriod(args)
	}
	if p.inPeriod {
		return p.periodKeyword(kw, args, l)
	}
	return p.serviceKeyword(kw, args, l)
}

func (p *parser) startService(name string) error {
	if !reTag.MatchString(name) {
		return p.errf("invalid service tag '%s'", name)
	}
	for _, s := range p.watch.Services {
		if s.Name == name {
			return p.errf("service %s already defined for watch group %s", name, p.watch.Group)
		}
	}
	g := &p.cfg.Globals
	s := &Service{
		Name:         name,
		Line:         p.line,
		DepBehavior:  g.DepBehavior,
		DepMemory:    g.DepMemory,
		UnackSummary: g.UnackSummary,
		Set:          map[string]bool{},
		Lines:        map[string]int{},
	}
	p.watch.Services = append(p.watch.Services, s)
	p.hasServices[p.watch.Group] = true
	p.service = s
	p.period = nil
	p.inPeriod = false
	return nil
}

func (p *parser) startPeriod(args string) error {
	label, spec := args, args
	if m := rePeriodLabel.FindStringSubmatchIndex(asciiLower(args)); m != nil {
		label, spec = args[m[2]:m[3]], args[m[4]:m[5]]
	}
	for _, q := range p.service.Periods {
		if q.Label == label {
			return p.errf("period '%s' already defined for watch group %s service %s", label, p.watch.Group, p.service.Name)
		}
	}
	tp, ok := p.checkPeriod(spec)
	if !ok {
		return p.errf("malformed period '%s' (the specified time period is not valid as per Time::Period::inPeriod)", spec)
	}
	q := &Period{Label: label, Spec: spec, Parsed: tp, Line: p.line, Set: map[string]bool{}, Lines: map[string]int{}}
	p.service.Periods = append(p.service.Periods, q)
	p.period = q
	p.inPeriod = true
	return nil
}

func (p *parser) periodKeyword(kw, args, l string) error {
	q := p.period
	switch kw {
	case "alert":
		q.Alerts = append(q.Alerts, p.alertLine(args))
	case "ackalert":
		q.AckAlerts = append(q.AckAlerts, p.alertLine(args))
	case "disablealert":
		q.DisableAlerts = append(q.DisableAlerts, p.alertLine(args))
	case "upalert":
		q.UpAlerts = append(q.UpAlerts, p.alertLine(args))
	case "startupalert":
		q.StartupAlerts = append(q.StartupAlerts, p.alertLine(args))
	case "alertevery":
		lower := asciiLower(args)
		val, mode := args, ""
		// A modifier is found anywhere a "TIME MODIFIER" pair ends the
		// line (or, for the old "summary", anywhere at all); the time is
		// the word right before it.
		for _, try := range []struct {
			re   *regexp.Regexp
			mode string
		}{
			{reEveryObserve, "observe_detail"},
			{reEveryIgnore, "ignore_summary"},
			{reEverySummary, "summary"},
			{reEveryStrict, "strict"},
		} {
			if m := try.re.FindStringSubmatchIndex(lower); m != nil {
				val, mode = args[m[2]:m[3]], try.mode
				break
			}
		}
		d, truthy, ok := dhms(val)
		if !ok || !truthy {
			return p.errf("invalid time interval '%s' (syntax: alertevery {positive number}{smhd} [ strict | observe_detail | ignore_summary ])", val)
		}
		q.AlertEvery, q.AlertEveryMode = d, mode
	case "alertafter":
		switch {
		case reAfterCount.MatchString(args):
			q.AlertAfterConsec = perlInt(args)
			q.AlertAfterForm = AlertAfterCount
		case reAfterTime.MatchString(args):
			d, truthy, _ := dhms(args)
			if !truthy {
				return p.errf("invalid time interval '%s' (syntax: alertafter = [{positive integer}] [{positive number}{smhd}])", args)
			}
			q.AlertAfterInterval = d
			q.AlertAfterForm = AlertAfterTime
		default:
			m := reAfterCountTime.FindStringSubmatch(args)
			if m == nil {
				return p.errf("invalid interval specification '%s'", args)
			}
			n := perlNum(m[1])
			d, _, _ := dhms(m[2])
			// mon refuses a count that cannot be reached within the
			// time at the service's interval (as set so far).
			if (n-1)*p.service.Interval.Seconds() >= d.Seconds() {
				return p.errf(" interval & alertafter not sensible. No alerts can be generated with those parameters")
			}
			q.AlertAfter = perlInt(m[1])
			q.AlertAfterInterval = d
			q.AlertAfterForm = AlertAfterCountTime
		}
	case "upalertafter":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid upalertafter specification '%s' (syntax: upalertafter = {positive number}{smhd})", args)
		}
		q.UpAlertAfter = d
	case "numalerts":
		if !reAfterCount.MatchString(args) {
			return p.errf("-numeric arg '%s' (syntax: numalerts = {positive integer}", args)
		}
		q.NumAlerts = perlInt(args)
	case "no_comp_alerts":
		q.NoCompAlerts = true
	case "alerts_dont_count":
		q.AlertsDontCount = true
	case "alertexitrange":
		if !reExitRange.MatchString(args) {
			return p.errf("invalid exit code range '%s'", args)
		}
		q.AlertExitRange = ExitRange(args)
	default:
		return p.errf("unknown syntax [%s]", l)
	}
	q.Set[kw] = true
	q.Lines[kw] = p.line
	return nil
}

// alertLine splits an alert line as mon's do_alert and call_alert do: an
// optional "exit=N" or "exit=N-M" prefix, the alert program, and its
// arguments split with quotewords.
func (p *parser) alertLine(raw string) *AlertLine {
	a := &AlertLine{Raw: raw, Line: p.line}
	var prog, args string
	if m := reAlertExit.FindStringSubmatch(asciiLower(raw)); m != nil {
		a.ExitRange = ExitRange(m[1])
		f := splitSpaceN(raw, 3)
		if len(f) > 1 {
			prog = f[1]
		}
		if len(f) > 2 {
			args = f[2]
		}
	} else {
		f := splitSpaceN(raw, 2)
		prog = f[0]
		if len(f) > 1 {
			args = f[1]
		}
	}
	a.Cmd = splitCommand(prog, args)
	return a
}

// splitCommand builds a Command from a program name and an argument
// string that mon passes through quotewords.
func splitCommand(prog, args string) Command {
	c := Command{Program: prog, ArgText: args}
	if args == "" {
		return c
	}
	w, ok := QuoteWords(args)
	if !ok {
		c.QuoteError = true
		return c
	}
	c.Args = w
	return c
}

// monitorCommand splits a monitor line as run_monitor does.
func monitorCommand(v string) (cmd *Command, noHosts bool) {
	m := reMonitor.FindStringSubmatch(v)
	if m == nil {
		return nil, false
	}
	prog, args := m[1], m[3]
	// mon appends the arguments only when they are true in perl: "0"
	// is dropped.
	const placeholder = "MONITOR"
	full := placeholder
	if args != "" && args != "0" {
		full += " " + args
	}
	if reNoHosts.MatchString(full) {
		noHosts = true
		full = reNoHostsStrip.ReplaceAllString(full, "")
	}
	c := &Command{Program: prog, ArgText: strings.TrimPrefix(strings.TrimPrefix(full, placeholder), " ")}
	w, ok := QuoteWords(full)
	switch {
	case !ok:
		c.QuoteError = true
	case len(w) > 1:
		c.Args = w[1:]
	}
	return c, noHosts
}

func (p *parser) serviceKeyword(kw, args, l string) error {
	s := p.service
	switch kw {
	case "interval":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid time interval '%s' (syntax: interval = {positive number}{smhd})", args)
		}
		s.Interval = d
	case "failure_interval":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid interval '%s' (syntax: failure_interval = {positive number}{smhd})", args)
		}
		s.FailureInterval = d
	case "monitor":
		s.Monitor = args
		s.MonitorCmd, s.NoHosts = monitorCommand(args)
	case "redistribute":
		s.Redistribute = args
		s.RedistributeCmd = nil
		if args != "" {
			f := splitSpaceN(args, 2)
			rest := ""
			if len(f) > 1 {
				rest = f[1]
			}
			c := splitCommand(f[0], rest)
			s.RedistributeCmd = &c
		}
	case "allow_empty_group":
		s.AllowEmptyGroup = true
	case "description":
		s.Description = args
	case "unack_summary":
		v, ok := unackValue(args)
		if !ok {
			return p.errf("invalid unack_summary value '%s' (syntax: unack_summary [0|1|y|yes|n|no])", args)
		}
		s.UnackSummary = v
	case "traptimeout":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid traptimeout interval '%s' (syntax: traptimeout = {positive number}{smhd})", args)
		}
		s.TrapTimeout = d
	case "trapduration":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid trapduration interval '%s' (syntax: trapduration = {positive number}{smhd})", args)
		}
		s.TrapDuration = d
	case "randskew":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("invalid randskew time interval '%s' (syntax: randskew = {positive number}{smhd})", args)
		}
		s.RandSkew = d
	case "dep_behavior":
		if args != "m" && args != "a" && args != "hm" {
			return p.errf("unknown dependency behavior '%s' (syntax: dep_behavior = {m|a})", args)
		}
		s.DepBehavior = args
	case "dep_memory":
		d, truthy, ok := dhms(args)
		if !ok || !truthy {
			return p.errf("bad value '%s' for dep_memory option (syntax: dep_memory = timeval)", args)
		}
		s.DepMemory = d
	case "depend":
		s.Depend = self(args, p.watch.Group)
	case "alertdepend":
		s.AlertDepend = self(args, p.watch.Group)
	case "monitordepend":
		s.MonitorDepend = self(args, p.watch.Group)
	case "hostdepend":
		s.HostDepend = self(args, p.watch.Group)
	case "exclude_hosts":
		s.ExcludeHosts = nil
		seen := map[string]bool{}
		for _, h := range splitSpace(args) {
			if !seen[h] {
				seen[h] = true
				s.ExcludeHosts = append(s.ExcludeHosts, h)
			}
		}
	case "exclude_period":
		tp, ok := p.checkPeriod(args)
		if !ok {
			return p.errf("malformed exclude_period '%s' (the specified time period is not valid as per Time::Period::inPeriod)", args)
		}
		s.ExcludePeriod = args
		s.ExcludePeriodParsed = tp
	default:
		if kw == "" || !isKnownPeriodKeyword(kw) {
			return p.errf("unknown syntax [%s]", l)
		}
		// A period keyword before any "period" line.
		return p.errf("unknown syntax [%s] (%s belongs after a period line)", l, kw)
	}
	s.Set[kw] = true
	s.Lines[kw] = p.line
	return nil
}

func isKnownPeriodKeyword(kw string) bool {
	for _, k := range PeriodKeywords {
		if k == kw {
			return true
		}
	}
	return false
}

// self replaces "SELF:" with the watch group, as mon does in dependency
// expressions.
func self(expr, group string) string {
	return strings.ReplaceAll(expr, "SELF:", group+":")
}
