package groupexec

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/runner"
)

// fakeIP is a built-in IPaddr that remembers whether it is up.
type fakeIP struct {
	up  bool
	log *[]string
}

func (f *fakeIP) Start(_ context.Context, arg string) error {
	*f.log = append(*f.log, "IPaddr "+arg+" start")
	f.up = true
	return nil
}
func (f *fakeIP) Stop(arg string) error {
	*f.log = append(*f.log, "IPaddr "+arg+" stop")
	f.up = false
	return nil
}
func (f *fakeIP) Status(string) (string, error) {
	if f.up {
		return "running", nil
	}
	return "stopped", nil
}

type setup struct {
	e     *Executor
	log   []string
	fake  *runner.Fake
	group haresources.Group
}

// newSetup: the manual's group "Linux187 10.144.43.185 lvs mon", lvs in init.d (no
// status: prints its usage), mon in init.d with a status; respond decides exit codes.
func newSetup(t *testing.T, respond func(script, op string) runner.Result) *setup {
	s := &setup{}
	f, err := haresources.Parse("haresources", strings.NewReader("Linux187 10.144.43.185 lvs mon\n"))
	if err != nil {
		t.Fatal(err)
	}
	s.group = f.Groups[0]
	s.fake = &runner.Fake{Respond: func(c runner.Cmd) runner.Result {
		op := c.Args[len(c.Args)-1]
		s.log = append(s.log, c.Path+" "+strings.Join(c.Args, " "))
		if respond != nil {
			return respond(c.Path, op)
		}
		if op == "status" {
			if strings.HasSuffix(c.Path, "/lvs") {
				return runner.Result{ExitCode: 1, Output: []byte("Usage: lvs \n")}
			}
			return runner.Result{ExitCode: 3, Output: []byte("mon is not running\n")}
		}
		return runner.Result{}
	}}
	s.e = &Executor{
		Runner:     s.fake,
		Executable: func(p string) bool { return p == "/etc/init.d/lvs" || p == "/etc/init.d/mon" },
		Builtins:   map[string]Builtin{"IPaddr": &fakeIP{log: &s.log}},
		Sleep:      func(context.Context, time.Duration) { s.log = append(s.log, "sleep 1s") },
	}
	return s
}

func TestAcquireLeftToRightReleaseRightToLeft(t *testing.T) {
	s := newSetup(t, nil)
	if err := s.e.Acquire(context.Background(), s.group); err != nil {
		t.Fatal(err)
	}
	if err := s.e.Release(context.Background(), s.group); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"IPaddr 10.144.43.185 start",
		"/etc/init.d/lvs status", "/etc/init.d/lvs start",
		"/etc/init.d/mon status", "/etc/init.d/mon start",
		"/etc/init.d/mon stop", "/etc/init.d/lvs stop",
		"IPaddr 10.144.43.185 stop",
	}
	if d := cmp.Diff(want, s.log); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, c := range s.fake.Calls() {
		if c.Timeout != DefaultTimeout || c.Env == nil {
			t.Errorf("%s run without timeout or explicit environment", c.Path)
		}
	}
}

func TestStatusReading(t *testing.T) {
	for out, want := range map[string]bool{
		"mon (pid 123) is running...": true, "OK": true, "mon is not running": false,
		"NOT Running": false, "stopped": false, "Usage: lvs": false, "": false,
	} {
		if got := StatusSaysRunning(out); got != want {
			t.Errorf("%q: %v, want %v", out, got, want)
		}
	}
}

func TestFailedStartReleasesGroup(t *testing.T) {
	s := newSetup(t, func(script, op string) runner.Result {
		if strings.HasSuffix(script, "/mon") && op == "start" {
			return runner.Result{ExitCode: 1}
		}
		if op == "status" {
			return runner.Result{Output: []byte("stopped")}
		}
		return runner.Result{}
	})
	err := s.e.Acquire(context.Background(), s.group)
	if err == nil || !strings.Contains(err.Error(), "start mon") {
		t.Fatalf("error %v", err)
	}
	want := []string{
		"IPaddr 10.144.43.185 start",
		"/etc/init.d/lvs status", "/etc/init.d/lvs start",
		"/etc/init.d/mon status", "/etc/init.d/mon start",
		"/etc/init.d/mon stop", "/etc/init.d/lvs stop", "IPaddr 10.144.43.185 stop",
	}
	if d := cmp.Diff(want, s.log); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestStopRetriesThenFailedStop(t *testing.T) {
	s := newSetup(t, func(script, op string) runner.Result {
		if strings.HasSuffix(script, "/mon") {
			switch op {
			case "stop":
				return runner.Result{ExitCode: 1}
			case "status":
				return runner.Result{Output: []byte("mon is running")}
			}
		}
		return runner.Result{}
	})
	s.e.StopRetries = 2
	err := s.e.Release(context.Background(), s.group)
	if !errors.Is(err, ErrFailedStop) {
		t.Fatalf("error %v, want ErrFailedStop", err)
	}
	want := []string{"/etc/init.d/mon stop", "sleep 1s", "/etc/init.d/mon stop", "sleep 1s", "/etc/init.d/mon stop", "/etc/init.d/mon status"}
	if d := cmp.Diff(want, s.log); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNonLSBStopIsOnlyWarned(t *testing.T) {
	var logs []string
	s := newSetup(t, func(script, op string) runner.Result {
		if op == "stop" && strings.HasSuffix(script, "/lvs") {
			return runner.Result{ExitCode: 1}
		}
		return runner.Result{Output: []byte("stopped")}
	})
	s.e.StopRetries = 1
	s.e.Log = func(level, msg string) { logs = append(logs, level+": "+msg) }
	if err := s.e.Release(context.Background(), s.group); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(logs, "\n"), "ERROR: Resource script for lvs probably not LSB-compliant.") {
		t.Errorf("logs:\n%s", strings.Join(logs, "\n"))
	}
}

func TestMissingScript(t *testing.T) {
	s := newSetup(t, nil)
	s.e.Executable = func(string) bool { return false }
	err := s.e.Acquire(context.Background(), s.group)
	if err == nil || !strings.Contains(err.Error(), "cannot locate resource script lvs") {
		t.Fatalf("error %v", err)
	}
	if p, err := (&Executor{Executable: func(p string) bool { return p == "/etc/ha.d/resource.d/x" || p == "/etc/init.d/x" }}).Locate("x"); p != "/etc/ha.d/resource.d/x" || err != nil {
		t.Errorf("Locate prefers %q, %v; want resource.d first", p, err)
	}
}

// TestRealScript runs an actual script through runner.Exec: argv as ResourceManager
// passes it, and the timeout.
func TestRealScript(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/Filesystem"
	body := "#!/bin/sh\necho \"$@\" >> " + dir + "/calls\ncase \"$4\" in status) echo running;; start) sleep 30;; esac\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &Executor{Runner: runner.Exec{}, Dirs: []string{dir}, Timeout: 300 * time.Millisecond}
	r, err := haresources.ParseResource("Filesystem::/dev/sda1::/data1::ext2")
	if err != nil {
		t.Fatal(err)
	}
	if !e.Running(context.Background(), r) {
		t.Error("status said running, not seen")
	}
	start := time.Now()
	if err := e.start(context.Background(), r); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("start: %v, want a timeout", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Error("the timeout did not stop the script")
	}
	b, _ := os.ReadFile(dir + "/calls")
	if got := string(b); got != "/dev/sda1 /data1 ext2 status\n/dev/sda1 /data1 ext2 start\n" {
		t.Errorf("calls %q", got)
	}
}

// TestManualLvsScript runs the manual's /etc/init.d/lvs exactly as printed (Part II §4.6,
// copied to testdata). As printed its case reads `case "" in` (the "$1" was lost in
// the manual), so every call prints the usage and exits 1: status does not say running,
// and start fails, so heartbeat (and heartbeatd) gives the group up again.
func TestManualLvsScript(t *testing.T) {
	b, err := os.ReadFile("testdata/lvs")
	if err != nil {
		t.Fatal(err)
	}
	// Guard: the other branches would reconfigure this host's IPVS and interfaces.
	if !strings.Contains(string(b), "case \"\" in") {
		t.Fatal("testdata/lvs is no longer the manual's text; refusing to run it")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/lvs", b, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &Executor{Runner: runner.Exec{}, Dirs: []string{dir}, Timeout: 10 * time.Second}
	r, _ := haresources.ParseResource("lvs")
	if e.Running(context.Background(), r) {
		t.Error("usage output read as running")
	}
	if err := e.start(context.Background(), r); err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("start: %v, want exit status 1", err)
	}
}
