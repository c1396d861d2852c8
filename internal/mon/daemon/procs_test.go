package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

// logRecorder is a Logger that keeps every line as "prio: msg".
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) log(prio, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, prio+": "+msg)
}

// matching returns the lines containing sub.
func (l *logRecorder) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var m []string
	for _, x := range l.lines {
		if strings.Contains(x, sub) {
			m = append(m, x)
		}
	}
	return m
}

// procDaemon builds a daemon on cfg (@DIR@ replaced by a fresh directory holding
// mon.d and alert.d) with the given scripts written into that directory.
func procDaemon(t *testing.T, cfg string, scripts map[string]string, opt Options) (*Daemon, string, *logRecorder) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"mon.d", "alert.d"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range scripts {
		body = strings.ReplaceAll(body, "@DIR@", dir)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg = strings.ReplaceAll(cfg, "@DIR@", dir)
	logs := &logRecorder{}
	opt.ConfigPath = "mon.cf"
	opt.Log = logs.log
	opt.Parse = func(string) (*monconf.Config, error) { return monconf.Parse("mon.cf", strings.NewReader(cfg)) }
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return d, dir, logs
}

// runDaemon runs d until the returned stop is called; stop returns how long Run took
// to return once cancelled.
func runDaemon(t *testing.T, d *Daemon) (stop func() time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case <-done:
				took = time.Since(start)
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFile waits (bounded) for path to exist and returns its content.
func waitFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alivePids lists the live (not zombie) processes of process group pgid.
func alivePids(t *testing.T, pgid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var l []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ')'.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			l = append(l, pid)
		}
	}
	return l
}

// waitGone waits (bounded) until process group pgid has no live process; some killed
// grandchildren are reaped by init, a moment after the kill.
func waitGone(t *testing.T, what string, pgid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		l := alivePids(t, pgid)
		if len(l) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: processes %v of process group %d still alive", what, l, pgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A sleeper that forks a sleeping child, then says it is ready: $$ is its process group
// (the runner gives each program its own).
const sleeperScript = "#!/bin/sh\ncat >/dev/null\nsleep 600 &\necho $$ > @DIR@/%[1]s.tmp && mv @DIR@/%[1]s.tmp @DIR@/%[1]s\nsleep 600\n"

func pgidOf(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("pid file %q: %v", s, err)
	}
	return n
}

// On stop, mond kills every running monitor and alert with its whole process group,
// and Run returns only once they are gone (mon leaves them running).
func TestShutdownKillsMonitorsAndAlerts(t *testing.T) {
	const cfg = `mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d
randstart = 1s

hostgroup g 127.0.0.1

watch g
    service s
        interval 1m
        monitor sleeper.monitor
        period wd {Sun-Sat}
            startupalert sleeper.alert
`
	d, dir, logs := procDaemon(t, cfg, map[string]string{
		"mon.d/sleeper.monitor": fmt.Sprintf(sleeperScript, "monitor.pid"),
		"alert.d/sleeper.alert": fmt.Sprintf(sleeperScript, "alert.pid"),
	}, Options{})
	stop := runDaemon(t, d)
	mon := pgidOf(t, waitFile(t, filepath.Join(dir, "monitor.pid")))
	alert := pgidOf(t, waitFile(t, filepath.Join(dir, "alert.pid")))
	t.Cleanup(func() {
		// Whatever happens, leave nothing behind.
		syscall.Kill(-mon, syscall.SIGKILL)
		syscall.Kill(-alert, syscall.SIGKILL)
	})
	// Both groups whole before the stop: sh, its background sleeper and its foreground
	// sleep (which starts just after the pid file is written).
	for _, pgid := range []int{mon, alert} {
		deadline := time.Now().Add(5 * time.Second)
		for len(alivePids(t, pgid)) < 3 {
			if time.Now().After(deadline) {
				t.Fatalf("process group %d has %v, want 3 processes", pgid, alivePids(t, pgid))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if took := stop(); took > shutdownGrace+time.Second {
		t.Errorf("Run took %v to return", took)
	}
	// The group leaders were reaped by Run; the background sleepers, reparented to
	// init, are killed too but reaped by init.
	waitGone(t, "monitor", mon, 2*time.Second)
	waitGone(t, "alert", alert, 2*time.Second)
	if l := logs.matching("killed: mond is stopping"); len(l) != 1 || !strings.HasPrefix(l[0], "notice: alert "+dir+"/alert.d/sleeper.alert for g/s") {
		t.Errorf("shutdown log %q", l)
	}
}

// An alert running past the alert timeout is killed with its process group and logged.
func TestAlertTimeout(t *testing.T) {
	const cfg = `alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service s
        period wd {Sun-Sat}
            startupalert sleeper.alert
`
	d, dir, logs := procDaemon(t, cfg, map[string]string{
		"alert.d/sleeper.alert": fmt.Sprintf(sleeperScript, "alert.pid"),
	}, Options{AlertTimeout: 500 * time.Millisecond})
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { return e.Startup(now) })
	pgid := pgidOf(t, waitFile(t, filepath.Join(dir, "alert.pid")))
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	waited := make(chan struct{})
	go func() { d.WaitAlerts(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("alert still running 10s after its 500ms timeout")
	}
	waitGone(t, "alert", pgid, 2*time.Second)
	want := "err: alert " + dir + "/alert.d/sleeper.alert for g/s timed out after 500ms, killed"
	if l := logs.matching("timed out"); len(l) != 1 || l[0] != want {
		t.Errorf("log %q, want [%q]", l, want)
	}
}

// An alert that fails leaves its exit status and the start of its stderr in the log;
// one that succeeds adds nothing.
func TestAlertFailureLogged(t *testing.T) {
	const cfg = `alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service s
        period wd {Sun-Sat}
            startupalert fail.alert -x
            startupalert ok.alert
`
	d, dir, logs := procDaemon(t, cfg, map[string]string{
		"alert.d/fail.alert": "#!/bin/sh\necho 'to stdout'\necho 'ipvsadm: Memory allocation problem' >&2\necho >&2\necho second >&2\nexit 3\n",
		"alert.d/ok.alert":   "#!/bin/sh\necho 'all fine' >&2\nexit 0\n",
	}, Options{})
	var started int64
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		a := e.Startup(now)
		started = a.Alerts[0].Time
		return a
	})
	d.WaitAlerts()
	want := fmt.Sprintf("err: alert %s/alert.d/fail.alert -s s -g g -h 127.0.0.1 -t %d -x exited 3: ipvsadm: Memory allocation problem | second", dir, started)
	if l := logs.matching("err: "); len(l) != 1 || l[0] != want {
		t.Errorf("err log %q, want [%q]", l, want)
	}
}

func TestAlertTroubleSignal(t *testing.T) {
	al := sched.Alert{Group: "g", Service: "s", Path: "/a/x.alert", Args: []string{"-s", "s"}}
	for _, tc := range []struct {
		res      runner.Result
		stopping bool
		prio     string
		msg      string
	}{
		{runner.Result{}, false, "", ""},
		{runner.Result{ExitCode: -1, Signal: syscall.SIGSEGV, Stderr: []byte("core\n")}, false, "err",
			"alert /a/x.alert -s s killed by signal 11 (segmentation fault): core"},
		{runner.Result{ExitCode: -1, Signal: syscall.SIGKILL}, true, "notice", "alert /a/x.alert for g/s killed: mond is stopping"},
		{runner.Result{ExitCode: 1, Stderr: []byte(strings.Repeat("x", 600))}, false, "err",
			"alert /a/x.alert -s s exited 1: " + strings.Repeat("x", 512) + "..."},
	} {
		prio, msg := alertTrouble(al, tc.res, time.Minute, tc.stopping)
		if prio != tc.prio || msg != tc.msg {
			t.Errorf("%+v: got %s %q, want %s %q", tc.res, prio, msg, tc.prio, tc.msg)
		}
	}
}

// `yes` as a monitor: mond keeps the first 64 KiB of its output (what the alert gets
// on stdin), notes the truncation once, and the monitor timeout still kills it.
func TestMonitorOutputBounded(t *testing.T) {
	const cfg = `mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d
randstart = 1s

hostgroup g 127.0.0.1

watch g
    service s
        interval 1m
        monitor yes.monitor
        period wd {Sun-Sat}
            alert save.alert
`
	d, dir, logs := procDaemon(t, cfg, map[string]string{
		"mon.d/yes.monitor":  "#!/bin/sh\nexec yes\n",
		"alert.d/save.alert": "#!/bin/sh\ncat > @DIR@/stdin.tmp && mv @DIR@/stdin.tmp @DIR@/stdin\n",
	}, Options{MonitorTimeout: time.Second})
	stop := runDaemon(t, d)
	got := waitFile(t, filepath.Join(dir, "stdin"))
	stop()
	prefix := "monitor timed out after 1s\n"
	if len(got) != len(prefix)+maxMonitorOutput || !strings.HasPrefix(got, prefix+"y\ny\n") {
		t.Errorf("alert stdin: %d bytes starting %q, want %d starting %q", len(got), got[:min(len(got), 40)],
			len(prefix)+maxMonitorOutput, prefix+"y\ny\n")
	}
	if l := logs.matching("kept to its first"); len(l) != 1 ||
		!strings.HasPrefix(l[0], "notice: output of monitor "+dir+"/mon.d/yes.monitor for g/s kept to its first 65536 bytes, ") {
		t.Errorf("truncation log %q", l)
	}
}

// A monitor mond cannot start for want of descriptors (or processes, or memory) is not
// a failure of the service: no alert, state unchanged, next check one interval on.
func TestMonitorNotStartedIsNoFailure(t *testing.T) {
	const cfg = `mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service s
        interval 1s
        monitor x.monitor
        period wd {Sun-Sat}
            alert a.alert
`
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	var tried []time.Time
	fake := &runner.Fake{Respond: func(c runner.Cmd) runner.Result {
		if strings.HasSuffix(c.Path, "x.monitor") {
			mu.Lock()
			tried = append(tried, clk.Now())
			mu.Unlock()
			return runner.Result{ExitCode: -1,
				Err: fmt.Errorf("start %s: %w", c.Path, &os.PathError{Op: "fork/exec", Path: c.Path, Err: syscall.EMFILE})}
		}
		return runner.Result{}
	}}
	d, dir, logs := procDaemon(t, cfg, map[string]string{
		"mon.d/x.monitor": "#!/bin/sh\n",
		"alert.d/a.alert": "#!/bin/sh\n",
	}, Options{Runner: fake, Clock: clk})
	stop := runDaemon(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(tried)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d monitor attempts", n)
		}
		clk.Advance(250 * time.Millisecond)
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	for _, c := range fake.Calls() {
		if !strings.HasSuffix(c.Path, "x.monitor") {
			t.Errorf("ran %s", c.Path)
		}
	}
	mu.Lock()
	for i := 1; i < len(tried); i++ {
		if gap := tried[i].Sub(tried[i-1]); gap < time.Second {
			t.Errorf("attempt %d came %v after the previous one, want the 1s interval", i, gap)
		}
	}
	mu.Unlock()
	want := "err: could not start monitor " + dir + "/mon.d/x.monitor for g/s: too many open files; check skipped"
	if l := logs.matching("could not"); len(l) < 3 || l[0] != want {
		t.Errorf("log %q, want %q per attempt", l, want)
	}
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		in := e.Infos()[0]
		if in.OpStatus != sched.StatUntested || in.Failures != 0 || in.Alerts != 0 {
			t.Errorf("service state changed: %+v", in)
		}
		return sched.Actions{}
	})
}

// A built-in monitor that fails while mond cannot open a socket (out of descriptors)
// is mond's trouble too: check skipped, no failure, no alert. With sockets to be had,
// the same failure counts.
func TestBuiltinFailingForLackOfDescriptorsIsNoFailure(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // a refused port: tcp.monitor fails
	cfg := fmt.Sprintf(`mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service s
        interval 1s
        monitor tcp.monitor -p %d
        period wd {Sun-Sat}
            alert a.alert
`, port)
	for _, outOfFDs := range []bool{true, false} {
		probe := socketProbe
		socketProbe = func() error {
			if outOfFDs {
				return syscall.EMFILE
			}
			return nil
		}
		clk := clock.NewFake(time.Unix(1_700_000_000, 0))
		fake := &runner.Fake{}
		d, _, logs := procDaemon(t, cfg, map[string]string{"alert.d/a.alert": "#!/bin/sh\n"}, Options{Runner: fake, Clock: clk})
		stop := runDaemon(t, d)
		deadline := time.Now().Add(10 * time.Second)
		for len(logs.matching("check skipped")) < 2 && len(fake.Calls()) == 0 && time.Now().Before(deadline) {
			clk.Advance(250 * time.Millisecond)
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		socketProbe = probe
		var alerts int
		d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			alerts = e.Infos()[0].Alerts
			return sched.Actions{}
		})
		if outOfFDs {
			if l := logs.matching("check skipped"); len(l) < 2 || !strings.Contains(l[0], "tcp.monitor for g/s: too many open files") {
				t.Errorf("out of descriptors: log %q", l)
			}
			if alerts != 0 || len(fake.Calls()) != 0 {
				t.Errorf("out of descriptors: %d alerts, alert runs %v", alerts, fake.Calls())
			}
		} else if len(fake.Calls()) == 0 || len(logs.matching("check skipped")) != 0 {
			t.Errorf("with descriptors: alert runs %v, log %q", fake.Calls(), logs.matching(""))
		}
	}
}
