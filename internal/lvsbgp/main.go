// Package lvsbgp is lvs-bgp (cmd/lvs-bgp): it announces each VIP of
// /etc/lvskit/bgp.conf (compat/bgpconf) as a host route over BGP (internal/bgpspeaker,
// GoBGP as a library) while the director is healthy for it, so that routers spread a
// VIP's flows over every healthy director by ECMP.
//
// Health is mond's verdict read back from the IPVS table every check-interval: a VIP
// is healthy while a virtual service on it has a real server of weight above 0 (see
// Healthy; a failed read counts only after FailuresBeforeUnhealthy in a row). In mode
// heartbeat a healthy VIP is announced only while heartbeat's "bgp" resource for it is
// started (the control socket's announce and withdraw). SIGTERM withdraws every VIP,
// waits for the withdrawals to leave and then drain-time, and exits; SIGHUP re-reads
// the file (a bad one is logged and changes nothing). A director that dies is dropped
// by its routers hold-time after its last keepalive.
package lvsbgp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/bgpconf"
	"github.com/lvskit/lvskit/internal/bgpspeaker"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"github.com/lvskit/lvskit/internal/daemonize"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/sdnotify"
	"github.com/lvskit/lvskit/internal/statushttp"
)

// DefaultSocket is the control socket.
const DefaultSocket = "/run/lvskit/lvs-bgp.sock"

// withdrawWait bounds the wait for the withdrawals to leave on a graceful stop, before
// drain-time begins.
const withdrawWait = 5 * time.Second

const backgroundEnv = "LVS_BGP_BACKGROUND"

// Usage is lvs-bgp --help.
const Usage = `usage: lvs-bgp [-f CONF] [--check] [--foreground] [--http ADDR] [--socket PATH]
       lvs-bgp ctl status [VIP] | announce VIP | withdraw VIP
  -f, --config CONF   the config file (default /etc/lvskit/bgp.conf)
      --check         check CONF, print every problem, exit 1 if any
      --foreground    do not go into the background; log to stderr
      --http ADDR     serve /metrics, /healthz, /readyz and /status on ADDR (off by default)
      --socket PATH   the control socket (default /run/lvskit/lvs-bgp.sock)
      --version       lvskit's build
  ctl                 ask the running lvs-bgp (heartbeat's bgp resource script does)
Signals: TERM withdraws every VIP, waits drain-time, exits; HUP re-reads CONF.
`

// Env is what Main runs on: the real kernel and GoBGP, or a test's fakes.
type Env struct {
	OpenIPVS     func() (TableReader, error)
	StartSpeaker func(ctx context.Context, cfg *bgpconf.Config, logf func(level, msg string)) (Speaker, error)
}

// RealEnv is the kernel's IPVS table and a GoBGP speaker.
func RealEnv() Env {
	return Env{
		OpenIPVS: func() (TableReader, error) { return ipvs.OpenKernel() },
		StartSpeaker: func(ctx context.Context, cfg *bgpconf.Config, logf func(level, msg string)) (Speaker, error) {
			return bgpspeaker.Start(ctx, cfg, logf)
		},
	}
}

// Main runs lvs-bgp with args (without the program name) and returns its exit status.
func Main(args []string, stdout, stderr io.Writer, env Env) int {
	fs := pflag.NewFlagSet("lvs-bgp", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conf := fs.StringP("config", "f", bgpconf.DefaultPath, "")
	check := fs.Bool("check", false, "")
	fg := fs.Bool("foreground", false, "")
	httpAddr := fs.String("http", "", "")
	socket := fs.String("socket", DefaultSocket, "")
	version := fs.Bool("version", false, "")
	help := fs.BoolP("help", "h", false, "")
	fs.SetInterspersed(false)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "lvs-bgp: %v\n%s", err, Usage)
		return 2
	}
	switch {
	case *help:
		fmt.Fprint(stdout, Usage)
		return 0
	case *version:
		fmt.Fprintf(stdout, "lvs-bgp %s\n", buildinfo.Version)
		return 0
	case fs.NArg() > 0 && fs.Arg(0) == "ctl":
		out, code, err := Query(*socket, fs.Args()[1:])
		if err != nil {
			fmt.Fprintf(stderr, "lvs-bgp: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, out)
		return code
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "lvs-bgp: unexpected argument %q\n%s", fs.Arg(0), Usage)
		return 2
	}
	cfg, err := load(*conf)
	if *check {
		if err != nil {
			for _, e := range bgpconf.List(err) {
				fmt.Fprintln(stdout, e)
			}
			return 1
		}
		fmt.Fprintf(stdout, "%s: OK (%d neighbors, %d VIPs, mode %s)\n", *conf, len(cfg.Neighbors), len(cfg.VIPs), cfg.Mode)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "lvs-bgp: %v\n", err)
		return 1
	}
	if !*fg {
		// The copy says when it is up (control socket and HTTP listener open, the
		// first step done); its start-up errors come back here with its output.
		_, err := daemonize.Start(daemonize.Options{
			Args:   append([]string{"--foreground"}, args...),
			Env:    []string{backgroundEnv + "=1"},
			Notify: true,
		})
		var exited *daemonize.ExitError
		if errors.As(err, &exited) {
			stderr.Write(exited.Output)
		}
		if err != nil {
			fmt.Fprintf(stderr, "lvs-bgp: %v\n", err)
			return 1
		}
		return 0
	}
	logf := stderrLog(stderr)
	if os.Getenv(backgroundEnv) != "" {
		if w, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "lvs-bgp"); err == nil {
			logf = syslogLog(w)
		}
	}
	if err := run(*conf, cfg, *socket, *httpAddr, env, logf); err != nil {
		logf("warning", "%v", err)
		return 1
	}
	return 0
}

func load(path string) (*bgpconf.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return bgpconf.Parse(path, b)
}

func stderrLog(w io.Writer) Logf {
	var mu sync.Mutex
	return func(level, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s lvs-bgp: %s: %s\n", time.Now().Format("2006-01-02T15:04:05.000"), level, fmt.Sprintf(format, args...))
	}
}

func syslogLog(w *syslog.Writer) Logf {
	return func(level, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if level == "warning" {
			_ = w.Warning(msg)
		} else {
			_ = w.Info(msg)
		}
	}
}

func run(path string, cfg *bgpconf.Config, socket, httpAddr string, env Env, logf Logf) error {
	table, err := env.OpenIPVS()
	if err != nil {
		return fmt.Errorf("opening IPVS: %w", err)
	}
	// Caught before the control socket answers, so a SIGHUP from a script that
	// saw it is a reload, not the default action's death.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	speakerLog := func(level, msg string) { logf(level, "%s", msg) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	sp, err := env.StartSpeaker(sctx, cfg, speakerLog)
	scancel()
	if err != nil {
		return err
	}
	d := NewDaemon(cfg, table, sp, logf)
	ln, err := ListenControl(socket)
	if err != nil {
		_ = sp.Stop(context.Background())
		return fmt.Errorf("control socket: %w", err)
	}
	defer os.Remove(socket)
	defer ln.Close()
	go ServeControl(ln, d.Query)
	if httpAddr != "" {
		reg := statushttp.NewRegistry("lvs-bgp")
		reg.MustRegister(d.Collector())
		stop, bound, err := statushttp.Listen(httpAddr, statushttp.Handler(statushttp.Options{
			Gatherer: reg,
			Status:   func() any { return d.Snapshot() },
		}))
		if err != nil {
			_ = sp.Stop(context.Background())
			return fmt.Errorf("--http %s: %w", httpAddr, err)
		}
		defer stop()
		logf("info", "HTTP on %s", bound)
	}

	d.Step(ctx)
	logf("info", "started: router-id %s, AS %d, %d neighbors, %d VIPs, mode %s", cfg.RouterID, cfg.LocalAS, len(cfg.Neighbors), len(cfg.VIPs), cfg.Mode)
	sdnotify.Ready("announcing healthy VIPs")
	// lvs-bgp started in the background returns now.
	_ = daemonize.Ready(nil)
	go sdnotify.Watchdog(ctx, func(context.Context) bool { d.Snapshot(); return true }) // the lock the loop takes
	tick := time.NewTicker(cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			d.Step(ctx)
		case s := <-sigs:
			if s == syscall.SIGHUP {
				sdnotify.Reloading()
				reload(ctx, d, path, env, speakerLog, logf, tick)
				sdnotify.Ready("announcing healthy VIPs")
				continue
			}
			sdnotify.Stopping()
			return drain(d, logf)
		}
	}
}

func reload(ctx context.Context, d *Daemon, path string, env Env, speakerLog func(string, string), logf Logf, tick *time.Ticker) {
	cfg, err := load(path)
	if err != nil {
		for _, e := range bgpconf.List(err) {
			logf("warning", "reload: %v", e)
		}
		logf("warning", "reload: %s has errors: the running config stays", path)
		return
	}
	err = d.Reload(ctx, cfg, func(c *bgpconf.Config) (Speaker, error) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return env.StartSpeaker(sctx, c, speakerLog)
	})
	if err != nil {
		logf("warning", "reload: %v", err)
	}
	tick.Reset(cfg.CheckInterval)
	logf("info", "reloaded %s: %d neighbors, %d VIPs, mode %s", path, len(cfg.Neighbors), len(cfg.VIPs), cfg.Mode)
}

// drain is the graceful stop: withdraw, wait for the withdrawals to leave (bounded),
// wait drain-time for the routers to move the flows and the connections to end, stop.
func drain(d *Daemon, logf Logf) error {
	cfg := d.Config()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), withdrawWait)
	err := d.Drain(ctx)
	cancel()
	if err != nil {
		logf("warning", "stop: %v", err)
	}
	logf("info", "stop: VIPs withdrawn in %v; draining for %v", time.Since(start).Round(time.Millisecond), cfg.DrainTime)
	time.Sleep(cfg.DrainTime)
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		return err
	}
	logf("info", "stopped")
	return nil
}
