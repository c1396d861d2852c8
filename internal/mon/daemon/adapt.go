package daemon

import (
	"path/filepath"
	"strings"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/sched"
)

// Paths are mon's directories after normalize_paths: relative ones resolved against
// basedir (statedir, logdir, mondir, alertdir), cfbasedir (authfile, userfile) or logdir
// (dtlogfile, historicfile).
type Paths struct {
	BaseDir, CfBaseDir, StateDir, LogDir string
	MonDirs, AlertDirs                   []string
	AuthFile, UserFile, DtLogFile        string
	HistoricFile, PidFile                string
}

func under(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

func isDir(p string) bool {
	fi, err := statFn(p)
	return err == nil && fi.IsDir()
}

// ResolvePaths applies mon's defaults that depend on the host and normalize_paths.
func ResolvePaths(g *monconf.Globals, ov Overrides) Paths {
	p := Paths{BaseDir: strings.TrimSuffix(g.BaseDir, "/"), CfBaseDir: g.CfBaseDir}
	if ov.BaseDir != "" {
		p.BaseDir = ov.BaseDir
	}
	if ov.CfBaseDir != "" {
		p.CfBaseDir = ov.CfBaseDir
	}
	logdir := g.LogDir
	if logdir == "" {
		logdir = "log.d"
		if isDir("/var/log/mon") {
			logdir = "/var/log/mon"
		}
	}
	if ov.LogDir != "" {
		logdir = ov.LogDir
	}
	statedir := g.StateDir
	if statedir == "" {
		switch {
		case isDir("/var/state/mon"):
			statedir = "/var/state/mon"
		case isDir("/var/lib/mon"):
			statedir = "/var/lib/mon"
		default:
			statedir = "state.d"
		}
	}
	if ov.StateDir != "" {
		statedir = ov.StateDir
	}
	p.StateDir = under(p.BaseDir, statedir)
	p.LogDir = under(p.BaseDir, logdir)
	auth := g.AuthFile
	if ov.AuthFile != "" {
		auth = ov.AuthFile
	}
	p.AuthFile = under(p.CfBaseDir, auth)
	p.UserFile = under(p.CfBaseDir, g.UserFile)
	p.DtLogFile = under(p.LogDir, g.DtLogFile)
	if g.HistoricFile != "" {
		p.HistoricFile = under(p.LogDir, g.HistoricFile)
	}
	mondir, alertdir := g.MonDir, g.AlertDir
	if ov.MonDir != "" {
		mondir = ov.MonDir
	}
	if ov.AlertDir != "" {
		alertdir = ov.AlertDir
	}
	split := func(s string) []string {
		var l []string
		for _, d := range strings.Split(s, ":") {
			d = strings.TrimSuffix(strings.TrimSpace(d), "/")
			if d == "" {
				continue
			}
			l = append(l, under(p.BaseDir, d))
		}
		return l
	}
	p.MonDirs = split(mondir)
	p.AlertDirs = split(alertdir)
	switch {
	case ov.PidFileSet:
		p.PidFile = ov.PidFile
	case g.Set["pidfile"]:
		p.PidFile = g.PidFile
	case isDir("/run/mon"):
		p.PidFile = "/run/mon/mon.pid"
	case isDir("/run"):
		p.PidFile = "/run/mon.pid"
	default:
		p.PidFile = "/etc/mon.pid"
	}
	return p
}

// SchedConfig turns a parsed mon.cf into the engine's configuration.
func SchedConfig(cf *monconf.Config, p Paths, ov Overrides) sched.Config {
	g := &cf.Globals
	c := sched.Config{
		Groups:        map[string][]string{},
		RandStart:     g.RandStart,
		MaxProcs:      g.MaxProcs,
		HistLength:    g.HistLength,
		ExcludePeriod: g.ExcludePeriod,
		DepRecurLimit: g.DepRecurLimit,
		StateDir:      p.StateDir,
		LogDir:        p.LogDir,
		CfBaseDir:     p.CfBaseDir,
	}
	if ov.MaxProcs > 0 {
		c.MaxProcs = ov.MaxProcs
	}
	if ov.MaxKeep > 0 {
		c.HistLength = ov.MaxKeep
	}
	if ov.RandStart > 0 {
		c.RandStart = ov.RandStart
	}
	for _, hg := range cf.Hostgroups {
		c.Groups[hg.Name] = append([]string(nil), hg.Hosts...)
	}
	for _, w := range cf.Watches {
		for _, s := range w.Services {
			ss := &sched.Service{
				Group: w.Group, Name: s.Name,
				Interval: s.Interval, FailureInterval: s.FailureInterval, RandSkew: s.RandSkew,
				Monitor: s.Monitor, AllowEmptyGroup: s.AllowEmptyGroup,
				Description: s.Description, HasDescription: s.Set["description"],
				Depend: s.Depend, DepBehavior: s.DepBehavior, AlertDepend: s.AlertDepend,
				MonitorDepend: s.MonitorDepend, HostDepend: s.HostDepend, DepMemory: s.DepMemory,
				ExcludeHosts: s.ExcludeHosts, ExcludePeriod: s.ExcludePeriod,
				Redistribute: s.Redistribute, UnackSummary: s.UnackSummary,
				TrapTimeout: s.TrapTimeout, TrapDuration: s.TrapDuration,
			}
			if len(s.Env) > 0 {
				ss.Env = map[string]string{}
				for _, e := range s.Env {
					ss.Env[e.Name] = e.Value
				}
			}
			for _, pd := range s.Periods {
				sp := &sched.Period{
					Label: pd.Label, Spec: pd.Spec,
					Alerts: raw(pd.Alerts), UpAlerts: raw(pd.UpAlerts), StartupAlerts: raw(pd.StartupAlerts),
					AckAlerts: raw(pd.AckAlerts), DisableAlerts: raw(pd.DisableAlerts),
					AlertEvery: pd.AlertEvery, NumAlerts: pd.NumAlerts, NoCompAlerts: pd.NoCompAlerts,
					AlertsDontCount: pd.AlertsDontCount, AlertExitRange: string(pd.AlertExitRange),
				}
				switch pd.AlertEveryMode {
				case "strict":
					sp.AlertEveryMode = sched.AlertEveryStrict
				case "observe_detail":
					sp.AlertEveryMode = sched.AlertEveryObserveDetail
				case "ignore_summary":
					sp.AlertEveryMode = sched.AlertEveryIgnoreSummary
				}
				switch pd.AlertAfterForm {
				case monconf.AlertAfterCount:
					sp.AlertAfterConsec = pd.AlertAfterConsec
				case monconf.AlertAfterTime:
					sp.AlertAfterInterval = pd.AlertAfterInterval
				case monconf.AlertAfterCountTime:
					sp.AlertAfterCount = pd.AlertAfter
					sp.AlertAfterInterval = pd.AlertAfterInterval
				}
				ss.Periods = append(ss.Periods, sp)
			}
			c.Services = append(c.Services, ss)
		}
	}
	return c
}

// raw returns the alert lines as mon stores them ("[exit=R ]program args").
func raw(l []*monconf.AlertLine) []string {
	var out []string
	for _, a := range l {
		out = append(out, a.Raw)
	}
	return out
}
