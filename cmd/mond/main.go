package main

import (
	"slices"

	"fmt"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/mond"
	"github.com/lvskit/lvskit/internal/mon/server"
)

const release = "1.3.6 (mond)"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses mond's command line and starts it (internal/mon/mond).
func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mond", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		authFile   = fs.StringP("authfile", "A", "", "auth.cf file")
		cfBaseDir  = fs.StringP("cfbasedir", "B", "", "config base directory")
		stateDir   = fs.StringP("statedir", "D", "", "state directory")
		logDir     = fs.StringP("logdir", "L", "", "log directory")
		m4         = fs.StringP("m4", "M", "", "preprocess the config with m4")
		facility   = fs.StringP("syslogfacility", "O", "", "syslog facility")
		pidFile    = fs.StringP("pidfile", "P", "", "pid file")
		stopped    = fs.BoolP("stopped", "S", false, "start with the scheduler stopped")
		alertDir   = fs.StringP("alertdir", "a", "", "alert directories")
		baseDir    = fs.StringP("basedir", "b", "", "base directory")
		config     = fs.StringP("configfile", "c", "", "config file")
		debug      = fs.CountP("debug", "d", "debug: log to stderr, stay in the foreground")
		fork       = fs.BoolP("fork", "f", false, "run in the background")
		help       = fs.BoolP("help", "h", false, "help")
		_          = fs.IntP("sleep", "i", 1, "scheduler granularity (seconds; mond always uses 1)")
		maxKeep    = fs.IntP("maxkeep", "k", 0, "history length")
		loadState  = fs.StringP("loadstate", "l", "", "load saved state (disabled)")
		maxProcs   = fs.IntP("maxprocs", "m", 0, "maximum concurrent monitors")
		port       = fs.IntP("port", "p", 0, "client port")
		randStart  = fs.StringP("randstart", "r", "", "spread first checks over this time")
		scriptDir  = fs.StringP("scriptdir", "s", "", "monitor directories")
		trapPort   = fs.IntP("trapport", "t", 0, "trap port")
		version    = fs.BoolP("version", "v", false, "print the version")
		check      = fs.String("check", "", "check a config file and exit")
		builtins   = fs.String("builtin-monitors", "auto", "auto, prefer or off")
		monTimeout = fs.Duration("monitor-timeout", 0, "kill monitors running longer than this (0: never, as mon)")
		alTimeout  = fs.Duration("alert-timeout", daemon.DefaultAlertTimeout, "kill alerts running longer than this (0: never, as mon)")
		metricsAt  = fs.String("metrics-listen", "", "serve Prometheus metrics on this address")
		ipvsAt     = fs.Bool("ipvs-metrics", false, "with --metrics-listen, export this host's IPVS table too")
		maxClients = fs.Int("max-clients", server.DefaultMaxClients, "most concurrent clients on the client port")
	)
	fs.Lookup("loadstate").NoOptDefVal = "disabled"
	fs.Lookup("m4").NoOptDefVal = "m4"
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "mond: %v\n%s", err, usage)
		return 1
	}
	if *help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if *version {
		fmt.Fprintln(stdout, release)
		if slices.Contains(args, "--version") {
			// -v prints the release line alone, as scripts read mon -v; the long
			// option names lvskit's build on a line of its own.
			fmt.Fprintln(stdout, buildinfo.String("mond"))
		}
		return 0
	}
	load := daemon.LoadOptions{}
	if fs.Changed("m4") {
		load = daemon.LoadOptions{M4: *m4, ForceM4: true}
	}
	if *check != "" {
		return mond.Check(*check, load, stdout, stderr)
	}
	mode, err := daemon.ParseBuiltinMode(*builtins)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ov := daemon.Overrides{AlertDir: *alertDir, BaseDir: *baseDir, CfBaseDir: *cfBaseDir, AuthFile: *authFile,
		LogDir: *logDir, StateDir: *stateDir, MonDir: *scriptDir, PidFile: *pidFile, PidFileSet: fs.Changed("pidfile"),
		MaxKeep: *maxKeep, MaxProcs: *maxProcs, Port: *port, TrapPort: *trapPort}
	if *randStart != "" {
		// mon's dhmstos: a bare number is refused, as mon does.
		if ov.RandStart, err = monconf.ParseDuration(*randStart); err != nil {
			fmt.Fprintln(stderr, "bad randstart value")
			return 1
		}
	}
	return mond.Run(mond.Config{
		Args: args, ConfigFile: *config, Overrides: ov, Load: load,
		Facility: *facility, Debug: *debug > 0, Fork: *fork, Stopped: *stopped,
		LoadState: strings.Fields(*loadState), LoadStateSet: fs.Changed("loadstate"),
		Builtins: mode, MonitorTimeout: *monTimeout, AlertTimeout: *alTimeout,
		MetricsListen: *metricsAt, IPVSMetrics: *ipvsAt, MaxClients: *maxClients,
	}, stderr)
}
