package daemon

import (
	"path/filepath"
	"strings"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/sched"
)

// Paths are where mond finds its files and serves, the command line's options over
// mon.cf's: mon's directories after normalize_paths, relative ones resolved against
// basedir (statedir, logdir, mondir, alertdir), cfbasedir (authfile, userfile) or logdir
// (dtlogfile, historicfile); and the client and trap ports.
type Paths struct {
	BaseDir, CfBaseDir, StateDir, LogDir string
	MonDirs, AlertDirs                   []string
	AuthFile, UserFile, DtLogFile        string
	HistoricFile, PidFile                string
	// ServerPort and TrapPort: serverport and trapport, or -p and -t.
	ServerPort, TrapPort int
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

// ResolvePaths applies the command line's options, mon's defaults that depend on the
// host and normalize_paths.
func ResolvePaths(g *monconf.Globals, ov Overrides) Paths {
	p := Paths{BaseDir: strings.TrimSuffix(g.BaseDir, "/"), CfBaseDir: g.CfBaseDir,
		ServerPort: g.ServerPort, TrapPort: g.TrapPort}
	if ov.Port != 0 {
		p.ServerPort = ov.Port
	}
	if ov.TrapPort != 0 {
		p.TrapPort = ov.TrapPort
	}
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

// SchedConfig is the engine's configuration for cf: mon.cf as monconf parsed it, with
// the command line's -m, -k and -r over maxprocs, histlength and randstart, and the
// resolved directories.
func SchedConfig(cf *monconf.Config, p Paths, ov Overrides) sched.Config {
	g := &cf.Globals
	c := sched.Config{Cf: cf, RandStart: g.RandStart, MaxProcs: g.MaxProcs, HistLength: g.HistLength,
		StateDir: p.StateDir, LogDir: p.LogDir, CfBaseDir: p.CfBaseDir}
	if ov.MaxProcs > 0 {
		c.MaxProcs = ov.MaxProcs
	}
	if ov.MaxKeep > 0 {
		c.HistLength = ov.MaxKeep
	}
	if ov.RandStart > 0 {
		c.RandStart = ov.RandStart
	}
	return c
}
