package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	rdebug "runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/metrics"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/mon/server"
)

const release = "1.3.6 (mond)"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

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
		return 0
	}
	parse := func(path string) (*monconf.Config, error) {
		opt := daemon.LoadOptions{}
		if fs.Changed("m4") {
			opt.M4 = *m4
			opt.ForceM4 = true
		}
		cf, err := daemon.LoadConfig(path, opt)
		if err != nil {
			return nil, err
		}
		if err := notImplemented(cf); err != nil {
			return nil, err
		}
		return cf, nil
	}
	if *check != "" {
		// The checks of a reset: mond refuses to replace a running configuration
		// with one that is not text or has no watches, so --check says so too.
		cf, err := daemon.ReadConfig(*check, parse)
		if err == nil && len(cf.Watches) == 0 {
			err = fmt.Errorf("%s: %w (a reset to it is refused while watches run)", *check, daemon.ErrNoWatches)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		for _, w := range cf.Warnings {
			fmt.Fprintln(stderr, w)
		}
		fmt.Fprintf(stdout, "%s: OK\n", *check)
		return 0
	}
	mode, err := daemon.ParseBuiltinMode(*builtins)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *fork && os.Getenv("MOND_FORKED") == "" {
		return background(args, stderr)
	}
	ov := daemon.Overrides{AlertDir: *alertDir, BaseDir: *baseDir, CfBaseDir: *cfBaseDir, AuthFile: *authFile,
		LogDir: *logDir, StateDir: *stateDir, MonDir: *scriptDir, PidFile: *pidFile, PidFileSet: fs.Changed("pidfile"),
		MaxKeep: *maxKeep, MaxProcs: *maxProcs, Port: *port, TrapPort: *trapPort}
	if *randStart != "" {
		d, err := dhms(*randStart)
		if err != nil {
			fmt.Fprintln(stderr, "bad randstart value")
			return 1
		}
		ov.RandStart = d
	}
	cfgPath := *config
	if cfgPath == "" {
		base := *cfBaseDir
		if base == "" {
			base = "/etc/mon"
		}
		cfgPath = base + "/mon.cf"
	}
	if _, err := os.Stat(cfgPath); err != nil {
		fmt.Fprintf(stderr, "config file %s does not exist\n", cfgPath)
		return 1
	}

	if os.Getenv("GOGC") == "" {
		// mond's live heap is small and steady; a tighter GC keeps its footprint near
		// it at a negligible CPU cost.
		rdebug.SetGCPercent(40)
	}
	// The facility comes from -O, else from mon.cf's syslog_facility once it is read.
	var logTo func(prio, msg string)
	logf := func(prio, msg string) { logTo(prio, msg) }
	logTo = newLogger(*facility, *debug > 0, stderr)
	d, err := daemon.New(daemon.Options{ConfigPath: cfgPath, Overrides: ov, Builtins: mode, MonitorTimeout: *monTimeout, AlertTimeout: *alTimeout,
		Log: logf, Stopped: *stopped, Parse: parse})
	if err != nil {
		logf("err", err.Error())
		fmt.Fprintln(stderr, err)
		return 1
	}
	cf, paths := d.Config()
	if *facility == "" && cf.Globals.SyslogFacility != "" && cf.Globals.SyslogFacility != "daemon" {
		logTo = newLogger(cf.Globals.SyslogFacility, *debug > 0, stderr)
	}
	for _, w := range cf.Warnings {
		fmt.Fprintln(stderr, w)
	}
	srv, err := server.New(d, logf)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	srv.MaxClients = *maxClients
	listenPort := paths.ServerPort
	ln, err := net.Listen("tcp", net.JoinHostPort(cf.Globals.ServerBind, strconv.Itoa(listenPort)))
	if err != nil {
		fmt.Fprintf(stderr, "could not bind TCP server port %d: %v\n", listenPort, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.Terminate = cancel
	if *metricsAt != "" {
		ml, err := net.Listen("tcp", *metricsAt)
		if err != nil {
			fmt.Fprintf(stderr, "metrics listener: %v\n", err)
			return 1
		}
		hs := &http.Server{Handler: metrics.Handler(func() []sched.Info {
			var infos []sched.Info
			d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { infos = e.Infos(); return sched.Actions{} })
			return infos
		}),
			// A scrape is one small request: slow or idle clients are dropped.
			ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
		go hs.Serve(ml)
		defer hs.Close()
	}
	if paths.PidFile != "" {
		if err := os.WriteFile(paths.PidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err == nil {
			defer os.Remove(paths.PidFile)
		}
	}
	if fs.Changed("loadstate") {
		for _, w := range strings.Fields(*loadState) {
			srv.LoadState(w)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		for s := range sigs {
			if s == syscall.SIGHUP {
				logf("info", "resetting, and re-reading configuration "+cfgPath)
				if err := d.Reset(false); err != nil {
					fmt.Fprintln(stderr, err)
				} else {
					srv.ReloadAuth()
				}
				continue
			}
			logf("info", "killed by signal "+s.String())
			cancel()
			return
		}
	}()
	if path := os.Getenv("MOND_CPUPROFILE"); path != "" {
		// Debugging aid for the benchmark: a CPU profile of the whole run.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	udpPort := paths.TrapPort
	tl, err := net.ListenPacket("udp4", net.JoinHostPort(cf.Globals.TrapBind, strconv.Itoa(udpPort)))
	if err != nil {
		fmt.Fprintf(stderr, "could not bind UDP trap port %d: %v\n", udpPort, err)
		return 1
	}
	go srv.ServeTraps(ctx, tl)
	go srv.Serve(ctx, ln)
	d.Run(ctx)
	if path := os.Getenv("MOND_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	return 0
}

// notImplemented rejects configs that use mon features mond does not provide, so they
// fail loudly instead of silently doing nothing.
func notImplemented(cf *monconf.Config) error {
	if cf.Globals.MonRemote != "" {
		return fmt.Errorf("%s: monremote is not implemented by mond", cf.File)
	}
	return nil
}

// dhms is mon's dhmstos for the -r option.
func dhms(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	mult := time.Second
	switch s[len(s)-1] {
	case 's', 'S':
		s = s[:len(s)-1]
	case 'm', 'M':
		mult, s = time.Minute, s[:len(s)-1]
	case 'h', 'H':
		mult, s = time.Hour, s[:len(s)-1]
	case 'd', 'D':
		mult, s = 24*time.Hour, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(f * float64(mult)), nil
}

// background re-executes mond detached from the terminal (mon -f forks).
func background(args []string, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "MOND_FORKED=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	// The working directory is kept so relative -c/-P paths still resolve.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// newLogger logs to syslog (ident "mon", as mon does) and, with -d, to stderr too.
func newLogger(facility string, debug bool, stderr io.Writer) func(prio, msg string) {
	fac := map[string]syslog.Priority{"daemon": syslog.LOG_DAEMON, "local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1,
		"local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
		"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7, "user": syslog.LOG_USER}[facility]
	if fac == 0 {
		fac = syslog.LOG_DAEMON
	}
	w, _ := syslog.New(fac|syslog.LOG_INFO, "mon")
	return func(prio, msg string) {
		if debug {
			fmt.Fprintf(stderr, "%s: %s\n", prio, msg)
		}
		if w == nil {
			return
		}
		switch prio {
		case "crit":
			w.Crit(msg)
		case "err":
			w.Err(msg)
		case "alert":
			w.Alert(msg)
		case "warning":
			w.Warning(msg)
		case "notice":
			w.Notice(msg)
		case "debug":
			w.Debug(msg)
		default:
			w.Info(msg)
		}
	}
}
