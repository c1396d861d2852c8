// Package runner runs the external programs the daemons call — mon monitors and alerts,
// heartbeat resource scripts — the way the originals do: an argv executed directly (never
// through a shell), an explicit environment, optional data on standard input, and a
// timeout after which the program's whole process group is killed. Every started program
// is waited for, so no zombies are left behind, and captured output is bounded, so no
// program can exhaust the caller's memory.
//
// Exec is the real implementation; Fake records calls and replays scripted results, so
// the code that decides what to run is tested without running anything.
package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Cmd is one program to run.
type Cmd struct {
	// Path is the executable; Args are argv[1:] (argv[0] is Path).
	Path string
	Args []string
	// Env is the complete environment (KEY=value); nil means an empty environment.
	Env []string
	// Dir is the working directory; empty means the caller's.
	Dir string
	// Stdin is written to the program's standard input, which is then closed. Nil
	// connects standard input to /dev/null.
	Stdin []byte
	// Timeout bounds the run; zero means no limit. When it expires the program's
	// process group is killed with SIGKILL.
	Timeout time.Duration
	// Capture collects standard output and standard error (merged, in order, as mon
	// does for monitors with 2>&1) into Result.Output. When false, both go to Stdout.
	Capture bool
	// CaptureStderr, when Capture is false, collects standard error alone into
	// Result.Stderr (standard output still goes to Stdout), so a caller can report why
	// a program failed.
	CaptureStderr bool
	// MaxOutput bounds what is kept of captured output (Result.Output, Result.Stderr);
	// zero means DefaultMaxOutput, negative no bound. The rest is still read — the
	// program never blocks on a full pipe — but dropped and counted in Result.Dropped.
	MaxOutput int
	// Stdout receives the program's output when Capture is false; nil discards it.
	Stdout io.Writer
	// Started, if set, is called with the pid right after the program starts.
	Started func(pid int)
	// Credential, if set, is the user, group and supplementary groups the program
	// runs as (the caller must be root to change them).
	Credential *syscall.Credential
}

// Result is how a program ended.
type Result struct {
	Output []byte
	// Stderr is standard error when CaptureStderr was set.
	Stderr []byte
	// Dropped counts the captured bytes discarded beyond MaxOutput.
	Dropped int64
	// ExitCode is the exit status; -1 when the program was killed by a signal or did
	// not start.
	ExitCode int
	// Signal is the terminating signal, if any.
	Signal syscall.Signal
	// TimedOut is true when the timeout killed the program.
	TimedOut bool
	// Err is set when the program could not be started (or waited for).
	Err error
}

// Runner runs programs. Run blocks until the program has exited and been reaped.
type Runner interface {
	Run(ctx context.Context, c Cmd) Result
}

// Exec is the real Runner.
type Exec struct{}

var _ Runner = Exec{}

// DefaultMaxOutput is the captured output kept when Cmd.MaxOutput is zero: far more than
// any monitor's summary and detail or any resource script's status, and small enough that
// a runaway program (`yes`) costs nothing.
const DefaultMaxOutput = 64 << 10

// pipeGrace is how long to keep reading output after the program itself exited, in
// case a child it left behind still holds the pipe open.
const pipeGrace = 2 * time.Second

// Run starts c, waits for it and returns its result.
func (Exec) Run(ctx context.Context, c Cmd) Result {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	// Own process group, so a timeout can kill the program and everything it forked.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.Credential}
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	limit := c.MaxOutput
	if limit == 0 {
		limit = DefaultMaxOutput
	}
	out := &boundedBuffer{max: limit}
	errOut := &boundedBuffer{max: limit}
	switch {
	case c.Capture:
		cmd.Stdout = out
		cmd.Stderr = out
	case c.CaptureStderr:
		cmd.Stdout = c.Stdout
		cmd.Stderr = errOut
	case c.Stdout != nil:
		cmd.Stdout = c.Stdout
		cmd.Stderr = c.Stdout
	}
	cmd.WaitDelay = pipeGrace
	if err := cmd.Start(); err != nil {
		return Result{ExitCode: -1, Err: fmt.Errorf("start %s: %w", c.Path, err)}
	}
	pid := cmd.Process.Pid
	if c.Started != nil {
		c.Started(pid)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var res Result
	var werr error
	select {
	case werr = <-done:
	case <-ctx.Done():
		// Kill the whole group: monitors are often shell scripts whose children would
		// otherwise keep running (and keep the output pipe open).
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		werr = <-done
		res.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	}
	res.Output, res.Stderr = out.Bytes(), errOut.Bytes()
	res.Dropped = out.Dropped() + errOut.Dropped()
	res.ExitCode = 0
	if ps := cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Signaled():
				res.ExitCode = -1
				res.Signal = ws.Signal()
			default:
				res.ExitCode = ws.ExitStatus()
			}
		}
	} else if werr != nil {
		res.ExitCode = -1
		res.Err = fmt.Errorf("wait %s: %w", c.Path, werr)
	}
	return res
}

// boundedBuffer keeps the first max bytes written to it and counts the rest, which it
// accepts and drops: a short write would make exec stop copying and the program block
// on its full pipe. It is locked because stdout and stderr share one buffer and exec
// copies them from separate goroutines (it does not when both are the same *os.File,
// but a buffer is not one).
type boundedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	max     int // negative: no bound
	dropped int64
}

func (l *boundedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keep := len(p)
	if l.max >= 0 {
		keep = min(keep, max(l.max-l.b.Len(), 0))
	}
	l.b.Write(p[:keep])
	l.dropped += int64(len(p) - keep)
	return len(p), nil
}

func (l *boundedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

func (l *boundedBuffer) Dropped() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// IsResourceError reports whether err — a Result.Err — says the program could not be
// started for want of a resource of the caller's (file descriptors, processes, memory),
// rather than because of the program itself (missing, not executable). The first is the
// caller's trouble and says nothing about what the program would have checked.
func IsResourceError(err error) bool {
	_, ok := ResourceErrno(err)
	return ok
}

// ResourceErrno returns the errno behind a resource error (see IsResourceError).
func ResourceErrno(err error) (syscall.Errno, bool) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return 0, false
	}
	switch errno {
	case syscall.EMFILE, syscall.ENFILE, syscall.EAGAIN, syscall.ENOMEM:
		return errno, true
	}
	return 0, false
}
