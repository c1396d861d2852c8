// Package daemon is mond's process: it owns the scheduler (internal/mon/sched), runs the
// monitors (built-in or programs) and alerts it asks for, keeps the downtime log, alert
// history file and state files, and re-reads mon.cf on reset (SIGHUP) keeping the running
// configuration when the new one does not parse.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/mon/monitors"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

var statFn = os.Stat

// BuiltinMode decides between a monitor script in mondir and mond's built-in of the
// same name.
type BuiltinMode int

const (
	// BuiltinAuto (default): an executable file in mondir wins; the built-in is used
	// only when mondir has no such program. A config thus runs exactly the programs mon
	// would run wherever they exist, and still works on a machine without them.
	BuiltinAuto BuiltinMode = iota
	// BuiltinPrefer: the built-in wins even when mondir has the script.
	BuiltinPrefer
	// BuiltinOff: never use built-ins (exactly mon).
	BuiltinOff
)

// ParseBuiltinMode reads the --builtin-monitors flag.
func ParseBuiltinMode(s string) (BuiltinMode, error) {
	switch s {
	case "auto", "":
		return BuiltinAuto, nil
	case "prefer":
		return BuiltinPrefer, nil
	case "off":
		return BuiltinOff, nil
	}
	return 0, fmt.Errorf("--builtin-monitors: %q is not one of auto, prefer, off", s)
}

// Overrides are mon's command-line options, which win over mon.cf.
type Overrides struct {
	AlertDir, BaseDir, CfBaseDir, AuthFile, LogDir, StateDir, MonDir string
	PidFile                                                          string
	PidFileSet                                                       bool
	MaxKeep, MaxProcs, Port, TrapPort                                int
	RandStart                                                        time.Duration
}

// Logger receives mon's syslog messages.
type Logger func(prio, msg string)

// Options configure a Daemon.
type Options struct {
	ConfigPath string
	Overrides  Overrides
	Builtins   BuiltinMode
	// MonitorTimeout, when set, kills a monitor running longer (mon has no such limit).
	MonitorTimeout time.Duration
	Runner         runner.Runner
	Clock          clock.Clock
	Log            Logger
	// Stopped starts with the scheduler stopped (mon -S).
	Stopped bool
	// Parse reads a config; nil uses LoadConfig (no -M).
	Parse func(path string) (*monconf.Config, error)
	// AlertOutput, when set, receives the alerts' standard output and, once each alert
	// has ended, the standard error kept of it (the first maxAlertStderr bytes): mond
	// -f's monerrfile, as mon's alerts inherit its stdout and stderr. Unset, alert
	// output is discarded (their stderr still reaches the log when they fail).
	AlertOutput io.Writer
	// AlertTimeout, when set, kills an alert running longer (mon has no such limit;
	// mond's command line defaults it to DefaultAlertTimeout).
	AlertTimeout time.Duration
}

// Daemon is a running mond.
type Daemon struct {
	opt Options

	mu    sync.Mutex
	cf    *monconf.Config
	paths Paths
	// snap is cf and paths as the client server reads them: published by install,
	// read without d.mu, so that no reader of the config can wait on the engine's lock
	// (a "list dtlog" once deadlocked mond by asking for the config under that lock).
	snap atomic.Pointer[configSnapshot]
	// lastLoop is when the main loop last stepped the engine (Unix nanoseconds, real
	// time), for the service manager's watchdog.
	lastLoop atomic.Int64
	// schedRunning mirrors the engine's scheduler state (mon's stop and start) for
	// Ready, which takes no lock.
	schedRunning atomic.Bool
	// resets and resetsRefused count Reset's outcomes since start; loaded is when
	// the running configuration was installed (under mu).
	resets, resetsRefused atomic.Int64
	loaded                time.Time
	eng                   *sched.Engine
	gen                   int // bumped on reset: results from older monitors are dropped
	watches               int // watch blocks of the running configuration
	pids                  map[int]string
	running               map[string]context.CancelFunc
	// alertBacklog holds, per "group/service", the alerts waiting for mond's
	// resources, oldest first (startAlert); a key is present while its retrier runs.
	alertBacklog map[string][]sched.Alert
	started      time.Time

	results chan monResult
	wake    chan struct{}
	done    chan struct{}
	// alertsWG tracks alert programs so tests (and shutdown) can wait for them.
	alertsWG sync.WaitGroup
	// monitorsWG tracks monitor goroutines so shutdown can wait for them.
	monitorsWG sync.WaitGroup
	// progs is the context every monitor and alert runs under; killProgs (shutdown)
	// kills them all. Set lazily under mu (progCtx).
	progs     context.Context
	killProgs context.CancelFunc
}

type configSnapshot struct {
	cf    *monconf.Config
	paths Paths
}

type monResult struct {
	gen            int
	group, service string
	exit           int
	output         string
	// timedOut: the monitor was killed by the monitor timeout.
	timedOut bool
}

// ErrConfig wraps a configuration that failed to parse.
var ErrConfig = errors.New("config error")

// New reads the config and builds the daemon (nothing runs until Run).
func New(opt Options) (*Daemon, error) {
	if opt.Runner == nil {
		opt.Runner = runner.Exec{}
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = func(string, string) {}
	}
	if opt.Parse == nil {
		opt.Parse = func(path string) (*monconf.Config, error) { return LoadConfig(path, LoadOptions{}) }
	}
	d := &Daemon{opt: opt, pids: map[int]string{}, running: map[string]context.CancelFunc{}, alertBacklog: map[string][]sched.Alert{},
		results: make(chan monResult, 64), wake: make(chan struct{}, 1), done: make(chan struct{})}
	cf, err := ReadConfig(opt.ConfigPath, opt.Parse)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	d.started = opt.Clock.Now()
	d.install(cf, d.started)
	d.readHistoricFile(d.started)
	if opt.Stopped {
		d.eng.Stop(d.started)
	}
	d.schedRunning.Store(!opt.Stopped)
	return d, nil
}

// install makes cf the running configuration with fresh state (mon's read_cf commit).
func (d *Daemon) install(cf *monconf.Config, now time.Time) {
	d.cf = cf
	d.paths = ResolvePaths(&cf.Globals, d.opt.Overrides)
	d.gen++
	d.watches = len(cf.Watches)
	d.loaded = now
	// The engine reads cf as it is (no copy); nothing changes it, so the client
	// server reads the same one.
	d.eng = sched.New(SchedConfig(cf, d.paths, d.opt.Overrides), sched.Options{
		MonitorPath: d.monitorPath,
		AlertPath:   d.alertPath,
		Log:         d.opt.Log,
	}, now)
	d.snap.Store(&configSnapshot{cf: d.cf, paths: d.paths})
}

// Config returns the running configuration and its resolved paths. It takes no lock,
// so it may be called from anywhere, inside WithEngine included; the values returned
// are never modified (a reset installs new ones).
func (d *Daemon) Config() (*monconf.Config, Paths) {
	s := d.snap.Load()
	return s.cf, s.paths
}

const builtinPrefix = "builtin:"

func executable(p string) bool {
	fi, err := statFn(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func findIn(dirs []string, name string) (string, bool) {
	if name == "" || strings.Contains(name, "/") && !filepath.IsAbs(name) {
		return "", false
	}
	for _, dir := range dirs {
		p := filepath.Join(dir, name)
		if executable(p) {
			return p, true
		}
	}
	return "", false
}

func (d *Daemon) monitorPath(name string) (string, bool) {
	_, isBuiltin := monitors.Lookup(name)
	if isBuiltin && d.opt.Builtins == BuiltinPrefer {
		return builtinPrefix + name, true
	}
	if p, ok := findIn(d.paths.MonDirs, name); ok {
		return p, true
	}
	if isBuiltin && d.opt.Builtins == BuiltinAuto {
		return builtinPrefix + name, true
	}
	return "", false
}

func (d *Daemon) alertPath(name string) (string, bool) { return findIn(d.paths.AlertDirs, name) }

// WithEngine runs f on the engine under the daemon's lock and carries out the actions
// it returns.
func (d *Daemon) WithEngine(f func(e *sched.Engine, now time.Time) sched.Actions) {
	d.mu.Lock()
	now := d.opt.Clock.Now()
	a := f(d.eng, now)
	d.execute(a)
	stopped, _ := d.eng.Stopped()
	d.schedRunning.Store(!stopped)
	d.mu.Unlock()
	d.poke()
}

func (d *Daemon) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Pids lists running monitors as "group service pid" (mon's "list pids").
func (d *Daemon) Pids() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var l []string
	for pid, gs := range d.pids {
		g, s, _ := strings.Cut(gs, "/")
		l = append(l, fmt.Sprintf("%s %s %d", g, s, pid))
	}
	sort.Strings(l)
	return l
}

// CheckConfig reads the config file again without installing it ("test config"): the
// checks of a reset.
func (d *Daemon) CheckConfig() error {
	_, err := d.readReplacement()
	return err
}

func (d *Daemon) readReplacement() (*monconf.Config, error) {
	cf, err := ReadConfig(d.opt.ConfigPath, d.opt.Parse)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	running := d.watches
	d.mu.Unlock()
	if err := checkReplacement(d.opt.ConfigPath, cf, running); err != nil {
		return nil, err
	}
	return cf, nil
}

// Reset re-reads the config (SIGHUP, "moncmd reset"). A config that fails to parse, is
// not text, or has no watches while the running one has, is reported and the running
// one kept.
func (d *Daemon) Reset(keepState bool) error {
	cf, err := d.readReplacement()
	if err != nil {
		d.opt.Log("err", "error reading config file: "+err.Error()+"; the running configuration is kept")
		d.resetsRefused.Add(1)
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	d.mu.Lock()
	for _, cancel := range d.running {
		cancel()
	}
	d.running = map[string]context.CancelFunc{}
	d.pids = map[int]string{}
	stopped, since := d.eng.Stopped()
	now := d.opt.Clock.Now()
	d.install(cf, now)
	if stopped {
		d.eng.Stop(time.Unix(since, 0))
	}
	d.initDtlog(now)
	d.readHistoricFile(now)
	if cf.Globals.StartupAlertsOnReset {
		d.execute(d.eng.Startup(now))
	}
	d.resets.Add(1)
	d.mu.Unlock()
	d.poke()
	return nil
}

// Alive reports whether the main loop stepped the engine within the last few
// seconds (it does at least once a second) and the engine's lock can be had before
// ctx ends: what systemd's watchdog is fed on.
func (d *Daemon) Alive(ctx context.Context) bool {
	if time.Since(time.Unix(0, d.lastLoop.Load())) > 5*time.Second {
		return false
	}
	got := make(chan struct{})
	go func() {
		d.mu.Lock()
		d.mu.Unlock()
		close(got)
	}()
	select {
	case <-got:
		return true
	case <-ctx.Done():
		return false
	}
}

// Run is mon's main loop: startup alerts, then every second (or when a monitor
// finishes or a client acts) start due monitors and handle finished ones.
func (d *Daemon) Run(ctx context.Context) error {
	d.mu.Lock()
	now := d.opt.Clock.Now()
	d.initDtlog(now)
	d.opt.Log("info", "mon server started")
	d.execute(d.eng.Startup(now))
	d.mu.Unlock()
	for {
		d.lastLoop.Store(time.Now().UnixNano())
		d.mu.Lock()
		now := d.opt.Clock.Now()
		d.execute(d.eng.Tick(now))
		// Sleep until the next check is due, at most a second (mon's loop granularity,
		// which also paces the exclude_period and dependency re-checks).
		wait := time.Second
		if due, ok := d.eng.NextDue(); ok {
			if w := due.Sub(now); w < wait {
				// Checks due within a tenth of a second of each other start together:
				// fewer wake-ups with hundreds of services.
				wait = max(w, tickGranularity)
			}
		}
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			d.shutdown()
			return nil
		case r := <-d.results:
			d.finish(r)
			d.drainResults()
		case <-d.wake:
		case <-d.opt.Clock.After(wait):
			d.drainResults()
		}
	}
}

// tickGranularity is the shortest sleep of the main loop.
const tickGranularity = 100 * time.Millisecond

// drainResults handles every monitor result already waiting.
func (d *Daemon) drainResults() {
	for {
		select {
		case r := <-d.results:
			d.finish(r)
		default:
			return
		}
	}
}

func (d *Daemon) finish(r monResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.gen != d.gen {
		return
	}
	delete(d.running, r.group+"/"+r.service)
	if r.timedOut {
		d.eng.MonitorTimedOut(r.group, r.service)
	}
	d.execute(d.eng.MonitorExited(r.group, r.service, r.exit, r.output, d.opt.Clock.Now()))
}

// execute carries out actions; the caller holds d.mu.
func (d *Daemon) execute(a sched.Actions) {
	for _, m := range a.Monitors {
		d.startMonitor(m)
	}
	for _, al := range a.Alerts {
		d.startAlert(al)
	}
	if len(a.DowntimeLog) > 0 && d.cf.Globals.DtLogging {
		d.appendFile(d.paths.DtLogFile, a.DowntimeLog)
	}
	if d.paths.HistoricFile != "" {
		var lines []string
		for _, al := range a.Alerts {
			if al.Flags&(sched.FlTest|sched.FlRedistribute) == 0 {
				lines = append(lines, d.histLine(al))
			}
		}
		if len(lines) > 0 {
			d.appendFile(d.paths.HistoricFile, lines)
		}
	}
}

func (d *Daemon) histLine(al sched.Alert) string {
	h := d.eng.AlertHistory()
	for i := len(h) - 1; i >= 0; i-- {
		if strings.HasPrefix(h[i], al.Type+" "+al.Group+" "+al.Service+" ") {
			return h[i]
		}
	}
	return ""
}

func (d *Daemon) appendFile(path string, lines []string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		d.opt.Log("err", fmt.Sprintf("could not append to %s: %v", path, err))
		return
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

// readHistoricFile loads the alert history from historicfile (lines newer than
// historictime when that is set), as mon does at start and reset.
func (d *Daemon) readHistoricFile(now time.Time) {
	if d.paths.HistoricFile == "" {
		return
	}
	b, err := os.ReadFile(d.paths.HistoricFile)
	if err != nil {
		d.opt.Log("err", fmt.Sprintf("Could not read history from %s : %v", d.paths.HistoricFile, err))
		return
	}
	var limit int64
	if ht := d.cf.Globals.HistoricTime; ht > 0 {
		limit = now.Unix() - int64(ht/time.Second)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(l)
		var when int64
		if len(f) > 3 {
			when, _ = strconv.ParseInt(f[3], 10, 64)
		}
		if when >= limit {
			lines = append(lines, l)
		}
	}
	d.eng.SetAlertHistory(lines)
}

// initDtlog writes the downtime log's start header, as mon does at start and reset.
func (d *Daemon) initDtlog(now time.Time) {
	if !d.cf.Globals.DtLogging {
		return
	}
	d.appendFile(d.paths.DtLogFile, []string{"#", fmt.Sprintf("# downtime log start %d", now.Unix()),
		"# time back up, group, service, first failure, downtime, interval, summary", "#"})
}
