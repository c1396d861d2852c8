package main

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
	"github.com/lvskit/lvskit/internal/hb/daemon"
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

// stopDaemon is heartbeat -k: SIGTERM to the running daemon, then wait until it has
// released its resources and exited.
func stopDaemon(p paths, stdout, stderr io.Writer, wait time.Duration) int {
	pid, ok := runningPid(p)
	if !ok {
		fmt.Fprintf(stderr, "heartbeatd: heartbeat is not running (no live process in %s)\n", p.pidfile())
		return 1
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(stderr, "heartbeatd: kill %d: %v\n", pid, err)
		return 1
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(stderr, "heartbeatd: pid %d still running after %v\n", pid, wait)
	return 1
}

// statusDaemon is heartbeat -s.
func statusDaemon(p paths, stdout, stderr io.Writer) int {
	pid, ok := runningPid(p)
	if !ok {
		fmt.Fprintln(stdout, "heartbeat is stopped. No process")
		return 3
	}
	fmt.Fprintf(stdout, "heartbeat OK [pid %d et al] is running\n", pid)
	return 0
}

// query is the client side of cl_status, hb_standby and hb_takeover; prog names the
// command in messages.
func query(p paths, prog string, args []string, stdout, stderr io.Writer) int {
	out, code, err := daemon.Query(p.socket(), args)
	if err != nil {
		hbstatus := len(args) > 0 && args[0] == "hbstatus"
		switch {
		case errors.Is(err, os.ErrPermission):
			// Not "stopped": the socket is there and its mode refuses this user.
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			if !hbstatus {
				return 1
			}
			if _, running := runningPid(p); running {
				// cl_status's words and status when heartbeat runs but refuses it:
				// hbstatus answers "does heartbeat run?", and it does.
				fmt.Fprintln(stdout, "Heartbeat is apparently running on this machine, but refuses my connection")
				return 0
			}
		case hbstatus:
			if !errors.Is(err, daemon.ErrNotRunning) {
				fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			}
		default:
			fmt.Fprintf(stderr, "heartbeatd: %v\n", err)
			return 1
		}
		// cl_status's words for any failure to get an answer.
		fmt.Fprintln(stdout, "Heartbeat is stopped on this machine.")
		return 1
	}
	if code == 0 {
		fmt.Fprint(stdout, out)
	} else {
		fmt.Fprint(stderr, out)
	}
	return code
}

// background re-executes heartbeatd in the foreground (-f) in a new session, as
// heartbeat forks into the background, and returns once the child has written its pid
// file or exited; if it exited, what it wrote on its way out is shown.
func background(p paths, args []string, stderr io.Writer) int {
	_, err := daemonize.Start(daemonize.Options{
		Args: append([]string{"-f"}, args...),
		Env:  []string{backgroundEnv + "=1"},
		Ready: func(pid int) bool {
			running, ok := runningPid(p)
			return ok && running == pid
		},
	})
	var exited *daemonize.ExitError
	switch {
	case errors.As(err, &exited):
		stderr.Write(exited.Output)
		fmt.Fprintf(stderr, "heartbeatd: %v\n", exited)
		return 1
	case errors.Is(err, daemonize.ErrTimeout):
		fmt.Fprintf(stderr, "heartbeatd: no pid file after %v\n", daemonize.DefaultTimeout)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "heartbeatd: %v\n", err)
		return 1
	}
	return 0
}

// reloadDaemon is heartbeat -r: the configuration is checked first, as the original
// does, and a bad one is reported (file:line) without signalling the daemon; a good one
// makes the daemon re-read it (SIGHUP). heartbeatd -r then waits (at most wait) for the
// daemon's answer on its control socket and exits 0 if the files are now in force, 1
// if the daemon refused them (a change that needs a restart): the original exits 0 once
// it has signalled, and restarts itself for the changes heartbeatd refuses.
func reloadDaemon(p paths, r checkResult, stdout, stderr io.Writer, wait time.Duration) int {
	pid, ok := runningPid(p)
	if !ok {
		fmt.Fprintf(stderr, "heartbeatd: heartbeat is not running (no live process in %s)\n", p.pidfile())
		return 1
	}
	if len(r.Errors) > 0 {
		for _, e := range r.Errors {
			fmt.Fprintf(stderr, "heartbeatd: %v\n", e)
		}
		fmt.Fprintf(stderr, "heartbeatd: Config errors: Heartbeat pid %d NOT restarted\n", pid)
		return 1
	}
	before, answers := reloadStatus(p)
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(stderr, "heartbeatd: kill -HUP %d: %v\n", pid, err)
		return 1
	}
	fmt.Fprintf(stderr, "heartbeatd: Signalling heartbeat pid %d to reread config files\n", pid)
	if !answers {
		return 0 // no control socket: the daemon's log says what it did
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		st, ok := reloadStatus(p)
		if !ok || st.Seq <= before.Seq {
			continue
		}
		if st.Code != 0 {
			fmt.Fprintf(stderr, "heartbeatd: %s\n", st.Msg)
		} else {
			fmt.Fprintf(stdout, "heartbeatd: %s\n", st.Msg)
		}
		return st.Code
	}
	fmt.Fprintf(stderr, "heartbeatd: pid %d did not report the reload within %v: see its log\n", pid, wait)
	return 1
}

// reloadStatus asks the running daemon for the outcome of its latest reload.
func reloadStatus(p paths) (daemon.ReloadResult, bool) {
	out, code, err := daemon.Query(p.socket(), []string{daemon.ReloadStatusQuery})
	if err != nil || code != 0 {
		return daemon.ReloadResult{}, false
	}
	r, err := daemon.ParseReloadResult(out)
	return r, err == nil
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
	if err := os.MkdirAll(p.runDir, 0o755); err == nil {
		err = os.WriteFile(p.pidfile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		if err != nil {
			logger.Logf("WARN", "pid file: %v", err)
		}
	}
	defer os.Remove(p.pidfile())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for s := range sig {
			if s == syscall.SIGHUP {
				logger.Logf("info", "Signal %v received: rereading the configuration", s)
				reload(d, reread, logger)
				continue
			}
			logger.Logf("info", "Signal %v received: shutting down", s)
			cancel()
		}
	}()
	if err := d.Run(ctx); err != nil {
		logger.Logf("ERROR", "%v", err)
		return 1
	}
	return 0
}
