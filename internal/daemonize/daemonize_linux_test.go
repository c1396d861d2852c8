package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// childEnv marks the test binary started by Start: it then acts as the copy named by
// its first argument instead of running the tests.
const childEnv = "DAEMONIZE_TEST_CHILD=1"

func TestMain(m *testing.M) {
	if os.Getenv("DAEMONIZE_TEST_CHILD") == "1" {
		os.Exit(child(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// report is what a copy says about itself.
type report struct {
	Args       []string
	Marker     string
	OwnSession bool     // its session id is its pid
	Stdio      []string // where fds 0, 1 and 2 lead
	Dir        string
}

// child is the copy: "report FILE" writes its report to FILE (atomically) and exits;
// "fail MSG" prints MSG on stdout and stderr and exits 3; "hang" stays; "notify": below.
func child(args []string) int {
	switch args[0] {
	case "report":
		r := report{Args: args, Marker: os.Getenv("DAEMONIZE_TEST_CHILD")}
		sid, err := unix.Getsid(0)
		r.OwnSession = err == nil && sid == os.Getpid()
		for fd := range 3 {
			l, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
			r.Stdio = append(r.Stdio, l)
		}
		r.Dir, _ = os.Getwd()
		b, _ := json.Marshal(r)
		os.WriteFile(args[1]+".tmp", b, 0o644)
		os.Rename(args[1]+".tmp", args[1])
		return 0
	case "fail":
		fmt.Println(args[1])
		fmt.Fprintln(os.Stderr, args[1])
		return 3
	case "hang":
		time.Sleep(time.Minute)
	case "notify":
		// "notify MSG FILE": MSG on stderr, Ready after 300 ms, then where fds 1 and 2
		// lead, written to FILE, and whether fd 3 is closed; stays.
		fmt.Fprintln(os.Stderr, args[1])
		time.Sleep(300 * time.Millisecond)
		if err := Ready(nil); err != nil {
			return 4
		}
		fmt.Fprintln(os.Stderr, "after ready")
		var r []string
		for fd := range 4 {
			l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
			if err != nil {
				l = "closed"
			}
			r = append(r, l)
		}
		b, _ := json.Marshal(r)
		os.WriteFile(args[2]+".tmp", b, 0o644)
		os.Rename(args[2]+".tmp", args[2])
		time.Sleep(time.Minute)
	}
	return 0
}

func kill(t *testing.T, pid int) {
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
}

// Without Notify: the copy runs with the arguments and the marker, in a session of its
// own, its stdio on /dev/null, in the caller's directory; Start does not wait for it.
func TestStartDetached(t *testing.T) {
	file := filepath.Join(t.TempDir(), "report")
	pid, err := Start(Options{Args: []string{"report", file}, Env: []string{childEnv}})
	if err != nil {
		t.Fatal(err)
	}
	kill(t, pid)
	var b []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err = os.ReadFile(file); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the copy wrote no report: %v", err)
	}
	var got report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := report{Args: []string{"report", file}, Marker: "1", OwnSession: true,
		Stdio: []string{os.DevNull, os.DevNull, os.DevNull}, Dir: wd}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the copy (-want +got):\n%s", d)
	}
}

// A copy never ready: ErrTimeout after the timeout, the copy left running.
func TestStartTimeout(t *testing.T) {
	start := time.Now()
	pid, err := Start(Options{Args: []string{"hang"}, Env: []string{childEnv}, Notify: true, Timeout: 200 * time.Millisecond})
	if pid > 0 {
		kill(t, pid)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 5*time.Second {
		t.Errorf("gave up after %v, want 200ms", took)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the copy was not left running: %v", err)
	}
}

// With Notify: Start returns when the copy calls Ready, with what it wrote until then
// in Output; the copy's stdout and stderr are /dev/null from then on, and the pipe is
// closed in it.
func TestStartWaitsForNotify(t *testing.T) {
	file := filepath.Join(t.TempDir(), "fds")
	var out strings.Builder
	start := time.Now()
	pid, err := Start(Options{Args: []string{"notify", "Warning: a warning", file}, Env: []string{childEnv}, Notify: true, Output: &out})
	if pid > 0 {
		kill(t, pid)
	}
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("returned after %v: before the copy was ready", took)
	}
	// Already moved when Start returns: the caller may look at once.
	for _, fd := range []string{"1", "2"} {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd)); err != nil || l != os.DevNull {
			t.Errorf("when Start returned, the copy's fd %s was %q (%v), want %s", fd, l, err, os.DevNull)
		}
	}
	if out.String() != "Warning: a warning\n" {
		t.Errorf("output %q", out.String())
	}
	var b []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err = os.ReadFile(file); err == nil {
			break
		}
	}
	var fds []string
	if err := json.Unmarshal(b, &fds); err != nil {
		t.Fatalf("the copy's report %q: %v", b, err)
	}
	if len(fds) != 4 || fds[1] != os.DevNull || fds[2] != os.DevNull || fds[3] != "closed" {
		t.Errorf("the copy's fds 0-3 after Ready: %q, want 1 and 2 on /dev/null, 3 closed", fds)
	}
}

// With Notify, a copy that exits before Ready: its status and output come back, in
// the ExitError and in Output.
func TestNotifyExitBeforeReady(t *testing.T) {
	var out strings.Builder
	_, err := Start(Options{Args: []string{"fail", "could not open auth.cf"}, Env: []string{childEnv}, Notify: true, Output: &out})
	var ee *ExitError
	var xe *exec.ExitError
	if !errors.As(err, &ee) || !errors.As(err, &xe) || xe.ExitCode() != 3 || ee.Error() != "did not start: exit status 3" {
		t.Fatalf("err = %v, want an *ExitError of status 3", err)
	}
	if want := "could not open auth.cf\ncould not open auth.cf\n"; string(ee.Output) != want || out.String() != want {
		t.Errorf("ExitError.Output %q, Output %q, want %q", ee.Output, out.String(), want)
	}
}
