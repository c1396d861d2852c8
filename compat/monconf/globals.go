package monconf

import (
	"path/filepath"
	"regexp"
)

// GlobalOptions are the "name = value" options mon 1.3.6 knows, in the
// order its reader tests them. Any other name is an error.
var GlobalOptions = []string{
	"alertdir", "basedir", "cfbasedir", "mondir", "logdir", "histlength",
	"serverport", "trapport", "serverbind", "clientallow", "trapbind",
	"pidfile", "randstart", "maxprocs", "statedir", "authfile", "authtype",
	"pamservice", "userfile", "historicfile", "historictime", "cltimeout",
	"monerrfile", "dtlogfile", "dtlogging", "dep_recur_limit", "dep_behavior",
	"dep_memory", "unack_summary", "syslog_facility",
	"startupalerts_on_reset", "monremote", "exclude_period",
}

var (
	reYes          = regexp.MustCompile(`[yY]`)            // /y(es)?/i: any "y"
	reNo           = regexp.MustCompile(`[nN]`)            // /n(o)?/i: any "n"
	reStartupReset = regexp.MustCompile(`^1|yes|true|on$`) // on the lowercased value
)

// global handles one "name = value" line (outside watch blocks; also
// inside hostgroup, alias and view records, as in mon).
func (p *parser) global(name, val string) error {
	g := &p.cfg.Globals
	switch name {
	case "alertdir":
		g.AlertDir = val
	case "basedir":
		g.BaseDir = absOrDot(val)
	case "cfbasedir":
		g.CfBaseDir = absOrDot(val)
	case "mondir":
		g.MonDir = val
	case "logdir":
		g.LogDir = val
	case "histlength":
		g.HistLength = perlInt(val)
	case "serverport":
		g.ServerPort = perlInt(val)
	case "trapport":
		g.TrapPort = perlInt(val)
	case "serverbind":
		g.ServerBind = val
	case "clientallow":
		g.ClientAllow = val
	case "trapbind":
		g.TrapBind = val
	case "pidfile":
		g.PidFile = val
	case "randstart":
		d, _, ok := dhms(val)
		if !ok {
			return p.errf("bad value '%s' for randstart option (syntax: randstart = timeval)", val)
		}
		g.RandStart = d
	case "maxprocs":
		g.MaxProcs = perlInt(val)
	case "statedir":
		g.StateDir = val
	case "authfile":
		g.AuthFile = val
		if !p.opt.Readable(val) {
			return p.errf("authfile '%s' does not exist or is not readable", val)
		}
	case "authtype":
		g.AuthType = val
		g.AuthTypes = splitSpace(val)
		for _, t := range g.AuthTypes {
			if t == "pam" {
				// mon loads Authen::PAM here (and fails the same way
				// where it is not installed); mond has no PAM.
				return p.errf("could not use PAM authentication: Can't use Authen::PAM: authtype pam is not implemented")
			}
		}
	case "pamservice":
		g.PamService = val
	case "userfile":
		g.UserFile = val
		if !p.opt.Readable(val) {
			return p.errf("userfile '%s' does not exist or is not readable", val)
		}
	case "historicfile":
		g.HistoricFile = val
	case "historictime":
		d, _, ok := dhms(val)
		if !ok {
			return p.errf("bad value '%s' for historictime command (syntax: historictime = timeval)", val)
		}
		g.HistoricTime = d
	case "cltimeout":
		d, _, ok := dhms(val)
		if !ok {
			return p.errf("bad value '%s' for cltimeout command (syntax: cltimeout = secs)", val)
		}
		g.ClientTimeout = d
	case "monerrfile":
		g.MonErrFile = val
	case "dtlogfile":
		g.DtLogFile = val
	case "dtlogging":
		g.DtLogging = perlNum(val) == 1 || val == "yes" || val == "true"
	case "dep_recur_limit":
		g.DepRecurLimit = perlInt(val)
	case "dep_behavior":
		if val != "m" && val != "a" && val != "hm" {
			return p.errf("unknown dependency behavior '%s'", val)
		}
		g.DepBehavior = val
	case "dep_memory":
		d, _, ok := dhms(val)
		if !ok {
			return p.errf("bad value '%s' for dep_memory option (syntax: dep_memory = timeval)", val)
		}
		g.DepMemory = d
	case "unack_summary":
		v, ok := unackValue(val)
		if !ok {
			return p.errf("invalid unack_summary value '%s' (syntax: unack_summary [0|1|y|yes|n|no])", val)
		}
		g.UnackSummary = v
	case "syslog_facility":
		g.SyslogFacility = val
	case "startupalerts_on_reset":
		g.StartupAlertsOnReset = reStartupReset.MatchString(asciiLower(val))
	case "monremote":
		g.MonRemote = val
	case "exclude_period":
		tp, ok := p.checkPeriod(val)
		if !ok {
			return p.errf("malformed exclude_period '%s' (the specified time period is not valid as per Time::Period::inPeriod)", val)
		}
		g.ExcludePeriod = val
		g.ExcludePeriodParsed = tp
	default:
		return p.errf("unknown variable '%s'", name)
	}
	g.Set[name] = true
	g.Raw[name] = val
	g.Lines[name] = p.line
	return nil
}

// absOrDot makes a relative basedir/cfbasedir relative to "." the way mon
// does (File::Spec->catdir(curdir, X), which canonicalises X).
func absOrDot(v string) string {
	if filepath.IsAbs(v) {
		return v
	}
	return canonPath("./" + v + "/")
}

// unackValue reads an unack_summary value as mon does: any "y" means
// yes, else any "n" means no, else it must be 0 or 1.
func unackValue(v string) (bool, bool) {
	switch {
	case reYes.MatchString(v):
		return true, true
	case reNo.MatchString(v):
		return false, true
	case v == "0" || v == "1":
		return v == "1", true
	}
	return false, false
}
