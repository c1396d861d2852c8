package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/daemonize"
	"github.com/lvskit/lvskit/internal/hb/core"
	"github.com/lvskit/lvskit/internal/hb/daemon"
	"github.com/lvskit/lvskit/internal/sdnotify"
)

// backgroundEnv marks the daemon started by daemonize: it has no terminal to log to.
const backgroundEnv = "HEARTBEATD_BACKGROUND"

// paths are where a running heartbeatd keeps its files.
type paths struct {
	configDir string // /etc/ha.d
	stateDir  string // /var/lib/heartbeat
	runDir    string // /var/run: heartbeat.pid, heartbeat/heartbeatd.sock
}

func defaultPaths() paths {
	p := paths{configDir: "/etc/ha.d", stateDir: "/var/lib/heartbeat", runDir: "/var/run"}
	if v := os.Getenv("HEARTBEATD_RUN_DIR"); v != "" {
		p.runDir = v
	}
	return p
}

func (p paths) pidfile() string { return filepath.Join(p.runDir, "heartbeat.pid") }
func (p paths) socket() string  { return filepath.Join(p.runDir, "heartbeat", "heartbeatd.sock") }

// runningPid returns the pid in the pid file if that process is alive.
func runningPid(p paths) (int, bool) {
	b, err := os.ReadFile(p.pidfile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	return pid, true
}

// background re-executes heartbeatd in the foreground (-f) in a new session, as
// heartbeat forks into the background, and returns once the child is up (media and
// control socket open, pid file written: it calls daemonize.Ready, which also puts its
// stdout and stderr on /dev/null) or has exited; if it exited, what it wrote on its way
// out is shown.
func background(args []string, stderr io.Writer) int {
	_, err := daemonize.Start(daemonize.Options{
		Args:   append([]string{"-f"}, args...),
		Env:    []string{backgroundEnv + "=1"},
		Notify: true,
	})
	var exited *daemonize.ExitError
	switch {
	case errors.As(err, &exited):
		stderr.Write(exited.Output)
		fmt.Fprintf(stderr, "heartbeatd: %v\n", exited)
		return 1
	case errors.Is(err, daemonize.ErrTimeout):
		fmt.Fprintf(stderr, "heartbeatd: not up after %v; still starting in the background\n", daemonize.DefaultTimeout)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "heartbeatd: %v\n", err)
		return 1
	}
	return 0
}

// reload re-reads the configuration for a SIGHUP: a bad file is logged as --check
// reports it and changes nothing; a good one goes to the daemon, which applies what it
// can (see daemon.Reload). The outcome is kept for heartbeatd -r.
func reload(d *daemon.Daemon, reread func() checkResult, logger *daemon.FileLogger) {
	r := reread()
	logWarnings(logger, r)
	if len(r.Errors) > 0 {
		msgs := make([]string, 0, len(r.Errors))
		for _, e := range r.Errors {
			logger.Logf("ERROR", "%v", e)
			msgs = append(msgs, e.Error())
		}
		logger.Logf("ERROR", "Config errors: configuration not reloaded; heartbeatd keeps running as it was")
		d.ReloadDone(1, "Config errors, nothing reloaded: "+strings.Join(msgs, "; "))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	plan, err := d.Reload(ctx, r.Config, r.Keys, r.Resources.Groups)
	switch {
	case err != nil && errors.Is(err, daemon.ErrRestartNeeded):
		d.ReloadDone(1, fmt.Sprintf("Reload refused: %v; nothing was changed (see the log)", err))
	case err != nil:
		d.ReloadDone(1, fmt.Sprintf("Reload failed: %v", err))
	case plan.Unchanged():
		d.ReloadDone(0, "Configuration unchanged.")
	default:
		var done []string
		if plan.Keys {
			done = append(done, fmt.Sprintf("authkeys (signing with key %d)", r.Keys.Auth))
		}
		done = append(done, plan.Timers...)
		msg := "Reloaded: " + strings.Join(done, ", ")
		if len(done) == 0 {
			msg = "Nothing reloaded"
		}
		if plan.Groups {
			d.ReloadDone(1, msg+"; haresources changed: not applied until heartbeatd restarts")
			return
		}
		d.ReloadDone(0, msg)
	}
}

// foreground runs the daemon in this process until SIGTERM or SIGINT; SIGHUP reloads
// the configuration (reread reads and checks it).
func foreground(o daemon.Options, p paths, logger *daemon.FileLogger, stderr io.Writer, reread func() checkResult) int {
	if pid, ok := runningPid(p); ok && pid != os.Getpid() {
		fmt.Fprintf(stderr, "heartbeatd: heartbeat is already running [pid %d] (%s)\n", pid, p.pidfile())
		return 1
	}
	d, err := daemon.Open(o)
	if err != nil {
		logger.Logf("ERROR", "%v", err)
		fmt.Fprintf(stderr, "heartbeatd: %v\n", err)
		return 1
	}
	// Caught before the pid file names this process, so a SIGHUP sent by its
	// reader is a reload and not the default action's death.
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sig)
	if err := os.MkdirAll(p.runDir, 0o755); err == nil {
		err = os.WriteFile(p.pidfile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		if err != nil {
			logger.Logf("WARN", "pid file: %v", err)
		}
	}
	defer os.Remove(p.pidfile())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for s := range sig {
			if s == syscall.SIGHUP {
				logger.Logf("info", "Signal %v received: rereading the configuration", s)
				sdnotify.Reloading()
				reload(d, reread, logger)
				sdnotify.Ready(d.LastReload().Msg)
				continue
			}
			logger.Logf("info", "Signal %v received: shutting down", s)
			sdnotify.Stopping()
			cancel()
		}
	}()
	// Under systemd (Type=notify): ready once the media and the control socket are
	// open; the watchdog's keep-alive follows the loop answering a no-op.
	go sdnotify.Watchdog(ctx, func(ctx context.Context) bool {
		return d.Loop().Do(ctx, func(*core.Core, time.Time) error { return nil }) == nil
	})
	sdnotify.Ready("heartbeat: node " + o.Node + " up")
	_ = daemonize.Ready(nil) // heartbeatd started without -f returns now
	if err := d.Run(ctx); err != nil {
		logger.Logf("ERROR", "%v", err)
		return 1
	}
	return 0
}
