package cli

// The client side: what heartbeatd -k, -s, -r and the cl_status, hb_standby and
// hb_takeover commands ask of the running daemon.

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/hb/daemon"
)

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
	if prog == "cl_status" {
		// The original answers these itself, without signing on to heartbeat.
		switch {
		case len(args) == 0 || args[0] == "-h":
			fmt.Fprint(stdout, clStatusUsage)
			return 0
		case !clStatusCommands[args[0]]:
			clLog(stderr, prog, "ERROR: "+args[0]+": invalid sub-command.")
			return 11
		}
	}
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
		return 0
	}
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(l, "ERROR: ") {
			clLog(stderr, prog, strings.TrimSuffix(l, "\n"))
		} else {
			fmt.Fprint(stderr, l)
		}
	}
	return code
}

// clStatusUsage is cl_status's usage, as heartbeat 3.0.6 prints it.
//
//go:embed cl_status-usage.txt
var clStatusUsage string

// clStatusCommands are the original's sub-commands.
var clStatusCommands = map[string]bool{"clientstatus": true, "hblinkstatus": true, "hbstatus": true,
	"listnodes": true, "listhblinks": true, "nodestatus": true, "nodeweight": true, "nodesite": true,
	"nodetype": true, "rscstatus": true, "hbparameter": true}

// clLog writes msg as heartbeat's cl_log does on stderr: "Dec 07 04:02:27 lvs1
// cl_status: [10591]: ERROR: ...".
func clLog(w io.Writer, prog, msg string) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "%s %s %s: [%d]: %s\n", time.Now().Format("Jan 02 15:04:05"), host, prog, os.Getpid(), msg)
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
