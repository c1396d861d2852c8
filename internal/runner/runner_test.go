package runner

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestExecArgvEnvStdinNoShell(t *testing.T) {
	res := Exec{}.Run(context.Background(), Cmd{
		Path:    "/bin/sh",
		Args:    []string{"-c", `printf '%s|' "$@"; echo "$FOO"; cat; echo err >&2; exit 3`, "sh", "a b", "$HOME", ";ls"},
		Env:     []string{"FOO=bar"},
		Stdin:   []byte("in\n"),
		Capture: true,
	})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.ExitCode != 3 {
		t.Errorf("exit = %d, want 3", res.ExitCode)
	}
	want := "a b|$HOME|;ls|bar\nin\nerr\n"
	if string(res.Output) != want {
		t.Errorf("output = %q, want %q", res.Output, want)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidfile := dir + "/child"
	// The shell forks a long sleeper and waits; the timeout must kill both.
	res := Exec{}.Run(context.Background(), Cmd{
		Path:    "/bin/sh",
		Args:    []string{"-c", `sleep 30 & echo $! > ` + pidfile + `; wait`},
		Timeout: 300 * time.Millisecond,
		Capture: true,
	})
	if !res.TimedOut {
		t.Fatalf("TimedOut = false, result %+v", res)
	}
	if res.Signal != syscall.SIGKILL {
		t.Errorf("signal = %v, want SIGKILL", res.Signal)
	}
	b, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	// The grandchild was killed; give the kernel a moment to reparent and reap it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := syscall.Kill(pid, 0); err != nil {
			break
		}
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if strings.Contains(string(st), ") Z ") {
			break // a zombie of init's, already dead
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive after timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExecMissingProgram(t *testing.T) {
	res := Exec{}.Run(context.Background(), Cmd{Path: "/nonexistent/prog"})
	if res.Err == nil || res.ExitCode != -1 {
		t.Fatalf("want start error, got %+v", res)
	}
}

func TestFakeRecords(t *testing.T) {
	f := &Fake{Respond: func(c Cmd) Result { return Result{ExitCode: len(c.Args)} }}
	r := f.Run(context.Background(), Cmd{Path: "x", Args: []string{"1", "2"}})
	if r.ExitCode != 2 || len(f.Calls()) != 1 || f.Calls()[0].Path != "x" {
		t.Fatalf("fake: %+v %+v", r, f.Calls())
	}
}
