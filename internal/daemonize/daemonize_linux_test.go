package daemonize

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
// "ready PIDFILE DELAY" writes its pid to PIDFILE after DELAY and stays; "fail MSG"
// prints MSG on stdout and stderr and exits 3; "hang" stays.
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
	case "ready":
		d, _ := time.ParseDuration(args[2])
		time.Sleep(d)
		os.WriteFile(args[1], []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
		time.Sleep(time.Minute)
		return 0
	case "fail":
		fmt.Println(args[1])
		fmt.Fprintln(os.Stderr, args[1])
		return 3
	case "hang":
		time.Sleep(time.Minute)
	}
	return 0
}

func kill(t *testing.T, pid int) {
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
}

// Without Ready: the copy runs with the arguments and the marker, in a session of its
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

// With Ready: Start returns once Ready says the copy is up, with its pid.
func TestStartWaitsForReady(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	asked := 0
	ready := func(pid int) bool {
		asked++
		b, err := os.ReadFile(pidfile)
		return err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid)
	}
	start := time.Now()
	pid, err := Start(Options{Args: []string{"ready", pidfile, "300ms"}, Env: []string{childEnv}, Ready: ready})
	if pid > 0 {
		kill(t, pid)
	}
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond || asked < 2 {
		t.Errorf("returned after %v, Ready asked %d times: before the copy was ready", took, asked)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Errorf("the copy %d does not run: %v", pid, err)
	}
}

// A copy that exits before it is ready: its exit and its output come back.
func TestStartExitBeforeReady(t *testing.T) {
	_, err := Start(Options{Args: []string{"fail", "bad config"}, Env: []string{childEnv},
		Ready: func(int) bool { return false }})
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	if ee.Error() != "did not start: exit status 3" {
		t.Errorf("Error() = %q", ee.Error())
	}
	if got := string(ee.Output); got != "bad config\nbad config\n" {
		t.Errorf("output %q, want the copy's stdout and stderr", got)
	}
}

// A copy never ready: ErrTimeout after the timeout, the copy left running.
func TestStartTimeout(t *testing.T) {
	start := time.Now()
	pid, err := Start(Options{Args: []string{"hang"}, Env: []string{childEnv}, Ready: func(int) bool { return false },
		Timeout: 200 * time.Millisecond})
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
