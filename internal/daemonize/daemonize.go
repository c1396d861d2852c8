// Package daemonize is how lvskit's daemons go into the background (mond -f, heartbeatd
// without -f) and how lvs-arp leaves its repeated announcements to a detached copy: the
// running program's own executable (os.Executable) is started again with the given
// arguments and an environment marker by which the copy knows it is the background one,
// in a session of its own (setsid: no controlling terminal, out of the caller's process
// group, so neither a hangup nor a ^C of the terminal reaches it), with its standard
// input, output and error detached from the caller's. The copy keeps the working
// directory, so relative paths on its command line still resolve.
//
// Go cannot fork(2) a running process, so re-executing itself is the daemon's fork. The
// caller's stdio are never handed to the copy: an init script or a $(...) waiting for
// the daemon's output to close would otherwise wait for as long as the daemon runs.
//
// Without Options.Notify, Start returns as soon as the copy runs, its stdio on /dev/null
// (lvs-arp). With Notify, Start waits, bounded by Options.Timeout, until the copy says
// it is up or exits: the copy calls Ready once its start-up is done (mond -f:
// configuration read, auth.cf read, ports bound — what mon does before it forks;
// heartbeatd: media, control socket and pid file; lvs-bgp: control socket and HTTP
// listener), which writes a byte on a pipe Start holds the other end of and puts the
// copy's stdout and stderr on /dev/null. Until then they go to an unlinked temporary
// file, whose contents a copy that exits early returns in its ExitError (and
// Options.Output receives in any case), so that the start's errors and warnings reach
// the person who started it rather than nobody.
package daemonize

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// DefaultTimeout is how long Start waits for the copy when Options.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// Options say how to start the background copy.
type Options struct {
	// Args are the copy's arguments, without the program name.
	Args []string
	// Env is added to the copy's environment (which is otherwise the caller's), each
	// "NAME=value": the marker telling the copy it runs in the background
	// (MOND_FORKED=1, HEARTBEATD_BACKGROUND=1).
	Env []string
	// Notify makes Start wait until the copy calls Ready (package function), the copy
	// exits, or Timeout passes.
	Notify bool
	// Timeout bounds the wait; 0 means DefaultTimeout.
	Timeout time.Duration
	// Output, when not nil with Notify, receives what the copy wrote on its
	// stdout and stderr until it was up or exited.
	Output io.Writer
}

// notifyEnv names the copy's descriptor of the Notify pipe.
const notifyEnv = "DAEMONIZE_NOTIFY_FD"

// notifyFD is the copy's end of the Notify pipe: the first of exec's ExtraFiles.
const notifyFD = 3

func init() {
	// The pipe must not reach the copy's own children (monitors, scripts): they would
	// hold it open after the copy is gone.
	if os.Getenv(notifyEnv) == fmt.Sprint(notifyFD) {
		closeOnExec(notifyFD)
	}
}

// Ready is called by a copy started with Notify once it is up: Start, in the program
// that started it, returns then. Its stdout and stderr move first to stdio (mond's
// monerrfile), or to /dev/null when stdio is nil: a daemon has no one to write to.
// Outside such a copy it does nothing.
func Ready(stdio *os.File) error {
	if os.Getenv(notifyEnv) != fmt.Sprint(notifyFD) {
		return nil
	}
	os.Unsetenv(notifyEnv)
	// Moved before the byte: the caller may look at them as soon as Start returns.
	redirectStdio(stdio)
	f := os.NewFile(notifyFD, "daemonize-notify")
	_, err := f.Write([]byte{'\n'})
	f.Close()
	return err
}

// ErrTimeout is returned when the copy did not say it was up within the timeout. The
// copy is left running: it may still come up, and Start does not know what it holds.
var ErrTimeout = errors.New("daemonize: not ready in time")

// ExitError is returned when the copy exited before it said it was up.
type ExitError struct {
	// Err is how it exited (an *exec.ExitError, usually).
	Err error
	// Output is what it wrote on its stdout and stderr.
	Output []byte
}

func (e *ExitError) Error() string { return "did not start: " + e.Err.Error() }

func (e *ExitError) Unwrap() error { return e.Err }

// Start starts the background copy as o says and returns its pid.
func Start(o Options) (int, error) {
	attr, err := sessionAttr()
	if err != nil {
		return 0, err
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, o.Args...)
	cmd.SysProcAttr = attr
	cmd.Env = append(os.Environ(), o.Env...)
	// nil stdio: exec opens /dev/null for them.
	if !o.Notify {
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		pid := cmd.Process.Pid
		return pid, cmd.Process.Release()
	}
	// Early errors go to a file nobody else can open, read back if the start fails.
	early, err := os.CreateTemp("", filepath.Base(exe)+"-start")
	if err != nil {
		return 0, err
	}
	os.Remove(early.Name())
	defer early.Close()
	cmd.Stdout, cmd.Stderr = early, early
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the copy
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", notifyEnv, notifyFD))
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 0, err
	}
	readyByte := make(chan struct{})
	go func() {
		// A byte is Ready; EOF (the copy exited) leaves the exit to say why.
		if n, _ := r.Read(make([]byte, 1)); n == 1 {
			close(readyByte)
		}
	}()
	pid := cmd.Process.Pid
	output := func() []byte {
		// pread: the copy shares the file offset.
		out, _ := io.ReadAll(io.NewSectionReader(early, 0, math.MaxInt64))
		if o.Output != nil {
			_, _ = o.Output.Write(out)
		}
		return out
	}
	exited := make(chan error, 1)
	// Not waited for once ready: the copy lives on, reparented to init when the caller
	// exits.
	go func() { exited <- cmd.Wait() }()
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	select {
	case err := <-exited:
		out := output()
		if err == nil {
			err = errors.New("exit status 0")
		}
		return pid, &ExitError{Err: err, Output: out}
	case <-time.After(timeout):
		output()
		return pid, fmt.Errorf("%w (%v)", ErrTimeout, timeout)
	case <-readyByte:
		output()
		return pid, nil
	}
}
