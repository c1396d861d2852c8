package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Output beyond MaxOutput is read and dropped: the program is not blocked on its pipe
// and finishes, and only the first MaxOutput bytes are kept.
func TestExecOutputBoundedProgramNotBlocked(t *testing.T) {
	const total = 1 << 20
	res := Exec{}.Run(context.Background(), Cmd{
		Path:      "/bin/sh",
		Args:      []string{"-c", "head -c " + strconv.Itoa(total) + " /dev/zero"},
		Capture:   true,
		MaxOutput: 1000,
		Timeout:   20 * time.Second,
	})
	if res.Err != nil || res.TimedOut || res.ExitCode != 0 {
		t.Fatalf("want a normal exit, got err=%v timedout=%v exit=%d", res.Err, res.TimedOut, res.ExitCode)
	}
	if len(res.Output) != 1000 || res.Dropped != total-1000 {
		t.Errorf("kept %d dropped %d, want 1000 and %d", len(res.Output), res.Dropped, total-1000)
	}
}

// `yes` never stops writing: the default bound holds memory to DefaultMaxOutput and
// the timeout still kills it.
func TestExecYesBoundedAndTimedOut(t *testing.T) {
	res := Exec{}.Run(context.Background(), Cmd{Path: "/usr/bin/yes", Capture: true, Timeout: 500 * time.Millisecond})
	if !res.TimedOut || res.Signal != syscall.SIGKILL {
		t.Fatalf("want killed by the timeout, got timedout=%v signal=%v err=%v", res.TimedOut, res.Signal, res.Err)
	}
	if len(res.Output) != DefaultMaxOutput {
		t.Errorf("kept %d bytes, want %d", len(res.Output), DefaultMaxOutput)
	}
	if res.Dropped == 0 {
		t.Error("nothing dropped: the pipe was not drained")
	}
}

func TestExecCaptureStderrOnly(t *testing.T) {
	res := Exec{}.Run(context.Background(), Cmd{
		Path:          "/bin/sh",
		Args:          []string{"-c", "echo out; echo err1 >&2; echo err2 >&2; exit 2"},
		CaptureStderr: true,
		MaxOutput:     7,
	})
	if res.ExitCode != 2 || res.Output != nil {
		t.Fatalf("exit %d output %q", res.ExitCode, res.Output)
	}
	if string(res.Stderr) != "err1\ner" || res.Dropped != 3 {
		t.Errorf("stderr %q dropped %d, want %q and 3", res.Stderr, res.Dropped, "err1\ner")
	}
}

func TestResourceErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("start x: %w", &os.PathError{Op: "fork/exec", Path: "x", Err: syscall.EAGAIN}), true},
		{fmt.Errorf("start x: %w", &os.PathError{Op: "fork/exec", Path: "x", Err: syscall.ENOMEM}), true},
		{fmt.Errorf("start x: %w", os.NewSyscallError("pipe2", syscall.EMFILE)), true},
		{fmt.Errorf("start x: %w", &os.PathError{Op: "open", Path: os.DevNull, Err: syscall.ENFILE}), true},
		{fmt.Errorf("start x: %w", &os.PathError{Op: "fork/exec", Path: "x", Err: syscall.ENOENT}), false},
		{fmt.Errorf("start x: %w", &os.PathError{Op: "fork/exec", Path: "x", Err: syscall.EACCES}), false},
		{errors.New("other"), false},
		{nil, false},
	} {
		if got := IsResourceError(tc.err); got != tc.want {
			t.Errorf("IsResourceError(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	res := Exec{}.Run(context.Background(), Cmd{Path: "/nonexistent/prog"})
	if IsResourceError(res.Err) {
		t.Errorf("a missing program is not a resource error: %v", res.Err)
	}
}

// A real EMFILE: the test binary runs itself with no file descriptor to spare and
// reports what Exec returned.
func TestExecOutOfFileDescriptors(t *testing.T) {
	if os.Getenv("RUNNER_TEST_EMFILE") == "1" {
		// A pipe first: the runtime's poller must be set up before descriptors run
		// out (a daemon's is, by its listeners).
		pr, pw, err := os.Pipe()
		if err != nil {
			fmt.Println("pipe:", err)
			os.Exit(2)
		}
		defer pr.Close()
		defer pw.Close()
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			fmt.Println("readdir:", err)
			os.Exit(2)
		}
		// ReadDir's own descriptor is closed again: len(fds) is one more than open.
		lim := syscall.Rlimit{Cur: uint64(len(fds) - 1), Max: uint64(len(fds) - 1)}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Println("setrlimit:", err)
			os.Exit(2)
		}
		res := Exec{}.Run(context.Background(), Cmd{Path: "/bin/true", Capture: true})
		errno, ok := ResourceErrno(res.Err)
		fmt.Printf("resource=%v errno=%d err=%v\n", ok, errno, res.Err)
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestExecOutOfFileDescriptors$")
	cmd.Env = append(os.Environ(), "RUNNER_TEST_EMFILE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	want := fmt.Sprintf("resource=true errno=%d ", syscall.EMFILE)
	if !strings.HasPrefix(string(out), want) {
		t.Fatalf("helper said %q, want prefix %q", out, want)
	}
}
