// Package groupexec runs haresources groups the way heartbeat 3.0.6's R1
// ResourceManager does: it finds each resource's script, asks whether the resource is
// already running, starts resources left to right and stops them right to left.
//
//   - A script is looked up in /etc/ha.d/resource.d, then /etc/init.d, and must be an
//     executable file. It is run directly, never through a shell, as
//     "script arg1 arg2 ... start|stop|status", with a timeout.
//   - A resource counts as running when its status output says "running" or "OK" but not
//     "not ... running"; the exit status of status is ignored (the manual's
//     /etc/init.d/lvs has no status and always prints its usage: it is simply started).
//   - Starting skips resources already running. If a start fails, the whole group is
//     released again and the error returned (the resource state machine then goes
//     standby 30 s later).
//   - A failed stop is retried up to 10 times, a second apart. If the resource still
//     reports running after that, the stop has failed (heartbeat would reboot); if not,
//     the script is only warned about ("not LSB-compliant") and the release goes on.
//   - IPaddr and IPaddr2 are built in (internal/hb/ipaddr) rather than scripts.
package groupexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/runner"
)

// Builtin is a resource implemented inside heartbeatd.
type Builtin interface {
	Start(ctx context.Context, arg string) error
	Stop(arg string) error
	Status(arg string) (string, error)
}

// Defaults of heartbeat 3.0.6.
const (
	DefaultStopRetries = 10 // HA_STOPRETRYMAX
	DefaultTimeout     = 5 * time.Minute
)

// DefaultDirs are where scripts are looked up, in order.
var DefaultDirs = []string{"/etc/ha.d/resource.d", "/etc/init.d"}

// Executor runs groups. The zero value is not usable; set Runner.
type Executor struct {
	Runner      runner.Runner
	Dirs        []string               // default DefaultDirs
	Env         []string               // the scripts' whole environment (HA_* and PATH)
	Timeout     time.Duration          // per script run; default DefaultTimeout
	StopRetries int                    // default DefaultStopRetries
	Builtins    map[string]Builtin     // by script name
	Executable  func(path string) bool // default: a regular file with an x bit
	// Sleep waits between stop retries; default a context-aware time.Sleep.
	Sleep func(ctx context.Context, d time.Duration)
	// Log receives heartbeat-style messages: level ("info", "WARN", "ERROR", "CRIT")
	// and text.
	Log func(level, msg string)
}

// ErrFailedStop wraps the error of a resource that could not be stopped.
var ErrFailedStop = errors.New("resource stop failure")

func (e *Executor) log(level, format string, args ...any) {
	if e.Log != nil {
		e.Log(level, fmt.Sprintf(format, args...))
	}
}

// Locate finds a resource's script.
func (e *Executor) Locate(script string) (string, error) {
	dirs := e.Dirs
	if dirs == nil {
		dirs = DefaultDirs
	}
	isExec := e.Executable
	if isExec == nil {
		isExec = func(p string) bool {
			fi, err := os.Stat(p)
			return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, script)
		if isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot locate resource script %s", script)
}

func (e *Executor) run(ctx context.Context, r haresources.Resource, op string) (runner.Result, error) {
	path, err := e.Locate(r.Script)
	if err != nil {
		return runner.Result{}, err
	}
	timeout := e.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	env := e.Env
	if env == nil {
		env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	args := append(append([]string(nil), r.Args...), op)
	e.log("info", "Running %s %s", path, joinArgs(args))
	res := e.Runner.Run(ctx, runner.Cmd{Path: path, Args: args, Env: env, Timeout: timeout, Capture: true})
	switch {
	case res.Err != nil:
		return res, res.Err
	case res.TimedOut:
		return res, fmt.Errorf("%s %s: timed out after %v", path, op, timeout)
	case res.ExitCode != 0 && op != "status":
		e.log("ERROR", "Return code %d from %s", res.ExitCode, path)
		return res, fmt.Errorf("%s %s: exit status %d", path, op, res.ExitCode)
	}
	return res, nil
}

func joinArgs(a []string) string {
	s := ""
	for i, x := range a {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s
}

var (
	notRunning = regexp.MustCompile(`[Nn][Oo][Tt] .*[Rr]unning`)
	running    = regexp.MustCompile(`[Rr]unning|OK`)
)

// StatusSaysRunning applies ResourceManager's reading of status output.
func StatusSaysRunning(out string) bool {
	if notRunning.MatchString(out) {
		return false
	}
	return running.MatchString(out)
}

func arg0(r haresources.Resource) string {
	if len(r.Args) > 0 {
		return r.Args[0]
	}
	return ""
}

// Running reports whether the resource is running on this node.
func (e *Executor) Running(ctx context.Context, r haresources.Resource) bool {
	if b := e.Builtins[r.Script]; b != nil {
		st, err := b.Status(arg0(r))
		return err == nil && StatusSaysRunning(st)
	}
	res, err := e.run(ctx, r, "status")
	return err == nil && StatusSaysRunning(string(res.Output))
}

func (e *Executor) start(ctx context.Context, r haresources.Resource) error {
	if b := e.Builtins[r.Script]; b != nil {
		e.log("info", "Running built-in %s %s start", r.Script, arg0(r))
		return b.Start(ctx, arg0(r))
	}
	_, err := e.run(ctx, r, "start")
	return err
}

func (e *Executor) stop(ctx context.Context, r haresources.Resource) error {
	if b := e.Builtins[r.Script]; b != nil {
		e.log("info", "Running built-in %s %s stop", r.Script, arg0(r))
		return b.Stop(arg0(r))
	}
	_, err := e.run(ctx, r, "stop")
	return err
}

// Acquire starts the group left to right, skipping resources already running. On a
// failure it releases the group and returns the start error.
func (e *Executor) Acquire(ctx context.Context, g haresources.Group) error {
	e.log("info", "Acquiring resource group: %s", groupLine(g))
	for _, r := range g.Resources {
		if e.Running(ctx, r) {
			continue
		}
		if err := e.start(ctx, r); err != nil {
			e.log("CRIT", "Giving up resources due to failure of %s", r.Spec)
			if rerr := e.Release(ctx, g); rerr != nil {
				return errors.Join(fmt.Errorf("start %s: %w", r.Spec, err), rerr)
			}
			return fmt.Errorf("start %s: %w", r.Spec, err)
		}
	}
	return nil
}

// Release stops the group right to left. It returns an error wrapping ErrFailedStop
// when a resource can be neither stopped nor seen stopped.
func (e *Executor) Release(ctx context.Context, g haresources.Group) error {
	e.log("info", "Releasing resource group: %s", groupLine(g))
	retries := e.StopRetries
	if retries == 0 {
		retries = DefaultStopRetries
	}
	sleep := e.Sleep
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}
	for i := len(g.Resources) - 1; i >= 0; i-- {
		r := g.Resources[i]
		err := e.stop(ctx, r)
		for n := 0; err != nil && n < retries && ctx.Err() == nil; n++ {
			sleep(ctx, time.Second)
			e.log("info", "Retrying failed stop operation [%s]", r.Spec)
			err = e.stop(ctx, r)
		}
		if err == nil {
			continue
		}
		if e.Running(ctx, r) {
			e.log("CRIT", "Resource STOP failure. Reboot required!")
			return fmt.Errorf("stop %s: %w: %w", r.Spec, ErrFailedStop, err)
		}
		e.log("ERROR", "Resource script for %s probably not LSB-compliant.", r.Spec)
		e.log("WARN", "it (%s) MUST succeed on a stop when already stopped", r.Spec)
	}
	return nil
}

func groupLine(g haresources.Group) string {
	s := g.Node
	for _, r := range g.Resources {
		s += " " + r.Spec
	}
	return s
}
