// Package mond is mond's process as cmd/mond starts it once its flags are parsed: the
// configuration read and checked, the daemon (internal/mon/daemon) with its client port
// and trap port (internal/mon/server), the metrics listener, the pid file, the signals,
// syslog, and mon -f's move to the background (internal/daemonize).
package mond

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/signal"
	rdebug "runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/daemonize"
	"github.com/lvskit/lvskit/internal/ipvsmetrics"
	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/metrics"
	"github.com/lvskit/lvskit/internal/mon/server"
	"github.com/lvskit/lvskit/internal/sdnotify"
	"github.com/lvskit/lvskit/internal/statushttp"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is mond's command line, parsed.
type Config struct {
	// Args are the arguments mond was started with, for the copy -f starts.
	Args []string
	// ConfigFile is -c; "" is CFBASEDIR/mon.cf (-B), else /etc/mon/mon.cf.
	ConfigFile string
	// Overrides are the options that win over mon.cf's (-a -A -b -B -D -L -s -P -k -m
	// -p -t -r).
	Overrides daemon.Overrides
	// Load says how mon.cf is read (-M).
	Load daemon.LoadOptions
	// Facility is -O ("" = mon.cf's syslog_facility); Debug (-d) logs to stderr too.
	Facility string
	Debug    bool
	// Fork is -f: run in the background.
	Fork bool
	// Stopped is -S: start with the scheduler stopped.
	Stopped bool
	// LoadState is -l: load the saved state of these types (LoadStateSet: -l given).
	LoadState    []string
	LoadStateSet bool
	// mond's own options.
	Builtins       daemon.BuiltinMode
	MonitorTimeout time.Duration
	AlertTimeout   time.Duration
	MetricsListen  string
	IPVSMetrics    bool // the IPVS table's metrics beside mond's (internal/ipvsmetrics)
	MaxClients     int
}

// forkedEnv marks the copy -f starts in the background.
const forkedEnv = "MOND_FORKED"

// forkTimeout bounds how long mond -f waits for its copy to be up.
const forkTimeout = 2 * time.Minute

// Check is --check: path is read as a reset would read it (mond's refusals included)
// and its errors (file:line) or its warnings reported; 0 when it would be installed.
func Check(path string, load daemon.LoadOptions, stdout, stderr io.Writer) int {
	// The checks of a reset: mond refuses to replace a running configuration with
	// one that is not text or has no watches, so --check says so too.
	cf, err := daemon.ReadConfig(path, loader(load))
	if err == nil && len(cf.Watches) == 0 {
		err = fmt.Errorf("%s: %w (a reset to it is refused while watches run)", path, daemon.ErrNoWatches)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cf.Warnings {
		fmt.Fprintln(stderr, w)
	}
	fmt.Fprintf(stdout, "%s: OK\n", path)
	return 0
}

// loader reads mon.cf and refuses what mond does not implement.
func loader(load daemon.LoadOptions) func(path string) (*monconf.Config, error) {
	return func(path string) (*monconf.Config, error) {
		cf, err := daemon.LoadConfig(path, load)
		if err != nil {
			return nil, err
		}
		if err := notImplemented(cf); err != nil {
			return nil, err
		}
		return cf, nil
	}
}

// notImplemented rejects configs that use mon features mond does not provide, so they
// fail loudly instead of silently doing nothing.
func notImplemented(cf *monconf.Config) error {
	if cf.Globals.MonRemote != "" {
		return fmt.Errorf("%s: monremote is not implemented by mond", cf.File)
	}
	return nil
}

// Run is mond: it returns its exit status once it is told to stop (SIGTERM, SIGINT,
// "term"), or at once when it cannot start.
func Run(c Config, stderr io.Writer) int {
	if c.Fork && os.Getenv(forkedEnv) == "" {
		// mon -f reads mon.cf and auth.cf and binds its ports before it forks, so its
		// warnings and start-up errors reach the caller, with its exit status. Go does
		// not fork: the copy does all that and says when it is up (daemonize.Ready);
		// until then its output comes here. It keeps the working directory, so relative
		// -c/-P paths still resolve.
		pid, err := daemonize.Start(daemonize.Options{Args: c.Args, Env: []string{forkedEnv + "=1"},
			Notify: true, Output: stderr, Timeout: forkTimeout})
		var xe *exec.ExitError
		switch {
		case errors.As(err, &xe):
			return max(xe.ExitCode(), 1)
		case errors.Is(err, daemonize.ErrTimeout):
			fmt.Fprintf(stderr, "mond: not up after %v; still starting in the background as pid %d\n", forkTimeout, pid)
			return 1
		case err != nil:
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	// Signals are caught from the start and acted on once the engine runs: a SIGHUP
	// (logrotate, a reset) in the moment between binding the port and serving must
	// not kill mond by the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGPIPE)
	defer signal.Stop(sigs)
	cfgPath := c.ConfigFile
	if cfgPath == "" {
		base := c.Overrides.CfBaseDir
		if base == "" {
			base = "/etc/mon"
		}
		cfgPath = base + "/mon.cf"
	}
	if _, err := os.Stat(cfgPath); err != nil {
		fmt.Fprintf(stderr, "config file %s does not exist\n", cfgPath)
		return 2 // mon's status
	}

	if os.Getenv("GOGC") == "" {
		// mond's live heap is small and steady; a tighter GC keeps its footprint near
		// it at a negligible CPU cost.
		rdebug.SetGCPercent(40)
	}
	// The facility comes from -O, else from mon.cf's syslog_facility once it is read.
	var logTo func(prio, msg string)
	logf := func(prio, msg string) { logTo(prio, msg) }
	logTo = newLogger(c.Facility, c.Debug, stderr)
	opts := daemon.Options{ConfigPath: cfgPath, Overrides: c.Overrides, Builtins: c.Builtins,
		MonitorTimeout: c.MonitorTimeout, AlertTimeout: c.AlertTimeout, Log: logf, Stopped: c.Stopped,
		Parse: loader(c.Load)}
	forked := os.Getenv(forkedEnv) != ""
	errOut := &errFileWriter{}
	if forked {
		opts.AlertOutput = errOut
	}
	d, err := daemon.New(opts)
	if err != nil {
		logf("err", err.Error())
		fmt.Fprintln(stderr, err)
		return 1
	}
	cf, paths := d.Config()
	if c.Facility == "" && cf.Globals.SyslogFacility != "" && cf.Globals.SyslogFacility != "daemon" {
		logTo = newLogger(cf.Globals.SyslogFacility, c.Debug, stderr)
	}
	for _, w := range cf.Warnings {
		fmt.Fprintln(stderr, w)
	}
	srv, err := server.New(d, logf)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.As(err, new(*fs.PathError)) {
			return 2 // auth.cf could not be opened: mon's status
		}
		return 1
	}
	srv.MaxClients = clientsWithin(c.MaxClients, logf)
	ln, err := net.Listen("tcp", net.JoinHostPort(cf.Globals.ServerBind, strconv.Itoa(paths.ServerPort)))
	if err != nil {
		fmt.Fprintf(stderr, "could not bind TCP server port %d: %v\n", paths.ServerPort, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.Terminate = cancel
	if c.MetricsListen != "" {
		stop, err := serveMetrics(c.MetricsListen, c.IPVSMetrics, d, srv)
		if err != nil {
			fmt.Fprintf(stderr, "metrics listener: %v\n", err)
			return 1
		}
		defer stop()
	}
	if paths.PidFile != "" {
		if err := os.WriteFile(paths.PidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err == nil {
			defer os.Remove(paths.PidFile)
		}
	}
	if c.LoadStateSet {
		for _, w := range c.LoadState {
			srv.LoadState(w)
		}
	}
	handleSignals(sigs, d, srv, cfgPath, logf, cancel, stderr)
	if path := os.Getenv("MOND_CPUPROFILE"); path != "" {
		// Debugging aid for the benchmark: a CPU profile of the whole run.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	tl, err := net.ListenPacket("udp4", net.JoinHostPort(cf.Globals.TrapBind, strconv.Itoa(paths.TrapPort)))
	if err != nil {
		fmt.Fprintf(stderr, "could not bind UDP trap port %d: %v\n", paths.TrapPort, err)
		return 1
	}
	go srv.ServeTraps(ctx, tl)
	go srv.Serve(ctx, ln)
	var errFile *os.File
	if forked {
		// monerrfile, as mon opens it once in the background (a reload does not
		// reopen it): mond's stdout and stderr from now on, and its alerts'.
		if f, err := openErrFile(cf.Globals.MonErrFile, time.Now()); err != nil {
			logf("err", err.Error())
		} else {
			errOut.set(f)
			errFile = f
		}
	}
	// Up: a mond -f waiting in the foreground returns now, its start-up messages shown.
	_ = daemonize.Ready(errFile)
	// Under systemd (Type=notify): ready with both ports bound; the watchdog is fed
	// while the main loop steps and the engine's lock is free.
	go sdnotify.Watchdog(ctx, d.Alive)
	sdnotify.Ready(fmt.Sprintf("watching; client port %d", paths.ServerPort))
	d.Run(ctx)
	if path := os.Getenv("MOND_MEMPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	return 0
}

// handleSignals makes SIGHUP a reset (and a reload of auth.cf once it worked) and
// SIGTERM or SIGINT the end, for the signals Run caught on sigs.
func handleSignals(sigs <-chan os.Signal, d *daemon.Daemon, srv *server.Server, cfgPath string, logf func(prio, msg string), stop func(), stderr io.Writer) {
	go func() {
		for s := range sigs {
			if s == syscall.SIGHUP {
				logf("info", "resetting, and re-reading configuration "+cfgPath)
				sdnotify.Reloading()
				if err := d.Reset(false); err != nil {
					fmt.Fprintln(stderr, err)
					sdnotify.Ready("reset refused, running configuration kept: " + err.Error())
				} else {
					srv.ReloadAuth()
					sdnotify.Ready("watching; configuration re-read")
				}
				continue
			}
			logf("info", "killed by signal "+s.String())
			sdnotify.Stopping()
			stop()
			return
		}
	}()
}

// serveMetrics serves mond's metrics, probes and JSON status (internal/mon/metrics)
// on addr until the returned stop is called.
func serveMetrics(addr string, ipvsToo bool, d *daemon.Daemon, srv *server.Server) (stop func() error, err error) {
	var extra []prometheus.Collector
	if ipvsToo {
		extra = append(extra, ipvsmetrics.New(ipvsmetrics.Kernel(0), 0))
	}
	stop, _, err = statushttp.Listen(addr, metrics.Handler(d, srv.Clients, extra...))
	return stop, err
}

// clientsWithin keeps the client limit below half the descriptors mond may open (less
// a reserve): clients must never take the descriptors the monitors and alerts need.
func clientsWithin(max int, logf func(prio, msg string)) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == ^uint64(0) {
		return max
	}
	room := int(min(lim.Cur, 1<<20))/2 - 64
	if room < 1 {
		room = 1
	}
	if max > room {
		logf("warning", fmt.Sprintf("--max-clients %d lowered to %d: the monitors need the rest of the %d descriptors mond may open", max, room, lim.Cur))
		return room
	}
	return max
}

// errFileWriter is where mond -f's alerts write: the monerrfile once it is open,
// nothing before. Safe for concurrent use.
type errFileWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *errFileWriter) set(f *os.File) {
	w.mu.Lock()
	w.f = f
	w.mu.Unlock()
}

func (w *errFileWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return len(p), nil
	}
	return w.f.Write(p)
}
